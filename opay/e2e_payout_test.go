package opay_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/opaytest"
)

// payoutReceiver is a merchant's notifyUrl: it keeps every payout notification it is sent.
type payoutReceiver struct {
	mu   sync.Mutex
	got  []opay.PayoutNotification
	bad  []string
	srv  *httptest.Server
	URL  string
	seen int
}

func newPayoutReceiver(t *testing.T) *payoutReceiver {
	rc := &payoutReceiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var n opay.PayoutNotification
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if err := json.Unmarshal(body, &n); err != nil {
			rc.bad = append(rc.bad, string(body))
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rc.got = append(rc.got, n)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rc.srv.Close)
	rc.URL = rc.srv.URL + "/payouts"
	return rc
}

// next returns the one notification that arrived since the last call.
func (rc *payoutReceiver) next(t *testing.T) opay.PayoutNotification {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bad) > 0 {
		t.Fatalf("unreadable notification: %s", rc.bad[0])
	}
	if len(rc.got) != rc.seen+1 {
		t.Fatalf("%d notifications arrived, want 1: %+v", len(rc.got)-rc.seen, rc.got[rc.seen:])
	}
	rc.seen++
	return rc.got[rc.seen-1]
}

// wantPayoutCode fails unless err is an *APIError with a payout path's code.
func wantPayoutCode(t *testing.T, err error, code, message string) {
	t.Helper()
	var ae *opay.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v (%T), want an *APIError %s", err, err, code)
	}
	if ae.Code != code || ae.Message != message {
		t.Fatalf("%s %q, want %s %q", ae.Code, ae.Message, code, message)
	}
}

func bankPayout(ref string, amount int64, accountNo, notifyURL string) opay.PayoutCreateRequest {
	return opay.PayoutCreateRequest{PayoutType: "BankTransfer", NotifyURL: notifyURL, MerchantOrderNo: ref,
		Country: "NG", Amount: opay.Int64String(amount), Currency: "NGN", Language: "en_US", Remark: "refund of order 42",
		MetaData: opay.PayoutMetaData{AccountBankCode: "058", AccountName: "Ada Obi", AccountNo: accountNo}}
}

