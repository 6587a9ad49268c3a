package method

import (
	"context"
	"net/url"
	"strconv"
	"strings"
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
// On the hosted checkout the customer chooses the bank and types the account number, the BVN,
// the date of birth and the mobile number; the OTP that follows is the checkout's OTP page.
//
//	start → PENDING INPUT_OTP (OTP sent to userPhone) → input-otp → acquirer
type BankAccount struct{}

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

func (BankAccount) OnAPI() bool      { return true }
func (BankAccount) OnCheckout() bool { return true }
func (BankAccount) Refused() string  { return "bankaccount" }

// SandboxHints are the banks to choose from, the sandbox's own list (as USSD's).
func (BankAccount) SandboxHints() any { return ussdBanks }

// Form reads the section: the bank, the 10-digit account number, the BVN, the date of birth
// (YYYY-MM-DD as a date field sends it, or DD/MM/YYYY as typed) and the mobile number in
// international form. Numbers may be typed with spaces. Nothing is echoed back.
func (BankAccount) Form(f url.Values) (any, string) {
	bank := f.Get("bankCode")
	if _, ok := ussdPrefix(bank); !ok {
		return nil, "bankaccount_bank"
	}
	account := stripSpaces(f.Get("accountNumber"))
	if len(account) != 10 || !opaygate.Digits(account) {
		return nil, "bankaccount_number"
	}
	bvn := stripSpaces(f.Get("bvn"))
	if len(bvn) != 11 || !opaygate.Digits(bvn) {
		return nil, "bankaccount_bvn"
	}
	dob, ok := formDate(strings.TrimSpace(f.Get("dob")))
	if !ok {
		return nil, "bankaccount_dob"
	}
	mobile := stripSpaces(f.Get("mobile"))
	if !opaygate.Phone(mobile) {
		return nil, "bankaccount_mobile"
	}
	return accountParams{account: account, bankCode: bank, phone: mobile, dob: dob}, ""
}

// formDate reads a date as a date field sends it (2006-01-02) or as a Nigerian customer types
// it (02/01/2006).
func formDate(s string) (time.Time, bool) {
	var parts []string
	var y, m, d int
	switch {
	case strings.Count(s, "-") == 2:
		parts = strings.Split(s, "-")
		y, m, d = 0, 1, 2
	case strings.Count(s, "/") == 2:
		parts = strings.Split(s, "/")
		y, m, d = 2, 1, 0
	default:
		return time.Time{}, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || !opaygate.Digits(p) {
			return time.Time{}, false
		}
		n[i] = v
	}
	return calendarDate(n[y], n[m], n[d])
}

// OTPSent says where the OTP went: the mobile number the customer gave, masked.
func (BankAccount) OTPSent(o *opaygate.Order) (string, string) {
	return "bankaccount.otp.sent", opaygate.MaskIdentifier(o.MethodData["userPhone"])
}

func (BankAccount) Texts() map[string]map[string]string {
	return map[string]map[string]string{
		"EN": {
			"bankaccount.title":        "Bank account",
			"bankaccount.intro":        "Pay straight from your bank account; your bank confirms it with a code sent to your phone.",
			"bankaccount.bank":         "Bank",
			"bankaccount.bank.choose":  "Choose your bank",
			"bankaccount.number":       "Account number",
			"bankaccount.number.hint":  "10 digits (NUBAN).",
			"bankaccount.bvn":          "BVN",
			"bankaccount.bvn.hint":     "Your 11-digit Bank Verification Number; your bank checks it and we do not keep it.",
			"bankaccount.dob":          "Date of birth",
			"bankaccount.mobile":       "Mobile number",
			"bankaccount.mobile.hint":  "In international form, e.g. +234 803 123 4567. The code goes there.",
			"bankaccount.continue":     "Continue",
			"bankaccount.otp.sent":     "Your bank sent a code by SMS to %s.",
			"error.bankaccount":        "Your bank did not accept these details. Check them and try again.",
			"error.bankaccount_bank":   "Choose your bank.",
			"error.bankaccount_number": "The account number has 10 digits.",
			"error.bankaccount_bvn":    "The BVN has 11 digits.",
			"error.bankaccount_dob":    "Enter your date of birth.",
			"error.bankaccount_mobile": "Enter your mobile number in international form (+ and 8 to 15 digits).",
		},
		"AR": {
			"bankaccount.title":        "حساب بنكي",
			"bankaccount.intro":        "ادفع مباشرة من حسابك البنكي؛ يؤكد البنك العملية برمز يُرسل إلى هاتفك.",
			"bankaccount.bank":         "البنك",
			"bankaccount.bank.choose":  "اختر البنك",
			"bankaccount.number":       "رقم الحساب",
			"bankaccount.number.hint":  "10 أرقام (NUBAN).",
			"bankaccount.bvn":          "رقم التحقق البنكي (BVN)",
			"bankaccount.bvn.hint":     "رقم التحقق البنكي المكون من 11 رقمًا؛ يتحقق منه البنك ولا نحتفظ به.",
			"bankaccount.dob":          "تاريخ الميلاد",
			"bankaccount.mobile":       "رقم الهاتف المحمول",
			"bankaccount.mobile.hint":  "بالصيغة الدولية، مثل ‎+234 803 123 4567. يُرسل الرمز إليه.",
			"bankaccount.continue":     "متابعة",
			"bankaccount.otp.sent":     "أرسل البنك رمزًا في رسالة نصية إلى %s.",
			"error.bankaccount":        "لم يقبل البنك هذه البيانات. تحقق منها وحاول مرة أخرى.",
			"error.bankaccount_bank":   "اختر البنك.",
			"error.bankaccount_number": "يتكون رقم الحساب من 10 أرقام.",
			"error.bankaccount_bvn":    "يتكون رقم التحقق البنكي من 11 رقمًا.",
			"error.bankaccount_dob":    "أدخل تاريخ ميلادك.",
			"error.bankaccount_mobile": "أدخل رقم هاتفك بالصيغة الدولية (+ ثم 8 إلى 15 رقمًا).",
		},
	}
}
