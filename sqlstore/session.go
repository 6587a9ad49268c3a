package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/opaygate/opaygate"
)

// SessionService stores dashboard passwords (argon2id hashes in
// merchants.password_hash) and sessions (dashboard_sessions).
type SessionService struct {
	db    *DB
	clock opaygate.Clock
	// hashing bounds the argon2id computations running at once: each holds
	// its memory cost (19 MiB) for tens of milliseconds, and a burst of
	// logins must not add up to an out-of-memory kill.
	hashing chan struct{}

	dummyOnce sync.Once
	dummy     string
}

var _ opaygate.SessionService = (*SessionService)(nil)

// NewSessionService returns the dashboard's password and session storage on
// db. A nil clock reads the wall clock.
func NewSessionService(db *DB, clock opaygate.Clock) *SessionService {
	if clock == nil {
		clock = opaygate.SystemClock{}
	}
	return &SessionService{db: db, clock: clock,
		hashing: make(chan struct{}, max(2, min(runtime.GOMAXPROCS(0), 8)))}
}

// argon2id parameters for new hashes: OWASP's first recommendation
// (19 MiB, two passes, one lane). They are encoded in every hash, so
// raising them later keeps old hashes verifiable.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Bounds on the parameters a stored hash may ask for, so that a corrupted
// row cannot make one login take gigabytes or minutes.
const (
	maxArgonMemory  = 256 * 1024
	maxArgonTime    = 16
	maxArgonThreads = 16
)

var errBadCredentials = opaygate.Errorf(opaygate.EUNAUTHENTICATED, "merchant id or password is wrong")

func errSessionNotFound() error { return opaygate.Errorf(opaygate.ENOTFOUND, "session not found.") }

