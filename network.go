package opaygate

import "context"

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
