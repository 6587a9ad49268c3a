package sqlstore_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/simulator"
	"github.com/opaygate/opaygate/sqlstore"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

// testPAN's middle digits (907635) appear nowhere else in a test, so a
// search for them finds only a leak.
const (
	testPAN = "4111119076350814"
	testCVV = "739"
)

func testCard(number string, threeDS bool) opaygate.Card {
	return opaygate.Card{HolderName: "Ada Obi", Number: number, CVV: testCVV, ExpiryMonth: 12,
		ExpiryYear: time.Now().Year() + 2, Enable3DS: threeDS}
}

func (e *env) cardOrder(t testing.TB, ref string, amount int64, card opaygate.Card) *opaygate.Order {
	t.Helper()
	o := &opaygate.Order{MerchantID: e.m.ID, Reference: ref, Country: "EG", Amount: amount, ProductName: "Shoes",
		ReturnURL: "https://m.example/r", CallbackURL: "https://m.example/cb", Channel: opaygate.ChannelAPI}
	if err := createCard(context.Background(), e.svc, o, card); err != nil {
		t.Fatalf("create card order %s: %v", ref, err)
	}
	return o
}

func TestCardOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		t.Run("ThreeDSConfirm", func(t *testing.T) {
			o := e.cardOrder(t, "c-3ds", 60000, testCard(testPAN, true))
			if o.Status != opaygate.StatusPending || o.Step != opaygate.Step3DS || o.PayMethod != opaygate.PayMethodBankCard ||
				o.CardBIN != "411111" || o.CardLast4 != "0814" || len(o.Token) != 32 {
				t.Fatalf("created %+v", o)
			}
			if got := e.find(t, opaygate.OrderKey{OrderNo: o.OrderNo}); got.Step != opaygate.Step3DS || got.CardLast4 != "0814" {
				t.Fatalf("stored %+v", got)
			}
			got, err := e.svc.Orders.Confirm3DS(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID})
			if err != nil || got.Status != opaygate.StatusSuccess {
				t.Fatalf("confirm: %+v %v", got, err)
			}
			_, err = e.svc.Orders.Confirm3DS(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID})
			wantCode(t, err, opaygate.EORDERSTATE)
			_, err = e.svc.Orders.Cancel3DS(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID})
			wantCode(t, err, opaygate.EORDERSTATE)
			if cbs := e.callbacks(t, o.ID); len(cbs) != 1 || cbs[0] != "SUCCESS" {
				t.Fatalf("callbacks %v", cbs)
			}
		})
		t.Run("ThreeDSCancel", func(t *testing.T) {
			o := e.cardOrder(t, "c-3ds-cancel", 60000, testCard(testPAN, true))
			got, err := e.svc.Orders.Cancel3DS(ctx, e.m.ID, opaygate.OrderKey{OrderNo: o.OrderNo})
			if err != nil || got.Status != opaygate.StatusFail || got.FailureCode != "05" {
				t.Fatalf("cancel: %+v %v", got, err)
			}
		})
		t.Run("ThreeDSAmountTrigger", func(t *testing.T) {
			o := e.cardOrder(t, "c-3ds-57", 57, testCard(testPAN, true))
			got, err := e.svc.Orders.Confirm3DS(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID})
			if err != nil || got.Status != opaygate.StatusFail || got.FailureCode != "57" {
				t.Fatalf("confirm: %+v %v", got, err)
			}
		})
		t.Run("NoThreeDS", func(t *testing.T) {
			if o := e.cardOrder(t, "c-now", 60000, testCard(testPAN, false)); o.Status != opaygate.StatusSuccess {
				t.Fatalf("approved card: %+v", o)
			}
			o := e.cardOrder(t, "c-51", 60000, testCard("4000000000000051", false))
			if o.Status != opaygate.StatusFail || o.FailureCode != "51" || o.FailureReason != "Insufficient funds" {
				t.Fatalf("declining card: %+v", o)
			}
			if cbs := e.callbacks(t, o.ID); len(cbs) != 1 || cbs[0] != "FAIL" {
				t.Fatalf("callbacks %v", cbs)
			}
		})
		t.Run("ExpiredCard", func(t *testing.T) {
			card := testCard(testPAN, true)
			card.ExpiryYear, card.ExpiryMonth = e.clock.Now().Year(), int(e.clock.Now().Month())-1
			if card.ExpiryMonth == 0 {
				card.ExpiryYear, card.ExpiryMonth = card.ExpiryYear-1, 12
			}
			o := e.cardOrder(t, "c-expired", 60000, card)
			if o.Status != opaygate.StatusFail || o.FailureCode != "54" || o.FailureReason != "Expired card" {
				t.Fatalf("expired card: %+v", o)
			}
		})
		t.Run("ErrInvalidCard", func(t *testing.T) {
			o := &opaygate.Order{MerchantID: e.m.ID, Reference: "c-luhn", Country: "EG", Amount: 100}
			wantCode(t, createCard(ctx, e.svc, o, testCard("4111111111111112", false)), opaygate.EINVALID)
			_, err := e.svc.Orders.FindOrder(ctx, e.m.ID, opaygate.OrderKey{Reference: "c-luhn"})
			wantCode(t, err, opaygate.ENOTFOUND)
		})
		t.Run("ErrDuplicateReference", func(t *testing.T) {
			o := &opaygate.Order{MerchantID: e.m.ID, Reference: "c-now", Country: "EG", Amount: 100}
			wantCode(t, createCard(ctx, e.svc, o, testCard(testPAN, false)), opaygate.EDUPLICATE)
		})
		t.Run("ErrThreeDSExpiredOrder", func(t *testing.T) {
			o := e.cardOrder(t, "c-late", 60000, testCard(testPAN, true))
			e.clock.Advance(31 * time.Minute)
			_, err := e.svc.Orders.Confirm3DS(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID})
			wantCode(t, err, opaygate.EORDERSTATE)
			if got := e.find(t, opaygate.OrderKey{ID: o.ID}); got.Status != opaygate.StatusClose || got.FailureCode != opaygate.FailExpired {
				t.Fatalf("after a late confirmation: %+v", got)
			}
		})
	})
}

