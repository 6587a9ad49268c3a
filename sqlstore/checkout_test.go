package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
)

// TestStartValU covers the hosted page's path: an INITIAL cashier order
// becomes a ValU flow (INITIAL → PENDING, the one move with one source).
func TestStartValU(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		o := e.mustOrder(t, &opaygate.Order{Reference: "cashier", Amount: 60000, CallbackURL: "https://m.example/cb"})
		got, err := e.svc.Orders.StartPayment(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, opaygate.PayMethodValU, "01012345678")
		if err != nil || got.Status != opaygate.StatusPending || got.Step != opaygate.StepPlan || len(got.Plans) != 6 ||
			got.PayMethod != opaygate.PayMethodValU {
			t.Fatalf("start valu: %+v %v", got, err)
		}
		t.Run("ErrAlreadyStarted", func(t *testing.T) {
			_, err := e.svc.Orders.StartPayment(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, opaygate.PayMethodValU, "01012345678")
			wantCode(t, err, opaygate.EORDERSTATE)
		})
		if _, err := e.svc.Orders.SelectPlan(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, 6); err != nil {
			t.Fatal(err)
		}
		if got, err := e.svc.Orders.SubmitOTP(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, "123456"); err != nil || got.Status != opaygate.StatusSuccess {
			t.Fatalf("otp: %+v %v", got, err)
		}
		t.Run("NoCredit", func(t *testing.T) {
			o := e.mustOrder(t, &opaygate.Order{Reference: "cashier-nc", Amount: 60000})
			got, err := e.svc.Orders.StartPayment(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, opaygate.PayMethodValU, "01000000051")
			if err != nil || got.Status != opaygate.StatusFail || got.FailureCode != "51" {
				t.Fatalf("no credit: %+v %v", got, err)
			}
		})
	})
}

