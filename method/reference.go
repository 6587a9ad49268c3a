package method

import (
	"context"
	"fmt"
	"net/url"
	"strings"
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
	text := fmt.Sprintf("Pay %s at any OPay agent or kiosk with reference code %s", money(o), code)
	if p.merchantName != "" {
		text += " (" + p.merchantName + ")"
	}
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

// The hosted checkout: the customer may give a mobile number to receive the code by SMS, then
// sees the code to pay at a kiosk; the page waits for the payment.

func (ReferenceCode) OnCheckout() bool { return true }
func (ReferenceCode) Refused() string  { return "reference_mobile" }

// Form reads the optional mobile number and email address the code is sent to.
func (ReferenceCode) Form(f url.Values) (any, string) {
	mobile := stripSpaces(f.Get("mobile"))
	if mobile != "" && !opaygate.Phone(mobile) && !opaygate.EgyptianMobile(mobile) {
		return nil, "reference_mobile"
	}
	email := strings.TrimSpace(f.Get("email"))
	if email != "" && !opaygate.EmailAddress(email) {
		return nil, "reference_email"
	}
	return referenceParams{sms: mobile, email: email}, ""
}

// Waiting shows the code; in the sandbox the simulator page stands in for the kiosk.
func (ReferenceCode) Waiting(o *opaygate.Order, links Links) Waiting {
	return Waiting{Identifier: o.MethodData[opaygate.DataReferenceCode], App: simulatePage(o, links)}
}

func (ReferenceCode) Texts() map[string]map[string]string {
	return map[string]map[string]string{
		"EN": {
			"reference.title":        "Pay in cash (reference code)",
			"reference.intro":        "Get a code and pay it in cash at any OPay agent or kiosk before this payment expires.",
			"reference.mobile":       "Mobile number (optional)",
			"reference.mobile.hint":  "We text you the code if you give your number.",
			"reference.email":        "Email (optional)",
			"reference.email.hint":   "We email you the code if you give your address.",
			"reference.continue":     "Get a reference code",
			"reference.wait.title":   "Pay this code at an OPay agent or kiosk",
			"reference.wait.code":    "Reference code",
			"reference.wait.intro":   "Give the code and pay the amount in cash. This page shows the result once the payment arrives.",
			"error.reference_mobile": "Enter a mobile number in international form (+ and 8 to 15 digits), or leave it empty.",
			"error.reference_email":  "Enter an email address such as name@example.com, or leave it empty.",
		},
		"AR": {
			"reference.title":        "الدفع نقدًا (رمز مرجعي)",
			"reference.intro":        "احصل على رمز وادفعه نقدًا لدى أي وكيل أو كشك OPay قبل انتهاء صلاحية عملية الدفع.",
			"reference.mobile":       "رقم الهاتف المحمول (اختياري)",
			"reference.mobile.hint":  "نرسل إليك الرمز في رسالة نصية إذا أدخلت رقمك.",
			"reference.email":        "البريد الإلكتروني (اختياري)",
			"reference.email.hint":   "نرسل إليك الرمز بالبريد الإلكتروني إذا أدخلت عنوانك.",
			"reference.continue":     "الحصول على رمز مرجعي",
			"reference.wait.title":   "ادفع هذا الرمز لدى وكيل أو كشك OPay",
			"reference.wait.code":    "الرمز المرجعي",
			"reference.wait.intro":   "قدّم الرمز وادفع المبلغ نقدًا. تعرض هذه الصفحة النتيجة فور وصول الدفعة.",
			"error.reference_mobile": "أدخل رقم هاتف بالصيغة الدولية (+ ثم 8 إلى 15 رقمًا) أو اتركه فارغًا.",
			"error.reference_email":  "أدخل عنوان بريد إلكتروني مثل name@example.com أو اتركه فارغًا.",
		},
	}
}
