package sqlstore

import (
	"regexp"
	"testing"
	"time"
)

// TestOrderToken: a checkout token is 32 hex digits, unique even when made in
// the same millisecond, and tokens made later sort after earlier ones, so a
// new order's token index entry goes on the index's newest page.
func TestOrderToken(t *testing.T) {
	at := time.Date(2026, 11, 29, 0, 40, 0, 0, time.UTC)
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	seen := map[string]bool{}
	prev := ""
	for i := range 1000 {
		tok := orderToken(at.Add(time.Duration(i/10) * time.Millisecond))
		if !hex32.MatchString(tok) {
			t.Fatalf("token %q is not 32 hex digits", tok)
		}
		if seen[tok] {
			t.Fatalf("token %q made twice", tok)
		}
		seen[tok] = true
		if i%10 == 0 && tok <= prev {
			t.Fatalf("token %q made a millisecond after %q sorts before it", tok, prev)
		}
		prev = tok
	}
}
