package opay

// The wire types keep statuses as plain strings (the gateway writes them too), and the status
// constants of types.go are untyped, so they compare with both. These types add what a client
// needs on top: convert, then ask.
//
//	switch s := opay.OrderStatus(d.Status); {
//	case s == opay.StatusSuccess: …
//	case !s.Known(): // a status newer than this package: log it, treat it as still open
//	}

// OrderStatus is the status of an order (a payment): StatusInitial, StatusPending,
// StatusSuccess, StatusFail or StatusClose. OPay may add statuses; Known reports whether this
// package knows the value, and an unknown one is neither final nor an error.
type OrderStatus string

// Known reports whether s is one of the statuses of the contract.
func (s OrderStatus) Known() bool {
	switch s {
	case StatusInitial, StatusPending, StatusSuccess, StatusFail, StatusClose:
		return true
	}
	return false
}

// Final reports whether the order can no longer change: SUCCESS, FAIL or CLOSE. (A SUCCESS
// order can still be refunded; that creates refunds, it does not change the order's status.)
func (s OrderStatus) Final() bool {
	return s == StatusSuccess || s == StatusFail || s == StatusClose
}

// RefundStatus is the orderStatus of a refund: StatusInitial, StatusPending, StatusSuccess or
// StatusFail.
type RefundStatus string

// Known reports whether s is one of the refund statuses of the contract.
func (s RefundStatus) Known() bool {
	switch s {
	case StatusInitial, StatusPending, StatusSuccess, StatusFail:
		return true
	}
	return false
}

// Final reports whether the refund can no longer change.
func (s RefundStatus) Final() bool { return s == StatusSuccess || s == StatusFail }

// InvoiceStatus is the status of an e-invoice: InvoiceUnpaid, InvoicePaid, InvoiceCancelled or
// InvoiceExpired (an Unpaid invoice past its due date).
type InvoiceStatus string

// Known reports whether s is one of the invoice statuses of the contract.
func (s InvoiceStatus) Known() bool {
	switch s {
	case InvoiceUnpaid, InvoicePaid, InvoiceCancelled, InvoiceExpired:
		return true
	}
	return false
}

// Final reports whether the invoice can no longer be paid nor cancelled.
func (s InvoiceStatus) Final() bool {
	return s == InvoicePaid || s == InvoiceCancelled || s == InvoiceExpired
}
