package opay

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"
)

// RetryPolicy says how often and how patiently a call is repeated; which calls may be
// repeated at all is fixed by the endpoint, because only some are safe to repeat:
//
//   - Reads — CashierStatus, QueryRefund, InvoiceDetails, InvoiceStatistics — are retried on
//     transport errors (connection refused or dropped, timeout of an attempt), on HTTP 502, 503
//     and 504 answers without an OPay envelope, and on code 50003.
//
//   - Creates that carry the merchant's reference — CreateCashier, CreatePayment, CreateRefund —
//     are retried on transport errors and on 502/503/504, with the same bytes and so the same
//     reference. If the retry answers 02004 (the reference exists) after an attempt that may
//     have reached the server, the first attempt did: the client fetches that order or refund
//     (cashier/status or refund/query, retried as a read), checks that its amount is the
//     requested one, and returns it as the create's answer. Fields that only the create's
//     answer carries cannot be fetched and are empty then: CashierURL of a cashier order,
//     NextAction of a payment (its Status still says whether it waits). A create answering
//     50003 is not retried: the server saw it and refused it, and whether to try again is the
//     caller's decision.
//
//   - Every other call — ClosePayment, InputInstallmentMonth, InputOTP, ResendOTP,
//     CancelInvoice, CreateInvoice and Do — is retried only when the request certainly never
//     left this process (the connection could not be opened, or broke before the request was
//     written out). Once it may have reached the server it is not repeated: an OTP counts
//     attempts, a resend sends the customer a text, and an invoice has no reference, so a
//     repeated createSingleInvoice would issue (and send) a second invoice.
//
// Waits between attempts grow exponentially from BaseDelay, are capped at MaxDelay, and are
// jittered (each is between half and all of its nominal value) so that many clients do not
// retry in step. The ctx of the call bounds the waits too.
type RetryPolicy struct {
	MaxAttempts int           // attempts in all, the first included; 1 or less means no retry
	BaseDelay   time.Duration // nominal wait before the second attempt
	MaxDelay    time.Duration // cap of the nominal wait
}

// DefaultRetryPolicy makes up to 3 attempts, waiting about 250 ms and then 500 ms.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 3, BaseDelay: 250 * time.Millisecond, MaxDelay: 5 * time.Second}

// NoRetry makes every call a single attempt.
var NoRetry = RetryPolicy{MaxAttempts: 1}

// delay returns the jittered wait after the given attempt (1 = after the first).
func (p RetryPolicy) delay(attempt int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	if p.MaxDelay > 0 && d > p.MaxDelay {
		d = p.MaxDelay
	}
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// wait sleeps before the next attempt, or returns ctx's error when ctx ends first.
func (p RetryPolicy) wait(ctx context.Context, attempt int) error {
	d := p.delay(attempt)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryRule is what an endpoint allows to be retried.
type retryRule int

const (
	retryUnsent retryRule = iota // only requests that never left
	retryCreate                  // also transport failures and gateway 5xx; 02004 handled by the caller
	retryRead                    // also 50003
)

// allows reports whether an attempt that ended with err may be repeated; sent says whether its
// request was written out whole.
func (r retryRule) allows(sent bool, err error) bool {
	if err == nil {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return r == retryRead && ae.Code == CodeUnavailable
	}
	var he *HTTPError
	if errors.As(err, &he) {
		switch he.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return r >= retryCreate
		}
		return false
	}
	// A transport failure: the request may have been processed unless it was never sent.
	return !sent || r >= retryCreate
}
