package server

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
)

// The customer's actions of the sandbox control (the routes are in server.go, the finder and
// the answer in sandbox_orders.go). Each is the service call the checkout page, the 3-D
// Secure page or the payment network makes for that step, so an order moves, and calls back,
// exactly as if a person had acted:
//
//	pay      the customer completes the payment from wherever it is: chooses payMethod (an
//	         INITIAL order), then every step the customer does — plan, PIN, OTP on the
//	         checkout, the 3-D Secure page, the step outside the API (scan, approve, dial,
//	         pay the code, transfer) — with sandbox defaults. With failureCode the payment
//	         ends FAIL with that code.
//	decline  pay with failureCode, 05 by default.
//	start    choose payMethod on an INITIAL order, and stop at its first step.
//	plan, pin, otp, 3ds
//	         one step, for an order waiting at it (whichever channel made it).
//	cancel   the cancel button of the checkout (CLOSE ORDER_CANCELLED) or of the 3-D Secure
//	         page (FAIL 05).
//	abandon  the customer walks away: the sandbox clock moves to the order's expiry.
//	expire   CLOSE ORDER_EXPIRED now, without moving the clock.
//
// An order created by payment/create waiting for a plan, a PIN or an OTP waits for the
// merchant's input-* call, not for its customer on a gateway page: pay refuses it (02010)
// and names the step's own route, which stands in for that call.

// Sandbox values the simulated network accepts (docs/sandbox.md); the simulator's own
// constants, which this package may not import (a test checks they agree).
const (
	sandboxPIN       = "1234"
	sandboxMasterOTP = "123456"
)

// maxCustomerSteps bounds pay's walk through a method's steps: the longest flow (an NG card
// with a PIN and an OTP on the checkout) has four.
const maxCustomerSteps = 8

// sandboxCustomer is what a method's checkout form asks the customer, for an INITIAL order;
// each field has a sandbox default that pays (sandboxCustomer.form).
type sandboxCustomer struct {
	ValUAccountNumber string `json:"valUAccountNumber"` // VALU
	WalletAccount     string `json:"walletAccount"`     // MWALLET
	Mobile            string `json:"mobile"`            // VodafoneCash, Shahry, BankTransfer, ReferenceCode, BankAccount
	Email             string `json:"email"`             // ReferenceCode
	BankCode          string `json:"bankCode"`          // BankUssd, BankAccount; BankInstallment's bank
	BankAccountNumber string `json:"bankAccountNumber"` // BankAccount
	BVN               string `json:"bvn"`               // BankAccount
	DOB               string `json:"dob"`               // BankAccount, YYYY-MM-DD
	CardNumber        string `json:"cardNumber"`        // BankCard, BankInstallment
	Expiry            string `json:"expiry"`            // MM/YY
	CVV               string `json:"cvv"`
	CardHolderName    string `json:"cardHolderName"`
}

// form is the checkout form of m as this customer fills it in, with the sandbox's defaults
// for what the request left out: an approved test card, a wallet or mobile number that pays.
func (c sandboxCustomer) form(m method.Method, o *opaygate.Order, year, months int) url.Values {
	f := url.Values{}
	set := func(field, value, def string) {
		if value == "" {
			value = def
		}
		if value != "" {
			f.Set(field, value)
		}
	}
	mobile := "01012345678" // an Egyptian mobile; Nigeria's methods want the international form
	if o.Country == "NG" {
		mobile = "+2348031234567"
	}
	set("account", c.ValUAccountNumber, "01012345678")
	set("walletAccount", c.WalletAccount, "01012345678")
	set("mobile", c.Mobile, mobile)
	set("email", c.Email, "")
	set("bankCode", c.BankCode, "033")
	set("accountNumber", c.BankAccountNumber, "0123456789")
	set("bvn", c.BVN, "12345678901")
	set("dob", c.DOB, "1990-01-01")
	set("cardNumber", c.CardNumber, "4111111111111111")
	set("expiry", c.Expiry, fmt.Sprintf("12/%02d", (year+3)%100))
	set("cvv", c.CVV, "123")
	set("cardHolderName", c.CardHolderName, "Test Customer")
	if bi, ok := m.(method.BankInstallment); ok {
		f.Set("plan", installmentPlan(bi, o, c.BankCode, months))
	}
	return f
}

// installmentPlan is the checkout's plan value ("CIB:6") for bank and months, each defaulting
// to the first the merchant's catalogue offers for the order's amount; "" when none takes it.
func installmentPlan(bi method.BankInstallment, o *opaygate.Order, bank string, months int) string {
	for _, b := range bi.Catalogue(o.InstallmentBanks, o.Amount) {
		if bank != "" && b.Code != bank {
			continue
		}
		for _, p := range b.Plans {
			if months == 0 || p.Months == months {
				return b.Code + ":" + strconv.Itoa(p.Months)
			}
		}
	}
	if bank != "" && months != 0 {
		return bank + ":" + strconv.Itoa(months) // the method refuses it with its own words
	}
	return ""
}

