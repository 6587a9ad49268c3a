package opaygate

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The rules a request's fields are checked against, in one place: the API, the hosted pages
// and the dashboard all use these, and storage relies on them having been applied.

// Bounds of free-text fields, in characters.
const (
	MaxNameLength = 256  // names, ids, emails, single-line fields
	MaxTextLength = 1024 // descriptions
	MaxURLLength  = 1024
	// MaxReferenceLength bounds a merchant's reference (API.md §4.1).
	MaxReferenceLength = 64
)

// Digits reports whether s is a non-empty run of ASCII digits.
func Digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidCVV reports whether s is a card's CVV: 3 or 4 digits.
func ValidCVV(s string) bool { return (len(s) == 3 || len(s) == 4) && Digits(s) }

// ValidOTP reports whether s has an OTP's shape: OTPLength digits.
func ValidOTP(s string) bool { return len(s) == OTPLength && Digits(s) }

// EgyptianMobile reports whether s is an Egyptian mobile number written nationally: 01 and 9
// more digits. ValU accounts and Egyptian wallets are such numbers.
func EgyptianMobile(s string) bool { return len(s) == 11 && strings.HasPrefix(s, "01") && Digits(s) }

// ValUAccount reports whether s is a ValU account: an Egyptian mobile number.
func ValUAccount(s string) bool { return EgyptianMobile(s) }

// MaskIdentifier shows a customer identifier (a mobile number, a wallet or bank account) by
// its first two and last four characters, the rest as bullets: enough to tell two customers
// apart, not enough to reuse.
func MaskIdentifier(s string) string {
	if len(s) < 8 {
		return s
	}
	return s[:2] + strings.Repeat("•", len(s)-6) + s[len(s)-4:]
}

// Phone reports whether s is a phone number in international form: + and 8 to 15 digits
// (METHODS.md §8.0 accepts any such number, as OPay's samples do).
func Phone(s string) bool { return len(s) >= 9 && len(s) <= 16 && s[0] == '+' && Digits(s[1:]) }

// EmailAddress reports whether s is plausibly an email address, for the customer pages: at
// most MaxNameLength bytes, one @ with something before it and a dotted domain after, and no
// spaces, control characters or the punctuation that only quoted addresses use. It is not
// RFC 5322; the network decides whether mail arrives.
func EmailAddress(s string) bool {
	at := strings.IndexByte(s, '@')
	if at < 1 || len(s) > MaxNameLength || strings.Count(s, "@") != 1 || strings.ContainsAny(s, `"<>()[]\,;:`) {
		return false
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return false
	}
	domain := s[at+1:]
	return strings.Contains(domain, ".") && domain[0] != '.' && domain[len(domain)-1] != '.'
}

// CheckText validates a single-line free-text field of at most max characters: EINVALID
// naming the field when it is missing (and required), too long, or holds control characters.
func CheckText(field, s string, max int, required bool) error {
	return CheckTextLines(field, s, max, required, false)
}

// CheckTextLines is CheckText for a field that may span lines (tabs and line breaks allowed
// when multiline).
func CheckTextLines(field, s string, max int, required, multiline bool) error {
	if s == "" {
		if required {
			return Invalid("%s is required", field)
		}
		return nil
	}
	if utf8.RuneCountInString(s) > max {
		return Invalid("%s must be at most %d characters", field, max)
	}
	bad := func(r rune) bool {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			return false
		}
		return unicode.IsControl(r)
	}
	if strings.IndexFunc(s, bad) >= 0 {
		return Invalid("%s must not contain control characters", field)
	}
	return nil
}

// CheckReference validates a merchant's reference (or an orderNo given in its place): 1–64
// characters, no whitespace or control characters.
func CheckReference(field, ref string) error {
	if ref == "" {
		return Invalid("%s is required", field)
	}
	if utf8.RuneCountInString(ref) > MaxReferenceLength {
		return Invalid("%s must be at most %d characters", field, MaxReferenceLength)
	}
	if strings.IndexFunc(ref, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return Invalid("%s must not contain whitespace or control characters", field)
	}
	return nil
}

// CheckURL validates an absolute http(s) URL of at most MaxURLLength characters.
func CheckURL(field, s string, required bool) error {
	if err := CheckText(field, s, MaxURLLength, required); err != nil || s == "" {
		return err
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(s, " \t") {
		return Invalid("%s must be an absolute http or https URL", field)
	}
	return nil
}
