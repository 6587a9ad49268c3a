package opaygate

import (
	"context"
	"time"
)

// The payment network sits behind these interfaces. The sandbox simulates it
// (package simulator); a real connector can replace it.

// ValUNetwork answers questions about ValU customers.
type ValUNetwork interface {
	// CreditLimit returns how much the account may finance, in minor units.
	CreditLimit(ctx context.Context, account string) (int64, error)
}

// OTPSender delivers a one-time password to the customer of an order.
type OTPSender interface {
	SendOTP(ctx context.Context, o *Order, code string) error
}

// MasterOTP is implemented by an OTPSender that accepts one code for every order besides the
// codes it sent: the sandbox's 123456 (API.md §5). It is the network's rule, not storage's:
// a live sender has none.
type MasterOTP interface {
	MasterOTP() string
}

// Notice is a message the payment network sends the customer of an order: a wallet's
// request-to-pay, a reference code by SMS or email. (OTPs go through OTPSender.)
type Notice struct {
	Channel string // "SMS", "EMAIL" or "WALLET"
	To      string // the phone number, address or wallet account
	Text    string
}

// SentNotice is a notice as the sandbox's network recorded it.
type SentNotice struct {
	Notice
	At time.Time
}

// Notifier delivers notices. The sandbox's records them (/_sandbox/messages); a live
// gateway without one sends none.
type Notifier interface {
	Notify(ctx context.Context, o *Order, n Notice) error
}

// PINChecker is implemented by a network that verifies a card's PIN (METHODS.md §8.1): the
// issuer's answer, never storage's, and the PIN is passed through, never kept. The sandbox
// accepts 1234. Storage calls it with no transaction open. A network without one cannot take
// a PIN (02002).
type PINChecker interface {
	CheckPIN(ctx context.Context, o *Order, pin string) (bool, error)
}

// RefundSettler is the network's side of refunds: how long after it is made a refund is
// settled (it moves to SUCCESS then), or 0 when the network reports settlement itself, later
// (the refund stays PENDING until a connector records it).
type RefundSettler interface {
	SettleDelay() time.Duration
}

// declines are the decline codes of OPay's test rule (API.md §7) and their reasons: the
// codes a sandbox amount, test card or identifier triggers, and the ones the sandbox's
// decline control accepts.
var declines = map[string]string{
	"05": "Do not honour",
	"13": "Invalid Amount",
	"51": "Insufficient funds",
	"54": "Expired card",
	"57": "Transaction not permitted to cardholder",
	"62": "Restricted card",
}

// DeclineFor returns the decision of a decline code of OPay's test table, e.g. "51" →
// "Insufficient funds".
func DeclineFor(code string) (Decision, bool) {
	reason, ok := declines[code]
	if !ok {
		return Decision{}, false
	}
	return Decision{Code: code, Reason: reason}, true
}

// Decision is the network's answer to a payment at its final step.
type Decision struct {
	Approved bool
	Code     string // decline code, e.g. "51"
	Reason   string // e.g. "Insufficient funds"
}

// Acquirer decides the outcome of a payment at its final step.
//
// Storage never calls it inside a transaction: one transaction marks the order
// in flight (StepAuthorizing), Authorize runs with none open, and a second
// transaction records the decision if the order is still in flight. When the
// answer is lost (the call failed, the process died), the sweeper asks again,
// and two nodes may ask at once: so Authorize may be called more than once for
// one order, and a real connector must send o.OrderNo as its idempotency key so
// that a repeated call returns the first decision and never charges twice.
type Acquirer interface {
	Authorize(ctx context.Context, o *Order) (Decision, error)
}
