package opay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Callback errors, for errors.Is. ParseCallback wraps them with detail.
var (
	// ErrCallbackSignature: the body is not signed with the merchant's private key. Reject it.
	ErrCallbackSignature = errors.New("opay: callback signature does not match")
	// ErrCallbackTooOld: the callback's timestamp is outside the window of WithMaxAge, or a v2
	// callback's RequestTimestamp outside WithRequestWindow's.
	ErrCallbackTooOld = errors.New("opay: callback timestamp outside the accepted window")
	// ErrCallbackMalformed: the body is not a callback at all.
	ErrCallbackMalformed = errors.New("opay: malformed callback")
)

// Notification is a verified callback of either version: an order reached SUCCESS, FAIL or
// CLOSE, or a refund of it succeeded (Refunded). Delivery is at least once, so the same
// notification can arrive more than once; OrderNo, Status and Refunded together identify it (in
// v2, NotifyID alone does).
type Notification struct {
	Version          string      // "v1" or "v2"
	Type             string      // "transaction-status" (v1) or "MACQUIRING_CALLBACK" (v2)
	Reference        string      // the merchant's order reference
	OrderNo          string      // the gateway's order number (v1 payload.transactionId)
	Status           OrderStatus // SUCCESS, FAIL or CLOSE
	Amount           Amount      // in minor units
	Fee              Amount      // v1 only
	Country          string
	Channel          string // "Web" or "API"; v1 only
	InstrumentType   string // the pay method, e.g. "VALU"; v1 only
	DisplayedFailure string // why the order failed, if it did (v2 failureReason)
	FailureCode      string // v2 only
	Refunded         bool
	Timestamp        time.Time // when the status changed
	// NotifyID is v2's id of the callback, the same on every delivery attempt; "" in v1.
	NotifyID string
	// Refund is the refund a v2 refunded callback announces; nil otherwise (v1 does not say
	// which refund it was: ask refund/query).
	Refund *NotificationRefund
	Voided bool // v2: a void completed
	// Payload is a v1 payload exactly as received, for fields not mapped above; zero for v2.
	Payload CallbackPayload
	// V2 is a v2 body exactly as received; nil for v1.
	V2 *CallbackV2
}

// NotificationRefund is the refund whose success a v2 callback announces.
type NotificationRefund struct {
	Reference string // the merchant's refund reference
	OrderNo   string // the gateway's refund number
	Amount    Amount
}

// CallbackOption configures ParseCallback, ParseCallbackRequest and CallbackHandler.
type CallbackOption func(*callbackConfig)

type callbackConfig struct {
	maxAge time.Duration
	window time.Duration
	now    func() time.Time
}

// WithMaxAge rejects callbacks whose timestamp is more than d away from now, in either
// direction, with ErrCallbackTooOld: a replayed old callback then fails even though its
// signature is genuine. The timestamp is when the status changed, and a gateway retries an
// unacknowledged callback with the same body for a long time (opaygate: 72 hours), so a window
// shorter than that turns late deliveries into rejections; de-duplicating on OrderNo+Status is
// the other defence against replays.
func WithMaxAge(d time.Duration) CallbackOption {
	return func(c *callbackConfig) { c.maxAge = d }
}

// WithRequestWindow sets how far a v2 callback's RequestTimestamp may be from now (default
// CallbackV2Window, 5 minutes); a negative d turns the check off. Each delivery attempt is
// stamped when it is sent, so this window, unlike WithMaxAge's, never rejects a late retry:
// widen it only for a clock you cannot keep right. v1 callbacks have no such header.
func WithRequestWindow(d time.Duration) CallbackOption {
	return func(c *callbackConfig) { c.window = d }
}

// WithNow sets the clock WithMaxAge compares with (time.Now by default): the gateway's clock,
// which stamps status changes (opaytest's gw.Now). WithRequestWindow always compares with
// time.Now: the gateway stamps RequestTimestamp with its wall clock, even when a sandbox moves
// its own.
func WithNow(now func() time.Time) CallbackOption {
	return func(c *callbackConfig) { c.now = now }
}

// ParseCallback verifies a v1 callback body with the merchant's private key (the
// HMAC-SHA3-512 of OPay's documented signature string, in the body's "sha512" field) and
// returns it typed. A v2 callback is signed in its headers: ParseCallback refuses it with
// ErrCallbackSignature; use ParseCallbackRequest or CallbackHandler, which take both. The error
// wraps ErrCallbackSignature, ErrCallbackTooOld or ErrCallbackMalformed; never act on a
// callback that did not verify.
func ParseCallback(body []byte, privateKey string, opts ...CallbackOption) (*Notification, error) {
	return ParseCallbackRequest(nil, body, privateKey, opts...)
}

