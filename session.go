package opaygate

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
	"unicode/utf8"
)

// Session is a merchant logged in to the dashboard. The browser holds a
// random token; storage keeps only the token's SHA-256, so a copy of the
// database opens no one's dashboard.
type Session struct {
	MerchantID string
	// CSRFToken is a random per-session token that every dashboard form
	// carries back; a cross-site page cannot read it.
	CSRFToken string
	CreatedAt time.Time
	// IdleExpiresAt slides forward while the session is used; ExpiresAt
	// never moves. The session ends at whichever comes first.
	IdleExpiresAt time.Time
	ExpiresAt     time.Time
}

// Expired reports whether the session has ended at now.
func (s *Session) Expired(now time.Time) bool {
	return !now.Before(s.IdleExpiresAt) || !now.Before(s.ExpiresAt)
}

// SessionPolicy says how long sessions live: Idle without a request, and
// Absolute since login whatever happens.
type SessionPolicy struct {
	Idle     time.Duration
	Absolute time.Duration
}

// DefaultSessionPolicy ends a session after 30 minutes without a request,
// and 12 hours after login in any case.
func DefaultSessionPolicy() SessionPolicy {
	return SessionPolicy{Idle: 30 * time.Minute, Absolute: 12 * time.Hour}
}

// Password rules. Long passwords are allowed, but a bound keeps a request
// from making the hash read megabytes.
const (
	MinPasswordLength = 10   // characters
	MaxPasswordLength = 1024 // bytes
)

// ValidatePassword returns the EINVALID error that forbids password, or nil.
func ValidatePassword(password string) error {
	switch {
	case !utf8.ValidString(password):
		return Invalid("the password must be valid UTF-8")
	case len(password) > MaxPasswordLength:
		return Invalid("the password must be at most %d bytes", MaxPasswordLength)
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return Invalid("the password must be at least %d characters", MinPasswordLength)
	}
	return nil
}

// NewSessionToken returns a fresh session token: 256 random bits in
// unpadded base64url, fit for a cookie.
func NewSessionToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// HashSessionToken is what storage keeps of a session token: its SHA-256 in
// hex. The token carries 256 random bits, so no salt or slow hash is needed.
func HashSessionToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// SessionService stores dashboard passwords and sessions.
type SessionService interface {
	// SetPassword stores a memory-hard hash of the merchant's dashboard
	// password and ends every session the merchant has.
	SetPassword(ctx context.Context, merchantID, password string) error

	// VerifyPassword returns nil when password is the merchant's dashboard
	// password. An unknown merchant, a merchant without a password and a
	// wrong password all answer the same EUNAUTHENTICATED, after the same
	// amount of work.
	VerifyPassword(ctx context.Context, merchantID, password string) error

	// CreateSession starts a session of the merchant and returns its token,
	// which is shown to no one but the browser.
	CreateSession(ctx context.Context, merchantID string, p SessionPolicy) (token string, s *Session, err error)

	// FindSession returns the live session behind token and slides its idle
	// expiry by p; a missing or ended session answers ENOTFOUND.
	FindSession(ctx context.Context, token string, p SessionPolicy) (*Session, error)

	// DeleteSession ends the session behind token (logout); ending one that
	// does not exist is not an error.
	DeleteSession(ctx context.Context, token string) error
}
