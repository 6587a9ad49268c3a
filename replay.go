package opaygate

import (
	"context"
	"time"
)

// ReplayGuard remembers the timestamped (v2) signatures the gateway accepted, so that a
// captured request sent again inside the timestamp window — a wrong OTP that would fail the
// order, a resend-otp that would spend its resends — is refused. v1 signatures carry no
// timestamp, so there is no window in which to remember them.
//
// Storage keeps a hash of each signature, never the signature, and shares what it remembers
// with every node on the database.
type ReplayGuard interface {
	// Seen records that merchantID sent a request whose signature hashes to sigHash, to be
	// remembered until expires, and reports whether it had been recorded already: a replay.
	// Recording and checking are one atomic step, so of two identical requests racing on
	// any nodes exactly one is first.
	Seen(ctx context.Context, merchantID string, sigHash []byte, expires time.Time) (bool, error)
}
