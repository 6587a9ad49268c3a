package opaygate_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
)

func TestLuhn(t *testing.T) {
	for number, want := range map[string]bool{
		"4111111111111111":     true,
		"5555555555554444":     true,
		"378282246310005":      true, // 15-digit Amex
		"4111111111111112":     false,
		"411111111111":         false, // 12 digits, wrong check digit
		"79927398713":          false, // valid Luhn, but 11 digits is too short for a card
		"4111 1111 1111 1111":  false, // spaces are the caller's to strip
		"":                     false,
		"00000000000000000000": false, // 20 digits
		"000000000000":         true,
	} {
		if got := opaygate.Luhn(number); got != want {
			t.Errorf("Luhn(%q) = %v, want %v", number, got, want)
		}
	}
}

func TestParseExpiry(t *testing.T) {
	for _, tc := range []struct {
		mm, yy      string
		month, year int
		ok          bool
	}{
		{"01", "30", 1, 2030, true},
		{"12", "99", 12, 2099, true},
		{"00", "30", 0, 0, false},
		{"13", "30", 0, 0, false},
		{"1", "30", 0, 0, false},
		{"01", "2030", 0, 0, false},
		{"ab", "30", 0, 0, false},
		{"01", "-1", 0, 0, false},
	} {
		m, y, ok := opaygate.ParseExpiry(tc.mm, tc.yy)
		if m != tc.month || y != tc.year || ok != tc.ok {
			t.Errorf("ParseExpiry(%q, %q) = %d %d %v", tc.mm, tc.yy, m, y, ok)
		}
	}
}

func TestCardExpired(t *testing.T) {
	card := opaygate.Card{ExpiryMonth: 11, ExpiryYear: 2026}
	for at, want := range map[string]bool{
		"2026-11-01T00:00:00Z": false,
		"2026-11-30T23:59:59Z": false, // valid through the month's last day
		"2026-12-01T00:00:00Z": true,
		"2027-01-15T00:00:00Z": true,
		"2025-12-31T00:00:00Z": false,
	} {
		now, _ := time.Parse(time.RFC3339, at)
		if got := card.Expired(now); got != want {
			t.Errorf("expires 11/26, at %s: expired %v, want %v", at, got, want)
		}
	}
	dec := opaygate.Card{ExpiryMonth: 12, ExpiryYear: 2026}
	if dec.Expired(time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC)) || !dec.Expired(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("a December card rolls over into January")
	}
}

func TestCardCheck(t *testing.T) {
	good := opaygate.Card{Number: "4111111111111111", CVV: "123", ExpiryMonth: 1, ExpiryYear: 2030}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*opaygate.Card){
		"Luhn":   func(c *opaygate.Card) { c.Number = "4111111111111112" },
		"Month":  func(c *opaygate.Card) { c.ExpiryMonth = 13 },
		"Year":   func(c *opaygate.Card) { c.ExpiryYear = 30 },
		"CVV":    func(c *opaygate.Card) { c.CVV = "12" },
		"CVVHex": func(c *opaygate.Card) { c.CVV = "12a" },
	} {
		c := good
		change(&c)
		if err := c.Check(); opaygate.ErrorCode(err) != opaygate.EINVALID {
			t.Errorf("%s: %v", name, err)
		} else if strings.Contains(err.Error(), c.Number) {
			t.Errorf("%s: error names the number: %v", name, err)
		}
	}
	// Expired is a decline, not an invalid card.
	old := good
	old.ExpiryYear = 2001
	if err := old.Check(); err != nil {
		t.Errorf("expired card refused as invalid: %v", err)
	}
}

// A card never prints its number or CVV, whatever prints it.
func TestCardIsMaskedEverywhere(t *testing.T) {
	c := opaygate.Card{HolderName: "Ada", Number: "4000000000800005", CVV: "739", ExpiryMonth: 1, ExpiryYear: 2030}
	var logged strings.Builder
	noTime := func(_ []string, a slog.Attr) slog.Attr { // the time could hold "739" by chance
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	slog.New(slog.NewJSONHandler(&logged, &slog.HandlerOptions{ReplaceAttr: noTime})).Info("x", "card", c, "ptr", &c)
	j, _ := json.Marshal(struct{ C opaygate.Card }{c})
	outs := []string{
		fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s %d %x %q", c, c, c, c, c, c, c), fmt.Sprintf("%+v", &c),
		fmt.Sprintf("%v", []opaygate.Card{c}), logged.String(), string(j),
	}
	for _, out := range outs {
		if strings.Contains(out, c.Number) || strings.Contains(out, "739") || strings.Contains(out, "00000008") {
			t.Errorf("card printed in clear: %s", out)
		}
		if !strings.Contains(out, "400000******0005") {
			t.Errorf("card not printed masked: %s", out)
		}
	}
	if got := opaygate.MaskPAN("", ""); got != "" {
		t.Errorf("MaskPAN of nothing = %q", got)
	}
}
