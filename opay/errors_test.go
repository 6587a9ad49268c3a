package opay

import (
	"errors"
	"fmt"
	"testing"
)

func TestAPIError_IsMatchesExactlyItsSentinel(t *testing.T) {
	all := []error{ErrAuthentication, ErrInvalidRequest, ErrNotConfigured, ErrPayMethod,
		ErrDuplicateReference, ErrNotFound, ErrMerchantUnavailable, ErrOrderState, ErrInvalidOTP,
		ErrOTPExpired, ErrRefundExceeds, ErrInvoiceState, ErrServiceUnavailable}
	codes := map[string]error{
		"02000": ErrAuthentication, "02001": ErrInvalidRequest, "02002": ErrNotConfigured,
		"02003": ErrPayMethod, "02004": ErrDuplicateReference, "02006": ErrNotFound,
		"02007": ErrMerchantUnavailable, "02010": ErrOrderState, "02011": ErrInvalidOTP,
		"02012": ErrOTPExpired, "02013": ErrRefundExceeds, "02014": ErrInvoiceState,
		"50003": ErrServiceUnavailable, "09999": nil, "00000": nil,
	}
	for code, want := range codes {
		t.Run(code, func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", &APIError{Endpoint: "cashier/status", Code: code})
			for _, s := range all {
				if got := errors.Is(err, s); got != (s == want) {
					t.Errorf("errors.Is(%s, %q) = %v", code, s, got)
				}
			}
		})
	}
}

func TestAPIError_Error(t *testing.T) {
	e := &APIError{Endpoint: "cashier/status", Code: "02006", Message: "payment not found.", RequestID: "abc"}
	if got, want := e.Error(), "opay: cashier/status: 02006 payment not found. (request id abc)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
