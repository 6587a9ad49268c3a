package notify_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/notify"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

// Every kind of change yields a callback that an independent implementation
// of the signature accepts, with the payload of spec section 6.
func TestDelivery_EveryChangeVerified(t *testing.T) {
	for _, dialect := range sqlstoretest.Backends {
		t.Run(string(dialect), func(t *testing.T) {
			ctx := context.Background()
			ln, url := listen(t)
			f := newFixture(t, dialect, url+"/webhook")
			rc := newReceiver(t, func() string { return f.m.PrivateKey })
			serve(t, ln, rc)

			paid := f.valu(t, "paid-1", 60000, url+"/order-callback")
			failed := f.valu(t, "fail-51", 51, "")
			closed := f.closed(t, "closed-1")
			expiring := &opaygate.Order{MerchantID: f.m.ID, Reference: "expiring-1", Country: "NG", Amount: 700,
				ProductName: "Tea", ExpireAt: t0.Add(time.Minute)}
			if err := f.svc.Orders.CreateOrder(ctx, expiring); err != nil {
				t.Fatal(err)
			}
			r := &opaygate.Refund{MerchantID: f.m.ID, Reference: "refund-1", Amount: 1000, Way: opaygate.RefundWayOriginal}
			if err := f.svc.Refunds.CreateRefund(ctx, r, opaygate.OrderKey{OrderNo: paid.OrderNo}); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(time.Minute)
			if n, err := f.svc.Orders.ExpireOrders(ctx, 10); err != nil || n != 1 {
				t.Fatalf("expire: %d %v", n, err)
			}
			if n, err := f.svc.Refunds.CompleteRefunds(ctx, 10); err != nil || n != 1 {
				t.Fatalf("complete refunds: %d %v", n, err)
			}

			w := f.worker(localConfig())
			if n := f.deliverDue(t, w); n != 5 {
				t.Fatalf("made %d attempts, want 5", n)
			}
			requests, good, bad, _, _ := rc.snapshot()
			if len(bad) > 0 || requests != 5 || len(good) != 5 {
				t.Fatalf("receiver: %d requests, %d good, refused %v", requests, len(good), bad)
			}
			byKey := map[string]map[string]any{}
			for _, d := range good {
				byKey[d.key()] = d.Payload
			}
			at := func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339) }
			want := []struct {
				order    *opaygate.Order
				status   string
				refunded bool
				fields   map[string]any
			}{
				{paid, "SUCCESS", false, map[string]any{"amount": "60000", "currency": "EGP", "feeCurrency": "EGP",
					"fee": "0", "instrumentType": "VALU", "channel": "API", "displayedFailure": "", "timestamp": at(0)}},
				{paid, "SUCCESS", true, map[string]any{"amount": "60000", "timestamp": at(time.Minute)}},
				{failed, "FAIL", false, map[string]any{"amount": "51", "displayedFailure": "Insufficient funds"}},
				{closed, "CLOSE", false, map[string]any{"instrumentType": "", "channel": "Web",
					"displayedFailure": "closed by merchant"}},
				{expiring, "CLOSE", false, map[string]any{"country": "NG", "currency": "NGN", "feeCurrency": "NGN",
					"displayedFailure": "order expired", "timestamp": at(time.Minute), "updated_at": at(time.Minute)}},
			}
			for _, w := range want {
				k := fmt.Sprintf("%s/%s/%v", w.order.OrderNo, w.status, w.refunded)
				p, ok := byKey[k]
				if !ok {
					t.Errorf("no callback %s", k)
					continue
				}
				if p["token"] != w.order.OrderNo || p["reference"] != w.order.Reference || p["timestamp"] != p["updated_at"] {
					t.Errorf("%s: payload %v", k, p)
				}
				for field, v := range w.fields {
					if p[field] != v {
						t.Errorf("%s: %s = %v, want %v", k, field, p[field], v)
					}
				}
			}
			for _, o := range []*opaygate.Order{paid, failed, closed, expiring} {
				for _, c := range f.callbacks(t, o.OrderNo) {
					if c.State != opaygate.CallbackDelivered || c.Attempts != 1 || len(c.History) != 1 ||
						c.History[0].HTTPStatus != 200 || c.History[0].Error != "" {
						t.Errorf("callback %d of %s: %s after %d attempts %+v", c.ID, o.OrderNo, c.State, c.Attempts, c.History)
					}
				}
			}
			// The order's callbackUrl wins over the merchant's webhook.
			if c := f.callbacks(t, failed.OrderNo)[0]; c.TargetURL != url+"/webhook" {
				t.Errorf("FAIL callback went to %s", c.TargetURL)
			}
			if c := f.callbacks(t, paid.OrderNo)[0]; c.TargetURL != url+"/order-callback" {
				t.Errorf("SUCCESS callback went to %s", c.TargetURL)
			}
		})
	}
}

