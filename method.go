package opaygate

import (
	"context"
	"time"
)

// A payment method is one seam: everything that is particular to ValU, to cards, and to each
// of OPay's other methods lives in one unit of package method, which implements Method.
// Storage knows none of them by name: it runs a method's moves inside the order's
// transaction, with the state machine, the timeline and the callback outbox that every
// method shares, and it asks the method what comes next after each step.
//
// The steps themselves are few and shared: choosing a plan, entering an OTP, confirming on a
// redirect page, and the moves every order has (close, cancel, expire). A method strings
// them together through Start and Next.

// Method is one payment method as storage sees it.
type Method interface {
	// Name is the payMethod value on the wire, e.g. "VALU" or "BankCard".
	Name() string

	// Start decides how an order starts paying with the method: the order as created by
	// payment/create, or an INITIAL hosted-checkout order whose customer picked the method.
	// params are the method's own request fields, as the method decoded them (its Params
	// type). Start runs with no transaction open, so it may ask the network (ValU asks for
	// the customer's credit); it may set the order's method fields (ValUAccount, Plans,
	// CardBIN, …), which storage stores with the move. now is the clock read once for the
	// decision; the rows are stamped with the transaction's own instant.
	Start(ctx context.Context, net Network, o *Order, params any, now time.Time) (Move, error)

	// Next is the move after the customer completed step on o (a plan chosen, a correct
	// OTP, a confirmed redirect). It is pure: it decides from the order alone.
	Next(o *Order, done Step) Move
}

// Network is the payment network a method may ask while it starts: the sandbox's simulator,
// or real connectors.
type Network struct {
	ValU     ValUNetwork
	OTP      OTPSender
	Acquirer Acquirer
}

// Move is what a method decides for an order: where it goes next. Storage applies it in one
// transaction, conditionally on the order's state as it was read.
type Move struct {
	// Status is the order's next status: PENDING (waiting at Step), FAIL (with Code and
	// Reason), or "" to leave it as it is (only with Authorize).
	Status OrderStatus
	Step   Step
	Code   string
	Reason string

	// Authorize puts the order in flight: the acquirer decides after the transaction
	// commits, and a second transaction records SUCCESS or FAIL.
	Authorize bool

	// SendOTP issues a new OTP with this move (Step must be StepOTP): its hash is stored
	// in the transaction, the code is sent after the commit.
	SendOTP bool

	// Notices are sent to the customer after the move commits (a wallet's request-to-pay,
	// a reference code by SMS or email), through the network's Notifier.
	Notices []Notice

	// Note is the timeline's reason for a move that is not a failure, e.g. "6 months".
	Note string
}

// None reports whether m is no move at all: a method's answer to a step it has no next for.
func (m Move) None() bool { return m.Status == "" && !m.Authorize }

// Wait is a move that waits at step.
func Wait(step Step) Move { return Move{Status: StatusPending, Step: step} }

// Decline is a move that fails the order with code and reason.
func Decline(code, reason string) Move { return Move{Status: StatusFail, Code: code, Reason: reason} }

// Authorize is the move that hands the order to the acquirer.
func Authorize() Move { return Move{Authorize: true} }

// MethodSet finds a method by its payMethod value.
type MethodSet interface {
	Method(name string) (Method, bool)
}
