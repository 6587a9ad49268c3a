// Package simulator is the sandbox's payment network: ValU credit limits, an
// OTP sender that records what it sends (and accepts the sandbox's master
// OTP), a card acquirer that declines by OPay's amount-trigger rule and by the
// test cards' last digits, and refunds that settle after a delay. A payment
// method's sandbox behaviour is what this network answers it. It depends only
// on the root package: it must not import storage, the HTTP layer or the
// methods.
package simulator

import (
	"context"
	"crypto/subtle"
	"fmt"
	"sync"
	"time"

	"github.com/opaygate/opaygate"
)

// DefaultCreditLimit is every sandbox ValU account's limit: 200,000.00 EGP.
const DefaultCreditLimit int64 = 20_000_000

// NoCreditAccount is the sandbox ValU account whose limit is zero.
const NoCreditAccount = "01000000051"

// Trigger returns the decline an amount triggers, if any: OPay's rule, "enter the desired
// error code as the transaction amount" (opaygate.DeclineFor has the codes).
func Trigger(amount int64) (opaygate.Decision, bool) {
	if amount < 0 || amount > 99 {
		return opaygate.Decision{Approved: true}, false
	}
	if d, ok := opaygate.DeclineFor(fmt.Sprintf("%02d", amount)); ok {
		return d, true
	}
	return opaygate.Decision{Approved: true}, false
}

// MasterOTP is the code the sandbox accepts for every order, besides the one it sent (API.md §5).
const MasterOTP = "123456"

// PIN is the card PIN the sandbox's issuers accept (METHODS.md §8.1).
const PIN = "1234"

// Network simulates ValU, OTP delivery, the card acquirer and refund settlement: the sandbox's
// payment network, whose rules (the master OTP, the refund delay, the amount triggers) are the
// sandbox's policy.
type Network struct {
	mu          sync.Mutex
	otps        map[string]string                // orderNo → last OTP sent
	messages    map[string][]opaygate.SentNotice // orderNo → what was "sent", oldest first
	remembered  []string                         // the orders above, oldest first
	declines    map[string]*opaygate.Decision    // orderNo → the decline armed by DeclineNext
	refundDelay time.Duration
	payoutDelay time.Duration
	clock       opaygate.Clock
}

// RememberOrders is how many orders' OTPs and messages the simulated network keeps: a
// sandbox runs for weeks, so it forgets the oldest rather than grow without bound. An OTP is
// valid for minutes; ten thousand orders is hours of a busy test.
const RememberOrders = 10_000

var (
	_ opaygate.ValUNetwork   = (*Network)(nil)
	_ opaygate.OTPSender     = (*Network)(nil)
	_ opaygate.MasterOTP     = (*Network)(nil)
	_ opaygate.Acquirer      = (*Network)(nil)
	_ opaygate.RefundSettler = (*Network)(nil)
	_ opaygate.Notifier      = (*Network)(nil)
	_ opaygate.PINChecker    = (*Network)(nil)
	_ opaygate.PayoutNetwork = (*Network)(nil)
)

// Option configures a simulated network.
type Option func(*Network)

// RefundDelay makes refunds settle d after they are made; 0 leaves them PENDING.
func RefundDelay(d time.Duration) Option { return func(n *Network) { n.refundDelay = d } }

// PayoutDelay makes the network answer payouts d after they are made (at least a
// millisecond).
func PayoutDelay(d time.Duration) Option {
	return func(n *Network) { n.payoutDelay = max(d, time.Millisecond) }
}

// WithClock stamps the recorded messages with c (the sandbox's movable clock); the wall
// clock by default.
func WithClock(c opaygate.Clock) Option { return func(n *Network) { n.clock = c } }

// New returns an empty simulated network whose refunds settle after
// opaygate.DefaultRefundDelay unless an option says otherwise.
func New(opts ...Option) *Network {
	n := &Network{otps: make(map[string]string), messages: make(map[string][]opaygate.SentNotice),
		declines:    make(map[string]*opaygate.Decision),
		refundDelay: opaygate.DefaultRefundDelay, payoutDelay: opaygate.DefaultPayoutDelay,
		clock: opaygate.SystemClock{}}
	for _, o := range opts {
		o(n)
	}
	return n
}

// MasterOTP is the sandbox's code that every order accepts.
func (n *Network) MasterOTP() string { return MasterOTP }

// CheckPIN accepts the sandbox's PIN for every card. The comparison takes the same time
// whatever the PIN, like a real issuer's must.
func (n *Network) CheckPIN(ctx context.Context, o *opaygate.Order, pin string) (bool, error) {
	return subtle.ConstantTimeCompare([]byte(pin), []byte(PIN)) == 1, nil
}