// Two confirmations racing (a double click, two tabs) pay once.
func TestConfirm3DSRace(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		o := e.cardOrder(t, "c-race", 60000, testCard(testPAN, true))
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.svc.Orders.Confirm3DS(context.Background(), e.m.ID, opaygate.OrderKey{ID: o.ID})
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch opaygate.ErrorCode(err) {
			case "":
				won++
			case opaygate.EORDERSTATE:
			default:
				t.Errorf("confirm: %v", err)
			}
		}
		if cbs := e.callbacks(t, o.ID); won != 1 || len(cbs) != 1 {
			t.Fatalf("%d confirmations won, callbacks %v", won, cbs)
		}
	})
}

// The hosted page's card form on a cashier order, and the cashier's payMethod
// restriction.
func TestStartCard(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		o := e.mustOrder(t, &opaygate.Order{Reference: "page-card", Amount: 60000, Channel: opaygate.ChannelWeb})
		card := testCard(testPAN, true)
		got, err := e.svc.Orders.StartPayment(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, opaygate.PayMethodBankCard, card)
		if err != nil || got.Status != opaygate.StatusPending || got.Step != opaygate.Step3DS || got.PayMethod != opaygate.PayMethodBankCard {
			t.Fatalf("start card: %+v %v", got, err)
		}
		t.Run("ErrSecondSubmit", func(t *testing.T) {
			_, err := e.svc.Orders.StartPayment(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, opaygate.PayMethodBankCard, card)
			wantCode(t, err, opaygate.EORDERSTATE)
		})
		t.Run("ErrValUAfterCard", func(t *testing.T) {
			_, err := e.svc.Orders.StartPayment(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, opaygate.PayMethodValU, "01012345678")
			if code := opaygate.ErrorCode(err); code != opaygate.EORDERSTATE && code != opaygate.EPAYMETHOD {
				t.Fatalf("valu after card: %v", err)
			}
		})
		t.Run("RestrictedToCard", func(t *testing.T) {
			o := e.mustOrder(t, &opaygate.Order{Reference: "only-card", Amount: 100, PayMethod: opaygate.PayMethodBankCard, Channel: opaygate.ChannelWeb})
			if o.Status != opaygate.StatusInitial {
				t.Fatalf("cashier order limited to cards: %+v", o)
			}
			_, err := e.svc.Orders.StartPayment(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, opaygate.PayMethodValU, "01012345678")
			wantCode(t, err, opaygate.EPAYMETHOD)
			got, err := e.svc.Orders.StartPayment(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, opaygate.PayMethodBankCard, testCard(testPAN, false))
			if err != nil || got.Status != opaygate.StatusSuccess {
				t.Fatalf("card: %+v %v", got, err)
			}
		})
		t.Run("RestrictedToValU", func(t *testing.T) {
			o := e.mustOrder(t, &opaygate.Order{Reference: "only-valu", Amount: 100, PayMethod: opaygate.PayMethodValU, Channel: opaygate.ChannelWeb})
			if o.Status != opaygate.StatusInitial || len(o.Plans) != 0 {
				t.Fatalf("cashier order limited to ValU: %+v", o)
			}
			_, err := e.svc.Orders.StartPayment(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, opaygate.PayMethodBankCard, card)
			wantCode(t, err, opaygate.EPAYMETHOD)
			if got, err := e.svc.Orders.StartPayment(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, opaygate.PayMethodValU, "01012345678"); err != nil || got.Step != opaygate.StepPlan {
				t.Fatalf("valu: %+v %v", got, err)
			}
		})
		t.Run("ErrInvalidCardLeavesOrderOpen", func(t *testing.T) {
			o := e.mustOrder(t, &opaygate.Order{Reference: "page-bad-card", Amount: 100})
			bad := card
			bad.CVV = "1"
			_, err := e.svc.Orders.StartPayment(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, opaygate.PayMethodBankCard, bad)
			wantCode(t, err, opaygate.EINVALID)
			if got := e.find(t, opaygate.OrderKey{ID: o.ID}); got.Status != opaygate.StatusInitial || got.CardLast4 != "" {
				t.Fatalf("after an invalid card: %+v", got)
			}
		})
	})
}

func TestCancelOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		o := e.mustOrder(t, &opaygate.Order{Reference: "walk-away", Amount: 100, CallbackURL: "https://m.example/cb"})
		got, err := e.svc.Orders.CancelOrder(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID})
		if err != nil || got.Status != opaygate.StatusClose || got.FailureCode != opaygate.FailCancelled {
			t.Fatalf("cancel: %+v %v", got, err)
		}
		_, err = e.svc.Orders.CancelOrder(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID})
		wantCode(t, err, opaygate.EORDERSTATE)
		if cbs := e.callbacks(t, o.ID); len(cbs) != 1 || cbs[0] != "CLOSE" {
			t.Fatalf("callbacks %v", cbs)
		}
		t.Run("Pending", func(t *testing.T) {
			o := e.cardOrder(t, "walk-away-3ds", 100, testCard(testPAN, true))
			if got, err := e.svc.Orders.CancelOrder(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}); err != nil || got.Status != opaygate.StatusClose {
				t.Fatalf("cancel at 3DS: %+v %v", got, err)
			}
		})
		t.Run("ErrOtherMerchant", func(t *testing.T) {
			o := e.mustOrder(t, &opaygate.Order{Reference: "walk-away-2", Amount: 100})
			_, err := e.svc.Orders.CancelOrder(ctx, e.other.ID, opaygate.OrderKey{ID: o.ID})
			wantCode(t, err, opaygate.ENOTFOUND)
		})
	})
}

// Neither the card number nor the CVV is ever written: not in the orders, the
// timeline, the outbox or CardDebit's agreements, and on SQLite not anywhere in the
// database files.
func TestCardNeverStored(t *testing.T) {
	leaks := func(t *testing.T, dump []byte) {
		t.Helper()
		for _, secret := range []string{testPAN, "907635", `"` + testCVV + `"`, "'" + testCVV + "'"} {
			if bytes.Contains(dump, []byte(secret)) {
				t.Errorf("the database holds %q", secret)
			}
		}
		if !bytes.Contains(dump, []byte("411111")) || !bytes.Contains(dump, []byte("0814")) {
			t.Error("BIN and last four not found: the dump does not show the orders")
		}
		if !bytes.Contains(dump, []byte("AGR-secret")) {
			t.Error("the agreement is not found: the dump does not show it")
		}
	}
	pay := func(t *testing.T, e *env) {
		ctx := context.Background()
		o := e.cardOrder(t, "secret-1", 60000, testCard(testPAN, true))
		if _, err := e.svc.Orders.Confirm3DS(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}); err != nil {
			t.Fatal(err)
		}
		e.cardOrder(t, "secret-2", 60000, testCard(testPAN, false))
		page := e.mustOrder(t, &opaygate.Order{Reference: "secret-3", Amount: 100})
		if _, err := e.svc.Orders.StartPayment(ctx, e.m.ID, opaygate.OrderKey{ID: page.ID}, opaygate.PayMethodBankCard, testCard(testPAN, false)); err != nil {
			t.Fatal(err)
		}
		// CardDebit records its agreement with the card's BIN and last four.
		debit, err := e.debitOrder(e.m, "secret-4", debitParams(t, testPAN, "AGR-secret", true))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Orders.Confirm3DS(ctx, e.m.ID, opaygate.OrderKey{ID: debit.ID}); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		path := sqlstoretest.URL(t, sqlstore.SQLite)
		db, err := sqlstore.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		e := &env{db: db, clock: opaygate.NewOffsetClock(nil), net: simulator.New()}
		e.svc = sqlstore.NewServices(db, sqlstore.Deps{Methods: method.Default(), Clock: e.clock, ValU: e.net, OTP: e.net, Acquirer: e.net})
		e.m = e.mustMerchant(t, "256612345678901", "https://merchant.example/callback")
		pay(t, e)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		var dump []byte
		for _, suffix := range []string{"", "-wal", "-journal"} {
			b, err := os.ReadFile(path + suffix)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			dump = append(dump, b...)
		}
		leaks(t, dump)
	})
	t.Run("postgres", func(t *testing.T) {
		e := newEnv(t, sqlstore.Postgres)
		pay(t, e)
		var dump []string
		for _, table := range []string{"orders", "order_events", "callbacks", "card_debit_agreements", "card_tokens"} {
			rows, err := sqlstore.QueryStrings(e.db, `SELECT t::text FROM `+table+` t`)
			if err != nil {
				t.Fatal(err)
			}
			dump = append(dump, rows...)
		}
		leaks(t, []byte(strings.Join(dump, "\n")))
	})
}

// createCard is payment/create with a card.
func createCard(ctx context.Context, svc *sqlstore.Services, o *opaygate.Order, card opaygate.Card) error {
	o.PayMethod = opaygate.PayMethodBankCard
	return svc.Orders.CreatePayment(ctx, o, card)
}
