package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/sqlstore"
)

// debitParams reads a CardDebit request's card and agreement as payment/create does.
func debitParams(t testing.TB, number, agreementID string, storeCard bool) any {
	t.Helper()
	req := &opay.PaymentCreateRequest{ReturnURL: "https://m.example/r",
		BankCard: &opay.BankCard{CardNumber: number, CVV: testCVV, ExpiryMonth: "12",
			ExpiryYear: fmt.Sprintf("%02d", (time.Now().Year()+2)%100)},
		BankDebit: &opay.BankDebit{AgreementID: agreementID, AgreementDuration: time.Now().AddDate(1, 0, 0).Format("2006-01-02"),
			StoreCard: storeCard},
		UserInfo: &opay.UserInfo{UserID: "user-1"}}
	p, err := method.CardDebit{}.Params(req)
	if err != nil {
		t.Fatalf("params: %v", err)
	}
	return p
}

// debitOrder is a CardDebit payment/create of merchant m.
func (e *env) debitOrder(m *opaygate.Merchant, ref string, params any) (*opaygate.Order, error) {
	o := &opaygate.Order{MerchantID: m.ID, Reference: ref, Country: "EG", Amount: 60000, ProductName: "Gym",
		PayMethod: opaygate.PayMethodCardDebit, ReturnURL: "https://m.example/r", CallbackURL: "https://m.example/cb"}
	return o, e.svc.Orders.CreatePayment(context.Background(), o, params)
}

// TestCardDebitAgreement: the agreement is recorded with its order, in one transaction, and
// its id is the merchant's for good.
func TestCardDebitAgreement(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		o, err := e.debitOrder(e.m, "cd-1", debitParams(t, testPAN, "AGR-1", true))
		if err != nil || o.Status != opaygate.StatusPending || o.Step != opaygate.Step3DS || o.CardLast4 != "0814" {
			t.Fatalf("created %+v %v", o, err)
		}
		a, err := e.svc.Orders.FindAgreement(ctx, e.m.ID, "AGR-1")
		if err != nil || a.OrderNo != o.OrderNo || a.CardBIN != "411111" || a.CardLast4 != "0814" || !a.StoreCard ||
			a.Duration != o.MethodData["agreementDuration"] || a.Duration == "" || a.CreatedAt.UnixMilli() != o.CreatedAt.UnixMilli() {
			t.Fatalf("agreement %+v %v", a, err)
		}
		if got := e.find(t, opaygate.OrderKey{ID: o.ID}); got.MethodData["agreementId"] != "AGR-1" {
			t.Fatalf("stored order %+v", got)
		}
		got, err := e.svc.Orders.Confirm3DS(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID})
		if err != nil || got.Status != opaygate.StatusSuccess {
			t.Fatalf("confirm: %+v %v", got, err)
		}
		if cbs := e.callbacks(t, o.ID); len(cbs) != 1 || cbs[0] != "SUCCESS" {
			t.Fatalf("callbacks %v", cbs)
		}

		t.Run("ErrDuplicateAgreement", func(t *testing.T) {
			_, err := e.debitOrder(e.m, "cd-2", debitParams(t, testPAN, "AGR-1", false))
			wantCode(t, err, opaygate.EDUPLICATE)
			if want := "bankDebit.agreementId AGR-1 is already used by order " + o.OrderNo; opaygate.ErrorMessage(err) != want {
				t.Errorf("message %q, want %q", opaygate.ErrorMessage(err), want)
			}
			// Nothing of the refused payment is stored: its reference is still free.
			_, err = e.svc.Orders.FindOrder(ctx, e.m.ID, opaygate.OrderKey{Reference: "cd-2"})
			wantCode(t, err, opaygate.ENOTFOUND)
			if _, err := e.debitOrder(e.m, "cd-2", debitParams(t, testPAN, "AGR-2", false)); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("ErrDuplicateReferenceRecordsNoAgreement", func(t *testing.T) {
			_, err := e.debitOrder(e.m, "cd-1", debitParams(t, testPAN, "AGR-3", false))
			wantCode(t, err, opaygate.EDUPLICATE)
			_, err = e.svc.Orders.FindAgreement(ctx, e.m.ID, "AGR-3")
			wantCode(t, err, opaygate.ENOTFOUND)
		})
		t.Run("OtherMerchant", func(t *testing.T) {
			o, err := e.debitOrder(e.other, "cd-1", debitParams(t, testPAN, "AGR-1", false))
			if err != nil || o.Status != opaygate.StatusPending {
				t.Fatalf("another merchant's AGR-1: %+v %v", o, err)
			}
		})
		t.Run("FailedOrderKeepsItsID", func(t *testing.T) {
			o, err := e.debitOrder(e.m, "cd-fail", debitParams(t, testPAN, "AGR-4", false))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := e.svc.Orders.Cancel3DS(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}); err != nil || got.FailureCode != "05" {
				t.Fatalf("cancel: %+v %v", got, err)
			}
			_, err = e.debitOrder(e.m, "cd-fail-again", debitParams(t, testPAN, "AGR-4", false))
			wantCode(t, err, opaygate.EDUPLICATE)
		})
	})
}

