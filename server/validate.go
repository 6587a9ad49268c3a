package server

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// Bounds of free-text fields, in characters.
const (
	maxName = 256 // names, ids, emails, single-line fields
	// maxProductName bounds a productList line's name (METHODS.md §8.y).
	maxProductName = 100
	maxText        = 1024 // descriptions
	maxURL         = 1024
	maxRefLen      = 64
)

// country validates a country code and returns its currency.
func country(field, c string) (string, error) {
	if c == "" {
		return "", invalid("%s is required", field)
	}
	cur := opaygate.CurrencyOf(c)
	if cur == "" {
		return "", invalid("%s must be one of %s", field, strings.Join(opaygate.Countries(), ", "))
	}
	return cur, nil
}

// amount validates a positive amount in the currency of the country.
func amount(field string, a opay.Amount, currency string) error {
	if a.Total <= 0 || a.Total > opaygate.MaxAmount {
		return invalid("%s.total must be a positive integer of at most 10^13", field)
	}
	return amountCurrency(field, a.Currency, currency)
}

func amountCurrency(field, got, want string) error {
	switch {
	case got == "":
		return invalid("%s.currency is required", field)
	case !knownCurrency(got):
		return invalid("%s.currency must be one of EGP, NGN", field)
	case got != want:
		return invalid("%s.currency must be %s for this country", field, want)
	}
	return nil
}

func knownCurrency(c string) bool {
	for _, country := range opaygate.Countries() {
		if opaygate.CurrencyOf(country) == c {
			return true
		}
	}
	return false
}

// reference validates a merchant's reference: 1–64 characters, no whitespace or control
// characters.
func reference(field, ref string) error {
	if ref == "" {
		return invalid("%s is required", field)
	}
	if utf8.RuneCountInString(ref) > maxRefLen {
		return invalid("%s must be at most %d characters", field, maxRefLen)
	}
	if strings.IndexFunc(ref, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return invalid("%s must not contain whitespace or control characters", field)
	}
	return nil
}

// text validates a single-line free-text field.
func text(field, s string, max int, required bool) error {
	return textLines(field, s, max, required, false)
}

// textLines validates free text; multiline allows tabs and line breaks.
func textLines(field, s string, max int, required, multiline bool) error {
	if s == "" {
		if required {
			return invalid("%s is required", field)
		}
		return nil
	}
	if utf8.RuneCountInString(s) > max {
		return invalid("%s must be at most %d characters", field, max)
	}
	bad := func(r rune) bool {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			return false
		}
		return unicode.IsControl(r)
	}
	if strings.IndexFunc(s, bad) >= 0 {
		return invalid("%s must not contain control characters", field)
	}
	return nil
}

// absURL validates an absolute http(s) URL.
func absURL(field, s string, required bool) error {
	if err := text(field, s, maxURL, required); err != nil || s == "" {
		return err
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(s, " \t") {
		return invalid("%s must be an absolute http or https URL", field)
	}
	return nil
}

// digits reports whether s is a non-empty run of ASCII digits.
func digits(s string) bool {
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
