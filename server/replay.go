package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/opaygate/opaygate"
)

// replayMargin keeps a signature remembered a little past its window, for nodes whose clocks
// differ: one that runs behind would still find the request fresh when another, ahead, has
// already forgotten it.
const replayMargin = time.Minute

// firstUse refuses a v2 request whose signature was accepted before, on any node: an exact
// replay inside the window (a captured wrong OTP sent again would fail the order, a captured
// resend-otp would spend its resends). v1 signatures have no timestamp, hence no window, and
// are never refused this way. The guard keeps a hash of the signature's bytes, so hex case and
// the Bearer prefix, which the signature check ignores, cannot make a replay look new.
func (s *Server) firstUse(ctx context.Context, m *opaygate.Merchant, stamp time.Time, auth string) error {
	if s.svc.Replay == nil {
		return nil
	}
	sig, ok := signatureBytes(auth)
	if !ok {
		// Only a verified signature gets here, and it parsed there.
		return authFailed("Authorization is not a hex HMAC-SHA512")
	}
	h := sha256.Sum256(sig)
	seen, err := s.svc.Replay.Seen(ctx, m.ID, h[:], stamp.Add(timestampWindow+replayMargin))
	if err != nil {
		return err
	}
	if seen {
		return authFailed("this timestamped request was already received: sign every request with a new RequestTimestamp")
	}
	return nil
}

// signatureBytes decodes an Authorization value as the signature check reads it: an optional
// "Bearer" in any case, then hex in either case.
func signatureBytes(auth string) ([]byte, bool) {
	if len(auth) >= 6 && strings.EqualFold(auth[:6], "bearer") {
		auth = strings.TrimLeft(auth[6:], " ")
	}
	b, err := hex.DecodeString(auth)
	return b, err == nil
}