// SettleDelay is how long a sandbox refund stays PENDING.
func (n *Network) SettleDelay() time.Duration { return n.refundDelay }

// CreditLimit gives every account the default limit except NoCreditAccount.
func (n *Network) CreditLimit(ctx context.Context, account string) (int64, error) {
	if account == NoCreditAccount {
		return 0, nil
	}
	return DefaultCreditLimit, nil
}

// SendOTP records the OTP instead of texting it, so the sandbox control API
// and tests can read it.
func (n *Network) SendOTP(ctx context.Context, o *opaygate.Order, code string) error {
	to := o.ValUAccount
	if id := o.MethodData[opaygate.DataIdentifier]; id != "" {
		to = id
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.remember(o.OrderNo)
	n.otps[o.OrderNo] = code
	n.record(o.OrderNo, opaygate.Notice{Channel: "SMS", To: to, Text: "Your OPay verification code is " + code})
	return nil
}

// remember notes that the network keeps something of orderNo, and forgets the oldest order
// beyond RememberOrders; n.mu is held.
func (n *Network) remember(orderNo string) {
	if _, ok := n.messages[orderNo]; ok {
		return
	}
	if _, ok := n.otps[orderNo]; ok {
		return
	}
	n.remembered = append(n.remembered, orderNo)
	if len(n.remembered) > RememberOrders {
		old := n.remembered[0]
		n.remembered[0] = ""
		n.remembered = n.remembered[1:]
		delete(n.otps, old)
		delete(n.messages, old)
	}
}

// Notify records a notice instead of sending it.
func (n *Network) Notify(ctx context.Context, o *opaygate.Order, notice opaygate.Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.remember(o.OrderNo)
	n.record(o.OrderNo, notice)
	return nil
}

// record keeps a message; n.mu is held.
func (n *Network) record(orderNo string, notice opaygate.Notice) {
	n.messages[orderNo] = append(n.messages[orderNo], opaygate.SentNotice{Notice: notice, At: n.clock.Now()})
}

// Messages returns what was "sent" for an order (OTPs, requests-to-pay, notices), newest
// first.
func (n *Network) Messages(orderNo string) []opaygate.SentNotice {
	n.mu.Lock()
	defer n.mu.Unlock()
	list := n.messages[orderNo]
	out := make([]opaygate.SentNotice, len(list))
	for i, m := range list {
		out[len(list)-1-i] = m
	}
	return out
}

// LastOTP returns the last OTP sent for an order.
func (n *Network) LastOTP(orderNo string) (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	code, ok := n.otps[orderNo]
	return code, ok
}

// Reset forgets every recorded OTP.
func (n *Network) Reset() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.otps)
	clear(n.messages)
	n.remembered = nil
}

// DeclineNext makes the network decline the order's authorizations with d until undo is
// called: the sandbox's "pay, and let the bank answer 51" (/_sandbox/orders/pay with a
// failureCode), for a method whose customer data cannot say it. The caller undoes it when its
// request ends, so nothing outlives the request; a later DeclineNext of the same order
// replaces it, and an undo only removes its own. It is keyed by order, not by request: another
// request paying the same order meanwhile is declined too, which a tester racing themself
// can live with.
func (n *Network) DeclineNext(orderNo string, d opaygate.Decision) (undo func()) {
	armed := &d
	n.mu.Lock()
	n.declines[orderNo] = armed
	n.mu.Unlock()
	return func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if n.declines[orderNo] == armed {
			delete(n.declines, orderNo)
		}
	}
}

// Authorize approves every payment except the amount triggers and, for
// cards, the test cards that decline (card.go). A decline armed by DeclineNext comes first:
// it is what the tester asked for.
func (n *Network) Authorize(ctx context.Context, o *opaygate.Order) (opaygate.Decision, error) {
	n.mu.Lock()
	armed := n.declines[o.OrderNo]
	n.mu.Unlock()
	if armed != nil {
		return *armed, nil
	}
	if d, ok := Trigger(o.Amount); ok {
		return d, nil
	}
	if d, ok := CardTrigger(o.CardLast4); ok {
		return d, nil
	}
	// The identifier rule (METHODS.md §8.0): a wallet account or phone number ending in 00
	// and a decline code declines as a test card does.
	if id := o.MethodData[opaygate.DataIdentifier]; len(id) >= 4 {
		d, _ := CardTrigger(id[len(id)-4:])
		return d, nil
	}
	return opaygate.Decision{Approved: true}, nil
}
