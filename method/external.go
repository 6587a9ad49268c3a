package method

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// The methods whose customer pays outside the API — scans a QR code, approves a request in a
// wallet app, dials a USSD code — share one step: the order waits at StepExternal until the
// payment network reports the customer's step (in the sandbox: the simulator page, or
// /_sandbox/orders/pay, decline or expire), and then the acquirer decides, with the amount
// triggers and the identifier rule. Each method below only says what it asks for and what its
// nextAction and the checkout's waiting page show.
//
// They are simulated only: a live gateway has no network connector for them and answers
// 02002 (SandboxOnly), and its checkout does not offer them.

// Waiter is a method whose order waits at StepExternal on the hosted checkout. The checkout's
// shared waiting page, which re-reads the order every 5 seconds until it is final, shows the
// method's template "waiting-<Name>" (in Sections) executed with the page's view: .Waiting is
// what Waiting returned, .Order.QRImage the same-origin URL of its QR code as an image. The
// sandbox's simulator page shows its Identifier.
//
// It is not part of Hosted because a method that never waits outside the API (ValU, cards)
// has nothing to say, and a new method that waits but has no Waiting yet still gets the
// shared page: the countdown, the re-reading and, in the sandbox, the simulator link.
type Waiter interface {
	Waiting(o *opaygate.Order, links Links) Waiting
}

// Waiting is what the customer of an order waiting at StepExternal must do, as the hosted
// pages show it.
type Waiting struct {
	// QRCode is the payload the waiting page shows as a QR code ("" for none): the same as
	// the API's nextAction.qrCode, so a page and an API client show one code.
	QRCode string
	// Identifier is what the customer pays with, as the simulator page shows it: the wallet
	// number, the USSD string.
	Identifier string
	// App is where the customer pays outside the checkout — the wallet app, the lender's
	// page — or "". The sandbox's simulator page stands in for it.
	App string
	// HandOff sends the customer to App as soon as the method has started: for the methods
	// whose own page is the only way to pay (Vodafone Cash, Shahry).
	HandOff bool
	// Details is what else the method's template shows, by name (BankTransfer: accountName,
	// bankName).
	Details map[string]string
}

// external is what the external methods share.
type external struct{}

// Next: once the network reports the customer's step, the acquirer decides.
func (external) Next(_ *opaygate.Order, done opaygate.Step) opaygate.Move {
	if done == opaygate.StepExternal {
		return opaygate.Authorize()
	}
	return opaygate.Move{}
}

func (external) OnAPI() bool       { return true }
func (external) OnCheckout() bool  { return false }
func (external) SandboxOnly() bool { return true }

// What a method the hosted checkout does not offer (OpayWalletNgQR: the page has
// OpayWalletNg) answers; the others have their own.
func (external) Form(url.Values) (any, string)       { return nil, "method" }
func (external) Refused() string                     { return "method" }
func (external) Texts() map[string]map[string]string { return nil }
func (external) SandboxHints() any                   { return nil }

// wait starts an external method: the order waits at StepExternal, with the method's data.
func wait(o *opaygate.Order, data map[string]string) opaygate.Move {
	o.MethodData = data
	return opaygate.Wait(opaygate.StepExternal)
}

// waitingExternally reports whether o waits for its customer's step outside the API.
func waitingExternally(o *opaygate.Order) bool {
	return o.Status == opaygate.StatusPending && o.Step == opaygate.StepExternal
}

// simulatePage is the sandbox's stand-in for the app or page where the customer pays: the
// order's simulator page. It is also what a sandbox QR code carries, so that scanning it with
// a phone on the same network opens the screen that approves the payment; a real network's
// payload is its own. Without the page (Links not built) there is none.
func simulatePage(o *opaygate.Order, links Links) string {
	if links.Simulate == nil {
		return ""
	}
	return links.Simulate(o.Token)
}

// mobileForm reads an Egyptian mobile number from field, which may be typed with spaces;
// problem is the message key of a bad one.
func mobileForm(f url.Values, field, problem string) (any, string) {
	n := stripSpaces(f.Get(field))
	if !opaygate.EgyptianMobile(n) {
		return nil, problem
	}
	return n, ""
}

