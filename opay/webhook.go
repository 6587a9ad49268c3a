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
	// ErrCallbackTooOld: the callback's timestamp is outside the window of WithMaxAge.
	ErrCallbackTooOld = errors.New("opay: callback timestamp outside the accepted window")
	// ErrCallbackMalformed: the body is not a callback at all.
	ErrCallbackMalformed = errors.New("opay: malformed callback")
)

// Notification is a verified callback: an order reached SUCCESS, FAIL or CLOSE, or a refund of it
// succeeded (Refunded). Delivery is at least once, so the same notification can arrive more than
// once; OrderNo and Status together identify it.
type Notification struct {
	Type             string      // "transaction-status"
	Reference        string      // the merchant's order reference
	OrderNo          string      // the gateway's order number (payload.transactionId)
	Status           OrderStatus // SUCCESS, FAIL or CLOSE
	Amount           Amount      // in minor units
	Fee              Amount
	Country          string
	Channel          string // "Web" or "API"
	InstrumentType   string // the pay method, e.g. "VALU"
	DisplayedFailure string // why the order failed, if it did
	Refunded         bool
	Timestamp        time.Time // when the status changed
	// Payload is the payload exactly as received, for fields not mapped above.
	Payload CallbackPayload
}

// CallbackOption configures ParseCallback and CallbackHandler.
type CallbackOption func(*callbackConfig)

type callbackConfig struct {
	maxAge time.Duration
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

// WithNow sets the clock WithMaxAge compares with (time.Now by default), for tests.
func WithNow(now func() time.Time) CallbackOption {
	return func(c *callbackConfig) { c.now = now }
}

// ParseCallback verifies a callback body with the merchant's private key (the HMAC-SHA3-512 of
// OPay's documented signature string, in the body's "sha512" field) and returns it typed. The
// error wraps ErrCallbackSignature, ErrCallbackTooOld or ErrCallbackMalformed; never act on a
// callback that did not verify.
func ParseCallback(body []byte, privateKey string, opts ...CallbackOption) (*Notification, error) {
	cfg := callbackConfig{now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
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
		Type: cb.Type, Reference: p.Reference, OrderNo: p.TransactionID, Status: OrderStatus(p.Status),
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
	if cfg.maxAge > 0 {
		age := cfg.now().Sub(n.Timestamp)
		if n.Timestamp.IsZero() || age > cfg.maxAge || age < -cfg.maxAge {
			return nil, fmt.Errorf("%w: timestamp %q", ErrCallbackTooOld, p.Timestamp)
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

// CallbackHandler returns the handler to mount at your callbackUrl. It verifies each callback
// with ParseCallback and calls fn with it; when fn returns nil it answers 200, which
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
		n, err := ParseCallback(body, privateKey, opts...)
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
