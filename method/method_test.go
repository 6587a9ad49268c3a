package method_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/simulator"
)

// The test cards the card section lists are the simulator's, with the same outcome.
func TestTestCardsAreTheSimulators(t *testing.T) {
	var want, got []string
	for _, c := range simulator.TestCards {
		if len(c.Number) == 16 && c.Number[:2] != "55" { // the page lists the Visa ones
			want = append(want, c.Number+"/"+c.Code)
		}
	}
	for _, c := range method.TestCards {
		got = append(got, strings.ReplaceAll(c.Number, " ", "")+"/"+c.Code)
	}
	if !slices.Equal(got, want) {
		t.Errorf("card section lists %v, simulator has %v", got, want)
	}
}

// The NG issuer cards the card section lists take the steps their words say, pass the card
// checks and are approved by the simulator; their PIN is the simulator's.
func TestIssuerCards(t *testing.T) {
	if method.SandboxPIN != simulator.PIN {
		t.Errorf("the pages show PIN %s, the simulator accepts %s", method.SandboxPIN, simulator.PIN)
	}
	steps := map[string]string{method.BINPinOTP: "card.test.pinotp", method.BINPin: "card.test.pin", method.BINOTP: "card.test.otp"}
	for _, c := range method.IssuerCards {
		number := strings.ReplaceAll(c.Number, " ", "")
		if !opaygate.Luhn(number) || steps[number[:6]] != c.Steps {
			t.Errorf("%s: Luhn %v, BIN %s says %s", c.Number, opaygate.Luhn(number), number[:6], c.Steps)
		}
		if d, declined := simulator.CardTrigger(number[len(number)-4:]); declined {
			t.Errorf("%s is declined with %+v", c.Number, d)
		}
		delete(steps, number[:6])
	}
	if len(steps) != 0 {
		t.Errorf("no test card for %v", steps)
	}
}

// Every method's words exist in both languages with the same arguments.
func TestTexts(t *testing.T) {
	for _, country := range []string{"EG", "NG"} {
		for _, m := range method.Default().Checkout(country) {
			texts := m.Texts()
			en, ar := texts["EN"], texts["AR"]
			if len(en) == 0 || len(en) != len(ar) {
				t.Errorf("%s: %d English texts, %d Arabic", m.Name(), len(en), len(ar))
			}
			for k, v := range en {
				if a, ok := ar[k]; !ok || strings.Count(v, "%") != strings.Count(a, "%") {
					t.Errorf("%s: %q differs in Arabic", m.Name(), k)
				}
			}
		}
	}
}

func TestSetFindsMethods(t *testing.T) {
	s := method.Default()
	for _, tc := range []struct {
		name, country string
		api, checkout bool
	}{
		{"VALU", "EG", true, true},
		{"VALU", "NG", false, false},
		{"BankCard", "EG", true, true},
		{"BankCard", "NG", true, true},
		{"valu", "EG", false, false}, // payMethod is case-sensitive, as OPay's
		{"MWALLET", "EG", true, true},
		{"MWALLET", "NG", false, false},
		{"BankUssd", "NG", true, true},
		{"BankUssd", "EG", false, false},
		{"OpayWalletNgQR", "NG", true, false}, // the checkout has OpayWalletNg
		{"OpayWalletNg", "NG", false, true},   // hosted only (METHODS.md §8.11)
		{"VodafoneCash", "EG", false, true},   // hosted only (METHODS.md §8.7)
		{"Shahry", "EG", false, true},
		{"Shahry", "NG", false, false},
		{"CardDebit", "EG", true, false}, // API only (METHODS.md §8.0)
		{"CardDebit", "NG", false, false},
	} {
		m, ok := s.Lookup(tc.name)
		api := ok && method.Offered(m, tc.country, false)
		checkout := ok && method.Offered(m, tc.country, true)
		if api != tc.api || checkout != tc.checkout {
			t.Errorf("%s in %s: API %v, checkout %v; want %v, %v", tc.name, tc.country, api, checkout, tc.api, tc.checkout)
		}
	}
	if m, ok := s.BySlug("card"); !ok || m.Name() != "BankCard" {
		t.Errorf("slug card: %v", m)
	}
	// The page's order (METHODS.md §8.y), of the methods built so far.
	for country, want := range map[string][]string{
		"EG": {"BankCard", "VALU", "BankInstallment", "MWALLET", "VodafoneCash", "Shahry", "ReferenceCode"},
		"NG": {"BankCard", "OpayWalletNg", "BankTransfer", "BankUssd", "BankAccount", "ReferenceCode"},
	} {
		var names []string
		for _, m := range s.Checkout(country) {
			names = append(names, m.Name())
		}
		if !slices.Equal(names, want) {
			t.Errorf("%s checkout offers %v, want %v", country, names, want)
		}
	}
}
