package method

import (
	"context"
	"fmt"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// ReferenceCode is payment by a code paid in cash at a kiosk or an agent (EG, NG, METHODS.md
// §8.4). The gateway draws a 10-digit code, unique among open reference-code orders (storage
// keeps it so, see opaygate.DataLookup), and the network reports the payment.
//
//	start → PENDING EXTERNAL (SHOW_REFERENCE_CODE) → network reports → acquirer
type ReferenceCode struct{ external }

var _ Method = ReferenceCode{}

// referenceCodeDigits is the length of a reference code.
const referenceCodeDigits = 10

func (ReferenceCode) Name() string                { return opaygate.PayMethodReferenceCode }
func (ReferenceCode) Function() opaygate.Function { return opaygate.FuncReferenceCode }
func (ReferenceCode) Countries() []string         { return []string{"EG", "NG"} }
func (ReferenceCode) Slug() string                { return "referencecode" }

// referenceParams are what ReferenceCode reads of a request.
type referenceParams struct {
	merchantName string
	phone        string // userPhone, the customer's identifier, when given
	sms, email   string // where notify asks the code to be sent, if anywhere
}

// notifyMethods are the ways the code may be sent, and what each needs.
var notifyMethods = map[string]struct{ email, mobile bool }{
	"EMAIL": {email: true},
	"SMS":   {mobile: true},
	"BOTH":  {email: true, mobile: true},
}

// Params reads merchantName (required), the optional notify object, and userPhone (optional).
func (ReferenceCode) Params(req *opay.PaymentCreateRequest) (any, error) {
	if err := opaygate.CheckText("merchantName", req.MerchantName, opaygate.MaxNameLength, true); err != nil {
		return nil, err
	}
	if n := req.Notify; n != nil {
		switch n.NotifyLanguage {
		case "", "English", "Arabic":
		default:
			return nil, opaygate.Invalid("notify.notifyLanguage must be English or Arabic")
		}
		need, ok := notifyMethods[n.NotifyMethod]
		if !ok {
			return nil, opaygate.Invalid("notify.notifyMethod must be EMAIL, SMS or BOTH")
		}
		if err := opaygate.CheckText("notify.notifyUserEmail", n.NotifyUserEmail, opaygate.MaxNameLength, need.email); err != nil {
			return nil, err
		}
		if n.NotifyUserMobile != "" && !opaygate.Phone(n.NotifyUserMobile) && !opaygate.EgyptianMobile(n.NotifyUserMobile) {
			return nil, opaygate.Invalid("notify.notifyUserMobile must be + and 8 to 15 digits")
		}
		if need.mobile && n.NotifyUserMobile == "" {
			return nil, opaygate.Invalid("notify.notifyUserMobile is required with notifyMethod %s", n.NotifyMethod)
		}
		if err := opaygate.CheckText("notify.notifyUserName", n.NotifyUserName, opaygate.MaxNameLength, false); err != nil {
			return nil, err
		}
	}
	p, err := phone(req.UserPhone)
	if err != nil {
		return nil, err
	}
	rp := referenceParams{merchantName: req.MerchantName, phone: p.(string)}
	if n := req.Notify; n != nil {
		if n.NotifyMethod != "EMAIL" {
			rp.sms = n.NotifyUserMobile
		}
		if n.NotifyMethod != "SMS" {
			rp.email = n.NotifyUserEmail
		}
	}
	return rp, nil
}

// Start draws the code and waits for the kiosk's payment. Storage runs Start again when the
// code is held by another open order, so each run draws a new one.
func (ReferenceCode) Start(_ context.Context, _ opaygate.Network, o *opaygate.Order, params any, _ time.Time) (opaygate.Move, error) {
	p, ok := params.(referenceParams)
	if !ok {
		return opaygate.Move{}, opaygate.Invalid("merchantName is required for payMethod ReferenceCode")
	}
	code := randomDigits(referenceCodeDigits)
	data := map[string]string{
		opaygate.DataReferenceCode: code,
		opaygate.DataLookup:        opaygate.LookupKey(opaygate.DataReferenceCode, code),
		"merchantName":             p.merchantName,
	}
	if p.phone != "" {
		data[opaygate.DataIdentifier] = p.phone
	}
	m := wait(o, data)
	// The code "sent" through notify (METHODS.md §8.4); the sandbox records it.
	text := fmt.Sprintf("Pay %s at any OPay agent or kiosk with reference code %s (%s)", money(o), code, p.merchantName)
	if p.sms != "" {
		m.Notices = append(m.Notices, opaygate.Notice{Channel: "SMS", To: p.sms, Text: text})
	}
	if p.email != "" {
		m.Notices = append(m.Notices, opaygate.Notice{Channel: "EMAIL", To: p.email, Text: text})
	}
	return m, nil
}

// NextAction shows the code and when it stops being payable.
func (ReferenceCode) NextAction(o *opaygate.Order, _ Links) *opay.NextAction {
	if !waitingExternally(o) {
		return nil
	}
	return &opay.NextAction{ActionType: opay.ActionReferenceCode,
		ReferenceCode: o.MethodData[opaygate.DataReferenceCode], ExpiredTimestamp: o.ExpireAt.UnixMilli()}
}
