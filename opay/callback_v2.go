package opay

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// CallbackV2Type is the "type" of a v2 callback body (METHODS.md §11).
const CallbackV2Type = "MACQUIRING_CALLBACK"

// CallbackV2 is the body of a v2 callback, with members in OPay's order. Unlike v1, the body
// carries no signature: it is in the RequestTimestamp, Authorization and Signature headers,
// over the exact bytes sent, so verify the raw body (VerifyCallbackV2) before decoding it.
type CallbackV2 struct {
	Amount        CallbackV2Amount `json:"amount"`
	Country       string           `json:"country"`
	FailureCode   string           `json:"failureCode"`   // "" unless FAIL or CLOSE
	FailureReason string           `json:"failureReason"` // "" unless FAIL or CLOSE
	// NotifyID is the same on every delivery attempt of one callback: de-duplicate on it.
	NotifyID  string           `json:"notifyId"`
	OrderNo   string           `json:"orderNo"`
	Reference string           `json:"reference"`
	Status    string           `json:"status"`
	Timestamp int64            `json:"timestamp"` // epoch milliseconds of the status change
	Type      string           `json:"type"`      // CallbackV2Type
	Extras    CallbackV2Extras `json:"extras"`
}

// CallbackV2Amount is a v2 callback's amount: currency first, total a JSON integer of minor
// units (v1 sends strings).
type CallbackV2Amount struct {
	Currency string `json:"currency"`
	Total    int64  `json:"total"`
}

// CallbackV2Extras is the open bag of a v2 callback: {} for a change of the order; for a
// refund's success the order's callback again (status SUCCESS) with the refund's identity; for
// a completed void, voided.
type CallbackV2Extras struct {
	Refunded        bool    `json:"refunded,omitempty"`
	RefundReference string  `json:"refundReference,omitempty"`
	RefundOrderNo   string  `json:"refundOrderNo,omitempty"`
	RefundAmount    *Amount `json:"refundAmount,omitempty"`
	Voided          bool    `json:"voided,omitempty"`
}

// CallbackV2Window is how far VerifyCallbackV2 lets RequestTimestamp be from now, in either
// direction. The gateway stamps every attempt when it sends it, retries included, so only
// clock skew and transit have to fit; the same window as the gateway's for requests.
const CallbackV2Window = 5 * time.Minute

// SignCallbackV2 returns a v2 callback's signature: the lowercase hex HMAC-SHA512, keyed with
// the merchant's private key, of timestamp (the RequestTimestamp header, epoch milliseconds)
// followed by the exact body bytes.
func SignCallbackV2(timestamp string, body []byte, privateKey string) string {
	return hex.EncodeToString(callbackV2MAC(timestamp, body, privateKey))
}

func callbackV2MAC(timestamp string, body []byte, privateKey string) []byte {
	mac := hmac.New(sha512.New, []byte(privateKey))
	io.WriteString(mac, timestamp)
	mac.Write(body)
	return mac.Sum(nil)
}

// VerifyCallbackV2 checks a v2 callback's headers against its raw body: RequestTimestamp must
// be present, epoch milliseconds within CallbackV2Window of now, and the Signature or the
// Authorization header (hex in either case; a "Bearer " prefix is tolerated) the
// HMAC-SHA512 of RequestTimestamp followed by body under privateKey. The error wraps
// ErrCallbackSignature or ErrCallbackTooOld. ParseCallbackRequest does the same and decodes
// the body; use it, or CallbackHandler, unless you decode the body yourself.
func VerifyCallbackV2(header http.Header, body []byte, privateKey string) error {
	return verifyCallbackV2(header, body, privateKey, CallbackV2Window, time.Now)
}

func verifyCallbackV2(header http.Header, body []byte, privateKey string, window time.Duration, now func() time.Time) error {
	ts := strings.TrimSpace(header.Get("RequestTimestamp"))
	if ts == "" {
		return fmt.Errorf("%w: no RequestTimestamp header", ErrCallbackSignature)
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ms <= 0 {
		return fmt.Errorf("%w: RequestTimestamp %q is not epoch milliseconds", ErrCallbackSignature, ts)
	}
	if privateKey == "" {
		return fmt.Errorf("%w: no private key to verify with", ErrCallbackSignature)
	}
	var sigs []string
	for _, name := range []string{"Signature", "Authorization"} {
		if s := strings.TrimSpace(header.Get(name)); s != "" {
			if len(s) > 7 && strings.EqualFold(s[:7], "bearer ") {
				s = strings.TrimSpace(s[7:])
			}
			sigs = append(sigs, s)
		}
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: no Signature or Authorization header", ErrCallbackSignature)
	}
	want := callbackV2MAC(ts, body, privateKey)
	matched := false
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		matched = matched || (err == nil && hmac.Equal(got, want))
	}
	if !matched {
		return ErrCallbackSignature
	}
	// Checked after the signature, so that only a genuine but stale callback (a replay, or a
	// clock off by more than the window) is reported as such.
	if window > 0 {
		if age := now().Sub(time.UnixMilli(ms)); age > window || age < -window {
			return fmt.Errorf("%w: RequestTimestamp %s is %s from now, outside %s", ErrCallbackTooOld, ts, age.Round(time.Second), window)
		}
	}
	return nil
}