// outcome is what the request asks the network to answer: approval, or failureCode's decline.
func (req sandboxOrderRequest) outcome() (opaygate.Decision, error) {
	if req.FailureCode == "" {
		return opaygate.Decision{Approved: true}, nil
	}
	d, ok := opaygate.DeclineFor(req.FailureCode)
	if !ok {
		return d, invalid("failureCode must be one of 05, 13, 51, 54, 57, 62")
	}
	return d, nil
}

// declining arms the network to decline o's payment as the request asks, until the returned
// func runs (at the end of the request).
func (s *Server) declining(o *opaygate.Order, req sandboxOrderRequest) (func(), error) {
	d, err := req.outcome()
	if err != nil || d.Approved {
		return func() {}, err
	}
	return s.svc.Sandbox.DeclineNext(o.OrderNo, d), nil
}

func (s *Server) sandboxPay(ctx context.Context, o *opaygate.Order, req sandboxOrderRequest) (*opaygate.Order, error) {
	d, err := req.outcome()
	if err != nil {
		return nil, err
	}
	if o.Status.Final() {
		return nil, s.refuseFinal(ctx, o)
	}
	name := o.PayMethod
	if o.Status == opaygate.StatusInitial && req.PayMethod != "" {
		name = req.PayMethod
	}
	if req.Amount != 0 && name != opaygate.PayMethodBankTransfer {
		// Only a transfer's amount is the customer's to get wrong; the other methods charge
		// the order's.
		return nil, invalid("amount applies to BankTransfer orders only")
	}
	undo, _ := s.declining(o, req)
	defer undo()
	if o.Status == opaygate.StatusInitial {
		if o, err = s.sandboxStartPayment(ctx, o, req); err != nil {
			return nil, err
		}
	}
	for range maxCustomerSteps {
		if o.Status != opaygate.StatusPending {
			break
		}
		switch o.Step {
		case opaygate.StepExternal:
			if d.Approved && req.Amount != 0 && int64(req.Amount) != o.Amount {
				d, _ = opaygate.DeclineFor("13") // the transfer of another amount
			}
			// A decline here is the wallet's or the bank's own answer to the step: the order
			// fails without going to the acquirer, as the simulator page's Decline does.
			o, err = s.svc.Orders.ReportExternal(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID}, d)
		case opaygate.Step3DS:
			o, err = s.svc.Orders.Confirm3DS(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID})
		case opaygate.StepPlan, opaygate.StepPIN, opaygate.StepOTP:
			if o.Channel == opaygate.ChannelAPI {
				return nil, orderState("order is waiting for %s, which the merchant submits with %s (or POST /_sandbox/orders/%s)",
					o.Step, apiStep[o.Step], sandboxStep[o.Step])
			}
			o, err = s.customerStep(ctx, o, req)
		default:
			return nil, orderState("order is %s at %s", o.Status, o.Step)
		}
		if err != nil {
			return nil, err
		}
	}
	return o, nil
}

// apiStep and sandboxStep name the merchant's call and the sandbox route of a step.
var (
	apiStep = map[opaygate.Step]string{opaygate.StepPlan: "input-installment-month",
		opaygate.StepPIN: "input-pin", opaygate.StepOTP: "input-otp"}
	sandboxStep = map[opaygate.Step]string{opaygate.StepPlan: "plan", opaygate.StepPIN: "pin", opaygate.StepOTP: "otp"}
)

// customerStep does the step o waits for among plan, PIN and OTP.
func (s *Server) customerStep(ctx context.Context, o *opaygate.Order, req sandboxOrderRequest) (*opaygate.Order, error) {
	key := opaygate.OrderKey{ID: o.ID}
	switch o.Step {
	case opaygate.StepPlan:
		months := int(req.Months)
		if months == 0 && len(o.Plans) > 0 {
			months = o.Plans[0].Months
		}
		return s.svc.Orders.SelectPlan(ctx, o.MerchantID, key, months)
	case opaygate.StepPIN:
		pin := req.PIN
		if pin == "" {
			pin = sandboxPIN
		}
		if len(pin) < 4 || len(pin) > 6 || !opaygate.Digits(pin) {
			return nil, invalid("pin must be 4 to 6 digits")
		}
		return s.svc.Orders.SubmitPIN(ctx, o.MerchantID, key, pin)
	case opaygate.StepOTP:
		otp := req.OTP
		if otp == "" {
			var ok bool
			if otp, ok = s.svc.Sandbox.LastOTP(o.OrderNo); !ok {
				// The network keeps OTPs in memory: a restarted sandbox forgot it.
				otp = sandboxMasterOTP
			}
		}
		if !opaygate.ValidOTP(otp) {
			return nil, invalid("otp must be %d digits", opaygate.OTPLength)
		}
		return s.svc.Orders.SubmitOTP(ctx, o.MerchantID, key, otp)
	}
	return nil, orderState("order is not waiting for %s", o.Step)
}

