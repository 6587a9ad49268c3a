// Package method holds OPay's payment methods, one unit each: ValU (valu.go) and cards
// (card.go) today. A unit says everything that is particular to its method — the request
// fields it reads and how it validates them, how an order starts paying with it and what
// comes after each of its steps, the nextAction it answers, and whether the API and the
// hosted checkout offer it — and nothing else does: storage runs a method's moves through
// opaygate.Method without knowing it by name, the API finds it here by its payMethod, and
// the sandbox's behaviour is the simulated network the method asks (package simulator).
//
// How to add a method is in docs/ARCHITECTURE.md.
//
// This package depends on the domain (opaygate) and the wire types (opay) only; it must not
// import storage, the HTTP layer or the simulator.
package method

import (
	"fmt"
	"strings"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// Method is one payment method: what storage needs (opaygate.Method) and what the API and
// the hosted checkout need.
type Method interface {
	opaygate.Method
	Hosted

	// Function is the merchant function that enables the method (API.md §2).
	Function() opaygate.Function
	// Countries are the countries the method is offered in.
	Countries() []string
	// OnAPI reports whether payment/create takes the method, OnCheckout whether the hosted
	// checkout offers it.
	OnAPI() bool
	OnCheckout() bool

	// Params reads and validates the method's own fields of a payment/create request and
	// returns what its Start takes. Errors are EINVALID naming the field, never its value.
	Params(req *opay.PaymentCreateRequest) (any, error)

	// NextAction is what an order waiting at one of the method's steps tells the client,
	// or nil when it waits for nothing.
	NextAction(o *opaygate.Order, links Links) *opay.NextAction
}

// Links are the gateway's own pages that a nextAction may send the customer to; the
// customer pages (server/pay) build them.
type Links struct {
	ThreeDS func(token string) string // the 3-D Secure page of an order
	// Simulate is the sandbox's simulator page of an order: the wallet, bank or kiosk
	// screen where the customer's step outside the API is approved, declined or left to
	// expire. Absolute, so a QR code carrying it opens on a phone on the same network.
	Simulate func(token string) string
}

// Set is the methods a gateway offers, found by payMethod. It implements
// opaygate.MethodSet for storage.
type Set struct {
	byName    map[string]Method
	order     []Method        // as the hosted checkout lists them
	connected map[string]bool // the simulated-only methods a live network connector serves
}

var _ opaygate.MethodSet = (*Set)(nil)

// NewSet returns a set of methods, in the order the hosted checkout lists them.
func NewSet(methods ...Method) *Set {
	s := &Set{byName: make(map[string]Method, len(methods))}
	for _, m := range methods {
		s.byName[m.Name()] = m
		s.order = append(s.order, m)
	}
	return s
}

// Default is every method the gateway has, with the default ValU plan table, in the order
// the hosted checkout lists them (METHODS.md §8.y); the API-only ones (CardDebit) come last.
func Default() *Set {
	return NewSet(BankCard{}, ValU{Plans: opaygate.DefaultPlanTable()}, BankInstallment{Banks: DefaultInstallmentBanks()},
		MWallet{}, VodafoneCash{}, Shahry{}, OpayWallet{}, OpayQR{}, BankTransfer{}, BankUSSD{}, BankAccount{},
		ReferenceCode{}, CardDebit{})
}

// SandboxOnly reports whether a method is simulated only: a live gateway has no network
// connector for it and refuses it with 02002 (METHODS.md §8.0).
func SandboxOnly(m Method) bool {
	s, ok := m.(interface{ SandboxOnly() bool })
	return ok && s.SandboxOnly()
}

// Connect records that a live network connector serves the named methods (payMethod
// values), so that Simulated no longer holds for them. Call it before the set is shared. A
// name the set does not have is an error: a connector configured for a method the gateway
// lacks would otherwise be silently ignored.
func (s *Set) Connect(names ...string) error {
	for _, n := range names {
		if _, ok := s.byName[n]; !ok {
			return fmt.Errorf("connector: no payment method %q (methods: %s)", n, strings.Join(s.Names(), ", "))
		}
		if s.connected == nil {
			s.connected = map[string]bool{}
		}
		s.connected[n] = true
	}
	return nil
}

// Simulated reports whether m is simulated only in this set: SandboxOnly, and no connector
// serves it. A live gateway refuses such a method (02002) and leaves it off its checkout.
func (s *Set) Simulated(m Method) bool { return SandboxOnly(m) && !s.connected[m.Name()] }

// Names lists every method's payMethod value, in the set's order.
func (s *Set) Names() []string {
	names := make([]string, len(s.order))
	for i, m := range s.order {
		names[i] = m.Name()
	}
	return names
}

// BySlug finds a method by the slug of its checkout form.
func (s *Set) BySlug(slug string) (Method, bool) {
	for _, m := range s.order {
		if m.Slug() == slug {
			return m, true
		}
	}
	return nil, false
}

// Lookup finds a method by its payMethod value (case-sensitive, as OPay's).
func (s *Set) Lookup(name string) (Method, bool) {
	m, ok := s.byName[name]
	return m, ok
}

// Method finds a method for storage.
func (s *Set) Method(name string) (opaygate.Method, bool) {
	m, ok := s.byName[name]
	return m, ok
}

// Offered reports whether a method is offered in country: by payment/create (hosted false)
// or on the hosted checkout (hosted true).
func Offered(m Method, country string, hosted bool) bool {
	if hosted && !m.OnCheckout() || !hosted && !m.OnAPI() {
		return false
	}
	for _, c := range m.Countries() {
		if c == country {
			return true
		}
	}
	return false
}

// Checkout lists the methods the hosted checkout offers in country, in the page's order.
func (s *Set) Checkout(country string) []Method {
	var list []Method
	for _, m := range s.order {
		if Offered(m, country, true) {
			list = append(list, m)
		}
	}
	return list
}

// waiting is the nextAction of the steps several methods share.
func waiting(o *opaygate.Order, links Links) *opay.NextAction {
	if o.Status != opaygate.StatusPending {
		return nil
	}
	switch o.Step {
	case opaygate.StepOTP:
		return &opay.NextAction{ActionType: opay.ActionOTP}
	case opaygate.Step3DS:
		return &opay.NextAction{ActionType: opay.ActionRedirect3DS, RedirectURL: links.ThreeDS(o.Token)}
	case opaygate.StepPIN:
		return &opay.NextAction{ActionType: opay.ActionPIN}
	}
	return nil
}
