package method

import (
	"context"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// BankCard is a card payment (EG, NG). The card is checked (Luhn, expiry, CVV) and only its
// BIN and last four digits are ever stored; an expired card fails at once with 54; with
// 3-D Secure the customer confirms on the gateway's page first; the acquirer decides.
//
//	start → FAIL 54 (expired card)
//	      → PENDING REDIRECT_3DS (enable3DS) → confirmed → acquirer
//	      → acquirer
type BankCard struct{}

var _ Method = BankCard{}

func (BankCard) Name() string                { return opaygate.PayMethodBankCard }
func (BankCard) Function() opaygate.Function { return opaygate.FuncBankCard }
func (BankCard) Countries() []string         { return []string{"EG", "NG"} }
func (BankCard) API() bool                   { return true }
func (BankCard) Hosted() bool                { return true }

// Params reads the bankcard object into an opaygate.Card. Its errors name the field and the
// problem, never its value: a card number must not travel into an answer or a log. An
// expired card is not refused here; it fails the order with 54.
func (BankCard) Params(req *opay.PaymentCreateRequest) (any, error) {
	c := req.BankCard
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
	switch {
	case card.Expired(now):
		return opaygate.Decline(opaygate.CodeExpiredCard, opaygate.ReasonExpiredCard), nil
	case card.Enable3DS:
		return opaygate.Wait(opaygate.Step3DS), nil
	}
	return opaygate.Authorize(), nil
}

// Next: a confirmed 3-D Secure page goes to the acquirer.
func (BankCard) Next(_ *opaygate.Order, done opaygate.Step) opaygate.Move {
	if done == opaygate.Step3DS {
		return opaygate.Authorize()
	}
	return opaygate.Move{}
}

// NextAction sends the customer to the 3-D Secure page.
func (BankCard) NextAction(o *opaygate.Order, links Links) *opay.NextAction { return waiting(o, links) }
