package sqlstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/simulator"
	"github.com/opaygate/opaygate/sqlstore"
)

// refunds returns e's services again, with sandbox refunds that succeed
// delay after they are created (newEnv's services never complete them).
func (e *env) refunds(delay time.Duration) *sqlstore.Services {
	return sqlstore.NewServices(e.db, sqlstore.Deps{Methods: method.Default(), Clock: e.clock, ValU: e.net, OTP: e.net,
		Acquirer: e.net, Settler: simulator.New(simulator.RefundDelay(delay))})
}

// paid creates a ValU order of amount and pays it.
func (e *env) paid(t testing.TB, ref string, amount int64) *opaygate.Order {
	t.Helper()
	o, code := e.valuAtOTP(t, ref, amount)
	o, err := e.svc.Orders.SubmitOTP(context.Background(), e.m.ID, opaygate.OrderKey{OrderNo: o.OrderNo}, code)
	if err != nil || o.Status != opaygate.StatusSuccess {
		t.Fatalf("pay %s: %v, %v", ref, o, err)
	}
	return o
}

func newRefund(merchantID, ref string, amount int64) *opaygate.Refund {
	return &opaygate.Refund{MerchantID: merchantID, Reference: ref, Amount: amount, Way: opaygate.RefundWayOriginal}
}

func (e *env) refunded(t testing.TB, orderID int64) int64 {
	t.Helper()
	v, err := sqlstore.QueryStrings(e.db, `SELECT CAST(refunded AS TEXT) FROM orders WHERE id = ?`, orderID)
	if err != nil || len(v) != 1 {
		t.Fatalf("refunded of order %d: %v %v", orderID, v, err)
	}
	n, _ := strconv.ParseInt(v[0], 10, 64)
	return n
}