// MWallet is OPay's mobile-wallet method (EG, METHODS.md §8.3): a request-to-pay goes to the
// customer's wallet and a QR code is shown; approving either pays.
//
//	start → PENDING EXTERNAL (SCAN_QR_CODE) → network reports → acquirer
type MWallet struct{ external }

var _ Method = MWallet{}
var _ Waiter = MWallet{}

func (MWallet) Name() string                { return opaygate.PayMethodMWallet }
func (MWallet) Function() opaygate.Function { return opaygate.FuncMWallet }
func (MWallet) Countries() []string         { return []string{"EG"} }
func (MWallet) Slug() string                { return "mwallet" }
func (MWallet) OnCheckout() bool            { return true }

// Params reads walletAccount: an Egyptian mobile number.
func (MWallet) Params(req *opay.PaymentCreateRequest) (any, error) {
	if !opaygate.EgyptianMobile(req.WalletAccount) {
		return nil, opaygate.Invalid("walletAccount must be 01 followed by 9 digits")
	}
	return req.WalletAccount, nil
}

// Start sends the request-to-pay (the sandbox's network records nothing more) and waits.
func (MWallet) Start(_ context.Context, _ opaygate.Network, o *opaygate.Order, params any, _ time.Time) (opaygate.Move, error) {
	wallet, _ := params.(string)
	if !opaygate.EgyptianMobile(wallet) {
		return opaygate.Move{}, opaygate.Invalid("walletAccount must be 01 followed by 9 digits")
	}
	m := wait(o, map[string]string{opaygate.DataIdentifier: wallet, "walletAccount": wallet})
	m.Notices = []opaygate.Notice{{Channel: "WALLET", To: wallet,
		Text: fmt.Sprintf("Request to pay %s for %s", money(o), o.ProductName)}}
	return m, nil
}

// NextAction shows the QR code, the wallet the request went to, and the expiry.
func (MWallet) NextAction(o *opaygate.Order, links Links) *opay.NextAction {
	if !waitingExternally(o) {
		return nil
	}
	return &opay.NextAction{ActionType: opay.ActionScanQR, QRCode: simulatePage(o, links),
		WalletAccount: o.MethodData["walletAccount"], ExpiredTimestamp: o.ExpireAt.UnixMilli()}
}

// The hosted checkout: the customer types the wallet's number; the waiting page shows where
// the request went and the QR code.

// Form reads the wallet number.
func (MWallet) Form(f url.Values) (any, string) { return mobileForm(f, "walletAccount", "wallet") }
func (MWallet) Refused() string                 { return "wallet" }

func (MWallet) Waiting(o *opaygate.Order, links Links) Waiting {
	return Waiting{QRCode: simulatePage(o, links), Identifier: o.MethodData["walletAccount"], App: simulatePage(o, links)}
}

func (MWallet) Texts() map[string]map[string]string {
	return map[string]map[string]string{
		"EN": {
			"mwallet.title":       "Mobile wallet",
			"mwallet.wallet":      "Wallet number",
			"mwallet.wallet.hint": "The mobile number of your wallet: 01 and 9 more digits. We send it a payment request.",
			"mwallet.continue":    "Send the payment request",
			"mwallet.wait.title":  "Approve the payment in your wallet",
			"mwallet.wait.sent":   "We sent a payment request to the wallet",
			"mwallet.wait.scan":   "Approve it in your wallet app, or scan this code with the app.",
			"mwallet.wait.qr":     "QR code to pay with your wallet app",
			"error.wallet":        "Enter the mobile number of your wallet: 01 and 9 more digits.",
		},
		"AR": {
			"mwallet.title":       "المحفظة الإلكترونية",
			"mwallet.wallet":      "رقم المحفظة",
			"mwallet.wallet.hint": "رقم الهاتف المحمول لمحفظتك: ‏01 ثم 9 أرقام. سنرسل إليه طلب دفع.",
			"mwallet.continue":    "إرسال طلب الدفع",
			"mwallet.wait.title":  "وافق على الدفع في محفظتك",
			"mwallet.wait.sent":   "أرسلنا طلب دفع إلى المحفظة",
			"mwallet.wait.scan":   "وافق عليه في تطبيق محفظتك، أو امسح هذا الرمز بالتطبيق.",
			"mwallet.wait.qr":     "رمز QR للدفع بتطبيق محفظتك",
			"error.wallet":        "أدخل رقم الهاتف المحمول لمحفظتك: ‏01 ثم 9 أرقام.",
		},
	}
}

