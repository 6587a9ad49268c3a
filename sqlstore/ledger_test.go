package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/simulator"
	"github.com/opaygate/opaygate/sqlstore"
)

// withSettlement makes e's services settle payments after delay and refunds after a second.
func (e *env) withSettlement(delay time.Duration) {
	e.svc = sqlstore.NewServices(e.db, sqlstore.Deps{Methods: method.Default(), Clock: e.clock, ValU: e.net, OTP: e.net,
		Acquirer: e.net, Settler: simulator.New(simulator.RefundDelay(time.Second)), SettlementDelay: delay})
}

func (e *env) balanceOf(t testing.TB, currency string) opaygate.Balance {
	t.Helper()
	b, err := e.svc.Ledger.Balance(context.Background(), e.m.ID, currency)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (e *env) wantBalance(t testing.TB, unsettled, cash int64) {
	t.Helper()
	if b := e.balanceOf(t, "EGP"); b.Unsettled != unsettled || b.Cash != cash {
		t.Fatalf("balance: unsettled %d cash %d, want %d %d", b.Unsettled, b.Cash, unsettled, cash)
	}
}

func (e *env) verifyLedger(t testing.TB) *opaygate.LedgerReport {
	t.Helper()
	r, err := e.svc.Ledger.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Differences) > 0 {
		t.Fatalf("ledger verify: %+v", r.Differences)
	}
	return r
}

// TestLedgerMoves: each row of METHODS.md §10.4's table, immediate and delayed settlement,
// both backends; Verify finds every record with its entries, and a tampered balance.
func TestLedgerMoves(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		t.Run("Immediate", func(t *testing.T) {
			e.withSettlement(0)
			e.wantBalance(t, 0, 0)
			o := e.paid(t, "ledger-1", 60000)
			e.wantBalance(t, 0, 60000)
			r := &opaygate.Refund{MerchantID: e.m.ID, Reference: "ledger-rf-1", Amount: 10000}
			if err := e.svc.Refunds.CreateRefund(ctx, r, opaygate.OrderKey{ID: o.ID}); err != nil {
				t.Fatal(err)
			}
			e.wantBalance(t, 0, 50000)
			card := e.cardOrder(t, "ledger-card", 30000, testCard("4111111111111111", false))
			e.wantBalance(t, 0, 80000)
			if _, _, err := e.svc.Voids.VoidOrder(ctx, e.m.ID, opaygate.OrderKey{ID: card.ID}); err != nil {
				t.Fatal(err)
			}
			e.wantBalance(t, 0, 80000) // a void takes the money when it completes
			e.clock.Advance(2 * time.Second)
			if n, err := e.svc.Refunds.CompleteRefunds(ctx, 10); err != nil || n != 2 {
				t.Fatalf("completed %d %v", n, err)
			}
			e.wantBalance(t, 0, 50000)
			rep := e.verifyLedger(t)
			if rep.Records < 4 || rep.Entries < 8 {
				t.Errorf("report %+v", rep)
			}
			entries, err := e.svc.Ledger.Entries(ctx, e.m.ID, "EGP", 100)
			if err != nil || len(entries) != rep.Entries || entries[0].Kind != opaygate.EntryVoid {
				t.Fatalf("entries %d %v (report %d)", len(entries), err, rep.Entries)
			}
		})
		t.Run("Delayed", func(t *testing.T) {
			e.withSettlement(time.Hour)
			before := e.balanceOf(t, "EGP")
			e.paid(t, "ledger-2", 70000)
			card := e.cardOrder(t, "ledger-card-2", 20000, testCard("4111111111111111", false))
			e.wantBalance(t, before.Unsettled+90000, before.Cash)
			if _, _, err := e.svc.Voids.VoidOrder(ctx, e.m.ID, opaygate.OrderKey{ID: card.ID}); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(2 * time.Second)
			if _, err := e.svc.Refunds.CompleteRefunds(ctx, 10); err != nil {
				t.Fatal(err)
			}
			// Voided before it settled: out of unsettled, and it never settles.
			e.wantBalance(t, before.Unsettled+70000, before.Cash)
			if n, err := e.svc.Ledger.Settle(ctx, 10); err != nil || n != 0 {
				t.Fatalf("settled early: %d %v", n, err)
			}
			e.clock.Advance(time.Hour)
			if n, err := e.svc.Ledger.Settle(ctx, 10); err != nil || n != 1 {
				t.Fatalf("settled %d %v", n, err)
			}
			e.wantBalance(t, before.Unsettled, before.Cash+70000)
			if n, err := e.svc.Ledger.Settle(ctx, 10); err != nil || n != 0 {
				t.Fatalf("settled twice: %d %v", n, err)
			}
			e.verifyLedger(t)
		})
		t.Run("FoldAndTamper", func(t *testing.T) {
			before := e.balanceOf(t, "EGP")
			n, err := e.svc.Ledger.Fold(ctx, 3)
			if err != nil || n != 3 {
				t.Fatalf("fold %d %v", n, err)
			}
			for {
				n, err := e.svc.Ledger.Fold(ctx, 100)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
			}
			if after := e.balanceOf(t, "EGP"); after != before {
				t.Fatalf("fold changed the balance: %+v, was %+v", after, before)
			}
			e.verifyLedger(t)
			if err := sqlstore.Exec(e.db, `UPDATE balances SET total = total + 1 WHERE account = 'CASH_ACCOUNT'`); err != nil {
				t.Fatal(err)
			}
			if err := sqlstore.Exec(e.db, `DELETE FROM balance_entries WHERE kind = 'refund'`); err != nil {
				t.Fatal(err)
			}
			r, err := e.svc.Ledger.Verify(ctx)
			if err != nil || len(r.Differences) != 2 {
				t.Fatalf("verify after tampering: %+v %v", r, err)
			}
		})
		t.Run("Credit", func(t *testing.T) {
			b, err := e.svc.Ledger.Credit(ctx, e.m.ID, "NGN", 500, "top-1")
			if err != nil || b.Cash != 500 {
				t.Fatalf("credit %+v %v", b, err)
			}
			_, err = e.svc.Ledger.Credit(ctx, e.m.ID, "NGN", 500, "top-1")
			wantCode(t, err, opaygate.EDUPLICATE)
			_, err = e.svc.Ledger.Credit(ctx, "nobody", "NGN", 500, "")
			wantCode(t, err, opaygate.ENOTFOUND)
			_, err = e.svc.Ledger.Credit(ctx, e.m.ID, "USD", 500, "")
			wantCode(t, err, opaygate.EINVALID)
			_, err = e.svc.Ledger.Credit(ctx, e.m.ID, "NGN", opaygate.MaxAmount+1, "")
			wantCode(t, err, opaygate.EINVALID)
			for range 2 {
				if err := e.svc.Ledger.Open(ctx, e.m.ID, "NGN", opaygate.SandboxOpeningCash); err != nil {
					t.Fatal(err)
				}
			}
			if b := e.balanceOf(t, "NGN"); b.Cash != 500+opaygate.SandboxOpeningCash {
				t.Fatalf("opened twice? %+v", b)
			}
			list, err := e.svc.Ledger.Balances(ctx, e.m.ID)
			if err != nil || len(list) != 2 || list[0].Currency != "EGP" || list[1].Currency != "NGN" {
				t.Fatalf("balances %+v %v", list, err)
			}
		})
	})
}