// sandboxStartPayment chooses the method on an INITIAL order and fills in its form, as the
// customer does on the checkout: only a method the checkout offers this order.
func (s *Server) sandboxStartPayment(ctx context.Context, o *opaygate.Order, req sandboxOrderRequest) (*opaygate.Order, error) {
	name := req.PayMethod
	if name == "" {
		name = o.PayMethod
	}
	if name == "" {
		return nil, invalid("payMethod is required: the order's customer has not chosen a method yet")
	}
	m, ok := s.svc.Methods.Lookup(name)
	if !ok || !method.Offered(m, o.Country, true) {
		return nil, opaygate.Errorf(opaygate.EPAYMETHOD, "payMethod %s is not offered on the %s checkout", name, o.Country)
	}
	merchant, err := s.svc.Merchants.FindMerchant(ctx, o.MerchantID)
	if err != nil {
		return nil, err
	}
	if err := merchant.Check(m.Function(), o.Country); err != nil {
		return nil, err
	}
	o.InstallmentBanks = merchant.InstallmentBanks // the plans the checkout would list
	params, problem := m.Form(req.form(m, o, s.svc.Clock.Now().Year(), int(req.Months)))
	if problem != "" {
		// The checkout's own sentence for the field, as the page would show it.
		text := m.Texts()["EN"]["error."+problem]
		if text == "" {
			text = "the " + strings.ReplaceAll(problem, "_", " ") + " is not valid"
		}
		return nil, invalid("%s: %s", name, text)
	}
	return s.svc.Orders.StartPayment(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID}, name, params)
}

func (s *Server) sandboxDecline(ctx context.Context, o *opaygate.Order, req sandboxOrderRequest) (*opaygate.Order, error) {
	if req.FailureCode == "" {
		req.FailureCode = "05"
	}
	return s.sandboxPay(ctx, o, req)
}

func (s *Server) sandboxStart(ctx context.Context, o *opaygate.Order, req sandboxOrderRequest) (*opaygate.Order, error) {
	if o.Status.Final() {
		return nil, s.refuseFinal(ctx, o)
	}
	if o.Status != opaygate.StatusInitial {
		return nil, orderState("order is %s: its customer chose %s already", o.Status, o.PayMethod)
	}
	undo, err := s.declining(o, req) // a method may decide at once
	if err != nil {
		return nil, err
	}
	defer undo()
	return s.sandboxStartPayment(ctx, o, req)
}

// sandboxOneStep is the route of one step: the order must be waiting at it.
func (s *Server) sandboxOneStep(step opaygate.Step) func(context.Context, *opaygate.Order, sandboxOrderRequest) (*opaygate.Order, error) {
	return func(ctx context.Context, o *opaygate.Order, req sandboxOrderRequest) (*opaygate.Order, error) {
		undo, err := s.declining(o, req)
		if err != nil {
			return nil, err
		}
		defer undo()
		if o.Status.Final() {
			return nil, s.refuseFinal(ctx, o)
		}
		if o.Status != opaygate.StatusPending || o.Step != step {
			return nil, orderState("order is not waiting for %s (it is %s%s)", step, o.Status, atStep(o))
		}
		if step == opaygate.Step3DS {
			return s.svc.Orders.Confirm3DS(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID})
		}
		return s.customerStep(ctx, o, req)
	}
}

func (s *Server) sandboxCancel(ctx context.Context, o *opaygate.Order, _ sandboxOrderRequest) (*opaygate.Order, error) {
	if o.Status == opaygate.StatusPending && o.Step == opaygate.Step3DS {
		return s.svc.Orders.Cancel3DS(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID})
	}
	return s.svc.Orders.CancelOrder(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID})
}

// sandboxAbandon moves the sandbox clock to the order's expiry, as time passing would, then
// closes it for good (the sweeper would, a moment later) so that the answer and the callback
// come at once. Every other order, OTP and invoice ages as well.
func (s *Server) sandboxAbandon(ctx context.Context, o *opaygate.Order, _ sandboxOrderRequest) (*opaygate.Order, error) {
	if o.Status.Final() {
		return nil, s.refuseFinal(ctx, o)
	}
	if left := o.ExpireAt.Sub(s.svc.Clock.Now()); left > 0 {
		s.svc.Sandbox.Advance(left)
	}
	return s.svc.Orders.ExpireNow(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID})
}

func (s *Server) sandboxExpire(ctx context.Context, o *opaygate.Order, _ sandboxOrderRequest) (*opaygate.Order, error) {
	return s.svc.Orders.ExpireNow(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID})
}

// refuseFinal refuses an action on a final order. One that only reads CLOSE because its
// time ran out is closed for good first, with its callback, as any move on it would.
func (s *Server) refuseFinal(ctx context.Context, o *opaygate.Order) error {
	if o.FailureCode != opaygate.FailExpired {
		return orderState("order is %s", o.Status)
	}
	if _, err := s.svc.Orders.ExpireNow(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID}); err != nil {
		return err
	}
	return orderState("order expired")
}

// orderState is a 02010 naming why.
func orderState(format string, args ...any) error {
	return opaygate.Errorf(opaygate.EORDERSTATE, format, args...)
}

// atStep names the step an open order waits at, for a 02010's message.
func atStep(o *opaygate.Order) string {
	if o.Status.Final() || o.Step == opaygate.StepNone {
		return ""
	}
	return " at " + string(o.Step)
}
