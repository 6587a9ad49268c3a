package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/sqlstore"
)

func TestPassword(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := sqlstore.NewSessionService(e.db, e.clock)
		const pw = "correct horse battery"

		t.Run("EUNAUTHENTICATEDWithoutPassword", func(t *testing.T) {
			if err := s.VerifyPassword(ctx, e.m.ID, pw); opaygate.ErrorCode(err) != opaygate.EUNAUTHENTICATED {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("EINVALIDTooShort", func(t *testing.T) {
			if err := s.SetPassword(ctx, e.m.ID, "short"); opaygate.ErrorCode(err) != opaygate.EINVALID {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("ENOTFOUNDUnknownMerchant", func(t *testing.T) {
			if err := s.SetPassword(ctx, "999999999999999", pw); opaygate.ErrorCode(err) != opaygate.ENOTFOUND {
				t.Fatalf("got %v", err)
			}
		})
		if err := s.SetPassword(ctx, e.m.ID, pw); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPassword(ctx, e.other.ID, pw); err != nil {
			t.Fatal(err)
		}
		t.Run("Verified", func(t *testing.T) {
			if err := s.VerifyPassword(ctx, e.m.ID, pw); err != nil {
				t.Fatal(err)
			}
		})
		for name, c := range map[string]struct{ id, pw string }{
			"WrongPassword":   {e.m.ID, pw + "!"},
			"UnknownMerchant": {"999999999999999", pw},
			"EmptyPassword":   {e.m.ID, ""},
			"HugePassword":    {e.m.ID, strings.Repeat("x", 5000)},
		} {
			t.Run("EUNAUTHENTICATED"+name, func(t *testing.T) {
				if err := s.VerifyPassword(ctx, c.id, c.pw); opaygate.ErrorCode(err) != opaygate.EUNAUTHENTICATED {
					t.Fatalf("got %v", err)
				}
			})
		}
		t.Run("StoredAsSaltedArgon2id", func(t *testing.T) {
			hashes, err := sqlstore.QueryStrings(e.db, `SELECT password_hash FROM merchants WHERE id IN (?, ?)`, e.m.ID, e.other.ID)
			if err != nil || len(hashes) != 2 {
				t.Fatalf("hashes %v, %v", hashes, err)
			}
			for _, h := range hashes {
				if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, pw) {
					t.Errorf("stored %q", h)
				}
			}
			if hashes[0] == hashes[1] {
				t.Error("the same password hashed twice to the same string: no salt")
			}
		})
	})
}

func TestSessions(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := sqlstore.NewSessionService(e.db, e.clock)
		p := opaygate.SessionPolicy{Idle: 10 * time.Minute, Absolute: time.Hour}

		token, sess, err := s.CreateSession(ctx, e.m.ID, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(token) != 43 || len(sess.CSRFToken) != 64 {
			t.Fatalf("token %q csrf %q", token, sess.CSRFToken)
		}
		t.Run("StoredAsSHA256", func(t *testing.T) {
			rows, err := sqlstore.QueryStrings(e.db, `SELECT token_hash FROM dashboard_sessions`)
			if err != nil || len(rows) != 1 || rows[0] != opaygate.HashSessionToken(token) || strings.Contains(rows[0], token) {
				t.Fatalf("rows %v, %v", rows, err)
			}
		})
		t.Run("Found", func(t *testing.T) {
			got, err := s.FindSession(ctx, token, p)
			if err != nil || got.MerchantID != e.m.ID || got.CSRFToken != sess.CSRFToken {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
		t.Run("ENOTFOUNDUnknownToken", func(t *testing.T) {
			for _, tok := range []string{"", opaygate.NewSessionToken(), opaygate.HashSessionToken(token)} {
				if _, err := s.FindSession(ctx, tok, p); opaygate.ErrorCode(err) != opaygate.ENOTFOUND {
					t.Fatalf("%q: got %v", tok, err)
				}
			}
		})
		t.Run("IdleExpirySlides", func(t *testing.T) {
			for range 5 { // 40 minutes of use, never 10 idle
				e.clock.Advance(8 * time.Minute)
				if _, err := s.FindSession(ctx, token, p); err != nil {
					t.Fatalf("after %v: %v", e.clock.Offset(), err)
				}
			}
		})
		t.Run("AbsoluteExpiry", func(t *testing.T) {
			for range 3 {
				e.clock.Advance(8 * time.Minute)
				_, err = s.FindSession(ctx, token, p)
			}
			if opaygate.ErrorCode(err) != opaygate.ENOTFOUND {
				t.Fatalf("64 minutes after login: %v", err)
			}
			if rows, _ := sqlstore.QueryStrings(e.db, `SELECT token_hash FROM dashboard_sessions`); len(rows) != 0 {
				t.Fatalf("ended session still stored: %v", rows)
			}
		})
		t.Run("IdleExpiry", func(t *testing.T) {
			token, _, err := s.CreateSession(ctx, e.m.ID, p)
			if err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(10 * time.Minute)
			if _, err := s.FindSession(ctx, token, p); opaygate.ErrorCode(err) != opaygate.ENOTFOUND {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("Logout", func(t *testing.T) {
			token, _, err := s.CreateSession(ctx, e.m.ID, p)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteSession(ctx, token); err != nil {
				t.Fatal(err)
			}
			if _, err := s.FindSession(ctx, token, p); opaygate.ErrorCode(err) != opaygate.ENOTFOUND {
				t.Fatalf("got %v", err)
			}
			if err := s.DeleteSession(ctx, token); err != nil {
				t.Fatalf("second logout: %v", err)
			}
		})
		t.Run("NewPasswordEndsSessions", func(t *testing.T) {
			mine, _, _ := s.CreateSession(ctx, e.m.ID, p)
			theirs, _, _ := s.CreateSession(ctx, e.other.ID, p)
			if err := s.SetPassword(ctx, e.m.ID, "a new password"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.FindSession(ctx, mine, p); opaygate.ErrorCode(err) != opaygate.ENOTFOUND {
				t.Fatalf("own session: %v", err)
			}
			if _, err := s.FindSession(ctx, theirs, p); err != nil {
				t.Fatalf("another merchant's session: %v", err)
			}
		})
		t.Run("ResetDeletesSessions", func(t *testing.T) {
			if _, _, err := s.CreateSession(ctx, e.m.ID, p); err != nil {
				t.Fatal(err)
			}
			if err := e.db.Reset(ctx); err != nil {
				t.Fatalf("reset with live sessions: %v", err)
			}
			if rows, _ := sqlstore.QueryStrings(e.db, `SELECT token_hash FROM dashboard_sessions`); len(rows) != 0 {
				t.Fatalf("sessions survived the reset: %v", rows)
			}
		})
	})
}