// OpayQR is the OPay wallet's QR payment over the API (NG, METHODS.md §8.11): the customer
// scans the code with the OPay app and confirms. The checkout offers OpayWallet instead.
//
//	start → PENDING EXTERNAL (SCAN_QR_CODE) → network reports → acquirer
type OpayQR struct{ external }

var _ Method = OpayQR{}

func (OpayQR) Name() string                { return opaygate.PayMethodOpayQR }
func (OpayQR) Function() opaygate.Function { return opaygate.FuncOpayWallet }
func (OpayQR) Countries() []string         { return []string{"NG"} }
func (OpayQR) Slug() string                { return "opayqr" }

// Params: the method asks for nothing beyond the common fields (userPhone, when given, is
// the customer's identifier).
func (OpayQR) Params(req *opay.PaymentCreateRequest) (any, error) {
	return phone(req.UserPhone)
}

func (OpayQR) Start(_ context.Context, _ opaygate.Network, o *opaygate.Order, params any, _ time.Time) (opaygate.Move, error) {
	data := map[string]string{}
	if p, _ := params.(string); p != "" {
		data[opaygate.DataIdentifier] = p
	}
	return wait(o, data), nil
}

// NextAction shows the QR code and the expiry.
func (OpayQR) NextAction(o *opaygate.Order, links Links) *opay.NextAction {
	if !waitingExternally(o) {
		return nil
	}
	return &opay.NextAction{ActionType: opay.ActionScanQR, QRCode: simulatePage(o, links), ExpiredTimestamp: o.ExpireAt.UnixMilli()}
}

// OpayWallet is the OPay wallet on the hosted checkout (NG, METHODS.md §8.11, cashier only):
// the page shows a QR code to scan with the OPay app and an "Open OPay app" button; both lead
// to the app (in the sandbox, the simulator page).
//
//	start → PENDING EXTERNAL → network reports → acquirer
type OpayWallet struct{ OpayQR }

var _ Method = OpayWallet{}
var _ Waiter = OpayWallet{}

func (OpayWallet) Name() string     { return opaygate.PayMethodOpayWallet }
func (OpayWallet) Slug() string     { return "opaywallet" }
func (OpayWallet) OnAPI() bool      { return false }
func (OpayWallet) OnCheckout() bool { return true }

// Form: the customer only chooses the method; the app knows who they are.
func (OpayWallet) Form(url.Values) (any, string) { return "", "" }
func (OpayWallet) Refused() string               { return "method" }

func (OpayWallet) Waiting(o *opaygate.Order, links Links) Waiting {
	return Waiting{QRCode: simulatePage(o, links), App: simulatePage(o, links)}
}

func (OpayWallet) Texts() map[string]map[string]string {
	return map[string]map[string]string{
		"EN": {
			"opaywallet.title":      "OPay wallet",
			"opaywallet.intro":      "Pay from your OPay wallet: scan a QR code with the OPay app, or open the app on this phone.",
			"opaywallet.continue":   "Pay with OPay",
			"opaywallet.wait.title": "Pay in the OPay app",
			"opaywallet.wait.scan":  "Scan this code with the OPay app and confirm the payment.",
			"opaywallet.wait.qr":    "QR code to pay with the OPay app",
			"opaywallet.wait.phone": "Paying on this phone?",
			"opaywallet.wait.open":  "Open OPay app",
		},
		"AR": {
			"opaywallet.title":      "محفظة OPay",
			"opaywallet.intro":      "ادفع من محفظة OPay: امسح رمز QR بتطبيق OPay، أو افتح التطبيق على هذا الهاتف.",
			"opaywallet.continue":   "ادفع عبر OPay",
			"opaywallet.wait.title": "ادفع في تطبيق OPay",
			"opaywallet.wait.scan":  "امسح هذا الرمز بتطبيق OPay وأكّد الدفع.",
			"opaywallet.wait.qr":    "رمز QR للدفع بتطبيق OPay",
			"opaywallet.wait.phone": "تدفع من هذا الهاتف؟",
			"opaywallet.wait.open":  "افتح تطبيق OPay",
		},
	}
}

