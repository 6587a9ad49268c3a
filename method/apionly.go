package method

import (
	"crypto/rand"
	"math/big"
	"net/url"
)

// apiOnly is the hosted part of a method the checkout does not offer (CardDebit: METHODS.md
// §8.0 has it on payment/create only): it has no section, so its form is refused.
type apiOnly struct{}

func (apiOnly) OnAPI() bool                         { return true }
func (apiOnly) OnCheckout() bool                    { return false }
func (apiOnly) Form(url.Values) (any, string)       { return nil, "method" }
func (apiOnly) Refused() string                     { return "method" }
func (apiOnly) Texts() map[string]map[string]string { return nil }
func (apiOnly) SandboxHints() any                   { return nil }

// randomDigits draws n random decimal digits: a code a customer types at a kiosk or into a
// banking app, unguessable so that nobody pays another customer's order by chance.
func randomDigits(n int) string {
	b := make([]byte, n)
	for i := range b {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		b[i] = byte('0' + d.Int64())
	}
	return string(b)
}
