package server

import (
	"context"
	"net/http"
	"time"

	"github.com/opaygate/opaygate/server/internal/httplog"
)

// healthz answers 200 {"status":"ok"} when storage answers, else 503. It is for load balancers
// and orchestration, so it is not wrapped in the API envelope and needs no credentials.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	status, body := http.StatusOK, `{"status":"ok"}`
	if s.svc.Health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := s.svc.Health(ctx); err != nil {
			s.log.Error("health check failed", "request_id", httplog.From(r.Context()).ID, "err", err)
			status, body = http.StatusServiceUnavailable, `{"status":"unavailable"}`
		}
	}
	httplog.Record(r, status)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
