package opaygate_test

import (
	"strings"
	"testing"

	"github.com/opaygate/opaygate"
)

func TestEmailAddress(t *testing.T) {
	for _, s := range []string{"c@example.com", "first.last+tag@mail.example.co.uk", "a@b.c"} {
		if !opaygate.EmailAddress(s) {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range []string{"", "example.com", "@example.com", "c@", "c@example", "c@.example.com", "c@example.",
		"a@b@example.com", "c d@example.com", `"><script>@x.com`, "c@example.com\n", "c;d@example.com",
		strings.Repeat("a", 250) + "@example.com"} {
		if opaygate.EmailAddress(s) {
			t.Errorf("%q accepted", s)
		}
	}
}
