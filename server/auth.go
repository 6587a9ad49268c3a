package server

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/server/internal/httplog"
)

// timestampWindow is how far a v2 RequestTimestamp may be from the server clock.
const timestampWindow = 300 * time.Second

// endpoint is an API handler after authentication: it decodes and validates body, makes one
// service call and returns the answer's data.
type endpoint func(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error)

// authFailed is a 02000. The body never says which part of the credentials was wrong; reason
// does, for the log line and, in sandbox mode only, the X-Opaygate-Detail header. A reason
// never quotes a key or a signature.
func authFailed(format string, args ...any) error {
	return opaygate.Errorf(opaygate.EUNAUTHENTICATED, format, args...)
}

// signed wraps an endpoint that needs a request signature.
func (s *Server) signed(h endpoint) http.Handler { return s.api(false, h) }

// publicKey wraps an endpoint that accepts the merchant's public key as well (cashier/create).
func (s *Server) publicKey(h endpoint) http.Handler { return s.api(true, h) }

func (s *Server) api(public bool, h endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Who claims to call is known from the headers alone, so a stranger is answered
		// before a byte of its body is read or held.
		send := sendHMAC
		if public {
			send = sendPublicKey
		}
		m, auth, err := s.identify(r, send)
		if err != nil {
			s.refuseUnread(w, r, http.StatusOK, err)
			return
		}
		body, release, ok := s.readBody(w, r)
		if !ok {
			return
		}
		defer release()
		httplog.From(r.Context()).Body = body
		if err := s.authenticate(r, m, body, auth, public); err != nil {
			s.fail(w, r, err)
			return
		}
		data, err := h(r.Context(), m, body)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.ok(w, r, data)
	})
}

// What Authorization must carry, for the reason of a 02000 that lacks it.
const (
	sendHMAC      = "send Bearer and the HMAC-SHA512 of the body"
	sendPublicKey = "send Bearer and the merchant's public key"
)

// identify finds the merchant named by the MerchantId header and returns it with the
// Authorization header, which authenticate then checks against the body (spec section 2).
// send says what Authorization must carry, for the reason given when it is missing.
func (s *Server) identify(r *http.Request, send string) (*opaygate.Merchant, string, error) {
	id := strings.TrimSpace(r.Header.Get("MerchantId"))
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	switch {
	case id == "":
		return nil, "", authFailed("MerchantId header is missing")
	case len(id) > 64:
		return nil, "", authFailed("MerchantId header is longer than 64 characters")
	case auth == "":
		return nil, "", authFailed("Authorization header is missing: %s", send)
	case len(auth) > 1024:
		return nil, "", authFailed("Authorization header is longer than 1024 characters")
	}
	// The claimed id is logged even when authentication fails; it is not a secret.
	httplog.From(r.Context()).Merchant = id
	m, err := s.svc.Merchants.FindMerchant(r.Context(), id)
	if opaygate.ErrorCode(err) == opaygate.ENOTFOUND || opaygate.ErrorCode(err) == opaygate.EINVALID {
		return nil, "", authFailed("MerchantId %s is not a merchant of this gateway", headerValue(id))
	} else if err != nil {
		return nil, "", err
	}
	httplog.From(r.Context()).Known = true
	return m, auth, nil
}

// authenticate checks auth against merchant m and the body: a v1 signature, a v2 timestamped
// signature, or — where public is set — the merchant's public key. A disabled merchant is
// refused only after it proved who it is, so that 02007 tells nothing to a stranger.
func (s *Server) authenticate(r *http.Request, m *opaygate.Merchant, body []byte, auth string, public bool) error {
	if !(public && s.publicKeyMatches(m, auth)) {
		if err := s.checkSignature(r, m, body, auth, public); err != nil {
			return err
		}
	}
	if m.Status == opaygate.MerchantDisabled {
		return opaygate.Errorf(opaygate.EDISABLED, "merchant %s is disabled", m.ID)
	}
	return nil
}

