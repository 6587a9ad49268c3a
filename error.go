package opaygate

import (
	"errors"
	"fmt"
)

// Domain error codes. The server maps each to one wire code in one table;
// anything that is not an *Error is internal.
const (
	EINVALID         = "invalid"         // a request field is missing or wrong
	EUNAUTHENTICATED = "unauthenticated" // credentials do not match
	ENOTCONFIGURED   = "not_configured"  // merchant lacks the function or country
	EPAYMETHOD       = "paymethod"       // unknown pay method, or not offered
	EDUPLICATE       = "duplicate"       // reference already used
	ENOTFOUND        = "not_found"       // no such object for this merchant
	EDISABLED        = "disabled"        // merchant disabled
	EINTERNAL        = "internal"        // storage outage or bug
	EORDERSTATE      = "order_state"     // order status forbids the action
	EOTPINVALID      = "otp_invalid"     // wrong OTP
	EOTPEXPIRED      = "otp_expired"     // OTP too old
	EREFUNDEXCEEDS   = "refund_exceeds"  // refund above the refundable amount
	EINVOICESTATE    = "invoice_state"   // invoice status forbids the action
	EBALANCE         = "balance"         // the merchant's cash does not cover a payout
)

// Error is the gateway's one domain error. Message is safe to show to the
// merchant; it never carries a Go error string.
type Error struct {
	Code    string
	Message string
	// Existing describes the object that already holds a reference, for
	// EDUPLICATE, so a client that timed out can recover it.
	Existing *Existing
}

// Existing identifies an object that a duplicate request collided with.
type Existing struct {
	Reference string
	No        string
	Status    string
}

func (e *Error) Error() string { return fmt.Sprintf("opaygate %s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid is shorthand for an EINVALID error naming a field and its problem.
func Invalid(format string, args ...any) *Error { return Errorf(EINVALID, format, args...) }

// ErrorCode returns the code of an *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of an *Error in err's chain, or a generic
// text that leaks nothing of an internal error.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