// TestPayInvoice: paying an invoice's order marks it Paid in the same
// transaction; a cancelled invoice's order can no longer succeed.
func TestPayInvoice(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		p := &opaygate.Product{MerchantID: e.m.ID, MerchantProductNo: "P1", Name: "Tea", Price: 2000, Currency: "EGP"}
		if err := e.svc.Products.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
		newInvoice := func() *opaygate.Invoice {
			inv := &opaygate.Invoice{MerchantID: e.m.ID, Name: "Order", Country: "EG", RelationProduct: true,
				DueTime: e.clock.Now().Add(24 * time.Hour), Lang: "EN", NotifyMethod: "BOTH"}
			err := e.svc.Invoices.CreateInvoice(ctx, inv, []opaygate.InvoiceItem{{MerchantProductNo: "P1", Quantity: 3}},
				opaygate.ServiceFee{RateBP: 250, FixedFee: 100})
			if err != nil {
				t.Fatal(err)
			}
			return inv
		}
		inv := newInvoice()
		// The merchant's own order already holds the first invoice reference.
		e.mustOrder(t, &opaygate.Order{Reference: "INV" + inv.InvoiceNo + "-1", Amount: 100})
		if inv.Amount != 6000 || inv.ServiceFee != 250 || len(inv.Products) != 1 { // ceil(6000×2.5%) + 100
			t.Fatalf("invoice %+v", inv)
		}
		o, err := e.svc.Invoices.PayInvoice(ctx, inv.ID, "https://m.example/r")
		if err != nil || o.Reference != "INV"+inv.InvoiceNo+"-2" || o.Amount != 6250 {
			t.Fatalf("pay: %+v %v", o, err)
		}
		again, err := e.svc.Invoices.PayInvoice(ctx, inv.ID, "https://m.example/r")
		if err != nil || again.OrderNo != o.OrderNo {
			t.Fatalf("a second click made another order: %v %v", again, err)
		}
		if _, err := e.svc.Orders.StartPayment(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID}, opaygate.PayMethodValU, "01012345678"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Orders.SelectPlan(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID}, 6); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Orders.SubmitOTP(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID}, "123456"); err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.Invoices.FindInvoice(ctx, e.m.ID, inv.InvoiceNo)
		if err != nil || got.Status != opaygate.InvoicePaid || got.PaidOrderNo != o.OrderNo {
			t.Fatalf("after payment: %+v %v", got, err)
		}
		_, err = e.svc.Invoices.CancelInvoice(ctx, e.m.ID, inv.InvoiceNo)
		wantCode(t, err, opaygate.EINVOICESTATE)
		// Another merchant's invoiceNo is no invoice of its (checked after the read).
		_, err = e.svc.Invoices.FindInvoice(ctx, e.other.ID, inv.InvoiceNo)
		wantCode(t, err, opaygate.ENOTFOUND)
		_, err = e.svc.Invoices.CancelInvoice(ctx, e.other.ID, inv.InvoiceNo)
		wantCode(t, err, opaygate.ENOTFOUND)

		t.Run("CancelledWhilePaying", func(t *testing.T) {
			inv := newInvoice()
			o, err := e.svc.Invoices.PayInvoice(ctx, inv.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			e.svc.Orders.StartPayment(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID}, opaygate.PayMethodValU, "01012345678")
			e.svc.Orders.SelectPlan(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID}, 6)
			if _, err := e.svc.Invoices.CancelInvoice(ctx, e.m.ID, inv.InvoiceNo); err != nil {
				t.Fatal(err)
			}
			got, err := e.svc.Orders.SubmitOTP(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID}, "123456")
			if err != nil || got.Status != opaygate.StatusFail || got.FailureCode != "INVOICE_NOT_PAYABLE" {
				t.Fatalf("paying a cancelled invoice: %+v %v", got, err)
			}
		})
		t.Run("Stats", func(t *testing.T) {
			stats, err := e.svc.Invoices.InvoiceStats(ctx, e.m.ID, e.clock.Now().Add(-time.Hour), e.clock.Now().Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			got := map[opaygate.InvoiceStatus]int64{}
			for _, s := range stats {
				got[s.Status] += s.Count
			}
			if got[opaygate.InvoicePaid] != 1 || got[opaygate.InvoiceCancelled] != 1 {
				t.Fatalf("stats %+v", stats)
			}
			e.clock.Advance(25 * time.Hour)
			stats, _ = e.svc.Invoices.InvoiceStats(ctx, e.m.ID, e.clock.Now().Add(-48*time.Hour), e.clock.Now())
			for _, s := range stats {
				if s.Status == opaygate.InvoiceUnpaid {
					t.Fatalf("an invoice past due counts as Unpaid: %+v", stats)
				}
			}
		})
	})
}

// TestDailyVolume: successful payments summed by day and currency; other
// statuses, other merchants and other days stay out.
func TestDailyVolume(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		start := e.clock.Now().UTC().Truncate(24 * time.Hour)
		pay := func(ref, country string, amount int64) {
			o := e.mustOrder(t, &opaygate.Order{Reference: ref, Country: country, Amount: amount, PayMethod: opaygate.PayMethodValU,
				ValUAccount: "01012345678"})
			if country == "NG" {
				return // ValU is Egyptian; an NG order stays open and must not count
			}
			e.svc.Orders.SelectPlan(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, 6)
			e.svc.Orders.SubmitOTP(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, "123456")
		}
		pay("d0-a", "EG", 1000)
		pay("d0-b", "EG", 2000)
		pay("d0-fail", "EG", 51) // declined by the amount trigger
		pay("d0-ng", "NG", 700)
		e.mustOrder(t, &opaygate.Order{MerchantID: e.other.ID, Reference: "other", Amount: 999})
		e.clock.Advance(24 * time.Hour)
		pay("d1-a", "EG", 500)
		got, err := e.svc.Orders.DailyVolume(ctx, e.m.ID, start, start.Add(30*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want := []opaygate.DayVolume{{Day: 0, Currency: "EGP", Count: 2, Amount: 3000}, {Day: 1, Currency: "EGP", Count: 1, Amount: 500}}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("volume %+v, want %+v", got, want)
		}
	})
}
