package method

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// BankCard is a card payment (EG, NG). The card is checked (Luhn, expiry, CVV) and only its
// BIN and last four digits are ever stored; an expired card fails at once with 54; with
// 3-D Secure the customer confirms on the gateway's page first; without it, an NG card's
// issuer may ask for the PIN, an OTP or both (by BIN, METHODS.md §8.1); the acquirer decides.
//
//	start → FAIL 54 (expired card)
//	      → PENDING REDIRECT_3DS (enable3DS) → confirmed → acquirer
//	      → PENDING INPUT_PIN (NG 506099, 506100) → input-pin → [INPUT_OTP (506099)] → acquirer
//	      → PENDING INPUT_OTP (NG 539983) → input-otp → acquirer
//	      → acquirer
type BankCard struct{}

var _ Method = BankCard{}

func (BankCard) Name() string                { return opaygate.PayMethodBankCard }
func (BankCard) Function() opaygate.Function { return opaygate.FuncBankCard }
func (BankCard) Countries() []string         { return []string{"EG", "NG"} }
func (BankCard) OnAPI() bool                 { return true }
func (BankCard) Voidable() bool              { return true }
func (BankCard) OnCheckout() bool            { return true }

// Params reads the bankcard object into an opaygate.Card. Its errors name the field and the
// problem, never its value: a card number must not travel into an answer or a log. An
// expired card is not refused here; it fails the order with 54.
func (BankCard) Params(req *opay.PaymentCreateRequest) (any, error) {
	c := req.BankCard
	if token := cardToken(req); token != "" {
		return tokenParams(req, token)
	}
	if c == nil {
		return nil, opaygate.Invalid("bankcard is required for payMethod BankCard")
	}
	switch {
	case c.CardNumber == "":
		return nil, opaygate.Invalid("bankcard.cardNumber is required")
	case len(c.CardNumber) < opaygate.MinCardDigits || len(c.CardNumber) > opaygate.MaxCardDigits || !opaygate.Digits(c.CardNumber):
		return nil, opaygate.Invalid("bankcard.cardNumber must be %d to %d digits", opaygate.MinCardDigits, opaygate.MaxCardDigits)
	case !opaygate.Luhn(c.CardNumber):
		return nil, opaygate.Invalid("bankcard.cardNumber is not a valid card number (Luhn check)")
	}
	if c.ExpiryMonth == "" {
		return nil, opaygate.Invalid("bankcard.expiryMonth is required")
	}
	if c.ExpiryYear == "" {
		return nil, opaygate.Invalid("bankcard.expiryYear is required")
	}
	month, year, ok := opaygate.ParseExpiry(c.ExpiryMonth, c.ExpiryYear)
	if !ok {
		if _, _, ok := opaygate.ParseExpiry(c.ExpiryMonth, "00"); !ok {
			return nil, opaygate.Invalid("bankcard.expiryMonth must be MM, 01 to 12")
		}
		return nil, opaygate.Invalid("bankcard.expiryYear must be YY, two digits")
	}
	switch {
	case c.CVV == "":
		return nil, opaygate.Invalid("bankcard.cvv is required")
	case !opaygate.ValidCVV(c.CVV):
		return nil, opaygate.Invalid("bankcard.cvv must be 3 or 4 digits")
	}
	if err := opaygate.CheckText("bankcard.cardHolderName", c.CardHolderName, opaygate.MaxNameLength, false); err != nil {
		return nil, err
	}
	card := opaygate.Card{HolderName: c.CardHolderName, Number: c.CardNumber, CVV: c.CVV,
		ExpiryMonth: month, ExpiryYear: year, Enable3DS: c.Enable3DS}
	if card.Enable3DS && req.ReturnURL == "" {
		// The 3-D Secure page must send its customer back somewhere.
		return nil, opaygate.Invalid("returnUrl is required with bankcard.enable3DS")
	}
	return card, nil
}

// cardToken is the card token a payment names, in bankcard or at the top level (an alias).
func cardToken(req *opay.PaymentCreateRequest) string {
	if c := req.BankCard; c != nil && c.OpayToken != "" {
		return c.OpayToken
	}
	return req.OpayToken
}

// tokenParams reads a payment with a card token (METHODS.md §9.3): no card details beside
// it, an optional CVV, 3-D Secure as asked. The token's card (its kept digits and expiry) is
// the API's to fill in from storage before the payment starts: Params sees no storage.
func tokenParams(req *opay.PaymentCreateRequest, token string) (any, error) {
	card := opaygate.Card{Token: token}
	if c := req.BankCard; c != nil {
		if c.CardNumber != "" || c.ExpiryMonth != "" || c.ExpiryYear != "" {
			return nil, opaygate.Invalid("give either opayToken or card details")
		}
		if c.CVV != "" && !opaygate.ValidCVV(c.CVV) {
			return nil, opaygate.Invalid("bankcard.cvv must be 3 or 4 digits")
		}
		card.CVV, card.Enable3DS = c.CVV, c.Enable3DS
	}
	if !opaygate.ValidCardToken(token) {
		return nil, opaygate.Errorf(opaygate.ENOTFOUND, "token not found.")
	}
	if card.Enable3DS && req.ReturnURL == "" {
		return nil, opaygate.Invalid("returnUrl is required with bankcard.enable3DS")
	}
	return card, nil
}

