package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/sqlstore"
)

// fixedClock stands still; an OffsetClock on it moves only when told to.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// freeze replaces e's wall-based clock with one that moves only by Advance,
// so schedules can be checked to the millisecond.
func (e *env) freeze() {
	e.clock = opaygate.NewOffsetClock(fixedClock{time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)})
	e.svc = sqlstore.NewServices(e.db, sqlstore.Deps{Methods: method.Default(), Clock: e.clock, ValU: e.net, OTP: e.net,
		Acquirer: e.net})
}

// closedOrders creates n orders of merchant A and closes them, which writes
// one callback each, and returns their numbers.
func (e *env) closedOrders(t testing.TB, prefix string, n int) []string {
	t.Helper()
	var nos []string
	for i := range n {
		o := e.mustOrder(t, &opaygate.Order{Reference: fmt.Sprintf("%s-%d", prefix, i), Amount: 1000})
		if _, err := e.svc.Orders.CloseOrder(context.Background(), e.m.ID, opaygate.OrderKey{OrderNo: o.OrderNo}); err != nil {
			t.Fatal(err)
		}
		nos = append(nos, o.OrderNo)
	}
	return nos
}

func (e *env) claim(t testing.TB, limit int) []*opaygate.Callback {
	t.Helper()
	list, err := e.svc.Callbacks.ClaimCallbacks(context.Background(), limit, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func (e *env) attempt(t testing.TB, c *opaygate.Callback, status int) *opaygate.Callback {
	t.Helper()
	a := opaygate.CallbackAttempt{CallbackID: c.ID, At: e.clock.Now(), HTTPStatus: status, Duration: 12 * time.Millisecond}
	if status == 0 {
		a.Error = "connection refused"
	} else if !a.Acknowledged() {
		a.Error = fmt.Sprintf("HTTP %d", status)
	}
	got, err := e.svc.Callbacks.RecordAttempt(context.Background(), c, a, opaygate.DefaultRetrySchedule())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestCallbackClaimAndLease(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		nos := e.closedOrders(t, "claim", 3)
		got := e.claim(t, 2)
		if len(got) != 2 || got[0].OrderNo != nos[0] || got[1].OrderNo != nos[1] {
			t.Fatalf("claimed %v, want the two oldest", got)
		}
		c := got[0]
		if c.Status != opaygate.StatusClose || c.FailureReason != "closed by merchant" || c.Amount != 1000 ||
			c.Currency != "EGP" || c.Channel != opaygate.ChannelWeb || c.TargetURL != e.m.WebhookURL ||
			c.LeaseToken == "" || c.Refunded {
			t.Fatalf("claimed callback: %+v", c)
		}
		rest := e.claim(t, 10)
		if len(rest) != 1 || rest[0].OrderNo != nos[2] {
			t.Fatalf("second claim %v, want only the third", rest)
		}
		if again := e.claim(t, 10); len(again) != 0 {
			t.Fatalf("leased callbacks claimed again: %v", again)
		}
		// A worker that died holding a lease: the callback comes back when
		// the lease runs out, and the dead worker can no longer move it.
		e.clock.Advance(time.Minute)
		// A worker still delivering two of them skips them in its claims.
		skipped, err := e.svc.Callbacks.ClaimCallbacks(context.Background(), 10, time.Second, got[0].ID, got[1].ID)
		if err != nil || len(skipped) != 1 || skipped[0].OrderNo != nos[2] {
			t.Fatalf("claim skipping two: %v %v", skipped, err)
		}
		e.clock.Advance(time.Second)
		back := e.claim(t, 10)
		if len(back) != 3 {
			t.Fatalf("after the lease: claimed %d, want 3", len(back))
		}
		stale := e.attempt(t, c, 200)
		if stale.State != opaygate.CallbackPending || stale.Attempts != 0 {
			t.Fatalf("a stale lease moved the callback: %+v", stale)
		}
		for _, c := range back {
			if got := e.attempt(t, c, 204); got.State != opaygate.CallbackDelivered || got.Attempts != 1 {
				t.Fatalf("delivered: %+v", got)
			}
		}
		if again := e.claim(t, 10); len(again) != 0 {
			t.Fatalf("delivered callbacks claimed: %v", again)
		}
		c1, err := e.svc.Callbacks.FindCallback(context.Background(), c.ID)
		if err != nil || len(c1.History) != 2 || c1.History[0].HTTPStatus != 200 || c1.History[1].HTTPStatus != 204 ||
			c1.History[0].Duration != 12*time.Millisecond {
			t.Fatalf("history: %+v %v", c1, err)
		}
	})
}

// Every step of the schedule is driven by the clock: 15 s, doubling, capped
// at 1 h, and dead once 72 h have passed since the first attempt.
func TestCallbackBackoff(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.freeze()
		e.closedOrders(t, "backoff", 1)
		first := e.clock.Now()
		var steps []time.Duration
		c := e.claim(t, 1)[0]
		for range 200 {
			c = e.attempt(t, c, 503)
			if c.State == opaygate.CallbackDead {
				break
			}
			wait := c.NextAttemptAt.Sub(e.clock.Now())
			steps = append(steps, wait.Round(time.Millisecond))
			e.clock.Advance(wait - time.Millisecond)
			if early := e.claim(t, 1); len(early) != 0 {
				t.Fatalf("claimed 1ms before its time (attempt %d)", c.Attempts)
			}
			e.clock.Advance(time.Millisecond)
			list := e.claim(t, 1)
			if len(list) != 1 {
				t.Fatalf("not due after %s (attempt %d)", wait, c.Attempts)
			}
			c = list[0]
		}
		if c.State != opaygate.CallbackDead {
			t.Fatalf("still %s after %d attempts", c.State, c.Attempts)
		}
		want := []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute,
			8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
		for i, w := range want {
			if steps[i] != w {
				t.Fatalf("step %d is %s, want %s (steps %v)", i+1, steps[i], w, steps[:len(want)])
			}
		}
		if last := e.clock.Now().Sub(first); last != 72*time.Hour {
			t.Errorf("last attempt %s after the first, want 72h", last)
		}
		if c.Attempts != len(steps)+1 {
			t.Errorf("attempts %d, steps %d", c.Attempts, len(steps))
		}
		t.Logf("%s: dead after %d attempts over %s", e.db.Dialect(), c.Attempts, e.clock.Now().Sub(first))

		// A re-send starts a new round and keeps the history.
		again, err := e.svc.Callbacks.ResendCallback(context.Background(), c.ID)
		if err != nil || again.State != opaygate.CallbackPending || again.Attempts != 0 ||
			!again.FirstAttemptAt.IsZero() || len(again.History) != c.Attempts {
			t.Fatalf("resend: %+v %v", again, err)
		}
		got := e.claim(t, 1)
		if len(got) != 1 {
			t.Fatal("a re-sent callback is not due now")
		}
		if d := e.attempt(t, got[0], 200); d.State != opaygate.CallbackDelivered || d.Attempts != 1 {
			t.Fatalf("after resend: %+v", d)
		}
		_, err = e.svc.Callbacks.ResendCallback(context.Background(), 999999)
		wantCode(t, err, opaygate.ENOTFOUND)
	})
}