func TestRefunds(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		svc := e.refunds(5 * time.Second)
		o := e.paid(t, "paid-1", 60000)
		byNo := opaygate.OrderKey{OrderNo: o.OrderNo}

		r1 := newRefund(e.m.ID, "rf-1", 20000)
		if err := svc.Refunds.CreateRefund(ctx, r1, byNo); err != nil {
			t.Fatal(err)
		}
		if r1.Status != opaygate.RefundPending || len(r1.RefundNo) != 18 || r1.RefundNo == o.OrderNo ||
			r1.OrderNo != o.OrderNo || r1.OrderReference != "paid-1" || r1.Currency != "EGP" || r1.Country != "EG" {
			t.Fatalf("refund: %+v", r1)
		}
		if r1.RefundNo[6:7] != "5" {
			t.Errorf("refund number %s does not count from 500000000001", r1.RefundNo)
		}
		r2 := newRefund(e.m.ID, "rf-2", 40000)
		if err := svc.Refunds.CreateRefund(ctx, r2, opaygate.OrderKey{Reference: "paid-1", Country: "EG"}); err != nil {
			t.Fatalf("refund by originalReference: %v", err)
		}
		if got := e.refunded(t, o.ID); got != 60000 {
			t.Fatalf("refunded %d, want 60000", got)
		}

		t.Run("ErrRefundExceeds", func(t *testing.T) {
			wantCode(t, svc.Refunds.CreateRefund(ctx, newRefund(e.m.ID, "rf-3", 1), byNo), opaygate.EREFUNDEXCEEDS)
			// The refused refund left nothing behind: its reference is free.
			_, err := svc.Refunds.FindRefund(ctx, e.m.ID, opaygate.RefundKey{Reference: "rf-3"})
			wantCode(t, err, opaygate.ENOTFOUND)
			o2 := e.paid(t, "paid-2", 1000)
			wantCode(t, svc.Refunds.CreateRefund(ctx, newRefund(e.m.ID, "rf-4", 1001), opaygate.OrderKey{OrderNo: o2.OrderNo}),
				opaygate.EREFUNDEXCEEDS)
		})
		t.Run("ErrDuplicateReference", func(t *testing.T) {
			o3 := e.paid(t, "paid-3", 5000)
			err := svc.Refunds.CreateRefund(ctx, newRefund(e.m.ID, "rf-1", 100), opaygate.OrderKey{OrderNo: o3.OrderNo})
			wantCode(t, err, opaygate.EDUPLICATE)
			var de *opaygate.Error
			if !asError(err, &de) || de.Existing == nil || de.Existing.No != r1.RefundNo ||
				de.Existing.Reference != "rf-1" || de.Existing.Status != "PENDING" {
				t.Fatalf("duplicate: %+v", de)
			}
			if got := e.refunded(t, o3.ID); got != 0 {
				t.Errorf("a duplicate refund reserved %d", got)
			}
			// Refund references are their own namespace: a payment's
			// reference is free for a refund.
			if err := svc.Refunds.CreateRefund(ctx, newRefund(e.m.ID, "paid-3", 100), opaygate.OrderKey{OrderNo: o3.OrderNo}); err != nil {
				t.Fatalf("refund named like a payment: %v", err)
			}
		})
		t.Run("ErrOrderState", func(t *testing.T) {
			open := e.mustOrder(t, &opaygate.Order{Reference: "open-1", Amount: 1000})
			wantCode(t, svc.Refunds.CreateRefund(ctx, newRefund(e.m.ID, "rf-5", 10), opaygate.OrderKey{OrderNo: open.OrderNo}),
				opaygate.EORDERSTATE)
			closed, err := e.svc.Orders.CloseOrder(ctx, e.m.ID, opaygate.OrderKey{OrderNo: open.OrderNo})
			if err != nil {
				t.Fatal(err)
			}
			wantCode(t, svc.Refunds.CreateRefund(ctx, newRefund(e.m.ID, "rf-5", 10), opaygate.OrderKey{OrderNo: closed.OrderNo}),
				opaygate.EORDERSTATE)
			failed := e.mustOrder(t, &opaygate.Order{Reference: "fail-1", Amount: 1000, PayMethod: opaygate.PayMethodValU,
				ValUAccount: "01000000051", Channel: opaygate.ChannelAPI})
			if failed.Status != opaygate.StatusFail {
				t.Fatalf("order is %s, want FAIL", failed.Status)
			}
			wantCode(t, svc.Refunds.CreateRefund(ctx, newRefund(e.m.ID, "rf-5", 10), opaygate.OrderKey{OrderNo: failed.OrderNo}),
				opaygate.EORDERSTATE)
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			wantCode(t, svc.Refunds.CreateRefund(ctx, newRefund(e.other.ID, "rf-6", 10), byNo), opaygate.ENOTFOUND)
			wantCode(t, svc.Refunds.CreateRefund(ctx, newRefund(e.m.ID, "rf-6", 10),
				opaygate.OrderKey{OrderNo: o.OrderNo, Country: "NG"}), opaygate.ENOTFOUND)
			_, err := svc.Refunds.FindRefund(ctx, e.other.ID, opaygate.RefundKey{Reference: "rf-1"})
			wantCode(t, err, opaygate.ENOTFOUND)
			mine, err := svc.Refunds.FindRefund(ctx, e.m.ID, opaygate.RefundKey{Reference: "rf-1"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = svc.Refunds.FindRefund(ctx, e.other.ID, opaygate.RefundKey{RefundNo: mine.RefundNo})
			wantCode(t, err, opaygate.ENOTFOUND)
			_, err = svc.Refunds.FindRefund(ctx, e.m.ID, opaygate.RefundKey{Reference: "rf-1", Country: "NG"})
			wantCode(t, err, opaygate.ENOTFOUND)
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			r := newRefund(e.m.ID, "rf-7", 10)
			r.Way = opaygate.RefundWayBankAccount
			wantCode(t, svc.Refunds.CreateRefund(ctx, r, byNo), opaygate.EINVALID)
			r.Way = "Cash"
			wantCode(t, svc.Refunds.CreateRefund(ctx, r, byNo), opaygate.EINVALID)
			r = newRefund(e.m.ID, "rf-7", 10)
			r.Currency = "NGN"
			wantCode(t, svc.Refunds.CreateRefund(ctx, r, byNo), opaygate.EINVALID)
		})

		got, err := svc.Refunds.FindRefund(ctx, e.m.ID, opaygate.RefundKey{RefundNo: r2.RefundNo, Country: "EG"})
		if err != nil || got.Reference != "rf-2" || got.Amount != 40000 {
			t.Fatalf("find by number: %+v %v", got, err)
		}
		list, err := svc.Refunds.ListRefunds(ctx, e.m.ID, byNo)
		if err != nil || len(list) != 2 || list[0].Reference != "rf-1" || list[1].Reference != "rf-2" {
			t.Fatalf("list: %v %v", list, err)
		}
	})
}