// A receiver that is down for a while gets the callback once it is back;
// every failed attempt is recorded, and retries happen only when the clock
// says so.
func TestDelivery_ReceiverDownThenBack(t *testing.T) {
	ln, url := listen(t)
	addr := ln.Addr().String()
	ln.Close() // down: connections are refused
	f := newFixture(t, sqlstoretest.Backends[0], url)
	o := f.closed(t, "down-1")
	w := f.worker(localConfig())

	for i, wait := range []time.Duration{0, 15 * time.Second, 30 * time.Second} {
		if i > 0 {
			f.clock.Advance(wait - time.Millisecond)
			if f.deliverDue(t, w) != 0 {
				t.Fatalf("retry %d before its time", i)
			}
			f.clock.Advance(time.Millisecond)
		}
		if n := f.deliverDue(t, w); n != 1 {
			t.Fatalf("attempt %d: made %d", i+1, n)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the receiver cannot come back on %s: %v", addr, err)
	}
	rc := newReceiver(t, func() string { return f.m.PrivateKey })
	serve(t, ln, rc)
	f.clock.Advance(time.Minute)
	if n := f.deliverDue(t, w); n != 1 {
		t.Fatalf("attempt 4: made %d", n)
	}
	if _, good, bad, _, _ := rc.snapshot(); len(good) != 1 || len(bad) != 0 {
		t.Fatalf("receiver got %d, refused %v", len(good), bad)
	}
	c := f.callbacks(t, o.OrderNo)[0]
	if c.State != opaygate.CallbackDelivered || c.Attempts != 4 || len(c.History) != 4 {
		t.Fatalf("callback: %s after %d attempts, history %d", c.State, c.Attempts, len(c.History))
	}
	for i, a := range c.History[:3] {
		if a.HTTPStatus != 0 || !strings.Contains(a.Error, "refused") {
			t.Errorf("attempt %d: %d %q", i+1, a.HTTPStatus, a.Error)
		}
	}
	wantAt := []time.Duration{0, 15 * time.Second, 45 * time.Second, 105 * time.Second}
	for i, a := range c.History {
		if !a.At.Equal(t0.Add(wantAt[i])) {
			t.Errorf("attempt %d at %s, want t0+%s", i+1, a.At, wantAt[i])
		}
	}
	if h := c.History[3]; h.HTTPStatus != 200 || h.Error != "" {
		t.Errorf("last attempt: %+v", h)
	}
	t.Logf("delivered after %d attempts: %v", c.Attempts, summarize(c.History))
}

// A receiver slower than the timeout is not acknowledged; the callback is
// retried on schedule.
func TestDelivery_SlowReceiverRetried(t *testing.T) {
	ln, url := listen(t)
	f := newFixture(t, sqlstoretest.Backends[0], url)
	rc := newReceiver(t, func() string { return f.m.PrivateKey })
	rc.setRespond(func(n int) (int, time.Duration) {
		if n == 1 {
			return 200, 5 * time.Second
		}
		return 200, 0
	})
	serve(t, ln, rc)
	o := f.valu(t, "slow-1", 60000, "")
	cfg := localConfig()
	cfg.Timeout = 300 * time.Millisecond
	w := f.worker(cfg)
	start := time.Now()
	f.deliverDue(t, w)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the attempt took %s, the timeout is 300ms", took)
	}
	c := f.callbacks(t, o.OrderNo)[0]
	if c.State != opaygate.CallbackPending || len(c.History) != 1 || c.History[0].Error != "timeout after 300ms" ||
		!c.NextAttemptAt.Equal(t0.Add(15*time.Second)) {
		t.Fatalf("after the slow answer: %s next %s history %v", c.State, c.NextAttemptAt, summarize(c.History))
	}
	f.clock.Advance(15 * time.Second)
	f.deliverDue(t, w)
	c = f.callbacks(t, o.OrderNo)[0]
	requests, good, _, _, _ := rc.snapshot()
	if c.State != opaygate.CallbackDelivered || requests != 2 || len(good) != 1 {
		t.Fatalf("after the retry: %s, receiver saw %d requests, acknowledged %d", c.State, requests, len(good))
	}
	t.Logf("history: %v", summarize(c.History))
}

