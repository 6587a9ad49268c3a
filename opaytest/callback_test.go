package opaytest_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/opaytest"
)

// receiver is a merchant's callback endpoint: opay.CallbackHandler in front of a func that
// records what it was told, and fails while told to.
type receiver struct {
	srv *httptest.Server

	mu    sync.Mutex
	got   []*opay.Notification
	fails int // answer 500 to this many more callbacks
}

func newReceiver(t *testing.T, gw *opaytest.Gateway) *receiver {
	return newReceiverFor(t, gw.Merchant.PrivateKey, gw.Now)
}

// newReceiverFor is a receiver for a merchant whose gateway does not exist yet.
func newReceiverFor(t *testing.T, privateKey string, now func() time.Time) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(opay.CallbackHandler(privateKey,
		func(ctx context.Context, n *opay.Notification) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.got = append(r.got, n)
			if r.fails > 0 {
				r.fails--
				return errors.New("not now")
			}
			return nil
		},
		// Callbacks carry gateway time, which Advance moves.
		opay.WithMaxAge(time.Minute), opay.WithNow(now)))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) notifications() []*opay.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*opay.Notification(nil), r.got...)
}

func (r *receiver) failNext(n int) { r.mu.Lock(); r.fails = n; r.mu.Unlock() }

func TestCallbacks_DeliveredBeforeTheCustomerActionReturns(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	rcv := newReceiver(t, gw)
	c, ctx := gw.Client(), context.Background()
	d := must(c.CreateCashier(ctx, opay.CashierCreateRequest{Reference: "cb-1", Country: "EG",
		Amount: opay.Amount{Total: 60000, Currency: "EGP"}, ReturnURL: "https://shop.example.com/r",
		CallbackURL: rcv.srv.URL + "/opay", Product: opay.Product{Name: "x"}}))(t)
	must(gw.PayWithValU(d.OrderNo, opaytest.ValUAccount, 6))(t)

	got := rcv.notifications()
	if len(got) != 1 || got[0].OrderNo != d.OrderNo || got[0].Reference != "cb-1" ||
		got[0].Status != opay.StatusSuccess || got[0].Amount != (opay.Amount{Total: 60000, Currency: "EGP"}) ||
		got[0].InstrumentType != opay.PayMethodValU {
		t.Fatalf("the receiver got %+v", got)
	}
	cbs := gw.Callbacks()
	if len(cbs) != 1 || !cbs[0].Delivered() || cbs[0].Target != rcv.srv.URL+"/opay" ||
		len(cbs[0].Attempts) != 1 || cbs[0].Attempts[0].HTTPStatus != 200 {
		t.Fatalf("Callbacks() = %+v", cbs)
	}
	if n := cbs[0].Notification; n.OrderNo != d.OrderNo || n.Status != opay.StatusSuccess {
		t.Errorf("notification %+v", n)
	}
	if _, err := opay.ParseCallback(cbs[0].Body, gw.Merchant.PrivateKey); err != nil {
		t.Errorf("the body as sent does not verify: %v", err)
	}
}

// A receiver that fails is retried on the contract's schedule, in gateway time.
func TestCallbacks_RetriedAfterAFailure(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	rcv := newReceiver(t, gw)
	rcv.failNext(1)
	c, ctx := gw.Client(), context.Background()
	p := must(c.CreatePayment(ctx, opay.PaymentCreateRequest{Reference: "cb-retry", Country: "EG",
		PayMethod: opay.PayMethodValU, Amount: opay.Amount{Total: 5000, Currency: "EGP"},
		Product: opay.Product{Name: "x"}, ValUAccountNumber: opaytest.ValUAccount,
		CallbackURL: rcv.srv.URL}))(t)
	must(gw.PayWithValU(p.OrderNo, "", 6))(t)

	cbs := gw.Callbacks()
	if len(cbs) != 1 || cbs[0].State != "pending" || len(cbs[0].Attempts) != 1 || cbs[0].Attempts[0].HTTPStatus != 500 {
		t.Fatalf("after a failed delivery: %+v", cbs)
	}
	gw.Advance(14 * time.Second)
	if n := len(rcv.notifications()); n != 1 {
		t.Fatalf("retried after 14 s: %d deliveries", n)
	}
	gw.Advance(time.Second)
	cbs = gw.Callbacks()
	if len(rcv.notifications()) != 2 || !cbs[0].Delivered() || len(cbs[0].Attempts) != 2 {
		t.Fatalf("after 15 s: %d deliveries, %+v", len(rcv.notifications()), cbs)
	}
}

