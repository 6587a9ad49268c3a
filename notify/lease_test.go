package notify_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/notify"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

// dyingStore is a node's view of the outbox that stops answering once its
// node dies: claims made before stay in the database, nothing after reaches it.
type dyingStore struct {
	opaygate.CallbackService
	dead atomic.Bool
}

var errNodeDead = errors.New("node is dead")

func (s *dyingStore) RenewLease(ctx context.Context, c *opaygate.Callback, lease time.Duration) (bool, error) {
	if s.dead.Load() {
		return false, errNodeDead
	}
	return s.CallbackService.RenewLease(ctx, c, lease)
}

func (s *dyingStore) RecordAttempt(ctx context.Context, c *opaygate.Callback, a opaygate.CallbackAttempt, sched opaygate.RetrySchedule) (*opaygate.Callback, error) {
	if s.dead.Load() {
		return nil, errNodeDead
	}
	return s.CallbackService.RecordAttempt(ctx, c, a, sched)
}

// hangingTransport is a node's network as it dies mid-delivery: the POST
// starts, and nothing more ever happens.
type hangingTransport struct{ started chan struct{} }

func (h hangingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	h.started <- struct{}{}
	<-r.Context().Done()
	return nil, r.Context().Err()
}

// A node dies while delivering, holding the lease of a callback: another
// node's worker takes it over once the lease has run out — 5 s of the
// gateway's clock, not the 40 s of a lease that had to outlast any delivery.
func TestLease_DeadWorkerTakenOverWithinLease(t *testing.T) {
	for _, dialect := range sqlstoretest.Backends {
		t.Run(string(dialect), func(t *testing.T) {
			ln, url := listen(t)
			f := newFixture(t, dialect, url)
			rc := newReceiver(t, func() string { return f.m.PrivateKey })
			serve(t, ln, rc)
			o := f.closed(t, "dies-1")

			store := &dyingStore{CallbackService: f.svc.Callbacks}
			cfg := notify.DefaultConfig()
			cfg.AllowPrivate, cfg.Clock = true, f.clock
			cfg.Transport = hangingTransport{started: make(chan struct{}, 1)}
			dying := notify.New(cfg, store, f.svc.Merchants)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go dying.DeliverDue(ctx)
			<-cfg.Transport.(hangingTransport).started
			store.dead.Store(true)

			survivor := f.worker(localConfig())
			if n := f.deliverDue(t, survivor); n != 0 {
				t.Fatalf("claimed while the lease runs: %d attempts", n)
			}
			f.clock.Advance(notify.DefaultLease - time.Millisecond)
			if n := f.deliverDue(t, survivor); n != 0 {
				t.Fatalf("claimed before the lease ran out: %d attempts", n)
			}
			f.clock.Advance(time.Millisecond)
			if n := f.deliverDue(t, survivor); n != 1 {
				t.Fatalf("%d attempts once the dead node's lease ran out, want 1", n)
			}
			c := f.callbacks(t, o.OrderNo)[0]
			if requests, _, _, _, _ := rc.snapshot(); requests != 1 || c.State != opaygate.CallbackDelivered {
				t.Fatalf("%d requests; callback %s", requests, c.State)
			}
		})
	}
}

// A live delivery slower than the lease renews it: another worker, looking
// after the first lease would have run out, does not send the callback a
// second time.
func TestLease_SlowDeliveryRenewed(t *testing.T) {
	for _, dialect := range sqlstoretest.Backends {
		t.Run(string(dialect), func(t *testing.T) {
			ctx := context.Background()
			ln, url := listen(t)
			f := newFixture(t, dialect, url)
			rc := newReceiver(t, func() string { return f.m.PrivateKey })
			release := make(chan struct{})
			arrived := make(chan struct{}, 1)
			rc.setRespond(func(int) (int, time.Duration) {
				arrived <- struct{}{}
				<-release
				return 200, 0
			})
			serve(t, ln, rc)
			o := f.closed(t, "slow-1")

			cfg := localConfig()
			cfg.Renew = 5 * time.Millisecond // real time; the lease is on the test's clock
			slow := f.worker(cfg)
			first := make(chan int, 1)
			go func() { n, _ := slow.DeliverDue(ctx); first <- n }()
			<-arrived
			claimed := f.callbacks(t, o.OrderNo)[0].LeaseUntil

			other := f.services(f.db)
			second := notify.New(localConfig(), other.Callbacks, other.Merchants)
			for range 3 { // 12 s of the clock in all, more than two leases
				f.clock.Advance(notify.DefaultLease - time.Second)
				renewedFrom := f.clock.Now()
				deadline := time.Now().Add(10 * time.Second)
				for !f.callbacks(t, o.OrderNo)[0].LeaseUntil.After(renewedFrom) {
					if time.Now().After(deadline) {
						t.Fatalf("the lease (claimed until %s) was not renewed after the clock reached %s", claimed, renewedFrom)
					}
					time.Sleep(time.Millisecond)
				}
				if n, err := second.DeliverDue(ctx); err != nil || n != 0 {
					t.Fatalf("another worker sent the callback in flight: %d attempts, %v", n, err)
				}
			}
			close(release)
			if n := <-first; n != 1 {
				t.Fatalf("first delivery: %d attempts", n)
			}
			c := f.callbacks(t, o.OrderNo)[0]
			if requests, _, _, _, _ := rc.snapshot(); requests != 1 || c.State != opaygate.CallbackDelivered || c.Attempts != 1 {
				t.Fatalf("%d requests; callback %s after %d attempts", requests, c.State, c.Attempts)
			}
		})
	}
}

// A callback committed while the worker idles is sent without waiting for
// the next poll: storage's OnCallback hook wakes the worker. The poll
// interval is an hour, so only the wake-up can explain the delivery.
func TestWake_OnCommit(t *testing.T) {
	for _, dialect := range sqlstoretest.Backends {
		t.Run(string(dialect), func(t *testing.T) {
			ln, url := listen(t)
			f := newFixture(t, dialect, url)
			rc := newReceiver(t, func() string { return f.m.PrivateKey })
			serve(t, ln, rc)
			cfg := localConfig()
			cfg.Interval = time.Hour
			w := f.worker(cfg)
			var wakes atomic.Int64
			f.svc = f.servicesWith(f.db, func() { wakes.Add(1); w.Wake() })

			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- w.Run(ctx) }()
			defer func() { cancel(); <-done }()
			for i := range 3 {
				f.closed(t, "wake-"+string(rune('a'+i)))
				deadline := time.Now().Add(10 * time.Second)
				for {
					if _, good, _, _, _ := rc.snapshot(); len(good) == i+1 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("callback %d not delivered after 10 s with a poll interval of an hour (%d wakes)", i+1, wakes.Load())
					}
					time.Sleep(time.Millisecond)
				}
			}
			if n := wakes.Load(); n != 3 {
				t.Fatalf("%d wakes for 3 committed callbacks", n)
			}
		})
	}
}