func TestCompleteRefunds(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		svc := e.refunds(5 * time.Second)
		o := e.paid(t, "paid-1", 60000)
		r := newRefund(e.m.ID, "rf-1", 1000)
		r.CallbackURL = "https://merchant.example/refunds"
		if err := svc.Refunds.CreateRefund(ctx, r, opaygate.OrderKey{OrderNo: o.OrderNo}); err != nil {
			t.Fatal(err)
		}
		r2 := newRefund(e.m.ID, "rf-2", 2000)
		if err := svc.Refunds.CreateRefund(ctx, r2, opaygate.OrderKey{OrderNo: o.OrderNo}); err != nil {
			t.Fatal(err)
		}
		if n, err := svc.Refunds.CompleteRefunds(ctx, 10); err != nil || n != 0 {
			t.Fatalf("completed %d before the delay: %v", n, err)
		}
		e.clock.Advance(5 * time.Second)
		// Reads show it done before the completer ran.
		if got, _ := svc.Refunds.FindRefund(ctx, e.m.ID, opaygate.RefundKey{Reference: "rf-1"}); got.Status != opaygate.RefundSuccess {
			t.Fatalf("due refund reads %s", got.Status)
		}
		if n, err := svc.Refunds.CompleteRefunds(ctx, 10); err != nil || n != 2 {
			t.Fatalf("completed %d: %v", n, err)
		}
		if n, err := svc.Refunds.CompleteRefunds(ctx, 10); err != nil || n != 0 {
			t.Fatalf("completed %d again: %v", n, err)
		}
		list, err := svc.Callbacks.ListCallbacks(ctx, opaygate.CallbackFilter{OrderNo: o.OrderNo})
		if err != nil || len(list) != 3 {
			t.Fatalf("callbacks: %d %v", len(list), err)
		}
		// Newest first: rf-2's, rf-1's, then the payment's.
		want := []struct {
			target   string
			refunded bool
			refund   int64
		}{
			{"https://merchant.example/callback", true, r2.ID},
			{"https://merchant.example/refunds", true, r.ID},
			{"https://merchant.example/callback", false, 0},
		}
		for i, w := range want {
			c := list[i]
			if c.TargetURL != w.target || c.Refunded != w.refunded || c.RefundID != w.refund ||
				c.Status != opaygate.StatusSuccess || c.Amount != 60000 || c.State != opaygate.CallbackPending {
				t.Errorf("callback %d: %+v, want %+v", i, c, w)
			}
		}
		// In live mode (no delay) nothing completes a refund by itself.
		live := e.refunds(0)
		r3 := newRefund(e.m.ID, "rf-3", 10)
		if err := live.Refunds.CreateRefund(ctx, r3, opaygate.OrderKey{OrderNo: o.OrderNo}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(24 * time.Hour)
		if n, err := live.Refunds.CompleteRefunds(ctx, 10); err != nil || n != 0 {
			t.Fatalf("live refund completed: %d %v", n, err)
		}
		if got, _ := live.Refunds.FindRefund(ctx, e.m.ID, opaygate.RefundKey{Reference: "rf-3"}); got.Status != opaygate.RefundPending {
			t.Fatalf("live refund reads %s", got.Status)
		}
	})
}

