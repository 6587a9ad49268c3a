package server

import (
	"context"
	"net/http"

	"github.com/opaygate/opaygate"
)

// BodiesInFlight reports the bytes of API request bodies s holds now and the most it ever
// held at once, for tests of the bound.
func BodiesInFlight(s *Server) (used, peak int64) { return s.bodies.inFlight() }

// RSASigned mounts s.rsaSigned on h behind s's middleware (request ids, the log line), for
// tests of payout authentication apart from the payout endpoints.
func RSASigned(s *Server, h func(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error)) http.Handler {
	return s.middleware(s.rsaSigned(h))
}
