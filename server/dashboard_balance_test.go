package server_test

import (
	"context"
	"strings"
	"testing"
)

// TestDashboardBalance: the Balance page shows the merchant's own accounts and entries, and
// nobody else's.
func TestDashboardBalance(t *testing.T) {
	e := newDashEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Ledger.Credit(ctx, e.A.ID, "NGN", 123456, "top-up-A"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Ledger.Credit(ctx, e.B.ID, "EGP", 999, "top-up-B"); err != nil {
		t.Fatal(err)
	}
	b := e.login(t, e.A)
	body := b.mustGet(t, "/dashboard/balance")
	for _, w := range []string{"Balance", "CASH_ACCOUNT", "NGN 1,234.56", "top-up-A", "credit"} {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	if strings.Contains(body, "top-up-B") || strings.Contains(body, "EGP 9.99") {
		t.Error("the page shows another merchant's ledger")
	}
	if !strings.Contains(b.mustGet(t, "/dashboard/orders"), `href="/dashboard/balance"`) {
		t.Error("no Balance entry in the navigation")
	}
}
