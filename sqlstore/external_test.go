package sqlstore_test

import (
	"context"
	"sync"
	"testing"

	"github.com/opaygate/opaygate"
)

// TestReportExternal: an order waiting for its customer outside the API is paid, declined or
// expired by what the network reports, each with one callback; nothing else can be reported.
func TestReportExternal(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		wallet := func(ref string, amount int64) *opaygate.Order {
			t.Helper()
			o := &opaygate.Order{MerchantID: e.m.ID, Reference: ref, Country: "EG", Amount: amount, ProductName: "Tea",
				PayMethod: opaygate.PayMethodMWallet, CallbackURL: "https://m.example/cb"}
			if err := e.svc.Orders.CreatePayment(ctx, o, "01012345678"); err != nil {
				t.Fatal(err)
			}
			if o.Status != opaygate.StatusPending || o.Step != opaygate.StepExternal || o.MethodData["walletAccount"] != "01012345678" {
				t.Fatalf("created %+v", o)
			}
			return o
		}
		t.Run("Paid", func(t *testing.T) {
			o := wallet("ext-paid", 1000)
			if stored := e.find(t, opaygate.OrderKey{OrderNo: o.OrderNo}); stored.MethodData[opaygate.DataIdentifier] != "01012345678" {
				t.Fatalf("method data not stored: %+v", stored.MethodData)
			}
			got, err := e.svc.Orders.ReportExternal(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, opaygate.Decision{Approved: true})
			if err != nil || got.Status != opaygate.StatusSuccess {
				t.Fatalf("paid: %+v %v", got, err)
			}
			_, err = e.svc.Orders.ReportExternal(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, opaygate.Decision{Approved: true})
			wantCode(t, err, opaygate.EORDERSTATE)
			if cbs := e.callbacks(t, o.ID); len(cbs) != 1 || cbs[0] != "SUCCESS" {
				t.Fatalf("callbacks %v", cbs)
			}
		})
		t.Run("Declined", func(t *testing.T) {
			o := wallet("ext-declined", 1000)
			d, _ := opaygate.DeclineFor("62")
			got, err := e.svc.Orders.ReportExternal(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, d)
			if err != nil || got.Status != opaygate.StatusFail || got.FailureCode != "62" || got.FailureReason != "Restricted card" {
				t.Fatalf("declined: %+v %v", got, err)
			}
		})
		t.Run("ExpireNow", func(t *testing.T) {
			o := wallet("ext-expired", 1000)
			got, err := e.svc.Orders.ExpireNow(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID})
			if err != nil || got.Status != opaygate.StatusClose || got.FailureCode != opaygate.FailExpired {
				t.Fatalf("expired: %+v %v", got, err)
			}
			// Expiring it again answers the same; paying it is refused.
			if again, err := e.svc.Orders.ExpireNow(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}); err != nil || again.Status != opaygate.StatusClose {
				t.Fatalf("again: %+v %v", again, err)
			}
			_, err = e.svc.Orders.ReportExternal(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, opaygate.Decision{Approved: true})
			wantCode(t, err, opaygate.EORDERSTATE)
			if cbs := e.callbacks(t, o.ID); len(cbs) != 1 || cbs[0] != "CLOSE" {
				t.Fatalf("callbacks %v", cbs)
			}
		})
		t.Run("ErrNotWaitingOutside", func(t *testing.T) {
			o := e.mustOrder(t, &opaygate.Order{Reference: "ext-valu", Amount: 60000, PayMethod: opaygate.PayMethodValU, ValUAccount: "01012345678"})
			_, err := e.svc.Orders.ReportExternal(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, opaygate.Decision{Approved: true})
			wantCode(t, err, opaygate.EORDERSTATE)
		})
		t.Run("FindOrderByNo", func(t *testing.T) {
			o := wallet("ext-find", 1000)
			if got, err := e.svc.Orders.FindOrderByNo(ctx, o.OrderNo); err != nil || got.ID != o.ID {
				t.Fatalf("find: %+v %v", got, err)
			}
			_, err := e.svc.Orders.FindOrderByNo(ctx, "000000000000000000")
			wantCode(t, err, opaygate.ENOTFOUND)
		})
	})
}

// TestRaceCloseVsCustomerStep: on one order, 50 customer steps of the new methods (the
// network reporting a wallet's approval; an NG card's PIN) race 50 merchant closes. Exactly
// one side wins, every answer agrees with the final state, and there is one callback.
func TestRaceCloseVsCustomerStep(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, tc := range []struct {
			name  string
			start func(ref string) *opaygate.Order
			step  func(key opaygate.OrderKey) (*opaygate.Order, error)
		}{
			{"Wallet", func(ref string) *opaygate.Order {
				o := &opaygate.Order{MerchantID: e.m.ID, Reference: ref, Country: "EG", Amount: 1000, ProductName: "Tea",
					PayMethod: opaygate.PayMethodMWallet, CallbackURL: "https://m.example/cb"}
				if err := e.svc.Orders.CreatePayment(ctx, o, "01012345678"); err != nil {
					t.Fatal(err)
				}
				return o
			}, func(key opaygate.OrderKey) (*opaygate.Order, error) {
				return e.svc.Orders.ReportExternal(ctx, e.m.ID, key, opaygate.Decision{Approved: true})
			}},
			{"PIN", func(ref string) *opaygate.Order {
				return e.cardPayment(t, ref, "5061000000010103")
			}, func(key opaygate.OrderKey) (*opaygate.Order, error) {
				return e.svc.Orders.SubmitPIN(ctx, e.m.ID, key, "1234")
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				o := tc.start("race-" + tc.name)
				key := opaygate.OrderKey{ID: o.ID}
				const n = 50
				var wg sync.WaitGroup
				var mu sync.Mutex
				var closed, paid, refused int
				start := make(chan struct{})
				count := func(o *opaygate.Order, err error, want opaygate.OrderStatus, ok *int) {
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil && o.Status == want:
						*ok++
					case opaygate.ErrorCode(err) == opaygate.EORDERSTATE:
						refused++
					default:
						t.Errorf("answer %+v, %v", o, err)
					}
				}
				for range n {
					wg.Go(func() {
						<-start
						o, err := e.svc.Orders.CloseOrder(ctx, e.m.ID, key)
						count(o, err, opaygate.StatusClose, &closed)
					})
					wg.Go(func() {
						<-start
						o, err := tc.step(key)
						count(o, err, opaygate.StatusSuccess, &paid)
					})
				}
				close(start)
				wg.Wait()
				final := e.find(t, key)
				switch final.Status {
				case opaygate.StatusSuccess:
					// One step paid it; every close and every other step was refused.
					if paid != 1 || closed != 0 || refused != 2*n-1 {
						t.Fatalf("SUCCESS, but paid %d, closed %d, refused %d", paid, closed, refused)
					}
				case opaygate.StatusClose:
					// Closing a closed order answers it again; every step was refused.
					if paid != 0 || closed != n || refused != n {
						t.Fatalf("CLOSE, but paid %d, closed %d, refused %d", paid, closed, refused)
					}
				default:
					t.Fatalf("final status %s", final.Status)
				}
				if cbs := e.callbacks(t, final.ID); len(cbs) != 1 || cbs[0] != string(final.Status) {
					t.Fatalf("callbacks %v for final %s", cbs, final.Status)
				}
			})
		}
	})
}
