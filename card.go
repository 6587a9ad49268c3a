package opaygate

import (
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Card is a payment card as the customer typed it, on its way to the
// acquirer. It is never stored and never logged: an order keeps only the
// first six and the last four digits (CardBIN, CardLast4), and a Card prints
// itself masked whatever verb or logger it reaches, so a careless log line
// cannot leak the number or the CVV.
type Card struct {
	HolderName  string
	Number      string // digits only
	CVV         string
	ExpiryMonth int  // 1–12
	ExpiryYear  int  // four digits, e.g. 2031
	Enable3DS   bool // wait for the customer on the 3-D Secure page
	// IssuerSteps lets an NG card whose issuer asks for a PIN or an OTP (by BIN) take those
	// steps instead of 3-D Secure: the hosted checkout's choice (METHODS.md §8.y).
	IssuerSteps bool
	// Token is the card token (METHODS.md §9.3) a card is paid with instead of its number:
	// then Number is empty, and FirstSix and LastFour are what the token keeps of it.
	Token              string
	FirstSix, LastFour string
}

// Card number lengths that ISO/IEC 7812 allows.
const (
	MinCardDigits = 12
	MaxCardDigits = 19
)

// Acquirer codes the gateway assigns to card payments itself.
const (
	CodeExpiredCard    = "54" // the card's expiry date has passed
	ReasonExpiredCard  = "Expired card"
	Code3DSCancelled   = "05" // the cardholder cancelled on the 3-D Secure page
	Reason3DSCancelled = "3-D Secure cancelled by cardholder"
)

// Luhn reports whether number is a run of 12–19 digits whose last digit is
// the Luhn check digit of the others.
func Luhn(number string) bool {
	if len(number) < MinCardDigits || len(number) > MaxCardDigits {
		return false
	}
	sum := 0
	for i := 0; i < len(number); i++ {
		c := number[len(number)-1-i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// ParseExpiry reads an expiry month "MM" (01–12) and year "YY" into a month
// and a four-digit year. Two-digit years are 20YY: cards issued today expire
// within this century.
func ParseExpiry(mm, yy string) (month, year int, ok bool) {
	if len(mm) != 2 || len(yy) != 2 || !Digits(mm) || !Digits(yy) {
		return 0, 0, false
	}
	month = int(mm[0]-'0')*10 + int(mm[1]-'0')
	year = 2000 + int(yy[0]-'0')*10 + int(yy[1]-'0')
	if month < 1 || month > 12 {
		return 0, 0, false
	}
	return month, year, true
}

// Expired reports whether the card's expiry month is over at now. A card is
// valid through the last day of its expiry month; the gateway judges that in
// UTC, which errs by at most a few hours at the month's end.
func (c Card) Expired(now time.Time) bool {
	end := time.Date(c.ExpiryYear, time.Month(c.ExpiryMonth)+1, 1, 0, 0, 0, 0, time.UTC)
	return !now.UTC().Before(end)
}

// BIN returns the first six digits of the number: all that identifies the
// issuer, and half of what the gateway keeps.
func (c Card) BIN() string {
	if c.Token != "" {
		return c.FirstSix
	}
	if len(c.Number) < 6 {
		return ""
	}
	return c.Number[:6]
}

// Last4 returns the last four digits of the number.
func (c Card) Last4() string {
	if c.Token != "" {
		return c.LastFour
	}
	if len(c.Number) < 4 {
		return ""
	}
	return c.Number[len(c.Number)-4:]
}

// Check refuses a card the acquirer could not even be asked about. An expired
// card is not refused here: it is a decline (code 54) that ends the order.
func (c Card) Check() error {
	if c.Token != "" {
		// The token's card was checked when it was created; its CVV is optional (§9.3).
		if c.CVV != "" && !ValidCVV(c.CVV) {
			return Invalid("card cvv is not valid")
		}
		return nil
	}
	switch {
	case !Luhn(c.Number):
		return Invalid("card number is not valid")
	case c.ExpiryMonth < 1 || c.ExpiryMonth > 12 || c.ExpiryYear < 2000 || c.ExpiryYear > 2099:
		return Invalid("card expiry is not valid")
	case !ValidCVV(c.CVV):
		return Invalid("card cvv is not valid")
	}
	return nil
}

// MaskPAN shows a card by what the gateway keeps of it: "411111******1111".
func MaskPAN(bin, last4 string) string {
	if bin == "" && last4 == "" {
		return ""
	}
	return bin + "******" + last4
}

// String prints the card masked.
func (c Card) String() string { return "card " + MaskPAN(c.BIN(), c.Last4()) }

// Format prints the card masked for every verb, including %d, %x and %#v,
// which would otherwise print the fields.
func (c Card) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue logs the card masked.
func (c Card) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON writes the card masked, should one ever be encoded.
func (c Card) MarshalJSON() ([]byte, error) {
	return []byte(`"` + c.String() + `"`), nil
}
