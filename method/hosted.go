package method

import (
	"embed"
	"net/url"
	"strings"

	"github.com/opaygate/opaygate"
)

// A method's part of the hosted checkout is its section of the checkout page: a template
// named "method-<Name>" in Sections (one file per method in templates/), whose form posts to
// checkout/<Slug>; Form reads that form into what Start takes; Texts are the section's words
// in English and Arabic. The steps that follow (a plan to choose, an OTP, the 3-D Secure
// page) are shared pages of the checkout, as they are shared steps of storage.
//
// A section is executed with the page's view: .T translates a key, .Order is the order
// (.Order.Token, .Order.Amount, …), .Sandbox is true in the sandbox, and .Hints is what the
// method's SandboxHints returned.

// Sections holds every method's section template.
//
//go:embed templates/*.html
var Sections embed.FS

// Hosted is what the hosted checkout needs of a method.
type Hosted interface {
	// Slug names the method in the URL of its form: checkout/<Slug>.
	Slug() string
	// Form reads the section's form into what Start takes. A refused form answers the key
	// of the message to show ("error.<key>" in Texts), and nil.
	Form(f url.Values) (params any, problem string)
	// Refused is the key of the message shown when Start refuses the fields (EINVALID).
	Refused() string
	// Texts are the section's words: language ("EN", "AR") → key → text.
	Texts() map[string]map[string]string
	// SandboxHints is what the section shows only in the sandbox (ValU: nothing; cards:
	// the test cards), or nil.
	SandboxHints() any
}

// stripSpaces removes every space a customer may type inside a number.
func stripSpaces(s string) string { return strings.Join(strings.Fields(s), "") }

// An OTPTarget says where the OTP of its orders went, for the checkout's OTP page: the key of
// the words in its Texts and their argument (a masked card or number). The page says a ValU
// account's words for a method that is not one.
type OTPTarget interface {
	OTPSent(o *opaygate.Order) (key, arg string)
}

// A Sectioner's section depends on the order: Section returns what the section's template
// reads as .Data, and false when the method has nothing to offer this order (no bank
// installment plan takes its amount). The checkout then leaves the section out, unless the
// order is restricted to that method: its section says why it cannot be paid.
type Sectioner interface {
	Section(o *opaygate.Order) (data any, ok bool)
}