// TestE2E_Payouts: from the opening cash, a bank payout goes INITIAL, PENDING, SUCCESS after
// the payout delay, with a notification in major units that verifies; one to an account
// ending 1005 FAILs with 01005 and gives the cash back; too much is 5006, a merchantOrderNo
// used before 5001, an unknown payout 02812, a wrong key 02000.
func TestE2E_Payouts(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	rc := newPayoutReceiver(t)
	cash := func() int64 {
		t.Helper()
		b := must(c.PayoutBalance(ctx, "NG", "NGN", "CASH_ACCOUNT"))(t)
		if b.Country != "NG" || b.Balance.Currency != "NGN" {
			t.Fatalf("balance %+v", b)
		}
		return b.Balance.Total
	}
	if got := cash(); got != 100_000_000 {
		t.Fatalf("opening cash %d, want %d", got, int64(opaytest.OpeningCash))
	}
	if b := must(c.PayoutBalance(ctx, "NG", "NGN", "UNSETTLED_ACCOUNT"))(t); b.Balance.Total != 0 {
		t.Fatalf("unsettled %+v", b)
	}

	d := must(c.CreatePayout(ctx, bankPayout("po-1", 50000, "0123456789", rc.URL)))(t)
	if d.OrderStatus != "INITIAL" || d.Reference != "po-1" || d.OrderNo == "" {
		t.Fatalf("created %+v", d)
	}
	if got := cash(); got != opaytest.OpeningCash-50000 {
		t.Fatalf("cash after the payout %d, want %d", got, opaytest.OpeningCash-50000)
	}
	q := must(c.Payout(ctx, opay.PayoutQueryRequest{Reference: "po-1", Country: "NG"}))(t)
	if q.OrderStatus != "PENDING" || q.OrderNo != d.OrderNo || q.ErrorCode != "" ||
		q.Amount != (opay.Amount{Total: 50000, Currency: "NGN"}) {
		t.Fatalf("pending %+v", q)
	}
	gw.Advance(opaytest.PayoutDelay - time.Second)
	if q := must(c.Payout(ctx, opay.PayoutQueryRequest{OrderNo: d.OrderNo}))(t); q.OrderStatus != "PENDING" {
		t.Fatalf("before the payout delay %+v", q)
	}
	gw.Advance(time.Second)
	q = must(c.Payout(ctx, opay.PayoutQueryRequest{OrderNo: d.OrderNo}))(t)
	if q.OrderStatus != "SUCCESS" || q.ErrorCode != "" || q.ErrorMsg != "" {
		t.Fatalf("after the payout delay %+v", q)
	}
	n := rc.next(t)
	if p := n.Payload; p.Amount != "500.00" || p.Fee != "0.00" || p.Currency != "NGN" || p.Status != "SUCCESS" ||
		p.Reference != "po-1" || p.Token != d.OrderNo || p.TransactionID != d.OrderNo ||
		p.InstrumentType != "BankTransfer" || p.BussinessType != "MUAATransfer" || p.Remark != "refund of order 42" ||
		n.Type != "transaction-status" {
		t.Fatalf("notification %+v", n)
	}
	if !opay.VerifyPayoutNotification(n, gw.Merchant.PrivateKey) {
		t.Fatal("the notification does not verify with the merchant's key")
	}
	if got := cash(); got != opaytest.OpeningCash-50000 {
		t.Fatalf("cash after SUCCESS %d", got)
	}

	t.Run("ErrIncorrectAccount", func(t *testing.T) {
		before := cash()
		d := must(c.CreatePayout(ctx, bankPayout("po-fail", 30000, "0123451005", rc.URL)))(t)
		if got := cash(); got != before-30000 {
			t.Fatalf("cash while pending %d, want %d", got, before-30000)
		}
		gw.Advance(opaytest.PayoutDelay)
		q := must(c.Payout(ctx, opay.PayoutQueryRequest{Reference: "po-fail"}))(t)
		if q.OrderStatus != "FAIL" || q.ErrorCode != opay.CodeIncorrectAccount || q.ErrorMsg != opay.MessageIncorrectAccount {
			t.Fatalf("failed payout %+v", q)
		}
		if got := cash(); got != before {
			t.Fatalf("cash after FAIL %d, want %d back", got, before)
		}
		n := rc.next(t)
		if n.Payload.Status != "FAIL" || n.Payload.Amount != "300.00" || n.Payload.Token != d.OrderNo ||
			n.Payload.DisplayedFailure != opay.MessageIncorrectAccount || !opay.VerifyPayoutNotification(n, gw.Merchant.PrivateKey) {
			t.Fatalf("notification %+v", n)
		}
	})
	t.Run("ErrBalanceNotEnough", func(t *testing.T) {
		before := cash()
		_, err := c.CreatePayout(ctx, bankPayout("po-big", before+1, "0123456789", rc.URL))
		wantPayoutCode(t, err, opay.CodeBalanceNotEnough, opay.MessageBalanceNotEnough)
		if got := cash(); got != before {
			t.Fatalf("cash %d after a refused payout, want %d", got, before)
		}
		_, err = c.Payout(ctx, opay.PayoutQueryRequest{Reference: "po-big"})
		wantPayoutCode(t, err, opay.CodePayoutNotFound, opay.MessagePayoutNotFound)
	})
	t.Run("ErrOrderExists", func(t *testing.T) {
		before := cash()
		_, err := c.CreatePayout(ctx, bankPayout("po-1", 100, "0123456789", rc.URL))
		wantPayoutCode(t, err, opay.CodePayoutExists, opay.MessagePayoutExists)
		if got := cash(); got != before {
			t.Fatalf("cash %d after a duplicate, want %d", got, before)
		}
	})
	t.Run("ErrAuthentication", func(t *testing.T) {
		other, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		_, err = gw.Client(opay.WithPayoutKey(other)).PayoutBalance(ctx, "NG", "NGN", "CASH_ACCOUNT")
		wantPayoutCode(t, err, opay.CodeAuthFailed, opay.MessagePayoutAuthFailed)
		if !errors.Is(err, opay.ErrAuthentication) {
			t.Errorf("errors.Is(%v, ErrAuthentication) = false", err)
		}
	})
	t.Run("Validate", func(t *testing.T) {
		a := must(c.ValidateBankAccount(ctx, "058", "0123456789"))(t)
		if a.AccountName != "SANDBOX ACCOUNT 6789" || a.AccountNo != "0123456789" || a.AccountBankCode != "058" {
			t.Fatalf("bank account %+v", a)
		}
		_, err := c.ValidateBankAccount(ctx, "058", "0123451005")
		wantPayoutCode(t, err, opay.CodeIncorrectAccount, opay.MessageIncorrectAccount)
		w := must(c.ValidateWallet(ctx, "+2348012345678", "NG"))(t)
		if w.AccountName != "SANDBOX ACCOUNT 5678" || w.Phone != "+2348012345678" {
			t.Fatalf("wallet %+v", w)
		}
		_, err = c.ValidateWallet(ctx, "+2348012341005", "NG")
		wantPayoutCode(t, err, opay.CodeIncorrectAccount, opay.MessageIncorrectAccount)
	})
	// opaytest's view of the notifications: delivered, read as payout notifications.
	delivered := 0
	for _, cb := range gw.Callbacks() {
		if cb.Target == rc.URL && cb.Delivered() && cb.Notification == nil && cb.Payout != nil &&
			opay.VerifyPayoutNotification(*cb.Payout, gw.Merchant.PrivateKey) {
			delivered++
		}
	}
	if delivered != 2 {
		t.Errorf("opaytest shows %d delivered payout notifications, want 2", delivered)
	}
}
