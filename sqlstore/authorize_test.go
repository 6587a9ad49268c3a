package sqlstore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/sqlstore"
)

// heldAcquirer holds every authorization until the test answers it: each
// call sends its order on held and waits for a decision on answer (or for
// its context to end, as a network call whose answer never arrives).
type heldAcquirer struct {
	held   chan *opaygate.Order
	answer chan opaygate.Decision
}

func newHeldAcquirer() *heldAcquirer {
	return &heldAcquirer{held: make(chan *opaygate.Order), answer: make(chan opaygate.Decision)}
}

func (a *heldAcquirer) Authorize(ctx context.Context, o *opaygate.Order) (opaygate.Decision, error) {
	cp := *o
	select {
	case a.held <- &cp:
	case <-ctx.Done():
		return opaygate.Decision{}, ctx.Err()
	}
	select {
	case d := <-a.answer:
		return d, nil
	case <-ctx.Done():
		return opaygate.Decision{}, ctx.Err()
	}
}

// held returns services on e's database whose acquirer is a heldAcquirer.
func (e *env) held() (*sqlstore.Services, *heldAcquirer) {
	a := newHeldAcquirer()
	return sqlstore.NewServices(e.db, sqlstore.Deps{Methods: method.Default(), Clock: e.clock, ValU: e.net, OTP: e.net,
		Acquirer: a}), a
}

type result struct {
	o   *opaygate.Order
	err error
}

// submitOTP pays a ValU order at its OTP step in the background.
func submitOTP(ctx context.Context, svc *sqlstore.Services, merchantID, ref string) <-chan result {
	done := make(chan result, 1)
	go func() {
		o, err := svc.Orders.SubmitOTP(ctx, merchantID, opaygate.OrderKey{Reference: ref}, "123456")
		done <- result{o, err}
	}()
	return done
}

// TestAuthorizeOutsideTransaction proves, without timing anything, that an
// authorization the network holds delays no other write: while the acquirer
// holds merchant A's payment, merchant B creates an order. Were the network
// called inside the write transaction, on SQLite B's create would queue
// behind A's group-commit batch and the test would never finish.
func TestAuthorizeOutsideTransaction(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		svc, acq := e.held()
		t.Run("OtherMerchantNotDelayed", func(t *testing.T) {
			o, pending := e.cardOrderHeld(svc, acq, "held-card")
			// The payment is held by the network, its order committed in flight.
			if got := e.find(t, opaygate.OrderKey{OrderNo: o.OrderNo}); got.Step != opaygate.StepAuthorizing ||
				got.Status != opaygate.StatusInitial {
				t.Fatalf("held order is %s/%s, want INITIAL/AUTHORIZING", got.Status, got.Step)
			}
			other := &opaygate.Order{MerchantID: e.other.ID, Reference: "while-held", Country: "EG",
				Amount: 1000, ProductName: "Tea"}
			if err := svc.Orders.CreateOrder(ctx, other); err != nil || other.Status != opaygate.StatusInitial {
				t.Fatalf("create while an authorization is held: %s %v", other.Status, err)
			}
			acq.answer <- opaygate.Decision{Approved: true}
			if r := <-pending; r.err != nil || r.o.Status != opaygate.StatusSuccess {
				t.Fatalf("held payment: %+v %v", r.o, r.err)
			}
			if cbs := e.callbacks(t, o.ID); !slices.Equal(cbs, []string{"SUCCESS"}) {
				t.Fatalf("callbacks %v", cbs)
			}
		})
	})
}

// cardOrderHeld starts a card payment in the background and returns once the
// acquirer holds it, with the channel its result arrives on.
func (e *env) cardOrderHeld(svc *sqlstore.Services, acq *heldAcquirer, ref string) (*opaygate.Order, <-chan result) {
	o := &opaygate.Order{MerchantID: e.m.ID, Reference: ref, Country: "EG", Amount: 60000, ProductName: "Shoes"}
	pending := make(chan result, 1)
	go func() {
		err := createCard(context.Background(), svc, o, testCard("5123450000000008", false))
		pending <- result{o, err}
	}()
	return <-acq.held, pending
}