// ParseCallbackRequest verifies a callback of either version and returns it typed: a body whose
// type is MACQUIRING_CALLBACK is v2 and is verified with header (VerifyCallbackV2, within
// WithRequestWindow), any other body is v1 and is verified as ParseCallback does. Pass the
// request's header and its raw body, unchanged. The error wraps ErrCallbackSignature,
// ErrCallbackTooOld or ErrCallbackMalformed.
func ParseCallbackRequest(header http.Header, body []byte, privateKey string, opts ...CallbackOption) (*Notification, error) {
	cfg := callbackConfig{now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.window == 0 {
		cfg.window = CallbackV2Window
	}
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCallbackMalformed, err)
	}
	var n *Notification
	var err error
	if probe.Type == CallbackV2Type {
		n, err = parseCallbackV2(header, body, privateKey, cfg)
	} else {
		n, err = parseCallbackV1(body, privateKey)
	}
	if err != nil {
		return nil, err
	}
	if cfg.maxAge > 0 {
		age := cfg.now().Sub(n.Timestamp)
		if n.Timestamp.IsZero() || age > cfg.maxAge || age < -cfg.maxAge {
			return nil, fmt.Errorf("%w: status changed at %s", ErrCallbackTooOld, n.Timestamp.Format(time.RFC3339))
		}
	}
	return n, nil
}

func parseCallbackV1(body []byte, privateKey string) (*Notification, error) {
	var cb Callback
	if err := json.Unmarshal(body, &cb); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCallbackMalformed, err)
	}
	if cb.SHA512 == "" {
		return nil, fmt.Errorf("%w: no sha512 field", ErrCallbackSignature)
	}
	if privateKey == "" || !VerifyCallbackSignature(cb.Payload, cb.SHA512, privateKey) {
		return nil, ErrCallbackSignature
	}
	p := cb.Payload
	n := &Notification{
		Version: "v1", Type: cb.Type, Reference: p.Reference, OrderNo: p.TransactionID, Status: OrderStatus(p.Status),
		Country: p.Country, Channel: p.Channel, InstrumentType: p.InstrumentType,
		DisplayedFailure: p.DisplayedFailure, Refunded: p.Refunded, Payload: p,
	}
	var err error
	if n.Amount, err = minorUnits("amount", p.Amount, p.Currency); err != nil {
		return nil, err
	}
	if p.Fee != "" {
		if n.Fee, err = minorUnits("fee", p.Fee, p.FeeCurrency); err != nil {
			return nil, err
		}
	}
	if p.Timestamp != "" {
		if n.Timestamp, err = time.Parse(time.RFC3339, p.Timestamp); err != nil {
			return nil, fmt.Errorf("%w: timestamp %q is not RFC 3339", ErrCallbackMalformed, p.Timestamp)
		}
	}
	return n, nil
}

func parseCallbackV2(header http.Header, body []byte, privateKey string, cfg callbackConfig) (*Notification, error) {
	if header == nil {
		return nil, fmt.Errorf("%w: a v2 callback is signed in its headers: use ParseCallbackRequest or CallbackHandler", ErrCallbackSignature)
	}
	if err := verifyCallbackV2(header, body, privateKey, cfg.window, time.Now); err != nil {
		return nil, err
	}
	var cb CallbackV2
	if err := json.Unmarshal(body, &cb); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCallbackMalformed, err)
	}
	n := &Notification{
		Version: "v2", Type: cb.Type, Reference: cb.Reference, OrderNo: cb.OrderNo, Status: OrderStatus(cb.Status),
		Amount: Amount{Total: cb.Amount.Total, Currency: cb.Amount.Currency}, Country: cb.Country,
		DisplayedFailure: cb.FailureReason, FailureCode: cb.FailureCode, Refunded: cb.Extras.Refunded,
		NotifyID: cb.NotifyID, Voided: cb.Extras.Voided, V2: &cb,
	}
	if cb.Timestamp > 0 {
		n.Timestamp = time.UnixMilli(cb.Timestamp).UTC()
	}
	if e := cb.Extras; e.RefundReference != "" || e.RefundOrderNo != "" || e.RefundAmount != nil {
		n.Refund = &NotificationRefund{Reference: e.RefundReference, OrderNo: e.RefundOrderNo}
		if e.RefundAmount != nil {
			n.Refund.Amount = *e.RefundAmount
		}
	}
	return n, nil
}

func minorUnits(field, total, currency string) (Amount, error) {
	v, err := strconv.ParseInt(total, 10, 64)
	if err != nil {
		return Amount{}, fmt.Errorf("%w: %s %q is not an integer of minor units", ErrCallbackMalformed, field, total)
	}
	return Amount{Total: v, Currency: currency}, nil
}

// maxCallback bounds a callback body; real ones are under a kilobyte.
const maxCallback = 64 << 10

// CallbackHandler returns the handler to mount at your callbackUrl. It verifies each callback,
// v1 or v2, with ParseCallbackRequest and calls fn with it; when fn returns nil it answers 200, which
// acknowledges the callback. It answers 401 to a bad signature, 400 to a malformed or (with
// WithMaxAge) stale callback, 405 to anything but POST, and 500 when fn fails — then the
// gateway sends the callback again later, so fn may see a notification more than once and must
// be idempotent. fn runs with the request's context; nothing of fn's error is sent back.
func CallbackHandler(privateKey string, fn func(ctx context.Context, n *Notification) error, opts ...CallbackOption) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallback))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		n, err := ParseCallbackRequest(r.Header, body, privateKey, opts...)
		switch {
		case errors.Is(err, ErrCallbackSignature):
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		case err != nil:
			http.Error(w, "bad callback", http.StatusBadRequest)
			return
		}
		if err := fn(r.Context(), n); err != nil {
			http.Error(w, "not processed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"code":"00000","message":"SUCCESSFUL"}`)
	})
}