// TestCardDebitAgreementRace: payments racing with one agreementId (and their own
// references) store one order and one agreement; every other one is EDUPLICATE.
func TestCardDebitAgreementRace(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		const n = 50
		params := debitParams(t, testPAN, "AGR-RACE", false)
		errs := make([]error, n)
		orders := make([]*opaygate.Order, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				orders[i], errs[i] = e.debitOrder(e.m, fmt.Sprintf("race-%d", i), params)
			})
		}
		close(start)
		wg.Wait()
		var won *opaygate.Order
		for i, err := range errs {
			switch opaygate.ErrorCode(err) {
			case "":
				if won != nil {
					t.Fatalf("two payments opened AGR-RACE: %s and %s", won.OrderNo, orders[i].OrderNo)
				}
				won = orders[i]
			case opaygate.EDUPLICATE:
			default:
				t.Errorf("payment %d: %v", i, err)
			}
		}
		if won == nil {
			t.Fatal("no payment opened AGR-RACE")
		}
		stored, err := sqlstore.QueryStrings(e.db, `SELECT reference FROM orders WHERE pay_method = ?`, opaygate.PayMethodCardDebit)
		if err != nil || len(stored) != 1 || stored[0] != won.Reference {
			t.Fatalf("orders stored %v %v, winner %s", stored, err, won.Reference)
		}
		if a, err := e.svc.Orders.FindAgreement(context.Background(), e.m.ID, "AGR-RACE"); err != nil || a.OrderNo != won.OrderNo {
			t.Fatalf("agreement %+v %v, winner %s", a, err, won.OrderNo)
		}
	})
}

// TestCardDebitStoresTheCard: storeCard keeps the card as a token of userInfo.userId once the
// payment succeeds, with only the BIN, last four, expiry and name; not before, not when it
// fails, not without storeCard. Both backends.
func TestCardDebitStoresTheCard(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		pay := func(ref, agreement, number string, store bool) *opaygate.Order {
			t.Helper()
			o := &opaygate.Order{MerchantID: e.m.ID, Reference: ref, Country: "EG", Amount: 60000, ProductName: "Gym",
				PayMethod: opaygate.PayMethodCardDebit, ReturnURL: "https://m.example/r",
				User: opaygate.UserInfo{ID: "user-" + ref, Name: "Ada Obi", Email: "ada@example.com"}}
			if err := e.svc.Orders.CreatePayment(ctx, o, debitParams(t, number, agreement, store)); err != nil {
				t.Fatal(err)
			}
			if list, _ := e.svc.Tokens.CustomerTokens(ctx, e.m.ID, o.User.ID); len(list) != 0 {
				t.Fatalf("a token before the payment succeeded: %+v", list)
			}
			got, err := e.svc.Orders.Confirm3DS(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		o := pay("keep", "AGR-keep", testPAN, true)
		list, err := e.svc.Tokens.CustomerTokens(ctx, e.m.ID, "user-keep")
		if o.Status != opaygate.StatusSuccess || err != nil || len(list) != 1 {
			t.Fatalf("order %s, tokens %+v %v", o.Status, list, err)
		}
		tok := list[0]
		if tok.FirstSix != "411111" || tok.LastFour != "0814" || tok.Brand != "VISA" || tok.ExpiryMonth != 12 ||
			tok.ExpiryYear != time.Now().Year()+2 || tok.Customer.Email != "ada@example.com" || tok.Reference != "agreement:AGR-keep" {
			t.Errorf("token %+v", tok)
		}
		if found, err := e.svc.Tokens.FindToken(ctx, e.m.ID, tok.Token); err != nil || found.Token != tok.Token {
			t.Errorf("find %+v %v", found, err)
		}
		if o := pay("no", "AGR-no", testPAN, false); o.Status != opaygate.StatusSuccess {
			t.Fatalf("order %+v", o)
		}
		if o := pay("declined", "AGR-declined", "4000000000000051", true); o.Status != opaygate.StatusFail {
			t.Fatalf("order %+v", o)
		}
		for _, user := range []string{"user-no", "user-declined"} {
			if list, _ := e.svc.Tokens.CustomerTokens(ctx, e.m.ID, user); len(list) != 0 {
				t.Errorf("%s has tokens %+v", user, list)
			}
		}
	})
}