// Orders without a callbackUrl notify the merchant's webhook; expiry and closing by the
// merchant are notified too.
func TestCallbacks_WebhookExpiryAndClose(t *testing.T) {
	t.Parallel()
	const key = "OPAYPRVwebhook.0001"
	var gw atomic.Pointer[opaytest.Gateway]
	rcv := newReceiverFor(t, key, func() time.Time { return gw.Load().Now() })
	gw.Store(opaytest.New(t, opaytest.WithMerchant(opaytest.Merchant{PrivateKey: key, WebhookURL: rcv.srv.URL})))
	c, ctx := gw.Load().Client(), context.Background()
	req := opay.CashierCreateRequest{Country: "EG", Amount: opay.Amount{Total: 1000, Currency: "EGP"},
		ReturnURL: "https://shop.example.com/r", Product: opay.Product{Name: "x"}}
	req.Reference = "expires"
	must(c.CreateCashier(ctx, req))(t)
	req.Reference = "closed"
	closed := must(c.CreateCashier(ctx, req))(t)
	must(c.ClosePayment(ctx, opay.PaymentCloseRequest{OrderNo: closed.OrderNo, Country: "EG"}))(t)
	gw.Load().Advance(31 * time.Minute) // delivers the close first, at its own time

	byRef := map[string]*opay.Notification{}
	for _, cb := range gw.Load().Callbacks() {
		if !cb.Delivered() {
			t.Errorf("not delivered: %+v", cb)
		}
		byRef[cb.Notification.Reference] = cb.Notification
	}
	if n := byRef["expires"]; n == nil || n.Status != opay.StatusClose {
		t.Errorf("expiry: %+v", n)
	}
	if n := byRef["closed"]; n == nil || n.Status != opay.StatusClose {
		t.Errorf("close: %+v", n)
	}
	if got := len(rcv.notifications()); got != 2 {
		t.Errorf("the receiver got %d callbacks, want 2", got)
	}
}

// A v2 merchant's callbacks are MACQUIRING_CALLBACK bodies signed in their headers;
// opay.CallbackHandler verifies them as it does v1, retries after Advance included.
func TestCallbacks_V2Merchant(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t, opaytest.WithMerchant(opaytest.Merchant{CallbackVersion: "v2"}))
	rcv := newReceiver(t, gw)
	rcv.failNext(1)
	c, ctx := gw.Client(), context.Background()
	p := must(c.CreatePayment(ctx, opay.PaymentCreateRequest{Reference: "cb-v2", Country: "EG",
		PayMethod: opay.PayMethodValU, Amount: opay.Amount{Total: 5000, Currency: "EGP"},
		Product: opay.Product{Name: "x"}, ValUAccountNumber: opaytest.ValUAccount,
		CallbackURL: rcv.srv.URL}))(t)
	must(gw.PayWithValU(p.OrderNo, "", 6))(t)
	gw.Advance(15 * time.Second) // the first retry
	got := rcv.notifications()
	if len(got) != 2 || got[1].Version != "v2" || got[1].NotifyID == "" || got[1].NotifyID != got[0].NotifyID ||
		got[1].OrderNo != p.OrderNo || got[1].Amount != (opay.Amount{Total: 5000, Currency: "EGP"}) {
		t.Fatalf("the receiver got %+v", got)
	}
	cbs := gw.Callbacks()
	if len(cbs) != 1 || !cbs[0].Delivered() || cbs[0].Notification.Version != "v2" || cbs[0].Notification.NotifyID != got[0].NotifyID {
		t.Fatalf("Callbacks() = %+v", cbs)
	}
}
