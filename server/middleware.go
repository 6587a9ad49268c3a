package server

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/server/internal/httplog"
)

// middleware gives every request an id, recovers panics as 50003 and logs one line.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		x := &httplog.Exchange{ID: requestID(r.Header.Get("X-Request-Id"))}
		w.Header().Set("X-Request-Id", x.ID)
		w.Header().Set("Content-Type", "application/json")
		r = r.WithContext(httplog.NewContext(r.Context(), x))

		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "request_id", x.ID, "panic", v, "stack", string(debug.Stack()))
				if !x.Wrote {
					s.writeStatus(w, r, http.StatusOK, errPanic)
				}
			}
			attrs := []slog.Attr{
				slog.String("request_id", x.ID),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("merchant_id", x.Merchant),
				slog.String("code", x.Code),
				slog.Int("status", x.Status),
				slog.Duration("duration", time.Since(start)),
			}
			if x.Detail != "" {
				attrs = append(attrs, slog.String("detail", x.Detail))
			}
			if x.Warning != "" {
				attrs = append(attrs, slog.String("warning", x.Warning))
			}
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
			s.recordRequest(r, x, time.Since(start))
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
