package opaytest

import (
	"context"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// Reads show an expired order as CLOSE anyway; what Advance adds is the sweep that stores the
// move (with its timeline entry and its callback), so this looks at the stored timeline.
func TestAdvance_StoresTheExpiry(t *testing.T) {
	gw := New(t)
	ctx := context.Background()
	d, err := gw.Client().CreateCashier(ctx, opay.CashierCreateRequest{Reference: "r", Country: "EG",
		Amount: opay.Amount{Total: 1000, Currency: "EGP"}, ReturnURL: "https://shop.example.com/r",
		Product: opay.Product{Name: "x"}, ExpireAt: 1})
	if err != nil {
		t.Fatal(err)
	}
	o, err := gw.svcs.Orders.FindOrder(ctx, gw.Merchant.ID, opaygate.OrderKey{OrderNo: d.OrderNo})
	if err != nil {
		t.Fatal(err)
	}
	closed := func() bool {
		events, err := gw.svcs.Orders.OrderEvents(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.To == opaygate.StatusClose && e.Code == opaygate.FailExpired {
				return true
			}
		}
		return false
	}
	if closed() {
		t.Fatal("closed at creation")
	}
	gw.Advance(time.Minute)
	if !closed() {
		t.Error("Advance returned before the sweep stored the expiry")
	}
}
