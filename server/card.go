package server

import (
	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/server/internal/validate"
)

// bankCard validates payment/create's bankcard object (spec 4.2) and turns it into a card for
// the acquirer. Messages name the field and the problem, never its value: a card number must
// not travel into an answer or a log. An expired card is not refused here; it fails the order
// with 54.
func bankCard(c *opay.BankCard) (opaygate.Card, error) {
	if c == nil {
		return opaygate.Card{}, invalid("bankcard is required for payMethod BankCard")
	}
	switch {
	case c.CardNumber == "":
		return opaygate.Card{}, invalid("bankcard.cardNumber is required")
	case len(c.CardNumber) < opaygate.MinCardDigits || len(c.CardNumber) > opaygate.MaxCardDigits || !validate.Digits(c.CardNumber):
		return opaygate.Card{}, invalid("bankcard.cardNumber must be %d to %d digits", opaygate.MinCardDigits, opaygate.MaxCardDigits)
	case !opaygate.Luhn(c.CardNumber):
		return opaygate.Card{}, invalid("bankcard.cardNumber is not a valid card number (Luhn check)")
	}
	if c.ExpiryMonth == "" {
		return opaygate.Card{}, invalid("bankcard.expiryMonth is required")
	}
	if c.ExpiryYear == "" {
		return opaygate.Card{}, invalid("bankcard.expiryYear is required")
	}
	month, year, ok := opaygate.ParseExpiry(c.ExpiryMonth, c.ExpiryYear)
	if !ok {
		if _, _, ok := opaygate.ParseExpiry(c.ExpiryMonth, "00"); !ok {
			return opaygate.Card{}, invalid("bankcard.expiryMonth must be MM, 01 to 12")
		}
		return opaygate.Card{}, invalid("bankcard.expiryYear must be YY, two digits")
	}
	switch {
	case c.CVV == "":
		return opaygate.Card{}, invalid("bankcard.cvv is required")
	case (len(c.CVV) != 3 && len(c.CVV) != 4) || !validate.Digits(c.CVV):
		return opaygate.Card{}, invalid("bankcard.cvv must be 3 or 4 digits")
	}
	if err := validate.Text("bankcard.cardHolderName", c.CardHolderName, validate.MaxName, false); err != nil {
		return opaygate.Card{}, err
	}
	return opaygate.Card{HolderName: c.CardHolderName, Number: c.CardNumber, CVV: c.CVV,
		ExpiryMonth: month, ExpiryYear: year, Enable3DS: c.Enable3DS}, nil
}
