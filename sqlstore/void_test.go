package sqlstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/sqlstore"
)

// TestVoidOrder: initiated once (again: the same void), refunds refused from then on,
// completed with the refunds with one callback; a refunded or ValU order is not voidable; 50
// voids racing 50 refunds never give back more than was paid. Both backends.
func TestVoidOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		svc := e.refunds(time.Second)
		o := e.cardOrder(t, "void-1", 60000, testCard("4111111111111111", false))
		key := opaygate.OrderKey{ID: o.ID}
		got, v, err := svc.Voids.VoidOrder(ctx, e.m.ID, key)
		if err != nil || got.VoidState != opaygate.VoidPending || got.Voided || v.Status != opaygate.VoidPending || v.Amount != 60000 {
			t.Fatalf("void %+v %+v %v", got, v, err)
		}
		_, again, err := svc.Voids.VoidOrder(ctx, e.m.ID, key)
		if err != nil || again.ReversalNo != v.ReversalNo {
			t.Fatalf("again %+v %v", again, err)
		}
		err = svc.Refunds.CreateRefund(ctx, &opaygate.Refund{MerchantID: e.m.ID, Reference: "rf-1", Amount: 100}, key)
		wantCode(t, err, opaygate.EORDERSTATE)

		e.clock.Advance(2 * time.Second)
		if n, err := svc.Refunds.CompleteRefunds(ctx, 10); err != nil || n != 1 {
			t.Fatalf("completed %d %v", n, err)
		}
		if o := e.find(t, key); !o.Voided || o.VoidState != opaygate.VoidSuccess || o.Status != opaygate.StatusSuccess {
			t.Fatalf("after completion %+v", o)
		}
		if v, err := svc.Voids.FindVoid(ctx, e.m.ID, opaygate.VoidKey{Reference: "void-1"}); err != nil || v.Status != opaygate.VoidSuccess {
			t.Fatalf("find %+v %v", v, err)
		}
		if cbs := e.callbacks(t, o.ID); len(cbs) != 2 {
			t.Fatalf("callbacks %v", cbs)
		}
		if flags, err := sqlstore.QueryStrings(e.db, `SELECT CASE WHEN refunded AND voided THEN 'void' ELSE 'order' END
			FROM callbacks WHERE order_id = ? ORDER BY id`, o.ID); err != nil || len(flags) != 2 || flags[0] != "order" || flags[1] != "void" {
			t.Fatalf("callback kinds %v %v", flags, err)
		}

		valu := e.paid(t, "void-valu", 60000)
		_, _, err = svc.Voids.VoidOrder(ctx, e.m.ID, opaygate.OrderKey{ID: valu.ID})
		wantCode(t, err, opaygate.EORDERSTATE)

		t.Run("RacesRefunds", func(t *testing.T) {
			o := e.cardOrder(t, "void-race", 60000, testCard("4111111111111111", false))
			key := opaygate.OrderKey{ID: o.ID}
			var wg sync.WaitGroup
			var mu sync.Mutex
			var voids, refunds int
			start := make(chan struct{})
			for i := range 50 {
				wg.Go(func() {
					<-start
					if _, _, err := svc.Voids.VoidOrder(ctx, e.m.ID, key); err == nil {
						mu.Lock()
						voids++
						mu.Unlock()
					} else if opaygate.ErrorCode(err) != opaygate.EORDERSTATE {
						t.Errorf("void: %v", err)
					}
				})
				wg.Go(func() {
					<-start
					r := &opaygate.Refund{MerchantID: e.m.ID, Reference: "race-rf-" + string(rune('A'+i%26)) + string(rune('A'+i/26)), Amount: 60000}
					if err := svc.Refunds.CreateRefund(ctx, r, key); err == nil {
						mu.Lock()
						refunds++
						mu.Unlock()
					} else if c := opaygate.ErrorCode(err); c != opaygate.EORDERSTATE && c != opaygate.EREFUNDEXCEEDS {
						t.Errorf("refund: %v", err)
					}
				})
			}
			close(start)
			wg.Wait()
			final := e.find(t, key)
			if voids > 0 && (refunds != 0 || final.VoidState == "" || final.Refunded != 0) ||
				voids == 0 && (refunds != 1 || final.VoidState != "" || final.Refunded != 60000) {
				t.Fatalf("voids %d, refunds %d, order %+v", voids, refunds, final)
			}
		})
	})
}