func TestAuthorizeCrash(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		svc, acq := e.held()
		e.valuAtOTP(t, "crash", 60000)
		key := opaygate.OrderKey{Reference: "crash"}

		// Transaction 1 commits, then the process "dies": the network's
		// answer never arrives and nothing records an outcome.
		ctx, die := context.WithCancel(context.Background())
		done := submitOTP(ctx, svc, e.m.ID, "crash")
		o := <-acq.held
		die()
		if r := <-done; r.err == nil {
			t.Fatalf("submit answered %+v after its network call died", r.o)
		}
		got := e.find(t, key)
		if got.Status != opaygate.StatusPending || got.Step != opaygate.StepAuthorizing || len(e.callbacks(t, o.ID)) != 0 {
			t.Fatalf("after the crash: %s/%s, callbacks %v", got.Status, got.Step, e.callbacks(t, o.ID))
		}
		wantCode(t, errOf(svc.Orders.CloseOrder(context.Background(), e.m.ID, key)), opaygate.EORDERSTATE)

		// A fresh in-flight order is not the sweeper's yet.
		if n, err := svc.Orders.ExpireOrders(context.Background(), 10); err != nil || n != 0 {
			t.Fatalf("sweep of a fresh authorization: %d %v", n, err)
		}

		// Past its expireAt the order is still not expired: the customer may
		// have been charged, so the sweeper asks the network again.
		e.clock.Advance(opaygate.DefaultExpireMinutes*time.Minute + time.Minute)
		if got := e.find(t, key); got.Status != opaygate.StatusPending {
			t.Fatalf("an order in flight past expireAt reads %s", got.Status)
		}
		swept := make(chan result, 1)
		go func() {
			n, err := svc.Orders.ExpireOrders(context.Background(), 10)
			swept <- result{&opaygate.Order{Months: n}, err}
		}()
		if again := <-acq.held; again.OrderNo != o.OrderNo {
			t.Fatalf("the sweeper asked about %s", again.OrderNo)
		}
		acq.answer <- opaygate.Decision{Approved: true}
		if r := <-swept; r.err != nil || r.o.Months != 1 {
			t.Fatalf("sweep: %d %v", r.o.Months, r.err)
		}
		if got := e.find(t, key); got.Status != opaygate.StatusSuccess || got.Step != opaygate.StepNone {
			t.Fatalf("after recovery: %s/%s", got.Status, got.Step)
		}
		// Sweeping again asks nothing (the held acquirer would block) and
		// changes nothing.
		if n, err := svc.Orders.ExpireOrders(context.Background(), 10); err != nil || n != 0 {
			t.Fatalf("second sweep: %d %v", n, err)
		}
		if cbs := e.callbacks(t, o.ID); !slices.Equal(cbs, []string{"SUCCESS"}) {
			t.Fatalf("callbacks %v, want one SUCCESS", cbs)
		}
	})
}

// TestAuthorizeRaces holds an authorization while the merchant closes the
// order, the customer cancels it, and a sweeper asks the network again about
// it: only the network's answer moves it, once, with one callback.
func TestAuthorizeRaces(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		svc, acq := e.held()
		e.valuAtOTP(t, "race", 60000)
		key := opaygate.OrderKey{Reference: "race"}
		done := submitOTP(ctx, svc, e.m.ID, "race")
		o := <-acq.held

		_, err := svc.Orders.CloseOrder(ctx, e.m.ID, key)
		wantCode(t, err, opaygate.EORDERSTATE)
		_, err = svc.Orders.CancelOrder(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID})
		wantCode(t, err, opaygate.EORDERSTATE)

		// A sweeper takes the authorization for lost while the request
		// still waits: both ask, the network answers both the same.
		e.clock.Advance(2 * time.Minute)
		swept := make(chan error, 1)
		go func() {
			_, err := svc.Orders.ExpireOrders(ctx, 10)
			swept <- err
		}()
		<-acq.held
		acq.answer <- opaygate.Decision{Code: "51", Reason: "Insufficient funds"}
		acq.answer <- opaygate.Decision{Code: "51", Reason: "Insufficient funds"}
		r := <-done
		if err := <-swept; err != nil {
			t.Fatal(err)
		}
		if r.err != nil || r.o.Status != opaygate.StatusFail || r.o.FailureCode != "51" {
			t.Fatalf("submit: %+v %v", r.o, r.err)
		}
		e.wantDecidedOnce(t, o.ID, opaygate.StatusFail)
		_, err = svc.Orders.CloseOrder(ctx, e.m.ID, key)
		wantCode(t, err, opaygate.EORDERSTATE)
	})
}

func errOf(_ *opaygate.Order, err error) error { return err }

