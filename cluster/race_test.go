package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/sqlstore"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

// together runs fns at the same instant, as far as goroutines allow: each
// waits on one gate that opens when all of them are ready.
func together(fns ...func()) {
	gate := make(chan struct{})
	var ready, done sync.WaitGroup
	for _, fn := range fns {
		ready.Add(1)
		done.Go(func() {
			ready.Done()
			<-gate
			fn()
		})
	}
	ready.Wait()
	close(gate)
	done.Wait()
}

// TestRaceCloseVsOTP: 50 closes race 50 correct OTPs on one order, spread
// round-robin over three nodes. Exactly one outcome wins, every answer agrees
// with it, and the order has one callback.
func TestRaceCloseVsOTP(t *testing.T) {
	eachBackend(t, func(t *testing.T, c *cluster) {
		outcomes := map[string]int{}
		for round := range 3 {
			ref := fmt.Sprintf("race-%d", round)
			create := c.call(t, round, pathPaymentCreate, valuRequest(ref))
			plan := c.call(t, round+1, pathMonth, opay.InputInstallmentMonthRequest{Country: "EG", Months: 6, Reference: ref})
			if create.Code != opay.CodeSuccess || plan.Code != opay.CodeSuccess {
				t.Fatalf("set up %s: %s %s", ref, create.Code, plan.Code)
			}
			// The OTP was sent by the node that took the plan; it is
			// submitted on every node, which only have its hash.
			got := c.get(t, plan.node, "/_sandbox/otp?orderNo="+plan.orderNo())
			var d struct{ OTP string }
			if err := json.Unmarshal(got.Data, &d); err != nil || d.OTP == "" {
				t.Fatalf("OTP of %s: %s", plan.orderNo(), got.Data)
			}

			var mu sync.Mutex
			tally := map[string]int{}
			var fns []func()
			for i := range 50 {
				fns = append(fns, func() {
					a := c.call(t, i, pathClose, opay.PaymentCloseRequest{Reference: ref, Country: "EG"})
					mu.Lock()
					tally["close "+a.Code+" "+a.status()]++
					mu.Unlock()
				}, func() {
					a := c.call(t, i+1, pathOTP, opay.InputOTPRequest{Country: "EG", OTP: d.OTP, Reference: ref})
					mu.Lock()
					tally["otp "+a.Code+" "+a.status()]++
					mu.Unlock()
				})
			}
			together(fns...)

			o := c.loadOrders(t)[ref]
			var want map[string]int
			switch o.status {
			case opay.StatusSuccess:
				want = map[string]int{"otp 00000 SUCCESS": 1, "otp 02010 ": 49, "close 02010 ": 50}
			case opay.StatusClose:
				want = map[string]int{"close 00000 CLOSE": 50, "otp 02010 ": 50}
			default:
				t.Fatalf("%s ended %s", ref, o.status)
			}
			if fmt.Sprint(tally) != fmt.Sprint(want) {
				t.Errorf("%s ended %s; answers %v, want %v", ref, o.status, tally, want)
			}
			if !slices.Equal(o.callbacks, []string{o.status}) {
				t.Errorf("%s ended %s with callbacks %v", ref, o.status, o.callbacks)
			}
			outcomes[o.status]++
		}
		t.Logf("winners over 3 rounds: %v", outcomes)
	})
}

// TestRaceDuplicateReference: 50 creates of one reference at once, half by
// payment/create and half by cashier/create, over three nodes: one order,
// one 00000, and 49 answers 02004 that name it.
func TestRaceDuplicateReference(t *testing.T) {
	eachBackend(t, func(t *testing.T, c *cluster) {
		const ref = "same"
		var mu sync.Mutex
		var won []string
		dups := map[string]int{}
		var fns []func()
		for i := range 50 {
			fns = append(fns, func() {
				var a answer
				if i%2 == 0 {
					a = c.call(t, i, pathPaymentCreate, valuRequest(ref))
				} else {
					a = c.callPublic(t, i, pathCashierCreate, opay.CashierCreateRequest{
						Reference: ref, Country: "EG", Amount: opay.Amount{Total: 60000, Currency: "EGP"},
						ReturnURL: "https://shop.example/return", Product: opay.Product{Name: "Phone"},
					})
				}
				mu.Lock()
				defer mu.Unlock()
				switch a.Code {
				case opay.CodeSuccess:
					won = append(won, a.orderNo())
				case opay.CodeDuplicate:
					dups[a.orderNo()]++
				default:
					t.Errorf("node %d: create answered %s %q", a.node, a.Code, a.Message)
				}
			})
		}
		together(fns...)
		stored := c.rows(t, `SELECT order_no FROM orders WHERE reference = '`+ref+`'`)
		if len(stored) != 1 || len(won) != 1 || won[0] != stored[0][0] {
			t.Fatalf("stored %v, 00000 answers %v", stored, won)
		}
		if fmt.Sprint(dups) != fmt.Sprint(map[string]int{won[0]: 49}) {
			t.Fatalf("02004 answers by orderNo %v, want 49 naming %s", dups, won[0])
		}
	})
}