// A receiver that never acknowledges: the worker follows the schedule to
// the minute and gives up 72 hours after the first attempt.
func TestDelivery_DeadAfter72Hours(t *testing.T) {
	ln, url := listen(t)
	f := newFixture(t, sqlstoretest.Backends[0], url)
	rc := newReceiver(t, func() string { return f.m.PrivateKey })
	rc.setRespond(func(int) (int, time.Duration) { return 500, 0 })
	serve(t, ln, rc)
	o := f.closed(t, "never-1")
	w := f.worker(localConfig())
	var c *opaygate.Callback
	for attempt := 1; ; attempt++ {
		if n := f.deliverDue(t, w); n != 1 {
			t.Fatalf("attempt %d: made %d", attempt, n)
		}
		c = f.callbacks(t, o.OrderNo)[0]
		if c.State != opaygate.CallbackPending {
			break
		}
		wait := c.NextAttemptAt.Sub(f.clock.Now())
		if want := opaygate.DefaultRetrySchedule().Delay(attempt); wait != want && c.NextAttemptAt.Sub(t0) != 72*time.Hour {
			t.Fatalf("after attempt %d the worker waits %s, want %s", attempt, wait, want)
		}
		f.clock.Advance(wait - time.Second)
		if f.deliverDue(t, w) != 0 {
			t.Fatalf("attempt %d came early", attempt+1)
		}
		f.clock.Advance(time.Second)
	}
	requests, _, _, _, _ := rc.snapshot()
	last := c.History[len(c.History)-1]
	if c.State != opaygate.CallbackDead || last.At.Sub(t0) != 72*time.Hour || requests != c.Attempts ||
		len(c.History) != c.Attempts || last.Error != "HTTP 500" {
		t.Fatalf("%s after %d attempts (%d requests), last at t0+%s: %+v", c.State, c.Attempts, requests, last.At.Sub(t0), last)
	}
	f.clock.Advance(24 * time.Hour)
	if f.deliverDue(t, w) != 0 {
		t.Fatal("a dead callback was tried again")
	}
	t.Logf("dead after %d attempts over %s", c.Attempts, last.At.Sub(t0))

	// By hand it goes out again, and this time the receiver takes it.
	rc.setRespond(nil)
	if _, err := f.svc.Callbacks.ResendCallback(context.Background(), c.ID); err != nil {
		t.Fatal(err)
	}
	if n := f.deliverDue(t, w); n != 1 {
		t.Fatalf("re-sent: made %d attempts", n)
	}
	if c = f.callbacks(t, o.OrderNo)[0]; c.State != opaygate.CallbackDelivered || len(c.History) != requests+1 {
		t.Fatalf("after re-send: %s, history %d", c.State, len(c.History))
	}
}

// The signature uses the merchant's key at the time of sending.
func TestDelivery_SignedWithCurrentKey(t *testing.T) {
	ln, url := listen(t)
	f := newFixture(t, sqlstoretest.Backends[0], url)
	newKey := "OPAYPRV-rotated"
	rc := newReceiver(t, func() string { return newKey })
	serve(t, ln, rc)
	f.closed(t, "rotate-1")
	if _, err := f.svc.Merchants.UpdateMerchant(context.Background(), f.m.ID, opaygate.MerchantUpdate{PrivateKey: &newKey}); err != nil {
		t.Fatal(err)
	}
	f.deliverDue(t, f.worker(localConfig()))
	if _, good, bad, _, _ := rc.snapshot(); len(good) != 1 || len(bad) != 0 {
		t.Fatalf("good %d, refused %v", len(good), bad)
	}
}