// SetPassword stores the hash of the merchant's dashboard password and ends
// every session it has, so a changed password locks out whoever knew the
// old one.
func (s *SessionService) SetPassword(ctx context.Context, merchantID, password string) error {
	if err := opaygate.ValidatePassword(password); err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	return s.db.update(ctx, s.clock, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE merchants SET password_hash = ?, updated_at = ? WHERE id = ?`,
			hash, ms(now), merchantID)
		if err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return opaygate.Errorf(opaygate.ENOTFOUND, "merchant not found.")
		}
		if _, err := tx.exec(ctx, `DELETE FROM dashboard_sessions WHERE merchant_id = ?`, merchantID); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return nil
	})
}

// VerifyPassword checks the merchant's dashboard password; see
// opaygate.SessionService. Without a stored hash it still runs one, against
// a dummy, so the answer's timing does not tell which merchant ids exist.
func (s *SessionService) VerifyPassword(ctx context.Context, merchantID, password string) error {
	var stored string
	err := s.db.read.QueryRowContext(ctx, s.db.rebind(`SELECT password_hash FROM merchants WHERE id = ?`),
		merchantID).Scan(&stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("verify password: %w", err)
	}
	if len(password) > opaygate.MaxPasswordLength {
		return errBadCredentials
	}
	if stored == "" {
		if _, err := s.verifyHash(ctx, s.dummyHash(), password); err != nil {
			return err
		}
		return errBadCredentials
	}
	ok, err := s.verifyHash(ctx, stored, password)
	if err != nil {
		return err
	} else if !ok {
		return errBadCredentials
	}
	return nil
}

// CreateSession starts a session; see opaygate.SessionService. It also
// deletes every session that has ended, which keeps the table small without
// a background job.
func (s *SessionService) CreateSession(ctx context.Context, merchantID string, p opaygate.SessionPolicy) (string, *opaygate.Session, error) {
	if p.Idle <= 0 || p.Absolute <= 0 {
		return "", nil, opaygate.Invalid("session lifetimes must be positive")
	}
	now := s.clock.Now()
	token := opaygate.NewSessionToken()
	sess := &opaygate.Session{MerchantID: merchantID, CSRFToken: randomHex(32), CreatedAt: now,
		ExpiresAt: now.Add(p.Absolute)}
	sess.IdleExpiresAt = minTime(now.Add(p.Idle), sess.ExpiresAt)
	err := s.db.update(ctx, s.clock, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM dashboard_sessions WHERE idle_expires_at <= ?`, ms(now)); err != nil {
			return fmt.Errorf("delete ended sessions: %w", err)
		}
		_, err := tx.exec(ctx, `INSERT INTO dashboard_sessions (token_hash, merchant_id, csrf_token, created_at,
			idle_expires_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			opaygate.HashSessionToken(token), merchantID, sess.CSRFToken, ms(now), ms(sess.IdleExpiresAt),
			ms(sess.ExpiresAt))
		if err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// FindSession returns the live session behind token; see
// opaygate.SessionService. The idle expiry is written at most about once a
// minute per session, so browsing the dashboard is not a stream of writes.
func (s *SessionService) FindSession(ctx context.Context, token string, p opaygate.SessionPolicy) (*opaygate.Session, error) {
	if token == "" || len(token) > 256 {
		return nil, errSessionNotFound()
	}
	hash := opaygate.HashSessionToken(token)
	var sess opaygate.Session
	var created, idle, expires int64
	err := s.db.read.QueryRowContext(ctx, s.db.rebind(`SELECT merchant_id, csrf_token, created_at,
		idle_expires_at, expires_at FROM dashboard_sessions WHERE token_hash = ?`), hash).
		Scan(&sess.MerchantID, &sess.CSRFToken, &created, &idle, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errSessionNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	sess.CreatedAt, sess.IdleExpiresAt, sess.ExpiresAt = fromMS(created), fromMS(idle), fromMS(expires)
	now := s.clock.Now()
	if sess.Expired(now) {
		if err := s.DeleteSession(ctx, token); err != nil {
			return nil, err
		}
		return nil, errSessionNotFound()
	}
	next := minTime(now.Add(p.Idle), sess.ExpiresAt)
	if next.Sub(sess.IdleExpiresAt) >= min(time.Minute, p.Idle/10) {
		err := s.db.update(ctx, s.clock, func(tx *Tx) error {
			// The condition keeps a concurrent logout deleted and an
			// expiry from moving backwards.
			_, err := tx.exec(ctx, `UPDATE dashboard_sessions SET idle_expires_at = ?
				WHERE token_hash = ? AND idle_expires_at < ?`, ms(next), hash, ms(next))
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
		sess.IdleExpiresAt = next
	}
	return &sess, nil
}

// DeleteSession ends the session behind token.
func (s *SessionService) DeleteSession(ctx context.Context, token string) error {
	return s.db.update(ctx, s.clock, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM dashboard_sessions WHERE token_hash = ?`,
			opaygate.HashSessionToken(token)); err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		return nil
	})
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// hashPassword returns the argon2id hash of password with a random salt, in
// the PHC string format: $argon2id$v=19$m=…,t=…,p=…$salt$hash.
func (s *SessionService) hashPassword(ctx context.Context, password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	<-s.hashing
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime,
		argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// verifyHash reports whether password matches an encoded argon2id hash,
// comparing in constant time. A hash it cannot parse is an internal error.
func (s *SessionService) verifyHash(ctx context.Context, encoded, password string) (bool, error) {
	h, err := parseArgon2id(encoded)
	if err != nil {
		return false, err
	}
	if err := s.acquire(ctx); err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	<-s.hashing
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

func (s *SessionService) acquire(ctx context.Context) error {
	select {
	case s.hashing <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// dummyHash is a hash of a random password that no one knows, verified in
// place of a missing one.
func (s *SessionService) dummyHash() string {
	s.dummyOnce.Do(func() {
		var err error
		s.dummy, err = s.hashPassword(context.Background(), randomHex(16))
		if err != nil {
			panic("hash dummy password: " + err.Error())
		}
	})
	return s.dummy
}

type argon2idHash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

func parseArgon2id(encoded string) (*argon2idHash, error) {
	bad := errors.New("verify password: stored hash is not an argon2id hash")
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return nil, bad
	}
	var h argon2idHash
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &threads); err != nil {
		return nil, bad
	}
	if h.memory < 8*threads || h.memory > maxArgonMemory || h.time < 1 || h.time > maxArgonTime ||
		threads < 1 || threads > maxArgonThreads {
		return nil, bad
	}
	h.threads = uint8(threads)
	var err error
	if h.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return nil, bad
	}
	if h.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 64 {
		return nil, bad
	}
	return &h, nil
}
