// Package httplog is the record of one request that server's middleware turns into the one
// log line per request: the middleware puts an Exchange in the request's context, and the
// handlers of every surface (the API, the customer's pages, the dashboard) fill it in.
//
// It is a leaf: it imports nothing of ours, so every HTTP package may use it.
package httplog

import (
	"context"
	"net/http"
)

// Exchange is what the middleware learns about one request while handlers run: enough for the
// one log line per request, which never shows the bodies, and for the request log, which
// stores them only after redacting them (package reqlog). It never holds the signature.
type Exchange struct {
	ID       string
	Merchant string
	Known    bool // Merchant named a merchant of the gateway
	Code     string
	Status   int
	Wrote    bool
	Detail   string // why the request was refused (X-Opaygate-Detail)
	Warning  string // how a value was read (X-Opaygate-Warning)

	Body   []byte // the API request's body, as read
	Answer []byte // the API answer's body, as written
}

type key struct{}

// NewContext returns ctx carrying x.
func NewContext(ctx context.Context, x *Exchange) context.Context {
	return context.WithValue(ctx, key{}, x)
}

// From returns the request's Exchange, or a fresh one nobody logs when the request did not
// come through the middleware (a handler under test).
func From(ctx context.Context) *Exchange {
	if x, ok := ctx.Value(key{}).(*Exchange); ok {
		return x
	}
	return &Exchange{}
}

// Record tells the request log what a handler answered.
func Record(r *http.Request, status int) {
	x := From(r.Context())
	x.Status, x.Wrote = status, true
}
