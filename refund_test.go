package opaygate

import (
	"testing"
	"time"
)

func TestRefundApplyDue(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		r    Refund
		want RefundStatus
	}{
		{"PendingDue", Refund{Status: RefundPending, DueAt: now}, RefundSuccess},
		{"PendingNotYet", Refund{Status: RefundPending, DueAt: now.Add(time.Millisecond)}, RefundPending},
		{"PendingWithoutDelay", Refund{Status: RefundPending}, RefundPending},
		{"FailStays", Refund{Status: RefundFail, DueAt: now.Add(-time.Hour)}, RefundFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.ApplyDue(now)
			if tt.r.Status != tt.want {
				t.Errorf("status %s, want %s", tt.r.Status, tt.want)
			}
		})
	}
}