// Start keeps the card's BIN and last four on the order and decides the first move.
func (BankCard) Start(_ context.Context, _ opaygate.Network, o *opaygate.Order, params any, now time.Time) (opaygate.Move, error) {
	card, ok := params.(opaygate.Card)
	if !ok {
		return opaygate.Move{}, opaygate.Invalid("bankcard is required for payMethod BankCard")
	}
	if err := card.Check(); err != nil {
		return opaygate.Move{}, err
	}
	o.CardBIN, o.CardLast4 = card.BIN(), card.Last4()
	if card.Token != "" {
		o.MethodData = map[string]string{"opayToken": card.Token}
	}
	issuerSteps := o.Country == "NG" && (o.CardBIN == BINPinOTP || o.CardBIN == BINPin || o.CardBIN == BINOTP)
	switch {
	case card.Expired(now):
		return opaygate.Decline(opaygate.CodeExpiredCard, opaygate.ReasonExpiredCard), nil
	case card.Enable3DS && !(card.IssuerSteps && issuerSteps):
		return opaygate.Wait(opaygate.Step3DS), nil
	case issuerSteps && o.CardBIN == BINOTP:
		return sendOTP(), nil
	case issuerSteps:
		return opaygate.Wait(opaygate.StepPIN), nil
	}
	return opaygate.Authorize(), nil
}

// The BINs whose issuer asks an NG card for a PIN, an OTP or both (METHODS.md §8.1); the
// sandbox's test cards are 5060 9900 0001 0106, 5061 0000 0001 0103 and 5399 8300 0000 0016.
const (
	BINPinOTP = "506099" // INPUT_PIN, then INPUT_OTP
	BINPin    = "506100" // INPUT_PIN only
	BINOTP    = "539983" // INPUT_OTP only
)

// sendOTP waits for an OTP it sends.
func sendOTP() opaygate.Move {
	m := opaygate.Wait(opaygate.StepOTP)
	m.SendOTP = true
	return m
}

// Next: a confirmed 3-D Secure page, a correct OTP, or a correct PIN of a card that asks for
// no OTP goes to the acquirer; a correct PIN of a card that asks for both sends the OTP.
func (BankCard) Next(o *opaygate.Order, done opaygate.Step) opaygate.Move {
	switch done {
	case opaygate.StepPIN:
		if o.CardBIN == BINPinOTP {
			return sendOTP()
		}
		return opaygate.Authorize()
	case opaygate.Step3DS, opaygate.StepOTP:
		return opaygate.Authorize()
	}
	return opaygate.Move{}
}

// NextAction sends the customer to the 3-D Secure page, or asks for the PIN or the OTP.
func (BankCard) NextAction(o *opaygate.Order, links Links) *opay.NextAction { return waiting(o, links) }

// The hosted checkout: the customer types the card, and the page asks for 3-D Secure, so the
// next page is the confirmation, except for an NG card whose issuer asks for a PIN or an OTP:
// the checkout's own PIN and OTP pages take those steps instead (METHODS.md §8.y). An expired
// card fails the order at once (54), as over the API.

func (BankCard) Slug() string    { return "card" }
func (BankCard) Refused() string { return "card_number" }

// Form reads the card form. The number may be typed with spaces or dashes; the expiry as
// MM/YY or MMYY. No field is ever echoed back: a refused card leaves the form empty.
func (BankCard) Form(f url.Values) (any, string) {
	number := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, f.Get("cardNumber"))
	if !opaygate.Luhn(number) {
		return nil, "card_number"
	}
	exp := stripSpaces(f.Get("expiry"))
	mm, yy, ok := strings.Cut(exp, "/")
	if !ok && len(exp) == 4 {
		mm, yy = exp[:2], exp[2:]
	}
	month, year, ok := opaygate.ParseExpiry(mm, yy)
	if !ok {
		return nil, "card_expiry"
	}
	cvv := stripSpaces(f.Get("cvv"))
	if !opaygate.ValidCVV(cvv) {
		return nil, "card_cvv"
	}
	name := strings.TrimSpace(f.Get("cardHolderName"))
	if opaygate.CheckText("cardHolderName", name, opaygate.MaxNameLength, false) != nil {
		return nil, "card_name"
	}
	return opaygate.Card{HolderName: name, Number: number, CVV: cvv, ExpiryMonth: month, ExpiryYear: year,
		Enable3DS: true, IssuerSteps: true}, ""
}

// TestCard is a documented sandbox test card: approved, or declined with Code.
type TestCard struct {
	Number string
	Code   string // "" when approved
}

