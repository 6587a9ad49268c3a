package opay

import (
	"errors"
	"fmt"
)

// APIError is every answer whose code is not 00000: OPay (or the gateway) received the request
// and refused it. Compare it with the sentinels below through errors.Is, or read Code:
//
//	_, err := c.CashierStatus(ctx, req)
//	if errors.Is(err, opay.ErrNotFound) { … }
//
// Anything that is not an *APIError (nor an *HTTPError) is a transport failure: the request may
// or may not have been processed.
type APIError struct {
	// Endpoint is the short name of the call, e.g. "cashier/status".
	Endpoint string
	// Code and Message are the envelope's, e.g. "02006" and "payment not found.".
	Code    string
	Message string
	// Detail is what was wrong, in words for a developer: the answer's X-Opaygate-Detail
	// header, e.g. "amount.total must be a positive integer". opaygate sends it (for 02000
	// only in sandbox mode); OPay itself does not, so it is often empty.
	Detail string
	// RequestID is the answer's X-Request-Id header: quote it when asking for help.
	RequestID string
}

func (e *APIError) Error() string {
	s := "opay: " + e.Endpoint + ": " + e.Code + " " + e.Message
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	if e.RequestID != "" {
		s += " (request id " + e.RequestID + ")"
	}
	return s
}

// Is makes errors.Is(err, ErrNotFound) and the like true for the code each sentinel names.
func (e *APIError) Is(target error) bool {
	s, ok := sentinels[e.Code]
	return ok && s == target
}

// Sentinels for errors.Is, one per code of the contract. An *APIError with a code this
// package does not know matches none of them; read its Code.
var (
	ErrAuthentication      = errors.New("opay: authentication failed")                      // 02000
	ErrInvalidRequest      = errors.New("opay: request params not valid")                   // 02001
	ErrNotConfigured       = errors.New("opay: merchant not configured with this function") // 02002
	ErrPayMethod           = errors.New("opay: payMethod not supported")                    // 02003
	ErrDuplicateReference  = errors.New("opay: reference already exists")                   // 02004
	ErrNotFound            = errors.New("opay: not found")                                  // 02006
	ErrMerchantUnavailable = errors.New("opay: merchant not available")                     // 02007
	ErrOrderState          = errors.New("opay: order status does not allow this action")    // 02010
	ErrInvalidOTP          = errors.New("opay: invalid otp")                                // 02011
	ErrOTPExpired          = errors.New("opay: otp expired")                                // 02012
	ErrRefundExceeds       = errors.New("opay: refund exceeds the refundable amount")       // 02013
	ErrInvoiceState        = errors.New("opay: invoice status does not allow this action")  // 02014
	ErrServiceUnavailable  = errors.New("opay: service not available")                      // 50003
	// ErrPayoutNotOpened is a payout path's 02017: the merchant is not enabled for payouts,
	// or for the payoutType.
	ErrPayoutNotOpened = errors.New("opay: the payment method has not been opened yet") // 02017
)

var sentinels = map[string]error{
	CodeAuthFailed:       ErrAuthentication,
	CodeInvalidParams:    ErrInvalidRequest,
	CodeNotConfigured:    ErrNotConfigured,
	CodePayMethod:        ErrPayMethod,
	CodeDuplicate:        ErrDuplicateReference,
	CodeNotFound:         ErrNotFound,
	CodeMerchantDisabled: ErrMerchantUnavailable,
	CodeOrderState:       ErrOrderState,
	CodeOTPInvalid:       ErrInvalidOTP,
	CodeOTPExpired:       ErrOTPExpired,
	CodeRefundExceeds:    ErrRefundExceeds,
	CodeInvoiceState:     ErrInvoiceState,
	CodeUnavailable:      ErrServiceUnavailable,
	CodePayoutNotOpened:  ErrPayoutNotOpened,
}

// HTTPError is an HTTP answer that is not an OPay envelope, such as a proxy's 502 page. The
// request reached something, but maybe not OPay.
type HTTPError struct {
	Endpoint   string
	StatusCode int
	RequestID  string
	// Body is the start of the answer, for diagnosis.
	Body string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("opay: %s: HTTP %d without an OPay answer", e.Endpoint, e.StatusCode)
}
