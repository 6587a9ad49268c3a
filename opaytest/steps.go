package opaytest

import (
	"context"
	"fmt"
	"net/url"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
)

// The customer's steps one at a time, for every method: choose a method on a cashier order's
// checkout and fill in its section (Choose), then whatever the order waits for next — an OTP
// (EnterOTP), a card PIN (EnterPIN), the 3-D Secure page (Confirm3DS), a step outside the API
// (PayOutside, DeclineOutside) — until it is final. Each returns the order as the step left
// it, with the nextAction it now waits for.

// Choose is the customer picking payMethod on the checkout page of a cashier order (INITIAL)
// and sending its section's form, with the fields as the page names them: for example
//
//	MWALLET, VodafoneCash, Shahry:  {"walletAccount": "01012345678"} or {"mobile": "01012345678"}
//	BankTransfer:                   {"mobile": "+2348031234567"}
//	BankUssd:                       {"bankCode": "058"}
//	ReferenceCode:                  {"mobile": "…", "email": "…"}, both optional
//	BankAccount:                    {"bankCode", "accountNumber", "bvn", "dob" (YYYY-MM-DD), "mobile"}
//	BankCard:                       {"cardNumber", "expiry" (MM/YY), "cvv"}
//	BankInstallment:                the card's fields and {"plan": "CIB:6"}
//	OpayWalletNg:                   none
//
// A form the page would refuse is an EINVALID error naming the section's problem (the key of
// the message the page would show, such as "wallet" or "bankaccount_bvn").
func (g *Gateway) Choose(order, payMethod string, form map[string]string) (*Payment, error) {
	ctx := context.Background()
	o, err := g.findOrder(ctx, order)
	if err != nil {
		return nil, fmt.Errorf("opaytest: choose %s: %w", payMethod, err)
	}
	m, ok := g.gw.Methods.Lookup(payMethod)
	if !ok || !m.OnCheckout() {
		return nil, fmt.Errorf("opaytest: choose %s: %w", payMethod,
			opaygate.Errorf(opaygate.EPAYMETHOD, "the checkout has no method %q", payMethod))
	}
	values := url.Values{}
	for k, v := range form {
		values.Set(k, v)
	}
	params, problem := m.Form(values)
	if problem != "" {
		return nil, fmt.Errorf("opaytest: choose %s: %w", payMethod,
			opaygate.Invalid("the checkout refuses the form: %s", problem))
	}
	if o, err = g.svcs.Orders.StartPayment(ctx, g.Merchant.ID, opaygate.OrderKey{OrderNo: o.OrderNo}, payMethod, params); err != nil {
		return nil, fmt.Errorf("opaytest: choose %s: %w", payMethod, err)
	}
	return g.step(ctx, o)
}

// EnterOTP is the customer typing the OTP an order waits for; "" types the one the sandbox
// sent. A wrong OTP is an error (opaygate.EOTPINVALID); the fifth fails the order.
func (g *Gateway) EnterOTP(order, otp string) (*Payment, error) {
	return g.act(order, "enter the otp", func(ctx context.Context, key opaygate.OrderKey, o *opaygate.Order) (*opaygate.Order, error) {
		if otp == "" {
			var ok bool
			if otp, ok = g.network.LastOTP(o.OrderNo); !ok {
				otp = SandboxOTP
			}
		}
		return g.svcs.Orders.SubmitOTP(ctx, g.Merchant.ID, key, otp)
	})
}

// EnterPIN is the customer typing an NG card's PIN; "" types SandboxPIN. A wrong PIN is an
// error (opaygate.EOTPINVALID); the third fails the order with 55.
func (g *Gateway) EnterPIN(order, pin string) (*Payment, error) {
	if pin == "" {
		pin = SandboxPIN
	}
	return g.act(order, "enter the pin", func(ctx context.Context, key opaygate.OrderKey, _ *opaygate.Order) (*opaygate.Order, error) {
		return g.svcs.Orders.SubmitPIN(ctx, g.Merchant.ID, key, pin)
	})
}

// Confirm3DS is the customer confirming on the 3-D Secure page; the acquirer then decides.
func (g *Gateway) Confirm3DS(order string) (*Payment, error) {
	return g.act(order, "confirm 3-D Secure", func(ctx context.Context, key opaygate.OrderKey, _ *opaygate.Order) (*opaygate.Order, error) {
		return g.svcs.Orders.Confirm3DS(ctx, g.Merchant.ID, key)
	})
}

// act finds the order, runs one step on it and describes the result.
func (g *Gateway) act(order, what string, fn func(context.Context, opaygate.OrderKey, *opaygate.Order) (*opaygate.Order, error)) (*Payment, error) {
	ctx := context.Background()
	o, err := g.findOrder(ctx, order)
	if err != nil {
		return nil, fmt.Errorf("opaytest: %s: %w", what, err)
	}
	if o, err = fn(ctx, opaygate.OrderKey{OrderNo: o.OrderNo}, o); err != nil {
		return nil, fmt.Errorf("opaytest: %s: %w", what, err)
	}
	return g.step(ctx, o)
}

// step delivers the callbacks a step caused and describes the order with what it waits for.
func (g *Gateway) step(ctx context.Context, o *opaygate.Order) (*Payment, error) {
	p, err := g.done(ctx, o)
	if err != nil {
		return nil, err
	}
	if m, ok := g.gw.Methods.Lookup(o.PayMethod); ok {
		links := method.Links{
			ThreeDS:  func(token string) string { return g.URL + "/3ds?orderToken=" + token },
			Simulate: func(token string) string { return g.URL + "/simulate?orderToken=" + token },
		}
		if na := m.NextAction(o, links); na != nil {
			p.NextAction = na
		}
	}
	return p, nil
}