// BankUSSD is payment by dialling the customer's bank's USSD code (NG, METHODS.md §8.9).
//
//	start → PENDING EXTERNAL (SHOW_USSD) → network reports → acquirer
type BankUSSD struct{ external }

var _ Method = BankUSSD{}
var _ Waiter = BankUSSD{}

// ussdBank is a bank the sandbox has a USSD code for.
type ussdBank struct {
	Code   string // bankCode
	Name   string // as the checkout's list shows it
	Prefix string // the USSD code's prefix
}

// ussdBanks are the sandbox's banks, in the order the checkout lists them (by name).
var ussdBanks = []ussdBank{
	{"044", "Access Bank", "901"},
	{"011", "First Bank", "894"},
	{"058", "GTBank", "737"},
	{"232", "Sterling Bank", "822"},
	{"033", "UBA", "919"}, // OPay's own example
	{"057", "Zenith Bank", "966"},
}

// ussdPrefix finds the USSD prefix of a bankCode.
func ussdPrefix(bankCode string) (string, bool) {
	for _, b := range ussdBanks {
		if b.Code == bankCode {
			return b.Prefix, true
		}
	}
	return "", false
}

func (BankUSSD) Name() string                { return opaygate.PayMethodBankUSSD }
func (BankUSSD) Function() opaygate.Function { return opaygate.FuncBankUSSD }
func (BankUSSD) Countries() []string         { return []string{"NG"} }
func (BankUSSD) Slug() string                { return "ussd" }
func (BankUSSD) OnCheckout() bool            { return true }

// ussdParams are what BankUssd reads of a request.
type ussdParams struct {
	prefix string
	phone  string
}

// Params reads bankCode (required, a bank with a USSD code) and userPhone (optional).
func (BankUSSD) Params(req *opay.PaymentCreateRequest) (any, error) {
	if req.BankCode == "" {
		return nil, opaygate.Invalid("bankCode is required for payMethod BankUssd")
	}
	prefix, ok := ussdPrefix(req.BankCode)
	if !ok {
		return nil, opaygate.Invalid("bankCode not supported for USSD")
	}
	p, err := phone(req.UserPhone)
	if err != nil {
		return nil, err
	}
	if err := opaygate.CheckText("customerName", req.CustomerName, 100, false); err != nil {
		return nil, err
	}
	return ussdParams{prefix: prefix, phone: p.(string)}, nil
}

func (BankUSSD) Start(_ context.Context, _ opaygate.Network, o *opaygate.Order, params any, _ time.Time) (opaygate.Move, error) {
	p, ok := params.(ussdParams)
	if !ok {
		return opaygate.Move{}, opaygate.Invalid("bankCode is required for payMethod BankUssd")
	}
	data := map[string]string{"ussdPrefix": p.prefix}
	if p.phone != "" {
		data[opaygate.DataIdentifier] = p.phone
	}
	return wait(o, data), nil
}

// ussdString is the code to dial: *<bank prefix>*000*<last four digits of orderNo>#, the
// form of OPay's example.
func ussdString(o *opaygate.Order) string {
	if len(o.OrderNo) < 4 {
		return ""
	}
	return "*" + o.MethodData["ussdPrefix"] + "*000*" + o.OrderNo[len(o.OrderNo)-4:] + "#"
}

// NextAction shows the code to dial.
func (BankUSSD) NextAction(o *opaygate.Order, _ Links) *opay.NextAction {
	if !waitingExternally(o) || ussdString(o) == "" {
		return nil
	}
	return &opay.NextAction{ActionType: opay.ActionShowUSSD, USSD: ussdString(o)}
}

// The hosted checkout: the customer chooses the bank; the waiting page shows the code to dial.

// Form reads the bank, one of the list the section offers.
func (BankUSSD) Form(f url.Values) (any, string) {
	prefix, ok := ussdPrefix(f.Get("bankCode"))
	if !ok {
		return nil, "ussd_bank"
	}
	return ussdParams{prefix: prefix}, ""
}

