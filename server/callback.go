package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/notify"
	"github.com/opaygate/opaygate/opay"
)

// The sandbox's view of the callback outbox (spec section 7): list callbacks with their
// attempts, and re-send one. Routes and answers are described in sandbox.go.

// sandboxCallback is one callback as the control API shows it: what it announces, the payload
// it sends (without the signature, which is computed when it is sent), where it is in its
// delivery, and every attempt.
type sandboxCallback struct {
	ID             int64                `json:"id"`
	MerchantID     string               `json:"merchantId"`
	OrderNo        string               `json:"orderNo"`
	Reference      string               `json:"reference"`
	Status         string               `json:"status"`
	Refunded       bool                 `json:"refunded"`
	TargetURL      string               `json:"targetUrl"`
	State          string               `json:"state"`
	Attempts       int                  `json:"attempts"`
	NextAttemptAt  string               `json:"nextAttemptAt,omitempty"`
	FirstAttemptAt string               `json:"firstAttemptAt,omitempty"`
	CreatedAt      string               `json:"createdAt"`
	Version        string               `json:"version"` // "v1" or "v2": the format it is sent in
	Payload        opay.CallbackPayload `json:"payload"`
	BodyV2         *opay.CallbackV2     `json:"bodyV2,omitempty"` // the v2 body, for v2 callbacks
	// PayoutPayload is what a payout's notification sends (METHODS.md §10.3); payload then
	// shows the same payout in a payment callback's terms.
	PayoutPayload *opay.PayoutNotificationPayload `json:"payoutPayload,omitempty"`
	History       []sandboxCallbackTry            `json:"history"`
}

type sandboxCallbackTry struct {
	At         string `json:"at"`
	HTTPStatus int    `json:"httpStatus"`
	Error      string `json:"error"`
	DurationMs int64  `json:"durationMs"`
}

func (s *Server) sandboxCallbacks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := opaygate.CallbackFilter{MerchantID: q.Get("merchantId"), OrderNo: q.Get("orderNo"),
		State: opaygate.CallbackState(q.Get("state"))}
	switch f.State {
	case "", opaygate.CallbackPending, opaygate.CallbackDelivered, opaygate.CallbackDead:
	default:
		s.fail(w, r, invalid("state must be pending, delivered or dead"))
		return
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			s.fail(w, r, invalid("limit must be an integer from 1 to 500"))
			return
		}
		f.Limit = n
	}
	list, err := s.svc.Callbacks.ListCallbacks(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	full := s.sandboxTrusted(r)
	out := make([]sandboxCallback, len(list))
	for i, c := range list {
		out[i] = callbackView(c, full)
	}
	s.ok(w, r, out)
}

func (s *Server) sandboxResendCallback(w http.ResponseWriter, r *http.Request) {
	body, status, err := readBody(w, r)
	if err != nil {
		s.writeStatus(w, r, status, err)
		return
	}
	var req struct {
		ID opay.Int64String `json:"id"`
	}
	if err := decode(body, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.ID <= 0 {
		s.fail(w, r, invalid("id must be a positive integer"))
		return
	}
	c, err := s.svc.Callbacks.ResendCallback(r.Context(), int64(req.ID))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.ok(w, r, callbackView(c, s.sandboxTrusted(r)))
}

// attemptHidden replaces the outcome of a failed attempt for a caller who may not see it.
const attemptHidden = "failed (present the sandbox token to see why)"

// callbackView shows c; without full, its attempts keep their time and lose what the network
// answered (error text, HTTP status, duration): see sandboxTrusted.
func callbackView(c *opaygate.Callback, full bool) sandboxCallback {
	v := sandboxCallback{
		ID: c.ID, MerchantID: c.MerchantID, OrderNo: c.OrderNo, Reference: c.Reference,
		Status: string(c.Status), Refunded: c.Refunded, TargetURL: c.TargetURL, State: string(c.State),
		Attempts: c.Attempts, NextAttemptAt: rfc3339(c.NextAttemptAt), FirstAttemptAt: rfc3339(c.FirstAttemptAt),
		CreatedAt: rfc3339(c.CreatedAt), Version: string(c.Version.OrDefault()), Payload: notify.Payload(c),
		History: []sandboxCallbackTry{},
	}
	if c.PayoutID != 0 {
		p := notify.PayoutPayload(c)
		v.PayoutPayload = &p
	}
	if c.Version.OrDefault() == opaygate.CallbackV2 {
		b := notify.PayloadV2(c)
		v.BodyV2 = &b
	}
	if c.State != opaygate.CallbackPending {
		v.NextAttemptAt = ""
	}
	for _, a := range c.History {
		try := sandboxCallbackTry{At: rfc3339(a.At), HTTPStatus: a.HTTPStatus, Error: a.Error,
			DurationMs: a.Duration.Milliseconds()}
		if !full {
			try = sandboxCallbackTry{At: try.At}
			if a.Error != "" {
				try.Error = attemptHidden
			}
		}
		v.History = append(v.History, try)
	}
	return v
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}