// Twenty concurrent partial refunds whose sum exceeds the order: the total
// never exceeds the amount, and every answer agrees with the final state.
func TestConcurrentRefunds(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		svc := e.refunds(time.Second)
		const amount = 10000
		o := e.paid(t, "paid-race", amount)
		type answer struct {
			ref    string
			amount int64
			err    error
		}
		answers := make([]answer, 20)
		var wg sync.WaitGroup
		start := make(chan struct{})
		var sum int64
		for i := range answers {
			amt := int64(500 + rand.IntN(1500)) // 20 × ~1250 ≈ 2.5 × the order
			sum += amt
			answers[i] = answer{ref: fmt.Sprintf("race-%02d", i), amount: amt}
			wg.Go(func() {
				<-start
				answers[i].err = svc.Refunds.CreateRefund(ctx, newRefund(e.m.ID, answers[i].ref, amt),
					opaygate.OrderKey{OrderNo: o.OrderNo})
			})
		}
		if sum <= amount {
			t.Fatalf("test is wrong: the refunds add up to %d only", sum)
		}
		close(start)
		wg.Wait()

		refunded := e.refunded(t, o.ID)
		list, err := svc.Refunds.ListRefunds(ctx, e.m.ID, opaygate.OrderKey{OrderNo: o.OrderNo})
		if err != nil {
			t.Fatal(err)
		}
		stored := map[string]int64{}
		var total int64
		for _, r := range list {
			stored[r.Reference] = r.Amount
			total += r.Amount
		}
		if total != refunded || refunded > amount {
			t.Fatalf("refunds add up to %d, orders.refunded %d, amount %d", total, refunded, amount)
		}
		accepted := 0
		for _, a := range answers {
			switch code := opaygate.ErrorCode(a.err); code {
			case "":
				accepted++
				if stored[a.ref] != a.amount {
					t.Errorf("%s accepted but stored %d, want %d", a.ref, stored[a.ref], a.amount)
				}
			case opaygate.EREFUNDEXCEEDS:
				if _, ok := stored[a.ref]; ok {
					t.Errorf("%s refused but stored", a.ref)
				}
				// Refunds only add up, so a refusal that was right
				// then is still right against the final total.
				if refunded+a.amount <= amount {
					t.Errorf("%s of %d refused although %d of %d is refunded", a.ref, a.amount, refunded, amount)
				}
			default:
				t.Errorf("%s: %v", a.ref, a.err)
			}
		}
		t.Logf("%s: %d of 20 refunds accepted, %d of %d refunded", e.db.Dialect(), accepted, refunded, amount)
	})
}

// Several completers at once (nodes on one PostgreSQL) complete every refund
// exactly once, each with exactly one callback.
func TestCompleteRefundsConcurrently(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		svc := e.refunds(time.Second)
		const orders, perOrder = 5, 8
		for i := range orders {
			o := e.paid(t, fmt.Sprintf("paid-%d", i), 100000)
			for j := range perOrder {
				if err := svc.Refunds.CreateRefund(ctx, newRefund(e.m.ID, fmt.Sprintf("rf-%d-%d", i, j), 100),
					opaygate.OrderKey{OrderNo: o.OrderNo}); err != nil {
					t.Fatal(err)
				}
			}
		}
		e.clock.Advance(time.Second)
		var mu sync.Mutex
		done := 0
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					n, err := svc.Refunds.CompleteRefunds(ctx, 3)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					done += n
					mu.Unlock()
					if n == 0 {
						return
					}
				}
			})
		}
		wg.Wait()
		if done != orders*perOrder {
			t.Fatalf("completed %d refunds, want %d", done, orders*perOrder)
		}
		ids, err := sqlstore.QueryStrings(e.db, `SELECT CAST(refund_id AS TEXT) FROM callbacks WHERE refunded = ? ORDER BY refund_id`, true)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] {
				t.Errorf("refund %s has two callbacks", id)
			}
			seen[id] = true
		}
		if len(seen) != orders*perOrder {
			t.Errorf("%d refund callbacks, want %d", len(seen), orders*perOrder)
		}
	})
}

// The sandbox reset deletes orders and callbacks; their refunds and attempts go with them.
func TestResetWithRefunds(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		svc := e.refunds(time.Second)
		o := e.paid(t, "paid-1", 5000)
		if err := svc.Refunds.CreateRefund(ctx, newRefund(e.m.ID, "rf-1", 100), opaygate.OrderKey{OrderNo: o.OrderNo}); err != nil {
			t.Fatal(err)
		}
		c, err := svc.Callbacks.ClaimCallbacks(ctx, 1, time.Minute)
		if err != nil || len(c) != 1 {
			t.Fatalf("claim: %v %v", c, err)
		}
		if _, err := svc.Callbacks.RecordAttempt(ctx, c[0], opaygate.CallbackAttempt{At: e.clock.Now(), HTTPStatus: 500},
			opaygate.DefaultRetrySchedule()); err != nil {
			t.Fatal(err)
		}
		if err := e.db.Reset(ctx); err != nil {
			t.Fatalf("reset: %v", err)
		}
		for _, table := range []string{"refunds", "callback_attempts", "callbacks"} {
			n, err := sqlstore.QueryStrings(e.db, `SELECT CAST(COUNT(*) AS TEXT) FROM `+table)
			if err != nil || n[0] != "0" {
				t.Errorf("%s after reset: %v %v", table, n, err)
			}
		}
	})
}