func (BankUSSD) Refused() string { return "ussd_bank" }

// SandboxHints are the banks to choose from: the sandbox's own list (a live network would
// bring its own, and the method is simulated only).
func (BankUSSD) SandboxHints() any { return ussdBanks }

func (BankUSSD) Waiting(o *opaygate.Order, links Links) Waiting {
	return Waiting{Identifier: ussdString(o), App: simulatePage(o, links)}
}

func (BankUSSD) Texts() map[string]map[string]string {
	return map[string]map[string]string{
		"EN": {
			"ussd.title":       "USSD",
			"ussd.bank":        "Your bank",
			"ussd.bank.choose": "Choose your bank",
			"ussd.bank.hint":   "You dial a code from the phone number registered with this bank; no internet needed.",
			"ussd.continue":    "Get the code to dial",
			"ussd.wait.title":  "Dial this code on your phone",
			"ussd.wait.intro":  "Dial it from the phone number registered with your bank, then follow the prompts to confirm the payment.",
			"ussd.wait.code":   "Code to dial",
			"error.ussd_bank":  "Choose your bank from the list.",
		},
		"AR": {
			"ussd.title":       "رمز USSD",
			"ussd.bank":        "البنك الذي تتعامل معه",
			"ussd.bank.choose": "اختر البنك",
			"ussd.bank.hint":   "ستطلب رمزًا من رقم الهاتف المسجل لدى هذا البنك، دون الحاجة إلى الإنترنت.",
			"ussd.continue":    "الحصول على الرمز",
			"ussd.wait.title":  "اطلب هذا الرمز من هاتفك",
			"ussd.wait.intro":  "اطلبه من رقم الهاتف المسجل لدى البنك، ثم اتبع التعليمات لتأكيد الدفع.",
			"ussd.wait.code":   "الرمز المطلوب",
			"error.ussd_bank":  "اختر البنك من القائمة.",
		},
	}
}

// VodafoneCash (EG, METHODS.md §8.7, hosted only): the checkout takes the wallet's mobile
// number and hands the customer to Vodafone Cash to approve the payment — in the sandbox, to
// the simulator page, whose outcome is the only one.
//
//	start → PENDING EXTERNAL → the customer approves in the wallet → acquirer
type VodafoneCash struct{ handedOff }

var _ Method = VodafoneCash{}
var _ Waiter = VodafoneCash{}

func (VodafoneCash) Name() string                { return opaygate.PayMethodVodafoneCash }
func (VodafoneCash) Function() opaygate.Function { return opaygate.FuncVodafoneCash }
func (VodafoneCash) Slug() string                { return "vodafonecash" }

func (VodafoneCash) Texts() map[string]map[string]string {
	return mobileTexts(map[string]map[string]string{
		"EN": {
			"vodafonecash.title":       "Vodafone Cash",
			"vodafonecash.mobile":      "Vodafone Cash number",
			"vodafonecash.mobile.hint": "The mobile number of your Vodafone Cash wallet: 01 and 9 more digits.",
			"vodafonecash.continue":    "Continue to Vodafone Cash",
			"vodafonecash.wait.title":  "Approve the payment in Vodafone Cash",
			"vodafonecash.wait.intro":  "Approve the payment request in the Vodafone Cash wallet",
			"vodafonecash.wait.open":   "Open Vodafone Cash",
		},
		"AR": {
			"vodafonecash.title":       "فودافون كاش",
			"vodafonecash.mobile":      "رقم فودافون كاش",
			"vodafonecash.mobile.hint": "رقم الهاتف المحمول لمحفظة فودافون كاش: ‏01 ثم 9 أرقام.",
			"vodafonecash.continue":    "المتابعة إلى فودافون كاش",
			"vodafonecash.wait.title":  "وافق على الدفع في فودافون كاش",
			"vodafonecash.wait.intro":  "وافق على طلب الدفع في محفظة فودافون كاش",
			"vodafonecash.wait.open":   "افتح فودافون كاش",
		},
	})
}

// Shahry (EG, METHODS.md §8.7, hosted only): the checkout takes the mobile number of the
// customer's Shahry account and hands them to Shahry to approve the installment — in the
// sandbox, to the simulator page.
//
//	start → PENDING EXTERNAL → the customer approves the installment → acquirer
type Shahry struct{ handedOff }

