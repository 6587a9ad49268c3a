package opay

import "testing"

func TestStatuses(t *testing.T) {
	orders := []struct {
		s            OrderStatus
		known, final bool
	}{
		{StatusInitial, true, false}, {StatusPending, true, false}, {StatusSuccess, true, true},
		{StatusFail, true, true}, {StatusClose, true, true}, {"VOIDED", false, false}, {"", false, false},
	}
	for _, tt := range orders {
		if tt.s.Known() != tt.known || tt.s.Final() != tt.final {
			t.Errorf("OrderStatus %q: Known %v Final %v", tt.s, tt.s.Known(), tt.s.Final())
		}
	}
	refunds := []struct {
		s            RefundStatus
		known, final bool
	}{
		{StatusInitial, true, false}, {StatusPending, true, false}, {StatusSuccess, true, true},
		{StatusFail, true, true}, {StatusClose, false, false}, {"REVERSED", false, false},
	}
	for _, tt := range refunds {
		if tt.s.Known() != tt.known || tt.s.Final() != tt.final {
			t.Errorf("RefundStatus %q: Known %v Final %v", tt.s, tt.s.Known(), tt.s.Final())
		}
	}
	invoices := []struct {
		s            InvoiceStatus
		known, final bool
	}{
		{InvoiceUnpaid, true, false}, {InvoicePaid, true, true}, {InvoiceCancelled, true, true},
		{InvoiceExpired, true, true}, {"Refunded", false, false}, {"PAID", false, false},
	}
	for _, tt := range invoices {
		if tt.s.Known() != tt.known || tt.s.Final() != tt.final {
			t.Errorf("InvoiceStatus %q: Known %v Final %v", tt.s, tt.s.Known(), tt.s.Final())
		}
	}
}
