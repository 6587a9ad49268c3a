package opaygate

import (
	"context"
	"time"
)

// A void reverses a card payment before it settles (METHODS.md §12): the order stays SUCCESS,
// and once the acquirer confirms the reversal it reads isVoided true and its callback says the
// money went back (refunded). A void is first initiated (PENDING), then completes (SUCCESS)
// after the network's settle delay, like a refund: a live gateway without a connector leaves
// it initiated.
type Void struct {
	ID         int64
	ReversalNo string // 18 digits, from the refunds' sequence: a reversal is a kind of refund
	MerchantID string
	OrderID    int64
	OrderNo    string
	Reference  string // the order's
	Country    string
	Currency   string
	Amount     int64
	Status     VoidStatus
	DueAt      time.Time // when it completes; zero: when a connector says so
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// VoidStatus is where a void is.
type VoidStatus string

// A void's statuses.
const (
	VoidPending VoidStatus = "PENDING"
	VoidSuccess VoidStatus = "SUCCESS"
)

// VoidWindow is how long after its payment an order may be voided: before it settles. The
// sandbox settles at once, so its window is a "same day" void [inferred, METHODS.md §12].
const VoidWindow = 24 * time.Hour

// Voidable is implemented by the methods whose payments can be voided: the card-based ones
// (BankCard, token payments included; BankInstallment; CardDebit).
type Voidable interface {
	Voidable() bool
}

// VoidKey finds a void by its reversalNo, else by its order's reference.
type VoidKey struct {
	ReversalNo string
	Reference  string
}

// VoidService voids orders.
type VoidService interface {
	// VoidOrder initiates the void of a SUCCESS card order within VoidWindow of its payment
	// and with no refund (of any status but FAIL). Voiding an order again answers its void
	// as it is (idempotent). An order that cannot be voided is EORDERSTATE, its message
	// "order cannot be voided: " and the reason.
	VoidOrder(ctx context.Context, merchantID string, key OrderKey) (*Order, *Void, error)
	// FindVoid returns a merchant's void; ENOTFOUND "reversal not found." otherwise.
	FindVoid(ctx context.Context, merchantID string, key VoidKey) (*Void, error)
}