// A redirect is an answer, not an acknowledgement, and is not followed.
func TestDelivery_RedirectNotFollowed(t *testing.T) {
	ln, url := listen(t)
	f := newFixture(t, sqlstoretest.Backends[0], url)
	rc := newReceiver(t, func() string { return f.m.PrivateKey })
	rc.setRespond(func(int) (int, time.Duration) { return 307, 0 })
	serve(t, ln, rc)
	o := f.closed(t, "redirect-1")
	f.deliverDue(t, f.worker(localConfig()))
	c := f.callbacks(t, o.OrderNo)[0]
	if requests, _, _, _, _ := rc.snapshot(); requests != 1 || c.State != opaygate.CallbackPending || c.History[0].Error != "HTTP 307" {
		t.Fatalf("%d requests, %s, %v", requests, c.State, summarize(c.History))
	}
}

// Run keeps at most Concurrency deliveries in flight, drains a backlog, and
// returns when its context ends.
func TestRun_BoundedAndStops(t *testing.T) {
	ln, url := listen(t)
	f := newFixture(t, sqlstoretest.Backends[0], url)
	rc := newReceiver(t, func() string { return f.m.PrivateKey })
	rc.setRespond(func(int) (int, time.Duration) { return 204, 20 * time.Millisecond })
	serve(t, ln, rc)
	const n = 40
	for i := range n {
		f.closed(t, fmt.Sprintf("run-%d", i))
	}
	cfg := localConfig()
	cfg.Concurrency = 3
	w := f.worker(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, good, _, _, _ := rc.snapshot()
		if len(good) == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d delivered after 30s", len(good), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	requests, _, bad, concurrent, maxActive := rc.snapshot()
	if maxActive > 3 || requests != n || len(bad) > 0 || len(concurrent) > 0 {
		t.Fatalf("max %d in flight (limit 3), %d requests, refused %v, concurrent %v", maxActive, requests, bad, concurrent)
	}
	t.Logf("%d callbacks, at most %d in flight", n, maxActive)
}

func summarize(history []*opaygate.CallbackAttempt) []string {
	var out []string
	for _, a := range history {
		s := fmt.Sprintf("t0+%s:", a.At.Sub(t0))
		if a.HTTPStatus != 0 {
			s += fmt.Sprintf(" %d", a.HTTPStatus)
		}
		if a.Error != "" {
			s += " " + a.Error
		}
		out = append(out, s)
	}
	return slices.Clip(out)
}

var _ = notify.CallbackType

// The clock jumps past a lease while its delivery is in flight (the sandbox's clock control
// does this): the worker claims the callback again but does not send it a second time, and the
// running delivery still records its outcome.
func TestDelivery_ClockJumpDuringDelivery(t *testing.T) {
	ln, url := listen(t)
	f := newFixture(t, sqlstoretest.Backends[0], url)
	rc := newReceiver(t, func() string { return f.m.PrivateKey })
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	rc.setRespond(func(int) (int, time.Duration) {
		arrived <- struct{}{}
		<-release
		return 200, 0
	})
	serve(t, ln, rc)
	o := f.closed(t, "jump-1")
	w := f.worker(localConfig())
	first := make(chan int, 1)
	go func() { n, _ := w.DeliverDue(context.Background()); first <- n }()
	<-arrived
	f.clock.Advance(time.Hour) // far past the lease
	if n := f.deliverDue(t, w); n != 0 {
		t.Fatalf("the callback in flight was sent again: %d attempts", n)
	}
	close(release)
	if n := <-first; n != 1 {
		t.Fatalf("first delivery: %d attempts", n)
	}
	c := f.callbacks(t, o.OrderNo)[0]
	if requests, _, _, _, _ := rc.snapshot(); requests != 1 || c.State != opaygate.CallbackDelivered || c.Attempts != 1 {
		t.Fatalf("%d requests; callback %s after %d attempts", requests, c.State, c.Attempts)
	}
}