// TestSweepersShareWork: three sweepers on one database close a backlog of
// expired orders in small batches at the same time; every order is closed
// once, with one callback.
func TestSweepersShareWork(t *testing.T) {
	eachBackend(t, func(t *testing.T, c *cluster) {
		c.stop() // this test runs its own sweepers, with small batches
		ctx := context.Background()
		const n = 300
		for i := range n {
			o := &opaygate.Order{MerchantID: c.m.ID, Reference: fmt.Sprintf("exp-%03d", i), Country: "EG",
				Amount: 1000, ProductName: "Mug", ExpireAt: c.nodes[0].clock.Now().Add(time.Minute)}
			if err := c.nodes[i%len(c.nodes)].svc.Orders.CreateOrder(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		for _, nd := range c.nodes {
			nd.clock.Advance(2 * time.Minute)
		}
		var mu sync.Mutex
		closed := map[int]int{}
		var fns []func()
		for _, nd := range c.nodes {
			fns = append(fns, func() {
				for {
					k, err := nd.svc.Orders.ExpireOrders(ctx, 7)
					if err != nil {
						t.Errorf("node %d: %v", nd.i, err)
						return
					}
					mu.Lock()
					closed[nd.i] += k
					mu.Unlock()
					if k == 0 {
						return
					}
				}
			})
		}
		together(fns...)
		total := 0
		for _, k := range closed {
			total += k
		}
		if total != n {
			t.Errorf("the sweepers closed %d orders, want %d", total, n)
		}
		for ref, o := range c.loadOrders(t) {
			if o.status != opay.StatusClose || !slices.Equal(o.callbacks, []string{opay.StatusClose}) || len(o.events) != 2 {
				t.Errorf("%s: %s, callbacks %v, events %v", ref, o.status, o.callbacks, o.events)
			}
		}
		t.Logf("orders closed by node: %v", closed)
	})
}

// TestMigrateTogether: six nodes start on an empty PostgreSQL schema at the
// same instant; each migration is applied exactly once and none fails.
func TestMigrateTogether(t *testing.T) {
	for round := range 3 {
		url := sqlstoretest.URL(t, sqlstore.Postgres)
		var mu sync.Mutex
		applied := map[string]int{}
		var fns []func()
		for range 6 {
			fns = append(fns, func() {
				db, err := sqlstore.Open(context.Background(), url)
				if err != nil {
					t.Errorf("open: %v", err)
					return
				}
				defer db.Close()
				names, err := db.Migrate(context.Background())
				if err != nil {
					t.Errorf("round %d: migrate: %v", round, err)
				}
				mu.Lock()
				for _, n := range names {
					applied[n]++
				}
				mu.Unlock()
			})
		}
		together(fns...)
		for name, k := range applied {
			if k != 1 {
				t.Errorf("round %d: %s applied %d times", round, name, k)
			}
		}
		if len(applied) == 0 {
			t.Errorf("round %d: nothing applied", round)
		}
	}
}

func valuRequest(ref string) opay.PaymentCreateRequest {
	return opay.PaymentCreateRequest{
		Amount: opay.Amount{Total: 60000, Currency: "EGP"}, Country: "EG", PayMethod: "VALU",
		Product: opay.Product{Name: "Phone", Description: "A phone"}, Reference: ref,
		ReturnURL: "https://shop.example/return", ValUAccountNumber: "01012345678",
	}
}