// TestLedgerConcurrent: payments, refunds, settlements and folds racing on one merchant leave
// the balance equal to the sum of its entries and every record with its entries, both
// backends.
func TestLedgerConcurrent(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.withSettlement(time.Millisecond)
		stop := e.keepFolding(t, 2, 7)
		var paid sync.WaitGroup
		for i := range 20 {
			paid.Go(func() {
				o := e.paid(t, fmt.Sprintf("conc-%d", i), 10000)
				r := &opaygate.Refund{MerchantID: e.m.ID, Reference: fmt.Sprintf("conc-rf-%d", i), Amount: 2500}
				if err := e.svc.Refunds.CreateRefund(ctx, r, opaygate.OrderKey{ID: o.ID}); err != nil {
					t.Error(err)
				}
			})
		}
		paid.Wait()
		e.clock.Advance(time.Second)
		stop()
		for {
			n, err := e.svc.Ledger.Settle(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		e.wantBalance(t, 0, 20*(10000-2500))
		e.verifyLedger(t)
	})
}

// keepFolding runs n goroutines that fold (limit entries at a time) and settle until the
// returned stop is called, which waits for them.
func (e *env) keepFolding(t *testing.T, n, limit int) (stop func()) {
	ctx := context.Background()
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := e.svc.Ledger.Fold(ctx, limit); err != nil {
					t.Error(err)
					return
				}
				if _, err := e.svc.Ledger.Settle(ctx, limit); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	return func() { close(done); wg.Wait() }
}
