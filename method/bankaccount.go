package method

import (
	"context"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// BankAccount is a debit of the customer's bank account, confirmed with an OTP the bank sends
// to the customer's phone (NG, METHODS.md §8.10). OPay may ask some banks for a PIN or 3-D
// Secure as well; the sandbox always asks for the OTP only, so that one flow is testable.
//
// The BVN and the date of birth identify the account holder to the bank. They are checked
// and passed on, never stored: the order keeps the account number (the customer's identifier)
// and the bank code.
//
//	start → PENDING INPUT_OTP (OTP sent to userPhone) → input-otp → acquirer
type BankAccount struct{ apiOnly }

var _ Method = BankAccount{}

func (BankAccount) Name() string                { return opaygate.PayMethodBankAccount }
func (BankAccount) Function() opaygate.Function { return opaygate.FuncBankAccount }
func (BankAccount) Countries() []string         { return []string{"NG"} }
func (BankAccount) Slug() string                { return "bankaccount" }
func (BankAccount) SandboxOnly() bool           { return true }

// accountParams are what BankAccount keeps of a request: nothing of the BVN or the birth date.
type accountParams struct {
	account, bankCode, phone string
	dob                      time.Time // checked against the clock in Start, then dropped
}

// Params reads every field BankAccount requires. Errors name the field, never its value.
func (BankAccount) Params(req *opay.PaymentCreateRequest) (any, error) {
	switch {
	case req.BankAccountNumber == "":
		return nil, opaygate.Invalid("bankAccountNumber is required for payMethod BankAccount")
	case len(req.BankAccountNumber) != 10 || !opaygate.Digits(req.BankAccountNumber):
		return nil, opaygate.Invalid("bankAccountNumber must be 10 digits")
	case req.BankCode == "":
		return nil, opaygate.Invalid("bankCode is required for payMethod BankAccount")
	case len(req.BankCode) < 3 || len(req.BankCode) > 6 || !opaygate.Digits(req.BankCode):
		return nil, opaygate.Invalid("bankCode must be 3 to 6 digits")
	case req.BVN == "":
		return nil, opaygate.Invalid("bvn is required for payMethod BankAccount")
	case len(req.BVN) != 11 || !opaygate.Digits(req.BVN):
		return nil, opaygate.Invalid("bvn must be 11 digits")
	case req.DobDay == 0 || req.DobMonth == 0 || req.DobYear == 0:
		return nil, opaygate.Invalid("dobDay, dobMonth and dobYear are required for payMethod BankAccount")
	}
	dob, ok := calendarDate(int(req.DobYear), int(req.DobMonth), int(req.DobDay))
	if !ok {
		return nil, opaygate.Invalid("dobDay, dobMonth and dobYear must be a real date in the past")
	}
	if err := opaygate.CheckText("customerName", req.CustomerName, opaygate.MaxNameLength, true); err != nil {
		return nil, err
	}
	if req.UserPhone == "" {
		return nil, opaygate.Invalid("userPhone is required for payMethod BankAccount")
	}
	if _, err := phone(req.UserPhone); err != nil {
		return nil, err
	}
	return accountParams{account: req.BankAccountNumber, bankCode: req.BankCode, phone: req.UserPhone, dob: dob}, nil
}

// calendarDate is year-month-day when it is a calendar date (no 31 February).
func calendarDate(year, month, day int) (time.Time, bool) {
	if year < 1900 || month < 1 || month > 12 || day < 1 || day > 31 {
		return time.Time{}, false
	}
	d := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	return d, d.Year() == year && int(d.Month()) == month && d.Day() == day
}

// Start asks for the OTP the bank "sends" to the customer's phone.
func (BankAccount) Start(_ context.Context, _ opaygate.Network, o *opaygate.Order, params any, now time.Time) (opaygate.Move, error) {
	p, ok := params.(accountParams)
	if !ok {
		return opaygate.Move{}, opaygate.Invalid("bankAccountNumber is required for payMethod BankAccount")
	}
	if y, m, d := now.UTC().Date(); !p.dob.Before(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) {
		return opaygate.Move{}, opaygate.Invalid("dobDay, dobMonth and dobYear must be a real date in the past")
	}
	o.MethodData = map[string]string{
		opaygate.DataIdentifier: p.account,
		"bankAccountNumber":     p.account,
		"bankCode":              p.bankCode,
		"userPhone":             p.phone, // where the OTP goes
	}
	m := opaygate.Wait(opaygate.StepOTP)
	m.SendOTP = true
	return m, nil
}

// Next: a correct OTP goes to the acquirer.
func (BankAccount) Next(_ *opaygate.Order, done opaygate.Step) opaygate.Move {
	if done == opaygate.StepOTP {
		return opaygate.Authorize()
	}
	return opaygate.Move{}
}

// NextAction asks for the OTP.
func (BankAccount) NextAction(o *opaygate.Order, links Links) *opay.NextAction {
	return waiting(o, links)
}