// wantDecidedOnce checks that the acquirer's answer was recorded once for the order at
// OTP: one callback of that status, and a timeline of three events ending in it.
func (e *env) wantDecidedOnce(t *testing.T, orderID int64, status opaygate.OrderStatus) {
	t.Helper()
	if cbs := e.callbacks(t, orderID); !slices.Equal(cbs, []string{string(status)}) {
		t.Fatalf("callbacks %v, want one %s", cbs, status)
	}
	events, err := e.svc.Orders.OrderEvents(context.Background(), orderID)
	if err != nil || len(events) != 3 || events[2].To != status {
		t.Fatalf("timeline %d events, %v; want three ending in %s", len(events), err, status)
	}
}

// approving is an acquirer that approves every payment at once.
type approving struct{}

func (approving) Authorize(context.Context, *opaygate.Order) (opaygate.Decision, error) {
	return opaygate.Decision{Approved: true}, nil
}

// TestAuthorizeAnsweredTwice: a sweeper records the acquirer's answer while the request that
// put the order in flight still waits for its own. That request then finds the order moved on
// (its conditional update changes no row) and answers it as it is; the payment is recorded
// once: one callback, one final event, its amount once in the ledger.
func TestAuthorizeAnsweredTwice(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		svc, acq := e.held()
		e.valuAtOTP(t, "twice", 60000)
		done := submitOTP(ctx, svc, e.m.ID, "twice")
		o := <-acq.held

		e.clock.Advance(2 * time.Minute)
		sweeper := sqlstore.NewServices(e.db, sqlstore.Deps{Methods: method.Default(), Clock: e.clock, ValU: e.net,
			OTP: e.net, Acquirer: approving{}})
		if n, err := sweeper.Orders.ExpireOrders(ctx, 10); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		acq.answer <- opaygate.Decision{Approved: true}
		r := <-done
		if r.err != nil || r.o.Status != opaygate.StatusSuccess || r.o.Step != opaygate.StepNone {
			t.Fatalf("submit after the sweeper recorded the answer: %+v %v", r.o, r.err)
		}
		e.wantDecidedOnce(t, o.ID, opaygate.StatusSuccess)
		e.wantBalance(t, 0, 60000)
	})
}

// TestAuthorizeOrderLockedElsewhere: on PostgreSQL the answer's transaction may share its
// commit with the node's creates, so it must never wait for another transaction's lock there.
// While another transaction holds the in-flight order's row, the answer is recorded on its own
// once that lock goes, and an unrelated create goes through meanwhile.
func TestAuthorizeOrderLockedElsewhere(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		if e.db.Dialect() != sqlstore.Postgres {
			return // SQLite has no row locks: every write waits for the one writer
		}
		ctx := context.Background()
		svc, acq := e.held()
		e.valuAtOTP(t, "locked", 60000)
		done := submitOTP(ctx, svc, e.m.ID, "locked")
		o := <-acq.held
		release, err := sqlstore.HoldLock(e.db, `SELECT id FROM orders WHERE id = ? FOR UPDATE`, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		acq.answer <- opaygate.Decision{Approved: true}
		time.Sleep(200 * time.Millisecond) // the answer is being recorded, and meets the lock

		created := make(chan error, 1)
		go func() {
			created <- svc.Orders.CreateOrder(ctx, &opaygate.Order{MerchantID: e.other.ID, Reference: "meanwhile",
				Country: "EG", Amount: 1000, ProductName: "Tea"})
		}()
		select {
		case err := <-created:
			if err != nil {
				t.Fatalf("create while the order is locked: %v", err)
			}
		case <-time.After(3 * time.Second): // under the statement timeout (5 s), which would end the wait
			release()
			t.Fatal("a create waited for another transaction's lock on an order in flight")
		}
		select {
		case r := <-done:
			t.Fatalf("the answer was recorded through another transaction's lock: %+v %v", r.o, r.err)
		default:
		}
		release()
		r := <-done
		if r.err != nil || r.o.Status != opaygate.StatusSuccess {
			t.Fatalf("submit once the lock went: %+v %v", r.o, r.err)
		}
		if cbs := e.callbacks(t, o.ID); !slices.Equal(cbs, []string{"SUCCESS"}) {
			t.Fatalf("callbacks %v, want one SUCCESS", cbs)
		}
		e.wantBalance(t, 0, 60000)
	})
}
