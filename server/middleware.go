package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/opaygate/opaygate/opay"
)

// exchange is what the middleware learns about one request while handlers run: enough for the
// one log line per request. It never holds the body, the signature or anything secret.
type exchange struct {
	id       string
	merchant string
	code     string
	status   int
	wrote    bool
	detail   string // why the request was refused (X-Opaygate-Detail)
	warning  string // how a value was read (X-Opaygate-Warning)
}

type exchangeKey struct{}

func exchangeOf(ctx context.Context) *exchange {
	if x, ok := ctx.Value(exchangeKey{}).(*exchange); ok {
		return x
	}
	return &exchange{}
}

// middleware gives every request an id, recovers panics as 50003 and logs one line.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		x := &exchange{id: requestID(r.Header.Get("X-Request-Id"))}
		w.Header().Set("X-Request-Id", x.id)
		w.Header().Set("Content-Type", "application/json")
		r = r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x))

		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "request_id", x.id, "panic", v, "stack", string(debug.Stack()))
				if !x.wrote {
					s.writeStatus(w, r, http.StatusOK, errPanic)
				}
			}
			attrs := []slog.Attr{
				slog.String("request_id", x.id),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("merchant_id", x.merchant),
				slog.String("code", x.code),
				slog.Int("status", x.status),
				slog.Duration("duration", time.Since(start)),
			}
			if x.detail != "" {
				attrs = append(attrs, slog.String("detail", x.detail))
			}
			if x.warning != "" {
				attrs = append(attrs, slog.String("warning", x.warning))
			}
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
		}()
		next.ServeHTTP(w, r)
	})
}

// requestID echoes the client's id when it is short and printable, else makes a new one.
func requestID(client string) string {
	if n := len(client); n > 0 && n <= 128 {
		ok := true
		for i := 0; i < n; i++ {
			if c := client[i]; c <= ' ' || c >= 0x7f {
				ok = false
				break
			}
		}
		if ok {
			return client
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// errPanic is what a recovered panic answers: an internal error that leaks nothing.
var errPanic = &wireError{code: opay.CodeUnavailable, message: messageUnavailable}
