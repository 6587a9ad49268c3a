package opaygate_test

import (
	"testing"

	"github.com/opaygate/opaygate"
)

func TestPlanTable_Plans(t *testing.T) {
	table := opaygate.DefaultPlanTable()
	t.Run("DocumentationExample", func(t *testing.T) {
		plans := table.Plans(60000, 20_000_000)
		if len(plans) != 6 {
			t.Fatalf("got %d plans, want 6", len(plans))
		}
		want := map[int]int64{6: 11400, 7: 9900}
		for _, p := range plans {
			if emi, ok := want[p.Months]; ok && p.EMI != emi {
				t.Errorf("%d months: emi %d, want %d", p.Months, p.EMI, emi)
			}
			if p.Fee != 1800 || p.DownPayment != 0 {
				t.Errorf("%d months: fee %d down %d, want 1800 and 0", p.Months, p.Fee, p.DownPayment)
			}
		}
	})
	for _, tt := range []struct {
		name   string
		amount int64
		months int
		emi    int64
		fee    int64
	}{
		{"RoundsEMIUp", 100, 7, 17, 3},          // 100×1.155/7 = 16.5 → 17
		{"TwelveMonths", 60000, 12, 6150, 1800}, // 23 %
		{"TwentyFourMonths", 60000, 24, 3525, 1800},
		{"FeeHalfUp", 50, 6, 10, 2}, // 1.5 → 2
		{"LargestAmount", opaygate.MaxAmount, 24, 587500000000, 300000000000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range table.Plans(tt.amount, opaygate.MaxAmount) {
				if p.Months == tt.months {
					if p.EMI != tt.emi || p.Fee != tt.fee {
						t.Fatalf("emi %d fee %d, want %d %d", p.EMI, p.Fee, tt.emi, tt.fee)
					}
					return
				}
			}
			t.Fatalf("no %d-month plan", tt.months)
		})
	}
	t.Run("NoneAboveCreditLimit", func(t *testing.T) {
		if plans := table.Plans(60000, 59999); len(plans) != 0 {
			t.Fatalf("got %d plans above the limit", len(plans))
		}
		if plans := table.Plans(60000, 0); len(plans) != 0 {
			t.Fatalf("got %d plans with no credit", len(plans))
		}
	})
}

func TestCanMove(t *testing.T) {
	all := []opaygate.OrderStatus{opaygate.StatusInitial, opaygate.StatusPending, opaygate.StatusSuccess, opaygate.StatusFail, opaygate.StatusClose}
	allowed := map[[2]opaygate.OrderStatus]bool{
		{"INITIAL", "PENDING"}: true, {"INITIAL", "SUCCESS"}: true, {"INITIAL", "FAIL"}: true, {"INITIAL", "CLOSE"}: true,
		{"PENDING", "SUCCESS"}: true, {"PENDING", "FAIL"}: true, {"PENDING", "CLOSE"}: true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := opaygate.CanMove(from, to); got != allowed[[2]opaygate.OrderStatus{from, to}] {
				t.Errorf("CanMove(%s, %s) = %v", from, to, got)
			}
		}
	}
}
