package opaygate

import (
	"context"
	"time"
)

// InvoiceStatus is the status of an e-invoice, as OPay spells it.
type InvoiceStatus string

// Invoice statuses. Expired is never stored as a move of its own: an Unpaid
// invoice past its due date is Expired.
const (
	InvoiceUnpaid    InvoiceStatus = "Unpaid"
	InvoicePaid      InvoiceStatus = "Paid"
	InvoiceCancelled InvoiceStatus = "Cancelled"
	InvoiceExpired   InvoiceStatus = "Expired"
)

// InvoiceStatuses lists the statuses in the order statistics report them.
func InvoiceStatuses() []InvoiceStatus {
	return []InvoiceStatus{InvoicePaid, InvoiceUnpaid, InvoiceCancelled, InvoiceExpired}
}

// Invoice is an e-invoice ("Pay by Link").
type Invoice struct {
	ID              int64
	InvoiceNo       string // numeric, 8 or more digits
	MerchantID      string
	Status          InvoiceStatus
	Token           string // the vid of the invoice link: 32 lowercase hex
	Name            string
	Description     string
	DueTime         time.Time
	Country         string
	Currency        string
	Amount          int64
	ServiceFee      int64 // totalServiceFee
	Lang            string
	NotifyMethod    string
	RelationProduct bool
	Customer        Customer
	Products        []InvoiceProduct
	PaidOrderNo     string
	Attempts        int // orders created to pay it, for their references
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Customer is the payer of an invoice.
type Customer struct {
	Name   string
	Mobile string
	Email  string
}

// InvoiceProduct is a snapshot of a catalog product taken when the invoice
// was created, so later catalog edits never change an issued invoice.
type InvoiceProduct struct {
	ProductNo         string
	MerchantProductNo string
	Name              string
	Image             string
	Description       string
	Price             int64
	Currency          string
	Quantity          int64
}

// InvoiceItem asks for a quantity of a catalog product on a new invoice.
type InvoiceItem struct {
	MerchantProductNo string
	Quantity          int64
}

// ServiceFee is the invoice's service fee definition: a percentage of the
// total, rounded up, plus a fixed amount.
type ServiceFee struct {
	RateBP   int64 // feeRate in basis points (feeRate 2.5 → 250)
	FixedFee int64
}

// Total returns ⌈total × rate⌉ + fixed fee.
func (f ServiceFee) Total(total int64) int64 {
	return CeilDiv(total*f.RateBP, 10000) + f.FixedFee
}

// ApplyExpiry shows an Unpaid invoice past its due date as Expired.
func (inv *Invoice) ApplyExpiry(now time.Time) {
	if inv.Status == InvoiceUnpaid && !now.Before(inv.DueTime) {
		inv.Status = InvoiceExpired
	}
}

// InvoiceStat is one line of the statistics: the count and sum of the
// merchant's invoices of one status in one currency.
type InvoiceStat struct {
	Status   InvoiceStatus
	Currency string
	Count    int64
	Amount   int64
}

// InvoiceFilter selects invoices for listings.
type InvoiceFilter struct {
	MerchantID string
	Status     InvoiceStatus
	Offset     int
	Limit      int
}

// InvoiceService stores e-invoices.
type InvoiceService interface {
	// CreateInvoice stores inv with a snapshot of the catalog products in
	// items. When inv.RelationProduct is set, Amount is computed from the
	// products (and must equal a non-zero Amount the merchant gave).
	CreateInvoice(ctx context.Context, inv *Invoice, items []InvoiceItem, fee ServiceFee) error
	FindInvoice(ctx context.Context, merchantID, invoiceNo string) (*Invoice, error)
	FindInvoiceByToken(ctx context.Context, token string) (*Invoice, error)
	ListInvoices(ctx context.Context, f InvoiceFilter) ([]*Invoice, int, error)
	// CancelInvoice cancels an Unpaid invoice; a Cancelled one stays as it
	// is; Paid and Expired answer EINVOICESTATE.
	CancelInvoice(ctx context.Context, merchantID, invoiceNo string) (*Invoice, error)
	// InvoiceStats counts the merchant's invoices created in [from, to].
	InvoiceStats(ctx context.Context, merchantID string, from, to time.Time) ([]InvoiceStat, error)
	// PayInvoice creates the order that pays an Unpaid invoice on its
	// hosted page; when that order succeeds the invoice becomes Paid in the
	// same transaction.
	PayInvoice(ctx context.Context, invoiceID int64, returnURL string) (*Order, error)
}
