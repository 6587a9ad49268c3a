package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// maxBody bounds every request body (spec section 1).
const maxBody = 1 << 20

// timestampWindow is how far a v2 RequestTimestamp may be from the server clock.
const timestampWindow = 300 * time.Second

// endpoint is an API handler after authentication: it decodes and validates body, makes one
// service call and returns the answer's data.
type endpoint func(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error)

// errAuth never says which part of the credentials was wrong.
var errAuth = opaygate.Errorf(opaygate.EUNAUTHENTICATED, "authentication failed.")

// signed wraps an endpoint that needs a request signature.
func (s *Server) signed(h endpoint) http.Handler { return s.api(false, h) }

// publicKey wraps an endpoint that accepts the merchant's public key as well (cashier/create).
func (s *Server) publicKey(h endpoint) http.Handler { return s.api(true, h) }

func (s *Server) api(public bool, h endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, status, err := readBody(w, r)
		if err != nil {
			s.writeStatus(w, r, status, err)
			return
		}
		m, err := s.authenticate(r, body, public)
		if err != nil {
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

// readBody reads the whole body once, at most maxBody bytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	if r.ContentLength > maxBody {
		return nil, http.StatusRequestEntityTooLarge, invalid("request body is larger than 1 MiB")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, http.StatusRequestEntityTooLarge, invalid("request body is larger than 1 MiB")
	} else if err != nil {
		return nil, http.StatusBadRequest, invalid("request body could not be read")
	}
	return body, http.StatusOK, nil
}

// authenticate finds the merchant named by the MerchantId header and checks Authorization
// against it (spec section 2): a v1 signature, a v2 timestamped signature, or — where public
// is set — the merchant's public key. A disabled merchant is refused only after it proved who
// it is, so that 02007 tells nothing to a stranger.
func (s *Server) authenticate(r *http.Request, body []byte, public bool) (*opaygate.Merchant, error) {
	id := strings.TrimSpace(r.Header.Get("MerchantId"))
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	if id == "" || auth == "" || len(id) > 64 || len(auth) > 1024 {
		return nil, errAuth
	}
	// The claimed id is logged even when authentication fails; it is not a secret.
	exchangeOf(r.Context()).merchant = id
	m, err := s.svc.Merchants.FindMerchant(r.Context(), id)
	if opaygate.ErrorCode(err) == opaygate.ENOTFOUND || opaygate.ErrorCode(err) == opaygate.EINVALID {
		return nil, errAuth
	} else if err != nil {
		return nil, err
	}
	if !(public && s.publicKeyMatches(m, auth)) && !s.signatureMatches(r, m, body, auth) {
		return nil, errAuth
	}
	if m.Status == opaygate.MerchantDisabled {
		return nil, opaygate.Errorf(opaygate.EDISABLED, "merchant not available.")
	}
	return m, nil
}

// publicKeyMatches compares in constant time; a merchant without a public key has none to match.
func (s *Server) publicKeyMatches(m *opaygate.Merchant, auth string) bool {
	if m.PublicKey == "" {
		return false
	}
	if len(auth) >= 7 && strings.EqualFold(auth[:7], "bearer ") {
		auth = strings.TrimSpace(auth[7:])
	}
	return subtle.ConstantTimeCompare([]byte(auth), []byte(m.PublicKey)) == 1
}

// signatureMatches accepts a v2 signature when RequestTimestamp is fresh, and a v1 signature
// unless the merchant requires v2.
func (s *Server) signatureMatches(r *http.Request, m *opaygate.Merchant, body []byte, auth string) bool {
	if m.PrivateKey == "" {
		// An HMAC under an empty key is one anyone can compute.
		return false
	}
	if ts := strings.TrimSpace(r.Header.Get("RequestTimestamp")); ts != "" && s.fresh(ts) &&
		opay.VerifyTimestamped(ts, body, auth, m.PrivateKey) {
		return true
	}
	return !m.RequireV2 && opay.Verify(body, auth, m.PrivateKey)
}

// fresh reports whether ts, in UNIX seconds or milliseconds, is within the window of the
// wall clock. Values of 10^12 and above are milliseconds (10^12 s is year 33658). Replay
// protection is about real time, so the sandbox's movable clock does not count here: a client
// stamping requests with its own clock keeps working after the sandbox clock was advanced.
func (s *Server) fresh(ts string) bool {
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || n <= 0 {
		return false
	}
	var t time.Time
	if n >= 1e12 {
		t = time.UnixMilli(n)
	} else {
		t = time.Unix(n, 0)
	}
	d := time.Since(t)
	return d <= timestampWindow && d >= -timestampWindow
}
