package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opaygate/opaygate"
)

// The dashboard shows each order's method and its customer identifier masked, filters by
// every method the gateway has, and sums successful payments by method.
func TestDashboardPayMethods(t *testing.T) {
	e := newDashEnv(t)
	ctx := context.Background()
	wallet := &opaygate.Order{MerchantID: e.A.ID, Reference: "mw-1", Country: "EG", Amount: 2500,
		ProductName: "Tea", PayMethod: opaygate.PayMethodMWallet}
	if err := e.svc.Orders.CreatePayment(ctx, wallet, "01012345678"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Orders.ReportExternal(ctx, e.A.ID, opaygate.OrderKey{ID: wallet.ID}, opaygate.Decision{Approved: true}); err != nil {
		t.Fatal(err)
	}
	e.paidOrder(t, e.A, "valu-1", 5000)
	b := e.login(t, e.A)

	list := b.mustGet(t, "/dashboard/orders?method=MWALLET")
	if !strings.Contains(list, "mw-1") || strings.Contains(list, "valu-1") || !strings.Contains(list, `<option>BankUssd</option>`) {
		t.Errorf("orders filtered by MWALLET:\n%s", list)
	}
	page := b.mustGet(t, "/dashboard/orders/"+wallet.OrderNo)
	if !strings.Contains(page, "01•••••5678") || strings.Contains(page, "01012345678") {
		t.Errorf("the order page does not show the wallet masked:\n%s", page)
	}
	stats := b.mustGet(t, "/dashboard/stats")
	for _, want := range []string{"Successful payments by method",
		`<tr><td>MWALLET</td><td class="num">1</td><td class="num">EGP 25.00</td></tr>`,
		`<tr><td>VALU</td><td class="num">1</td><td class="num">EGP 50.00</td></tr>`} {
		if !strings.Contains(stats, want) {
			t.Errorf("stats page lacks %q", want)
		}
	}
}
