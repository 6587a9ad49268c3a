package method

import (
	"context"
	"net/url"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// BankTransfer is payment by transfer to a virtual account opened for the order (NG,
// METHODS.md §8.8). The account number is 10 digits (a NUBAN's length), unique among open
// orders (storage keeps it so, see opaygate.DataLookup); the network reports the transfer,
// and a transfer of another amount fails the order with 13 (the sandbox's pay control).
//
//	start → PENDING EXTERNAL (TRANSFER_ACCOUNT) → network reports → acquirer
type BankTransfer struct{ external }

var _ Method = BankTransfer{}

// The sandbox's virtual accounts.
const (
	transferAccountDigits = 10
	TransferBankName      = "OPay Sandbox Bank"
	transferNamePrefix    = "OPay-"
)

func (BankTransfer) Name() string                { return opaygate.PayMethodBankTransfer }
func (BankTransfer) Function() opaygate.Function { return opaygate.FuncBankTransfer }
func (BankTransfer) Countries() []string         { return []string{"NG"} }
func (BankTransfer) Slug() string                { return "banktransfer" }

// Params reads customerName and userPhone, both required; userPhone is the customer's
// identifier.
func (BankTransfer) Params(req *opay.PaymentCreateRequest) (any, error) {
	if err := opaygate.CheckText("customerName", req.CustomerName, opaygate.MaxNameLength, true); err != nil {
		return nil, err
	}
	if req.UserPhone == "" {
		return nil, opaygate.Invalid("userPhone is required for payMethod BankTransfer")
	}
	return phone(req.UserPhone)
}

// Start opens the virtual account: a new number each run (storage runs Start again when
// another open order holds the number), named after the merchant.
func (BankTransfer) Start(_ context.Context, _ opaygate.Network, o *opaygate.Order, params any, _ time.Time) (opaygate.Move, error) {
	p, _ := params.(string)
	if p == "" {
		return opaygate.Move{}, opaygate.Invalid("userPhone is required for payMethod BankTransfer")
	}
	account := randomDigits(transferAccountDigits)
	return wait(o, map[string]string{
		opaygate.DataIdentifier:      p,
		opaygate.DataTransferAccount: account,
		opaygate.DataLookup:          opaygate.LookupKey(opaygate.DataTransferAccount, account),
		"transferAccountName":        transferNamePrefix + o.MerchantName,
	}), nil
}

// NextAction shows the account to transfer to and when it closes.
func (BankTransfer) NextAction(o *opaygate.Order, _ Links) *opay.NextAction {
	if !waitingExternally(o) {
		return nil
	}
	return &opay.NextAction{ActionType: opay.ActionTransferAccount,
		TransferAccountNumber: o.MethodData[opaygate.DataTransferAccount],
		TransferAccountName:   o.MethodData["transferAccountName"],
		TransferBankName:      TransferBankName, ExpiredTimestamp: o.ExpireAt.UnixMilli()}
}

// The hosted checkout: the customer gives the mobile number the account is opened for (the
// API's userPhone), then sees the account to transfer the amount to; the page waits for the
// transfer.

func (BankTransfer) OnCheckout() bool { return true }
func (BankTransfer) Refused() string  { return "transfer_mobile" }

// Form reads the mobile number, in international form; it may be typed with spaces.
func (BankTransfer) Form(f url.Values) (any, string) {
	mobile := stripSpaces(f.Get("mobile"))
	if !opaygate.Phone(mobile) {
		return nil, "transfer_mobile"
	}
	return mobile, ""
}

// Waiting shows the account; in the sandbox the simulator page stands in for the customer's
// banking app, and pays the order's exact amount.
func (BankTransfer) Waiting(o *opaygate.Order, links Links) Waiting {
	return Waiting{Identifier: o.MethodData[opaygate.DataTransferAccount], App: simulatePage(o, links),
		Details: map[string]string{"accountName": o.MethodData["transferAccountName"], "bankName": TransferBankName}}
}

func (BankTransfer) Texts() map[string]map[string]string {
	return map[string]map[string]string{
		"EN": {
			"transfer.title":        "Bank transfer",
			"transfer.intro":        "We open an account for this payment; transfer the exact amount to it from any bank app before the payment expires.",
			"transfer.mobile":       "Mobile number",
			"transfer.mobile.hint":  "In international form, e.g. +234 803 123 4567.",
			"transfer.continue":     "Get the account to transfer to",
			"transfer.wait.title":   "Transfer the exact amount to this account",
			"transfer.wait.number":  "Account number",
			"transfer.wait.name":    "Account name",
			"transfer.wait.bank":    "Bank",
			"transfer.wait.intro":   "Send exactly the amount above; another amount fails the payment. This page shows the result once the transfer arrives.",
			"error.transfer_mobile": "Enter your mobile number in international form (+ and 8 to 15 digits).",
		},
		"AR": {
			"transfer.title":        "تحويل بنكي",
			"transfer.intro":        "نفتح حسابًا لهذه العملية؛ حوّل المبلغ بالضبط إليه من أي تطبيق بنكي قبل انتهاء صلاحية الدفع.",
			"transfer.mobile":       "رقم الهاتف المحمول",
			"transfer.mobile.hint":  "بالصيغة الدولية، مثل ‎+234 803 123 4567.",
			"transfer.continue":     "الحصول على الحساب للتحويل إليه",
			"transfer.wait.title":   "حوّل المبلغ بالضبط إلى هذا الحساب",
			"transfer.wait.number":  "رقم الحساب",
			"transfer.wait.name":    "اسم الحساب",
			"transfer.wait.bank":    "البنك",
			"transfer.wait.intro":   "أرسل المبلغ المذكور أعلاه بالضبط؛ أي مبلغ آخر يُفشل عملية الدفع. تعرض هذه الصفحة النتيجة فور وصول التحويل.",
			"error.transfer_mobile": "أدخل رقم هاتفك بالصيغة الدولية (+ ثم 8 إلى 15 رقمًا).",
		},
	}
}
