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
// payment network reports the customer's step (in the sandbox: /_sandbox/orders/pay, decline
// or expire), and then the acquirer decides, with the amount triggers and the identifier
// rule. Each method below only says what it asks for and what its nextAction shows.
//
// They are simulated only: a live gateway has no network connector for them and answers
// 02002 (SandboxOnly). Their sections of the hosted checkout, and the simulator page a QR
// code points to, are not built yet; until then the checkout does not offer them.

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

// The hosted checkout does not offer these methods yet: they have no section.
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

// qrPayload is what a sandbox QR code carries. A real network's payload is its own; the
// sandbox's names the order, so a tester can tell which one a code pays.
func qrPayload(o *opaygate.Order) string { return "opaygate-sandbox:pay:" + o.OrderNo }

// MWallet is OPay's mobile-wallet method (EG, METHODS.md §8.3): a request-to-pay goes to the
// customer's wallet and a QR code is shown; approving either pays.
//
//	start → PENDING EXTERNAL (SCAN_QR_CODE) → network reports → acquirer
type MWallet struct{ external }

var _ Method = MWallet{}

func (MWallet) Name() string                { return opaygate.PayMethodMWallet }
func (MWallet) Function() opaygate.Function { return opaygate.FuncMWallet }
func (MWallet) Countries() []string         { return []string{"EG"} }
func (MWallet) Slug() string                { return "mwallet" }

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
func (MWallet) NextAction(o *opaygate.Order, _ Links) *opay.NextAction {
	if !waitingExternally(o) {
		return nil
	}
	return &opay.NextAction{ActionType: opay.ActionScanQR, QRCode: qrPayload(o),
		WalletAccount: o.MethodData["walletAccount"], ExpiredTimestamp: o.ExpireAt.UnixMilli()}
}

// OpayQR is the OPay wallet's QR payment (NG, METHODS.md §8.11): the customer scans the code
// with the OPay app and confirms.
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
func (OpayQR) NextAction(o *opaygate.Order, _ Links) *opay.NextAction {
	if !waitingExternally(o) {
		return nil
	}
	return &opay.NextAction{ActionType: opay.ActionScanQR, QRCode: qrPayload(o), ExpiredTimestamp: o.ExpireAt.UnixMilli()}
}

// BankUSSD is payment by dialling the customer's bank's USSD code (NG, METHODS.md §8.9).
//
//	start → PENDING EXTERNAL (SHOW_USSD) → network reports → acquirer
type BankUSSD struct{ external }

var _ Method = BankUSSD{}

// ussdPrefixes are the banks the sandbox has USSD codes for: bankCode → the code's prefix.
var ussdPrefixes = map[string]string{
	"033": "919", // UBA, OPay's own example
	"058": "737", // GTBank
	"057": "966", // Zenith
	"044": "901", // Access
	"011": "894", // First Bank
	"232": "822", // Sterling
}

func (BankUSSD) Name() string                { return opaygate.PayMethodBankUSSD }
func (BankUSSD) Function() opaygate.Function { return opaygate.FuncBankUSSD }
func (BankUSSD) Countries() []string         { return []string{"NG"} }
func (BankUSSD) Slug() string                { return "ussd" }

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
	prefix, ok := ussdPrefixes[req.BankCode]
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

// NextAction shows the code to dial: *<bank prefix>*000*<last four digits of orderNo>#, the
// form of OPay's example.
func (BankUSSD) NextAction(o *opaygate.Order, _ Links) *opay.NextAction {
	if !waitingExternally(o) || len(o.OrderNo) < 4 {
		return nil
	}
	return &opay.NextAction{ActionType: opay.ActionShowUSSD,
		USSD: "*" + o.MethodData["ussdPrefix"] + "*000*" + o.OrderNo[len(o.OrderNo)-4:] + "#"}
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
