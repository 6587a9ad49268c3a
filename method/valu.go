package method

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// ValU is OPay's installment method (EG): the customer's credit decides which plans are
// offered; the customer picks one, receives an OTP and enters it; the acquirer decides.
//
//	start → PENDING INPUT_INSTALLMENT_MONTH (plans) → INPUT_OTP (OTP sent) → acquirer
//	        FAIL 51 when no plan fits the credit
type ValU struct {
	Plans opaygate.PlanTable
}

var _ Method = ValU{}

func (ValU) Name() string                { return opaygate.PayMethodValU }
func (ValU) Function() opaygate.Function { return opaygate.FuncValU }
func (ValU) Countries() []string         { return []string{"EG"} }
func (ValU) OnAPI() bool                 { return true }
func (ValU) OnCheckout() bool            { return true }

// Params reads valUAccountNumber: an Egyptian mobile number, 01 and 9 more digits.
func (ValU) Params(req *opay.PaymentCreateRequest) (any, error) {
	if !opaygate.ValUAccount(req.ValUAccountNumber) {
		return nil, opaygate.Invalid("valUAccountNumber must be 01 followed by 9 digits")
	}
	return req.ValUAccountNumber, nil
}

// Start asks ValU for the account's credit and offers the plans that fit it. params is the
// account (a string); without one, the order's ValUAccount is used.
func (v ValU) Start(ctx context.Context, net opaygate.Network, o *opaygate.Order, params any, _ time.Time) (opaygate.Move, error) {
	if account, ok := params.(string); ok && account != "" {
		o.ValUAccount = account
	}
	if !opaygate.ValUAccount(o.ValUAccount) {
		return opaygate.Move{}, opaygate.Invalid("valUAccountNumber must be 01 followed by 9 digits")
	}
	limit, err := net.ValU.CreditLimit(ctx, o.ValUAccount)
	if err != nil {
		return opaygate.Move{}, fmt.Errorf("valu credit limit: %w", err)
	}
	table := v.Plans
	if len(table.Tenors) == 0 {
		table = opaygate.DefaultPlanTable()
	}
	o.Plans = table.Plans(o.Amount, limit)
	if len(o.Plans) == 0 {
		return opaygate.Decline("51", "Insufficient funds"), nil
	}
	return opaygate.Wait(opaygate.StepPlan), nil
}

// Next: a chosen plan asks for the OTP; a correct OTP goes to the acquirer.
func (ValU) Next(o *opaygate.Order, done opaygate.Step) opaygate.Move {
	switch done {
	case opaygate.StepPlan:
		m := opaygate.Wait(opaygate.StepOTP)
		m.SendOTP, m.Note = true, fmt.Sprintf("%d months", o.Months)
		return m
	case opaygate.StepOTP:
		return opaygate.Authorize()
	}
	return opaygate.Move{}
}

// NextAction offers the plans while the order waits for one, then asks for the OTP. Each
// plan's sums are amount objects, as OPay's ValU page prints them.
func (ValU) NextAction(o *opaygate.Order, links Links) *opay.NextAction {
	if o.Status != opaygate.StatusPending || o.Step != opaygate.StepPlan {
		return waiting(o, links)
	}
	money := func(n int64) opay.Amount { return opay.Amount{Total: n, Currency: o.Currency} }
	plans := make([]opay.Plan, len(o.Plans))
	for i, p := range o.Plans {
		plans[i] = opay.Plan{Months: p.Months, DownPayment: money(p.DownPayment), Fee: money(p.Fee), EMI: money(p.EMI)}
	}
	return &opay.NextAction{ActionType: opay.ActionInstallmentMonth, Plans: plans}
}

// The hosted checkout: the customer enters the ValU account; the plans and the OTP are the
// checkout's shared steps.

func (ValU) Slug() string { return "valu" }

// Form reads the account, which may be typed with spaces.
func (ValU) Form(f url.Values) (any, string) {
	account := stripSpaces(f.Get("account"))
	if !opaygate.ValUAccount(account) {
		return nil, "account"
	}
	return account, ""
}

func (ValU) Refused() string   { return "account" }
func (ValU) SandboxHints() any { return nil }

func (ValU) Texts() map[string]map[string]string {
	return map[string]map[string]string{
		"EN": {
			"valu.title":        "ValU installments",
			"valu.account":      "ValU account (mobile number)",
			"valu.account.hint": "The mobile number of your ValU account: 01 and 9 more digits.",
			"valu.continue":     "Continue with ValU",
			"error.account":     "Enter the mobile number of your ValU account: 01 and 9 more digits.",
		},
		"AR": {
			"valu.title":        "تقسيط ValU",
			"valu.account":      "حساب ValU (رقم الهاتف المحمول)",
			"valu.account.hint": "رقم الهاتف المحمول لحساب ValU الخاص بك: 01 ثم 9 أرقام.",
			"valu.continue":     "المتابعة مع ValU",
			"error.account":     "أدخل رقم الهاتف المحمول لحساب ValU: ‏01 ثم 9 أرقام.",
		},
	}
}