var _ Method = Shahry{}
var _ Waiter = Shahry{}

func (Shahry) Name() string                { return opaygate.PayMethodShahry }
func (Shahry) Function() opaygate.Function { return opaygate.FuncShahry }
func (Shahry) Slug() string                { return "shahry" }

func (Shahry) Texts() map[string]map[string]string {
	return mobileTexts(map[string]map[string]string{
		"EN": {
			"shahry.title":       "Shahry installments",
			"shahry.mobile":      "Mobile number of your Shahry account",
			"shahry.mobile.hint": "01 and 9 more digits. Shahry then asks you to approve the installment.",
			"shahry.continue":    "Continue to Shahry",
			"shahry.wait.title":  "Approve the installment with Shahry",
			"shahry.wait.intro":  "Approve the installment on Shahry's page for the account",
			"shahry.wait.open":   "Open Shahry",
		},
		"AR": {
			"shahry.title":       "تقسيط شهري",
			"shahry.mobile":      "رقم الهاتف المحمول لحسابك في شهري",
			"shahry.mobile.hint": "‏01 ثم 9 أرقام. سيطلب منك شهري بعد ذلك الموافقة على التقسيط.",
			"shahry.continue":    "المتابعة إلى شهري",
			"shahry.wait.title":  "وافق على التقسيط مع شهري",
			"shahry.wait.intro":  "وافق على التقسيط في صفحة شهري للحساب",
			"shahry.wait.open":   "افتح شهري",
		},
	})
}

// handedOff is what the hosted-only EG methods share: the checkout takes a mobile number and
// sends the customer to the wallet's or lender's own page, where the payment is approved.
// OPay documents their names only (METHODS.md §8.7), so there are no request fields and no
// nextAction.
type handedOff struct{ external }

func (handedOff) Countries() []string { return []string{"EG"} }
func (handedOff) OnAPI() bool         { return false }
func (handedOff) OnCheckout() bool    { return true }

// Params is never asked (payment/create refuses the method); it refuses, to be safe.
func (handedOff) Params(*opay.PaymentCreateRequest) (any, error) {
	return nil, opaygate.Invalid("payMethod is offered on the hosted checkout only")
}

// Start keeps the mobile number, which is also the identifier of the sandbox's rule.
func (handedOff) Start(_ context.Context, _ opaygate.Network, o *opaygate.Order, params any, _ time.Time) (opaygate.Move, error) {
	mobile, _ := params.(string)
	if !opaygate.EgyptianMobile(mobile) {
		return opaygate.Move{}, opaygate.Invalid("mobile number must be 01 followed by 9 digits")
	}
	return wait(o, map[string]string{opaygate.DataIdentifier: mobile, "mobile": mobile}), nil
}

func (handedOff) NextAction(*opaygate.Order, Links) *opay.NextAction { return nil }

func (handedOff) Form(f url.Values) (any, string) { return mobileForm(f, "mobile", "mobile") }
func (handedOff) Refused() string                 { return "mobile" }

func (handedOff) Waiting(o *opaygate.Order, links Links) Waiting {
	return Waiting{Identifier: o.MethodData["mobile"], App: simulatePage(o, links), HandOff: true}
}

// mobileTexts adds the words the mobile-number methods share to a method's own.
func mobileTexts(texts map[string]map[string]string) map[string]map[string]string {
	texts["EN"]["error.mobile"] = "Enter your mobile number: 01 and 9 more digits."
	texts["AR"]["error.mobile"] = "أدخل رقم هاتفك المحمول: ‏01 ثم 9 أرقام."
	return texts
}

// phone reads an optional userPhone: + and 8 to 15 digits.
func phone(s string) (any, error) {
	if s != "" && !opaygate.Phone(s) {
		return nil, opaygate.Invalid("userPhone must be + and 8 to 15 digits")
	}
	return s, nil
}

// money writes an order's amount as its customer reads it: "EGP 25.00".
func money(o *opaygate.Order) string {
	return fmt.Sprintf("%s %d.%02d", opaygate.CurrencyOf(o.Country), o.Amount/100, o.Amount%100)
}