// TestCards are the sandbox's test cards, shown on the card section in the sandbox. They are
// the simulator's (a test checks it); this package may not import the simulator.
var TestCards = []TestCard{
	{"4111 1111 1111 1111", ""},
	{"4000 0000 0080 0005", "05"},
	{"4000 0000 0080 0013", "13"},
	{"4000 0000 0000 0051", "51"},
	{"4000 0000 0080 0054", "54"},
	{"4000 0000 0020 0057", "57"},
	{"4000 0000 0080 0062", "62"},
}

// IssuerCard is a sandbox NG card whose issuer asks for a PIN, an OTP or both (by its BIN);
// Steps is the key of the words that say which.
type IssuerCard struct{ Number, Steps string }

// IssuerCards are listed on an NG order's card section in the sandbox: the checkout takes
// their issuer's steps instead of 3-D Secure.
var IssuerCards = []IssuerCard{
	{"5060 9900 0001 0106", "card.test.pinotp"},
	{"5061 0000 0001 0103", "card.test.pin"},
	{"5399 8300 0000 0016", "card.test.otp"},
}

// SandboxPIN is the PIN the sandbox's issuers accept: the simulator's (a test checks it). The
// checkout's PIN page shows it in the sandbox, as the OTP page shows the OTP.
const SandboxPIN = "1234"

// CardHints are what the card section shows in the sandbox: the test cards, and for an NG
// order the issuer cards.
type CardHints struct {
	Cards  []TestCard
	Issuer []IssuerCard
	PIN    string
}

func (BankCard) SandboxHints() any {
	return CardHints{Cards: TestCards, Issuer: IssuerCards, PIN: SandboxPIN}
}

// OTPSent says where an NG card's OTP went: the mobile number the issuer has for the card.
func (BankCard) OTPSent(o *opaygate.Order) (string, string) {
	return "card.otp.sent", "•••• " + o.CardLast4
}

func (BankCard) Texts() map[string]map[string]string {
	return map[string]map[string]string{
		"EN": {
			"card.title":         "Card",
			"card.number":        "Card number",
			"card.expiry":        "Expiry date",
			"card.expiry.hint":   "MM/YY, as printed on the card",
			"card.cvv":           "CVV",
			"card.cvv.hint":      "3 or 4 digits on the back",
			"card.name":          "Name on card (optional)",
			"card.pay":           "Pay %s by card",
			"card.test.title":    "Sandbox test cards",
			"card.test.intro":    "Use any future expiry date and any 3-digit CVV. A past expiry date is declined with 54.",
			"card.test.number":   "Card number",
			"card.test.outcome":  "Result",
			"card.test.approved": "Approved",
			"card.test.declined": "Declined, code %s",
			"card.test.pinotp":   "Nigeria: approved after the PIN and an OTP",
			"card.test.pin":      "Nigeria: approved after the PIN",
			"card.test.otp":      "Nigeria: approved after an OTP",
			"card.test.pinhint":  "The PIN of these cards is %s.",
			"card.otp.sent":      "Your bank sent a code by SMS to the mobile number it has for card %s.",
			"error.card_number":  "Check the card number.",
			"error.card_expiry":  "Enter the expiry date as MM/YY.",
			"error.card_cvv":     "The security code has 3 or 4 digits.",
			"error.card_name":    "The name on the card is too long.",
		},
		"AR": {
			"card.title":         "بطاقة",
			"card.number":        "رقم البطاقة",
			"card.expiry":        "تاريخ الانتهاء",
			"card.expiry.hint":   "شهر/سنة (MM/YY) كما هو مطبوع على البطاقة",
			"card.cvv":           "رمز CVV",
			"card.cvv.hint":      "3 أو 4 أرقام على ظهر البطاقة",
			"card.name":          "الاسم على البطاقة (اختياري)",
			"card.pay":           "ادفع %s بالبطاقة",
			"card.test.title":    "بطاقات الاختبار التجريبية",
			"card.test.intro":    "استخدم أي تاريخ انتهاء مستقبلي وأي رمز أمان من 3 أرقام. تاريخ انتهاء سابق يُرفض بالرمز 54.",
			"card.test.number":   "رقم البطاقة",
			"card.test.outcome":  "النتيجة",
			"card.test.approved": "مقبولة",
			"card.test.declined": "مرفوضة، الرمز %s",
			"card.test.pinotp":   "نيجيريا: مقبولة بعد الرقم السري ورمز لمرة واحدة",
			"card.test.pin":      "نيجيريا: مقبولة بعد الرقم السري",
			"card.test.otp":      "نيجيريا: مقبولة بعد رمز لمرة واحدة",
			"card.test.pinhint":  "الرقم السري لهذه البطاقات هو %s.",
			"card.otp.sent":      "أرسل البنك رمزًا في رسالة نصية إلى رقم الهاتف المحمول المسجل للبطاقة %s.",
			"error.card_number":  "تحقق من رقم البطاقة.",
			"error.card_expiry":  "أدخل تاريخ الانتهاء بصيغة MM/YY.",
			"error.card_cvv":     "يتكون رمز الأمان من 3 أو 4 أرقام.",
			"error.card_name":    "الاسم على البطاقة طويل جدًا.",
		},
	}
}
