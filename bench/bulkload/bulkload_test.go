package bulkload_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/bench/bulkload"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/simulator"
	"github.com/opaygate/opaygate/sqlstore"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

// env is a migrated database on one backend, its services and a merchant.
type env struct {
	db  *sqlstore.DB
	svc *sqlstore.Services
	m   *opaygate.Merchant
}

func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, dialect := range sqlstoretest.Backends {
		t.Run(string(dialect), func(t *testing.T) {
			net := simulator.New()
			e := &env{db: sqlstoretest.Open(t, dialect)}
			e.svc = sqlstore.NewServices(e.db, sqlstore.Deps{Methods: method.Default(), ValU: net, OTP: net, Acquirer: net})
			priv, pub := opaygate.NewKeyPair()
			e.m = &opaygate.Merchant{ID: "256612345678901", Name: "Bulk", PrivateKey: priv, PublicKey: pub,
				Countries: []string{"EG"}, Functions: opaygate.AllFunctions()}
			if err := e.svc.Merchants.CreateMerchant(context.Background(), e.m); err != nil {
				t.Fatalf("create merchant: %v", err)
			}
			fn(t, e)
		})
	}
}

func TestBulk(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		const n = 1200
		// Two calls and a batch that does not divide them: the data must not care.
		if err := bulkload.Run(ctx, e.db, bulkload.Load{MerchantID: e.m.ID, Prefix: "B", To: 700, Batch: 500}); err != nil {
			t.Fatalf("bulk: %v", err)
		}
		if err := bulkload.Run(ctx, e.db, bulkload.Load{MerchantID: e.m.ID, Prefix: "B", From: 700, To: n, Batch: 500}); err != nil {
			t.Fatalf("bulk: %v", err)
		}
		if got, err := bulkload.OrderCount(ctx, e.db); err != nil || got != n {
			t.Fatalf("OrderCount = %d, %v; want %d", got, err, n)
		}

		orderNo := regexp.MustCompile(`^[0-9]{18}$`)
		seen := map[string]bool{}
		statuses := map[opaygate.OrderStatus]int{}
		for i := 0; i < n; i += 7 {
			o, err := e.svc.Orders.FindOrder(ctx, e.m.ID, opaygate.OrderKey{Reference: bulkload.Reference("B", i), Country: "EG"})
			if err != nil {
				t.Fatalf("find order %d: %v", i, err)
			}
			if !orderNo.MatchString(o.OrderNo) || seen[o.OrderNo] {
				t.Fatalf("order %d: orderNo %q is not 18 digits or not unique", i, o.OrderNo)
			}
			seen[o.OrderNo] = true
			if !o.Status.Final() {
				t.Errorf("order %d is %s; bulk history is final", i, o.Status)
			}
			statuses[o.Status]++
			events, err := e.svc.Orders.OrderEvents(ctx, o.ID)
			if err != nil || len(events) < 2 || events[len(events)-1].To != o.Status {
				t.Fatalf("order %d timeline: %v, %v", i, events, err)
			}
		}
		if statuses[opaygate.StatusSuccess] < len(seen)/2 || statuses[opaygate.StatusFail]+statuses[opaygate.StatusClose] == 0 {
			t.Errorf("statuses %v: want mostly SUCCESS and some FAIL or CLOSE", statuses)
		}

		invoices, total, err := e.svc.Invoices.ListInvoices(ctx, opaygate.InvoiceFilter{MerchantID: e.m.ID, Limit: 500})
		if err != nil || total != n {
			t.Fatalf("ListInvoices: total %d, %v; want %d", total, err, n)
		}
		byStatus := map[opaygate.InvoiceStatus]int{}
		for _, inv := range invoices {
			byStatus[inv.Status]++
			if len(inv.Products) == 0 || inv.Amount <= 0 {
				t.Fatalf("invoice %s has no products or amount", inv.InvoiceNo)
			}
			if inv.Status != opaygate.InvoicePaid {
				continue
			}
			o, err := e.svc.Orders.FindOrder(ctx, e.m.ID, opaygate.OrderKey{OrderNo: inv.PaidOrderNo})
			if err != nil || o.InvoiceNo != inv.InvoiceNo || o.Status != opaygate.StatusSuccess {
				t.Fatalf("paid invoice %s: its order %q: %+v, %v", inv.InvoiceNo, inv.PaidOrderNo, o, err)
			}
		}
		for _, s := range opaygate.InvoiceStatuses() {
			if byStatus[s] == 0 {
				t.Errorf("no %s invoice among %v", s, byStatus)
			}
		}

		// The services go on numbering after the bulk rows.
		o := &opaygate.Order{MerchantID: e.m.ID, Reference: "after-bulk", Country: "EG", Amount: 1000, ProductName: "Tea"}
		if err := e.svc.Orders.CreateOrder(ctx, o); err != nil {
			t.Fatalf("create order after bulk: %v", err)
		}
		if seen[o.OrderNo] || !orderNo.MatchString(o.OrderNo) {
			t.Errorf("new order got orderNo %q", o.OrderNo)
		}
		inv := &opaygate.Invoice{MerchantID: e.m.ID, Country: "EG", Name: "after", Amount: 100,
			DueTime: time.Now().Add(time.Hour), Lang: "EN", NotifyMethod: "BOTH"}
		if err := e.svc.Invoices.CreateInvoice(ctx, inv, nil, opaygate.ServiceFee{}); err != nil {
			t.Fatalf("create invoice after bulk: %v", err)
		}

		t.Run("ErrDuplicateReference", func(t *testing.T) {
			if err := bulkload.Run(ctx, e.db, bulkload.Load{MerchantID: e.m.ID, Prefix: "B", From: 5, To: 6}); err == nil {
				t.Fatal("loading an index twice succeeded")
			}
		})
	})
}
