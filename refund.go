package opaygate

import (
	"context"
	"time"
)

// RefundStatus is the status of a refund (spec 4.3).
type RefundStatus string

// Refund statuses. SUCCESS and FAIL are final; a FAIL refund gives its amount
// back to the order's refundable amount.
const (
	RefundInitial RefundStatus = "INITIAL"
	RefundPending RefundStatus = "PENDING"
	RefundSuccess RefundStatus = "SUCCESS"
	RefundFail    RefundStatus = "FAIL"
)

// Ways a refund reaches the customer.
const (
	RefundWayOriginal    = "Original"    // back to the instrument that paid
	RefundWayBankAccount = "BankAccount" // to the bank account given with the refund
)

// RefundWayFor is the refund way OPay's table fixes for an order's method (METHODS.md §8.14),
// or "" when it fixes none (every EG order; NG methods outside the table). For NG, money that
// arrived by bank transfer, USSD or card goes back to a bank account; wallet and bank-account
// payments go back the way they came.
func RefundWayFor(country, payMethod string) string {
	if country != "NG" {
		return ""
	}
	switch payMethod {
	case PayMethodBankTransfer, PayMethodBankUSSD, PayMethodBankCard:
		return RefundWayBankAccount
	case PayMethodOpayQR, "OpayWalletNg", PayMethodBankAccount:
		return RefundWayOriginal
	}
	return ""
}

// DefaultRefundDelay is how long a sandbox refund stays PENDING before it
// succeeds, unless configured otherwise.
const DefaultRefundDelay = 5 * time.Second

// Refund gives back (part of) a SUCCESS order. An order may have several; the
// sum of those that are not FAIL never exceeds the order's amount.
type Refund struct {
	ID         int64
	RefundNo   string // 18 digits, the gateway's id of the refund (its wire "orderNo")
	MerchantID string
	Reference  string // the merchant's refund reference, unique per merchant among refunds

	OrderID        int64
	OrderNo        string // the refunded order's number (wire "originalOrderNo")
	OrderReference string // the refunded order's reference (wire "originalReference")

	Country  string
	Currency string
	Amount   int64
	Status   RefundStatus

	Way           string // RefundWayOriginal or RefundWayBankAccount
	Reason        string
	BankCode      string
	BankAccountNo string
	CallbackURL   string // where its callback goes; "" = the order's target

	// DueAt is when the sandbox completes a PENDING refund; zero when
	// nothing completes it by itself (live mode, waiting for a connector).
	DueAt     time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ApplyDue shows a PENDING refund whose sandbox delay has passed as SUCCESS,
// so reads agree with what the background completer is about to write.
func (r *Refund) ApplyDue(now time.Time) {
	if r.Status == RefundPending && !r.DueAt.IsZero() && !now.Before(r.DueAt) {
		r.Status = RefundSuccess
	}
}

// RefundKey finds a refund of a merchant: by RefundNo if set, else by
// Reference. Country, when set, must equal the refund's country.
type RefundKey struct {
	RefundNo  string
	Reference string
	Country   string
}

// RefundService stores refunds and enforces the refundable amount.
type RefundService interface {
	// CreateRefund refunds r.Amount of the merchant's order named by
	// original. Only SUCCESS orders can be refunded (EORDERSTATE); the sum of
	// the order's refunds that are not FAIL never exceeds its amount
	// (EREFUNDEXCEEDS), checked atomically with the insert; a reference the
	// merchant already used for a refund answers EDUPLICATE with that refund.
	// It fills in the ids, the order's fields, Status, DueAt and the times.
	CreateRefund(ctx context.Context, r *Refund, original OrderKey) error

	// FindRefund returns the merchant's refund.
	FindRefund(ctx context.Context, merchantID string, key RefundKey) (*Refund, error)

	// ListRefunds returns the refunds of the merchant's order, oldest first.
	ListRefunds(ctx context.Context, merchantID string, original OrderKey) ([]*Refund, error)

	// CompleteRefunds moves up to limit PENDING refunds whose DueAt has
	// passed to SUCCESS, each with its callback (refunded: true) in the same
	// transaction, and returns how many it moved.
	CompleteRefunds(ctx context.Context, limit int) (int, error)
}