// A re-send while a worker is delivering neither starts a second delivery
// nor lets the running one decide the new round.
func TestCallbackResendWhileLeased(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.closedOrders(t, "inflight", 1)
		c := e.claim(t, 1)[0]
		if _, err := e.svc.Callbacks.ResendCallback(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.claim(t, 1); len(got) != 0 {
			t.Fatal("re-sent callback claimed while its delivery runs")
		}
		after := e.attempt(t, c, 200)
		if after.State != opaygate.CallbackPending || after.Attempts != 0 {
			t.Fatalf("the running delivery decided the new round: %+v", after)
		}
		got := e.claim(t, 1)
		if len(got) != 1 {
			t.Fatal("the new round did not start when the delivery ended")
		}
		if d := e.attempt(t, got[0], 200); d.State != opaygate.CallbackDelivered || len(d.History) != 0 {
			t.Fatalf("new round: %+v", d)
		}
		full, _ := e.svc.Callbacks.FindCallback(ctx, c.ID)
		if len(full.History) != 2 {
			t.Fatalf("history %d, want both attempts", len(full.History))
		}
	})
}

func TestListCallbacks(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		nos := e.closedOrders(t, "list", 3)
		c := e.claim(t, 1)[0]
		e.attempt(t, c, 500)
		// Merchant B has no webhook: its orders write no callback.
		o := e.mustOrder(t, &opaygate.Order{MerchantID: e.other.ID, Reference: "b-1", Amount: 1})
		if _, err := e.svc.Orders.CloseOrder(ctx, e.other.ID, opaygate.OrderKey{OrderNo: o.OrderNo}); err != nil {
			t.Fatal(err)
		}
		all, err := e.svc.Callbacks.ListCallbacks(ctx, opaygate.CallbackFilter{MerchantID: e.m.ID})
		if err != nil || len(all) != 3 || all[0].OrderNo != nos[2] || all[2].OrderNo != nos[0] {
			t.Fatalf("list: %v %v", all, err)
		}
		if len(all[2].History) != 1 || all[2].History[0].Error != "HTTP 500" || len(all[0].History) != 0 {
			t.Fatalf("history: %+v", all[2].History)
		}
		one, err := e.svc.Callbacks.ListCallbacks(ctx, opaygate.CallbackFilter{MerchantID: e.m.ID, OrderNo: nos[1]})
		if err != nil || len(one) != 1 || one[0].OrderNo != nos[1] {
			t.Fatalf("by order: %v %v", one, err)
		}
		none, err := e.svc.Callbacks.ListCallbacks(ctx, opaygate.CallbackFilter{MerchantID: e.other.ID})
		if err != nil || len(none) != 0 {
			t.Fatalf("merchant B: %v %v", none, err)
		}
		pending, err := e.svc.Callbacks.ListCallbacks(ctx, opaygate.CallbackFilter{State: opaygate.CallbackPending, Limit: 2})
		if err != nil || len(pending) != 2 {
			t.Fatalf("pending, limit 2: %v %v", pending, err)
		}
	})
}

