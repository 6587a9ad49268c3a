package opaytest

import (
	"context"
	"errors"
	"fmt"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// The customer's side, without a browser. These call the same services the hosted checkout and
// invoice pages call, so an order moves exactly as if a person had paid on the page: the
// merchant's API, callbacks and sandbox rules all see the same thing.
//
// A refused action returns an error wrapping the gateway's *opaygate.Error, whose Code says why
// (e.g. opaygate.EORDERSTATE for an order that has expired). A payment that the payment network
// declines is not an error: it is a Payment whose Status is FAIL.

// Payment is the order a customer action left behind.
type Payment struct {
	OrderNo       string
	Reference     string
	Status        opay.OrderStatus
	FailureCode   string // for FAIL and CLOSE, e.g. "51" or "ORDER_EXPIRED"
	FailureReason string
	// NextAction is what a PENDING order waits for, as payment/create would say it (an OTP,
	// a PIN, the 3-D Secure page, a QR code to scan …); nil otherwise. Set by the step-by-step
	// actions (Choose, EnterOTP, EnterPIN, Confirm3DS).
	NextAction *opay.NextAction
}

func paymentOf(o *opaygate.Order) *Payment {
	p := &Payment{OrderNo: o.OrderNo, Reference: o.Reference, Status: opay.OrderStatus(o.Status)}
	if o.Status == opaygate.StatusFail || o.Status == opaygate.StatusClose {
		p.FailureCode, p.FailureReason = o.FailureCode, o.FailureReason
	}
	return p
}

// PayWithValU pays an order with ValU as the customer does on the checkout page: enter the
// account, choose the plan of the given months (0 = the first one offered), enter the OTP that
// was texted. order is an orderNo or, failing that, a reference of the merchant's.
//
// It picks up wherever the order is: a cashier order (INITIAL) starts with the account; a VALU
// order from payment/create already has its account (the argument is then ignored) and starts
// with the plan; an order already waiting for its OTP only gets the OTP.
func (g *Gateway) PayWithValU(order, account string, months int) (*Payment, error) {
	ctx := context.Background()
	o, err := g.findOrder(ctx, order)
	if err != nil {
		return nil, fmt.Errorf("opaytest: pay with valu: %w", err)
	}
	key := opaygate.OrderKey{OrderNo: o.OrderNo}
	if o.Status == opaygate.StatusInitial {
		if o, err = g.svcs.Orders.StartPayment(ctx, g.Merchant.ID, key, opaygate.PayMethodValU, account); err != nil {
			return nil, fmt.Errorf("opaytest: pay with valu: enter the account: %w", err)
		}
		if o.Status == opaygate.StatusFail {
			return g.done(ctx, o) // no plan fits the account's credit: declined, not refused
		}
	}
	if o.Status == opaygate.StatusPending && o.Step == opaygate.StepPlan {
		if months == 0 && len(o.Plans) > 0 {
			months = o.Plans[0].Months
		}
		if o, err = g.svcs.Orders.SelectPlan(ctx, g.Merchant.ID, key, months); err != nil {
			return nil, fmt.Errorf("opaytest: pay with valu: choose a plan: %w", err)
		}
	}
	if o.Status != opaygate.StatusPending || o.Step != opaygate.StepOTP {
		return nil, fmt.Errorf("opaytest: pay with valu: %w",
			opaygate.Errorf(opaygate.EORDERSTATE, "order %s is %s and not waiting for a ValU step", o.OrderNo, o.Status))
	}
	otp, ok := g.network.LastOTP(o.OrderNo)
	if !ok {
		otp = SandboxOTP
	}
	if o, err = g.svcs.Orders.SubmitOTP(ctx, g.Merchant.ID, key, otp); err != nil {
		return nil, fmt.Errorf("opaytest: pay with valu: enter the otp: %w", err)
	}
	return g.done(ctx, o)
}

// done delivers the callbacks the action caused, then describes the order.
func (g *Gateway) done(ctx context.Context, o *opaygate.Order) (*Payment, error) {
	if err := g.deliver(ctx); err != nil {
		return nil, fmt.Errorf("opaytest: deliver callbacks: %w", err)
	}
	return paymentOf(o), nil
}

// PayInvoice pays an invoice as the customer does on its page: the page opens an order for the
// invoice's amount plus its service fee, which is paid with ValU (account ValUAccount, the
// first plan offered). When the payment succeeds the invoice is Paid. ValU exists in Egypt
// only, so an NG invoice is refused here; PayInvoiceWithCard pays either.
func (g *Gateway) PayInvoice(invoiceNo string) (*Payment, error) {
	ctx := context.Background()
	inv, err := g.svcs.Invoices.FindInvoice(ctx, g.Merchant.ID, invoiceNo)
	if err != nil {
		return nil, fmt.Errorf("opaytest: pay invoice: %w", err)
	}
	if inv.Country != "EG" {
		return nil, fmt.Errorf("opaytest: pay invoice: %w", opaygate.Errorf(opaygate.EPAYMETHOD,
			"invoice %s is in %s and ValU is offered in EG only; use PayInvoiceWithCard", invoiceNo, inv.Country))
	}
	o, err := g.invoiceOrder(ctx, inv)
	if err != nil {
		return nil, err
	}
	return g.PayWithValU(o.OrderNo, ValUAccount, 0)
}

// PayInvoiceWithCard pays an invoice on its page by card, as PayWithCard does.
func (g *Gateway) PayInvoiceWithCard(invoiceNo, number string) (*Payment, error) {
	ctx := context.Background()
	inv, err := g.svcs.Invoices.FindInvoice(ctx, g.Merchant.ID, invoiceNo)
	if err != nil {
		return nil, fmt.Errorf("opaytest: pay invoice: %w", err)
	}
	o, err := g.invoiceOrder(ctx, inv)
	if err != nil {
		return nil, err
	}
	return g.PayWithCard(o.OrderNo, number)
}

// invoiceOrder opens (or reopens) the order that pays an invoice, as its page does.
func (g *Gateway) invoiceOrder(ctx context.Context, inv *opaygate.Invoice) (*opaygate.Order, error) {
	o, err := g.svcs.Invoices.PayInvoice(ctx, inv.ID, g.URL+"?vid="+inv.Token)
	if err != nil {
		return nil, fmt.Errorf("opaytest: pay invoice: %w", err)
	}
	return o, nil
}

// ApprovedCard is a sandbox card the acquirer approves. Any Luhn-valid number ending in 00 and
// a code of the amount-trigger table is declined with that code: "4000000000000051" with 51
// "Insufficient funds", "4000000000800005" with 05 "Do not honour", and so on.
const ApprovedCard = "4111111111111111"

// PayWithCard pays an order by card as the customer does on the checkout page: the card number
// with a valid expiry date and CVV, then the 3-D Secure page confirmed. A payment/create
// BankCard order picks up at the step it waits for: the 3-D Secure page (enable3DS) is
// confirmed; an NG card's PIN step gets SandboxPIN and its OTP step the OTP that was texted,
// as input-pin and input-otp would (the number is then ignored). order is an orderNo or,
// failing that, a reference.
func (g *Gateway) PayWithCard(order, number string) (*Payment, error) {
	ctx := context.Background()
	o, err := g.findOrder(ctx, order)
	if err != nil {
		return nil, fmt.Errorf("opaytest: pay with card: %w", err)
	}
	key := opaygate.OrderKey{OrderNo: o.OrderNo}
	if o.Status == opaygate.StatusInitial {
		year := g.clock.Now().Year() + 3
		card := opaygate.Card{HolderName: "Test Customer", Number: number, CVV: "123",
			ExpiryMonth: 12, ExpiryYear: year, Enable3DS: true}
		if o, err = g.svcs.Orders.StartPayment(ctx, g.Merchant.ID, key, opaygate.PayMethodBankCard, card); err != nil {
			return nil, fmt.Errorf("opaytest: pay with card: enter the card: %w", err)
		}
	}
	if o.Status == opaygate.StatusPending && o.Step == opaygate.Step3DS {
		if o, err = g.svcs.Orders.Confirm3DS(ctx, g.Merchant.ID, key); err != nil {
			return nil, fmt.Errorf("opaytest: pay with card: confirm 3-D Secure: %w", err)
		}
	}
	if o.Status == opaygate.StatusPending && o.Step == opaygate.StepPIN {
		if o, err = g.svcs.Orders.SubmitPIN(ctx, g.Merchant.ID, key, SandboxPIN); err != nil {
			return nil, fmt.Errorf("opaytest: pay with card: enter the pin: %w", err)
		}
	}
	if o.Status == opaygate.StatusPending && o.Step == opaygate.StepOTP {
		otp, ok := g.network.LastOTP(o.OrderNo)
		if !ok {
			otp = SandboxOTP
		}
		if o, err = g.svcs.Orders.SubmitOTP(ctx, g.Merchant.ID, key, otp); err != nil {
			return nil, fmt.Errorf("opaytest: pay with card: enter the otp: %w", err)
		}
	}
	if !o.Status.Final() {
		return nil, fmt.Errorf("opaytest: pay with card: %w",
			opaygate.Errorf(opaygate.EORDERSTATE, "order %s is %s and not waiting for a card", o.OrderNo, o.Status))
	}
	return g.done(ctx, o)
}

// Cancel is the customer pressing cancel on the checkout page (or on the 3-D Secure page): the
// order is CLOSE with failure ORDER_CANCELLED, or FAIL 05 when it waited on 3-D Secure, and the
// customer goes back to the order's cancelUrl.
func (g *Gateway) Cancel(order string) (*Payment, error) {
	ctx := context.Background()
	o, err := g.findOrder(ctx, order)
	if err != nil {
		return nil, fmt.Errorf("opaytest: cancel: %w", err)
	}
	key := opaygate.OrderKey{OrderNo: o.OrderNo}
	if o.Status == opaygate.StatusPending && o.Step == opaygate.Step3DS {
		o, err = g.svcs.Orders.Cancel3DS(ctx, g.Merchant.ID, key)
	} else {
		o, err = g.svcs.Orders.CancelOrder(ctx, g.Merchant.ID, key)
	}
	if err != nil {
		return nil, fmt.Errorf("opaytest: cancel: %w", err)
	}
	return g.done(ctx, o)
}

// Abandon is the customer walking away from an unfinished order: nothing happens until the
// order expires, so Abandon moves the gateway's clock to the order's expiry (see Advance) and
// returns the order, now CLOSE with failure ORDER_EXPIRED. Other orders due by then expire too.
func (g *Gateway) Abandon(order string) (*Payment, error) {
	ctx := context.Background()
	o, err := g.findOrder(ctx, order)
	if err != nil {
		return nil, fmt.Errorf("opaytest: abandon: %w", err)
	}
	if opay.OrderStatus(o.Status).Final() {
		return nil, fmt.Errorf("opaytest: abandon: %w",
			opaygate.Errorf(opaygate.EORDERSTATE, "order %s is already %s", o.OrderNo, o.Status))
	}
	if err := g.advance(ctx, o.ExpireAt.Sub(g.clock.Now())); err != nil {
		return nil, fmt.Errorf("opaytest: abandon: %w", err)
	}
	if o, err = g.svcs.Orders.FindOrder(ctx, g.Merchant.ID, opaygate.OrderKey{OrderNo: o.OrderNo}); err != nil {
		return nil, fmt.Errorf("opaytest: abandon: %w", err)
	}
	return paymentOf(o), nil // advance delivered the callbacks
}

// findOrder finds the merchant's order by orderNo, else by reference.
func (g *Gateway) findOrder(ctx context.Context, order string) (*opaygate.Order, error) {
	o, err := g.svcs.Orders.FindOrder(ctx, g.Merchant.ID, opaygate.OrderKey{OrderNo: order})
	var e *opaygate.Error
	if errors.As(err, &e) && e.Code == opaygate.ENOTFOUND {
		o, err = g.svcs.Orders.FindOrder(ctx, g.Merchant.ID, opaygate.OrderKey{Reference: order})
	}
	return o, err
}

// Product is a catalog product, which invoices with relationProduct refer to by
// MerchantProductNo.
type Product struct {
	MerchantProductNo string
	Name              string
	Description       string
	Image             string
	Price             opay.Amount
}

// AddProduct adds a product to the merchant's catalog (in production the merchant does this
// from the dashboard or the CLI, not through OPay's API) and returns the gateway's productNo.
func (g *Gateway) AddProduct(p Product) (string, error) {
	dp := &opaygate.Product{
		MerchantID: g.Merchant.ID, MerchantProductNo: p.MerchantProductNo, Name: p.Name,
		Description: p.Description, Image: p.Image, Price: p.Price.Total, Currency: p.Price.Currency,
	}
	if err := g.svcs.Products.CreateProduct(context.Background(), dp); err != nil {
		return "", fmt.Errorf("opaytest: add product: %w", err)
	}
	return dp.ProductNo, nil
}

// PayOutside is the customer doing the step a payment waits for outside the API — scanning
// its QR code, approving the request in the wallet app, dialling its USSD code — as the
// sandbox's /_sandbox/orders/pay reports it. The acquirer then decides (the amount triggers
// and the identifier rule apply), and the Payment says how it ended.
func (g *Gateway) PayOutside(order string) (*Payment, error) {
	return g.outside(order, "pay", opaygate.Decision{Approved: true})
}

// DeclineOutside is that step declined by the customer's wallet or bank with code, one of
// OPay's test codes (05, 13, 51, 54, 57, 62): the order is FAIL with it.
func (g *Gateway) DeclineOutside(order, code string) (*Payment, error) {
	d, ok := opaygate.DeclineFor(code)
	if !ok {
		return nil, fmt.Errorf("opaytest: decline: %w", opaygate.Invalid("code %q is not one of 05, 13, 51, 54, 57, 62", code))
	}
	return g.outside(order, "decline", d)
}

func (g *Gateway) outside(order, what string, d opaygate.Decision) (*Payment, error) {
	ctx := context.Background()
	o, err := g.findOrder(ctx, order)
	if err != nil {
		return nil, fmt.Errorf("opaytest: %s: %w", what, err)
	}
	if o, err = g.svcs.Orders.ReportExternal(ctx, g.Merchant.ID, opaygate.OrderKey{OrderNo: o.OrderNo}, d); err != nil {
		return nil, fmt.Errorf("opaytest: %s: %w", what, err)
	}
	return g.done(ctx, o)
}