// publicKeyMatches compares in constant time; a merchant without a public key has none to match.
func (s *Server) publicKeyMatches(m *opaygate.Merchant, auth string) bool {
	return m.PublicKey != "" && keyEquals(auth, m.PublicKey)
}

// keyEquals reports whether auth, with or without "Bearer ", is key, in constant time.
func keyEquals(auth, key string) bool {
	if len(auth) >= 7 && strings.EqualFold(auth[:7], "bearer ") {
		auth = strings.TrimSpace(auth[7:])
	}
	return subtle.ConstantTimeCompare([]byte(auth), []byte(key)) == 1
}

// checkSignature accepts a v2 signature when RequestTimestamp is fresh, and a v1 signature
// unless the merchant requires v2. When neither matches it says why, as precisely as can be
// said without quoting a key or the signature.
func (s *Server) checkSignature(r *http.Request, m *opaygate.Merchant, body []byte, auth string, public bool) error {
	if m.PrivateKey == "" {
		// An HMAC under an empty key is one anyone can compute.
		return authFailed("merchant %s has no private key", m.ID)
	}
	ts := strings.TrimSpace(r.Header.Get("RequestTimestamp"))
	stamp, skew, fresh := s.fresh(ts)
	if ts != "" && fresh && opay.VerifyTimestamped(ts, body, auth, m.PrivateKey) {
		return s.firstUse(r.Context(), m, stamp, auth)
	}
	if !m.RequireV2 && opay.Verify(body, auth, m.PrivateKey) {
		return nil
	}
	switch {
	case !public && m.PublicKey != "" && keyEquals(auth, m.PublicKey):
		return authFailed("Authorization carries the public key, which only cashier/create accepts: " +
			"send Bearer and the HMAC-SHA512 of the body under the private key")
	case keyEquals(auth, m.PrivateKey):
		return authFailed("Authorization carries the private key itself: send the HMAC-SHA512 of the body under it, never the key")
	case ts != "" && !fresh && skew == 0:
		return authFailed("RequestTimestamp is not UNIX seconds or milliseconds")
	case ts != "" && !fresh:
		return authFailed("RequestTimestamp is %s from the server clock, outside the window of %s",
			skew.Truncate(time.Second), timestampWindow)
	case m.RequireV2 && ts == "":
		return authFailed("merchant %s requires timestamped (v2) signatures: send RequestTimestamp "+
			"and the HMAC-SHA512 of the timestamp followed by the body", m.ID)
	}
	sig := auth
	if len(sig) >= 6 && strings.EqualFold(sig[:6], "bearer") {
		sig = strings.TrimLeft(sig[6:], " ")
	}
	switch {
	case public && !isHex(sig):
		return authFailed("Authorization is neither merchant %s's public key nor a signature of the body", m.ID)
	case !isHex(sig):
		return authFailed("Authorization is not Bearer and a hex HMAC-SHA512: it has characters that are not hex digits")
	case len(sig) != 128:
		return authFailed("Authorization has %d hex digits; an HMAC-SHA512 has 128", len(sig))
	case ts != "":
		return authFailed("the signature matches neither the timestamped (v2) form nor any accepted form of this body "+
			"(raw bytes, compact, compact with sorted keys) under merchant %s's private key", m.ID)
	}
	return authFailed("the signature matches no accepted form of this body (raw bytes, compact, "+
		"compact with sorted keys) under merchant %s's private key", m.ID)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// fresh reports whether ts, in UNIX seconds or milliseconds, is within the window of the
// wall clock, the instant it names, and how far from the clock it is (0 when ts is not a
// timestamp). Values of 10^12 and above are milliseconds (10^12 s is year 33658). Replay
// protection is about real time, so the sandbox's movable clock does not count here: a client
// stamping requests with its own clock keeps working after the sandbox clock was advanced.
func (s *Server) fresh(ts string) (time.Time, time.Duration, bool) {
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, 0, false
	}
	var t time.Time
	if n >= 1e12 {
		t = time.UnixMilli(n)
	} else {
		t = time.Unix(n, 0)
	}
	d := time.Since(t)
	return t, d.Abs(), d <= timestampWindow && d >= -timestampWindow
}
