package method

import (
	"context"
	"fmt"
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
func (ValU) API() bool                   { return true }
func (ValU) Hosted() bool                { return true }

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
