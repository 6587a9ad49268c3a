// Package validate holds the rules for free-text and numeric fields that the API, the
// customer's pages and the dashboard all apply, so a value one of them accepts the others
// accept too. A refused value is an opaygate EINVALID error whose message names the field.
//
// It imports only the root package: never net/http, storage or the payment network.
package validate

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/opaygate/opaygate"
)

// Bounds of free-text fields, in characters.
const (
	MaxName   = 256  // names, ids, emails, single-line fields
	MaxText   = 1024 // descriptions
	MaxURL    = 1024
	MaxRefLen = 64
)

// Reference validates a merchant's reference: 1–64 characters, no whitespace or control
// characters.
func Reference(field, ref string) error {
	if ref == "" {
		return opaygate.Invalid("%s is required", field)
	}
	if utf8.RuneCountInString(ref) > MaxRefLen {
		return opaygate.Invalid("%s must be at most %d characters", field, MaxRefLen)
	}
	if strings.IndexFunc(ref, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return opaygate.Invalid("%s must not contain whitespace or control characters", field)
	}
	return nil
}

// Text validates a single-line free-text field.
func Text(field, s string, max int, required bool) error {
	return TextLines(field, s, max, required, false)
}

// TextLines validates free text; multiline allows tabs and line breaks.
func TextLines(field, s string, max int, required, multiline bool) error {
	if s == "" {
		if required {
			return opaygate.Invalid("%s is required", field)
		}
		return nil
	}
	if utf8.RuneCountInString(s) > max {
		return opaygate.Invalid("%s must be at most %d characters", field, max)
	}
	bad := func(r rune) bool {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			return false
		}
		return unicode.IsControl(r)
	}
	if strings.IndexFunc(s, bad) >= 0 {
		return opaygate.Invalid("%s must not contain control characters", field)
	}
	return nil
}

// AbsURL validates an absolute http(s) URL.
func AbsURL(field, s string, required bool) error {
	if err := Text(field, s, MaxURL, required); err != nil || s == "" {
		return err
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(s, " \t") {
		return opaygate.Invalid("%s must be an absolute http or https URL", field)
	}
	return nil
}

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

// ValUAccount reports whether s is an Egyptian mobile number as ValU accounts are: 01 and 9
// more digits.
func ValUAccount(s string) bool {
	return len(s) == 11 && s[0] == '0' && s[1] == '1' && Digits(s)
}
