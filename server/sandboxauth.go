package server

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/opaygate/opaygate"
)

// HeaderSandboxToken carries the sandbox token, for clients that keep Authorization for
// something else. Authorization: Bearer <token> works as well.
const HeaderSandboxToken = "X-Sandbox-Token"

// errSandboxToken is what a /_sandbox/ request without the right token is answered. The detail
// says where the token is, never what it is.
var errSandboxToken = opaygate.Errorf(opaygate.EUNAUTHENTICATED,
	"this sandbox is reachable from the network, so its control API needs the sandbox token "+
		"(Authorization: Bearer <token> or "+HeaderSandboxToken+"; the start-up banner shows a generated one)")

// sandboxAuth lets a /_sandbox/ request through when no token is configured or when it
// presents the token; else it answers 401 with 02000.
func (s *Server) sandboxAuth(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.SandboxToken != "" && !s.sandboxTokenOK(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="opaygate sandbox"`)
			s.writeStatus(w, r, http.StatusUnauthorized, errSandboxToken)
			return
		}
		next(w, r)
	})
}

// sandboxTokenOK reports whether r presents the configured token, compared in constant time
// so that the answer's timing does not tell how much of a guess was right.
func (s *Server) sandboxTokenOK(r *http.Request) bool {
	want := []byte(s.cfg.SandboxToken)
	got := r.Header.Get(HeaderSandboxToken)
	if got == "" {
		auth := r.Header.Get("Authorization")
		if len(auth) > len("Bearer ") && strings.EqualFold(auth[:len("Bearer ")], "Bearer ") {
			got = strings.TrimSpace(auth[len("Bearer "):])
		}
	}
	return len(want) > 0 && subtle.ConstantTimeCompare([]byte(got), want) == 1
}

// sandboxTrusted reports whether r may see how callback deliveries went in detail: their
// network errors, HTTP statuses and durations, which tell whether a host and port answered
// and are what makes the sandbox an oracle of the networks it can reach. The caller holds
// the token, or no token is configured and the request comes straight from this machine: not
// from another host, and not through a proxy or tunnel on this one (which adds forwarding
// headers), since a sandbox listening on loopback can still be reached through those.
func (s *Server) sandboxTrusted(r *http.Request) bool {
	if s.cfg.SandboxToken != "" {
		return s.sandboxTokenOK(r)
	}
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