// Claims from many goroutines at once never hand one callback to two of them.
func TestCallbackClaimsConcurrently(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		const n = 60
		e.closedOrders(t, "many", n)
		var mu sync.Mutex
		owner := map[int64]int{}
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Go(func() {
				for {
					list, err := e.svc.Callbacks.ClaimCallbacks(context.Background(), 4, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if len(list) == 0 {
						return
					}
					mu.Lock()
					for _, c := range list {
						if prev, ok := owner[c.ID]; ok {
							t.Errorf("callback %d claimed by workers %d and %d", c.ID, prev, w)
						}
						owner[c.ID] = w
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(owner) != n {
			t.Fatalf("claimed %d callbacks, want %d", len(owner), n)
		}
	})
}

// A claim in flight is renewed by its holder only: not once another worker
// claimed the callback after the lease ran out, not after its attempt was
// recorded; but still after a re-send by hand, whose new round waits for the
// running delivery.
func TestCallbackRenewLease(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.freeze()
		ctx := context.Background()
		e.closedOrders(t, "renew", 2)
		c := e.claim(t, 1)[0]
		e.clock.Advance(50 * time.Second)
		if kept, err := e.svc.Callbacks.RenewLease(ctx, c, time.Minute); err != nil || !kept {
			t.Fatalf("renew: %v %v", kept, err)
		}
		if want := e.clock.Now().Add(time.Minute); !c.LeaseUntil.Equal(want) {
			t.Fatalf("lease until %v, want %v", c.LeaseUntil, want)
		}
		e.clock.Advance(50 * time.Second) // past the first lease, within the renewed one
		if got := e.claim(t, 2); len(got) != 1 || got[0].ID == c.ID {
			t.Fatalf("claimed %d, the renewed callback among them", len(got))
		}

		t.Run("ResentStillRenewable", func(t *testing.T) {
			if _, err := e.svc.Callbacks.ResendCallback(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
			if kept, err := e.svc.Callbacks.RenewLease(ctx, c, time.Minute); err != nil || !kept {
				t.Fatalf("renew after a re-send: %v %v", kept, err)
			}
		})
		t.Run("ClaimedByAnother", func(t *testing.T) {
			e.clock.Advance(2 * time.Minute) // the lease runs out, unrenewed
			var other *opaygate.Callback
			for _, got := range e.claim(t, 2) {
				if got.ID == c.ID {
					other = got
				}
			}
			if other == nil {
				t.Fatal("another worker could not claim the callback whose lease ran out")
			}
			if kept, err := e.svc.Callbacks.RenewLease(ctx, c, time.Minute); err != nil || kept {
				t.Fatalf("the old claim was renewed over the new one: %v %v", kept, err)
			}
			e.attempt(t, other, 200)
			if kept, err := e.svc.Callbacks.RenewLease(ctx, other, time.Minute); err != nil || kept {
				t.Fatalf("renewed after its attempt was recorded: %v %v", kept, err)
			}
		})
	})
}

// Deps.OnCallback runs after a commit that made a callback due (a move, a
// re-send), and only then: not for writes without a callback, nor for a
// close that changed nothing.
func TestCallbackOnCommitHook(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		var calls atomic.Int64
		var committed atomic.Bool // whether the callback row was visible when the hook ran
		svc := sqlstore.NewServices(e.db, sqlstore.Deps{Methods: method.Default(), Clock: e.clock, ValU: e.net,
			OTP: e.net, Acquirer: e.net, OnCallback: func() {
				calls.Add(1)
				list, err := e.svc.Callbacks.ListCallbacks(context.Background(), opaygate.CallbackFilter{Limit: 1})
				committed.Store(err == nil && len(list) == 1)
			}})
		o := e.mustOrder(t, &opaygate.Order{Reference: "hook-1", Amount: 1000})
		if _, err := svc.Orders.FindOrder(ctx, e.m.ID, opaygate.OrderKey{OrderNo: o.OrderNo}); err != nil {
			t.Fatal(err)
		}
		if n := calls.Load(); n != 0 {
			t.Fatalf("%d calls before any callback", n)
		}
		closed, err := svc.Orders.CloseOrder(ctx, e.m.ID, opaygate.OrderKey{OrderNo: o.OrderNo})
		if err != nil {
			t.Fatal(err)
		}
		if n := calls.Load(); n != 1 || !committed.Load() {
			t.Fatalf("after the close: %d calls, row visible %v", n, committed.Load())
		}
		// Closing again changes nothing: no new callback, no call.
		_, _ = svc.Orders.CloseOrder(ctx, e.m.ID, opaygate.OrderKey{OrderNo: closed.OrderNo})
		if n := calls.Load(); n != 1 {
			t.Fatalf("after a refused close: %d calls", n)
		}
		list, _ := svc.Callbacks.ListCallbacks(ctx, opaygate.CallbackFilter{OrderNo: o.OrderNo})
		if _, err := svc.Callbacks.ResendCallback(ctx, list[0].ID); err != nil {
			t.Fatal(err)
		}
		if n := calls.Load(); n != 2 {
			t.Fatalf("after a re-send: %d calls", n)
		}
	})
}
