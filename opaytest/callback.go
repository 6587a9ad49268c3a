package opaytest

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/notify"
	"github.com/opaygate/opaygate/opay"
)

// Callbacks go where production sends them: to the order's callbackUrl, else to the merchant's
// WebhookURL, else nowhere. A test points them at its own receiver — an httptest server
// mounting opay.CallbackHandler — and finds them delivered, signed as OPay signs them.
//
// Delivery runs in the background, as in production, within about 50 ms of the change. On top
// of that, everything due is delivered — and answered — before Advance, the customer actions
// and Callbacks return. So a callback caused by a customer action or by time is there when the
// call returns; one caused by the merchant's own API call (payment/close, input-otp) arrives in
// the background, and calling Callbacks waits for it.
//
// Failed deliveries are retried on the contract's schedule (15 s, doubling, capped at 1 h, dead
// after 72 h) in gateway time: Advance to make a retry due; a retry that fell due inside an
// Advance is sent at its end. A callback's timestamp is gateway time too, so a receiver using
// opay.WithMaxAge should be given opay.WithNow(gw.Now).

// Callback is a notification the gateway queued for the merchant, with what became of it.
type Callback struct {
	// Target is where it is POSTed.
	Target string
	// Body is the signed JSON body, byte for byte as POSTed.
	Body []byte
	// Notification is Body as opay.ParseCallbackRequest reads it with the merchant's key (a
	// v2 body with the headers of an attempt made now).
	Notification *opay.Notification
	// Payout is set instead of Notification for a payout's notification (METHODS.md §10.3),
	// which is not a payment callback: its amounts are in major units ("500.00"). Check it
	// with opay.VerifyPayoutNotification.
	Payout *opay.PayoutNotification
	// State is "pending" (not yet acknowledged; retried), "delivered" (a 2xx answered it) or
	// "dead" (retries exhausted).
	State    string
	Attempts []CallbackAttempt
}

// CallbackAttempt is one POST of a callback.
type CallbackAttempt struct {
	At         time.Time // gateway time
	HTTPStatus int       // 0 when no answer came
	Error      string    // "" when acknowledged
}

// Delivered reports whether a 2xx answer acknowledged the callback.
func (c Callback) Delivered() bool { return c.State == string(opaygate.CallbackDelivered) }

func (g *Gateway) startWorker(logger *slog.Logger) {
	g.worker = notify.New(notify.Config{
		Schedule:     opaygate.DefaultRetrySchedule(),
		AllowPrivate: true, // the receivers of tests listen on loopback
		Clock:        g.clock,
		Logger:       logger,
	}, g.svcs.Callbacks, g.svcs.Merchants)
	// Not Worker.Run: the background deliveries and the ones Advance and the customer actions
	// wait for take turns (deliver's mutex), so that waiting for "everything due" also waits for
	// what the background had in flight.
	ctx, cancel := context.WithCancel(context.Background())
	g.stopWorker, g.workerDone = cancel, make(chan struct{})
	go func() {
		defer close(g.workerDone)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if err := g.deliver(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("opaytest: deliver callbacks", "err", err)
			}
		}
	}()
}

// deliver sends the callbacks due now and waits for their answers.
func (g *Gateway) deliver(ctx context.Context) error {
	g.delivering.Lock()
	defer g.delivering.Unlock()
	_, err := g.worker.DeliverDue(ctx)
	return err
}

// Callbacks delivers the callbacks that are due, then returns the merchant's callbacks, oldest
// first (at most the latest 500). Like Advance, it fails the test given to New when the
// gateway's database fails, and panics for a gateway from Start.
func (g *Gateway) Callbacks() []Callback {
	list, err := g.callbacks(context.Background())
	if err != nil {
		g.broken("list callbacks", err)
	}
	return list
}

func (g *Gateway) callbacks(ctx context.Context) ([]Callback, error) {
	if err := g.deliver(ctx); err != nil {
		return nil, err
	}
	list, err := g.svcs.Callbacks.ListCallbacks(ctx, opaygate.CallbackFilter{MerchantID: g.Merchant.ID, Limit: 500})
	if err != nil {
		return nil, err
	}
	slices.Reverse(list)
	out := make([]Callback, 0, len(list))
	for _, c := range list {
		var body []byte
		var header http.Header
		if c.PayoutID != 0 {
			if body, err = notify.PayoutBody(c, g.Merchant.PrivateKey); err != nil {
				return nil, err
			}
			var n opay.PayoutNotification
			if err := json.Unmarshal(body, &n); err != nil {
				return nil, err
			}
			out = append(out, callbackOf(c, body, nil, &n))
			continue
		}
		if c.Version.OrDefault() == opaygate.CallbackV2 {
			// Signed as the worker signs an attempt: the body is fixed, the headers are not.
			if body, err = notify.BodyV2(c); err != nil {
				return nil, err
			}
			ts := notify.RequestTimestamp(time.Now())
			header = http.Header{}
			notify.SetHeadersV2(header, c.MerchantID, ts, opay.SignCallbackV2(ts, body, g.Merchant.PrivateKey))
		} else if body, err = notify.Body(c, g.Merchant.PrivateKey); err != nil {
			return nil, err
		}
		n, err := opay.ParseCallbackRequest(header, body, g.Merchant.PrivateKey)
		if err != nil {
			return nil, err
		}
		out = append(out, callbackOf(c, body, n, nil))
	}
	return out, nil
}

func callbackOf(c *opaygate.Callback, body []byte, n *opay.Notification, p *opay.PayoutNotification) Callback {
	cb := Callback{Target: c.TargetURL, Body: body, Notification: n, Payout: p, State: string(c.State)}
	for _, a := range c.History {
		cb.Attempts = append(cb.Attempts, CallbackAttempt{At: a.At, HTTPStatus: a.HTTPStatus, Error: a.Error})
	}
	return cb
}
