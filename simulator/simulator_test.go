package simulator_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/simulator"
)

func TestNetwork_Authorize(t *testing.T) {
	n := simulator.New()
	for amount, code := range map[int64]string{5: "05", 13: "13", 51: "51", 54: "54", 57: "57", 62: "62"} {
		d, _ := n.Authorize(context.Background(), &opaygate.Order{Amount: amount})
		if d.Approved || d.Code != code || d.Reason == "" {
			t.Errorf("amount %d: %+v, want decline %s", amount, d, code)
		}
	}
	for _, amount := range []int64{1, 50, 500, 5100, 60000} {
		if d, _ := n.Authorize(context.Background(), &opaygate.Order{Amount: amount}); !d.Approved {
			t.Errorf("amount %d declined: %+v", amount, d)
		}
	}
}

func TestNetwork_OTP(t *testing.T) {
	n := simulator.New()
	o := &opaygate.Order{OrderNo: "261122000000000001"}
	if _, ok := n.LastOTP(o.OrderNo); ok {
		t.Fatal("OTP before any was sent")
	}
	_ = n.SendOTP(context.Background(), o, "111111")
	_ = n.SendOTP(context.Background(), o, "222222")
	if code, _ := n.LastOTP(o.OrderNo); code != "222222" {
		t.Fatalf("last OTP %q, want 222222", code)
	}
	if limit, _ := n.CreditLimit(context.Background(), simulator.NoCreditAccount); limit != 0 {
		t.Fatalf("no-credit account has limit %d", limit)
	}
}

// The network keeps OTPs and messages of the last RememberOrders orders only: a sandbox that
// runs for weeks does not grow without bound.
func TestNetworkForgetsOldOrders(t *testing.T) {
	n := simulator.New()
	ctx := context.Background()
	for i := range simulator.RememberOrders + 5 {
		o := &opaygate.Order{OrderNo: fmt.Sprintf("%018d", i), ValUAccount: "01012345678"}
		if err := n.SendOTP(ctx, o, "111111"); err != nil {
			t.Fatal(err)
		}
		if err := n.Notify(ctx, o, opaygate.Notice{Channel: "WALLET", To: "01012345678", Text: "pay"}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		no := fmt.Sprintf("%018d", i)
		if _, ok := n.LastOTP(no); ok || len(n.Messages(no)) != 0 {
			t.Errorf("order %d is still remembered", i)
		}
	}
	last := fmt.Sprintf("%018d", simulator.RememberOrders+4)
	if otp, ok := n.LastOTP(last); !ok || otp != "111111" || len(n.Messages(last)) != 2 {
		t.Errorf("the newest order: %q %v %v", otp, ok, n.Messages(last))
	}
}

// DeclineNext declines the order's authorizations, ahead of every other rule, until undone;
// an undo removes only its own decline.
func TestNetwork_DeclineNext(t *testing.T) {
	n := simulator.New()
	ctx := context.Background()
	o := &opaygate.Order{OrderNo: "261128000000000001", Amount: 1000}
	d51, _ := opaygate.DeclineFor("51")
	d62, _ := opaygate.DeclineFor("62")
	undo51 := n.DeclineNext(o.OrderNo, d51)
	if d, _ := n.Authorize(ctx, o); d != d51 {
		t.Errorf("armed 51: %+v", d)
	}
	if d, _ := n.Authorize(ctx, &opaygate.Order{OrderNo: "261128000000000002", Amount: 1000}); !d.Approved {
		t.Errorf("another order: %+v", d)
	}
	undo62 := n.DeclineNext(o.OrderNo, d62)
	undo51() // not its decline any more
	if d, _ := n.Authorize(ctx, o); d != d62 {
		t.Errorf("armed 62 after 51's undo: %+v", d)
	}
	undo62()
	if d, _ := n.Authorize(ctx, o); !d.Approved {
		t.Errorf("undone: %+v", d)
	}
}
