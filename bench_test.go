package opaygate_test

import (
	"testing"

	"github.com/opaygate/opaygate"
)

// BenchmarkPlans is the plan computation of every ValU payment/create.
func BenchmarkPlans(b *testing.B) {
	table := opaygate.DefaultPlanTable()
	b.ReportAllocs()
	for b.Loop() {
		if plans := table.Plans(60000, 20_000_000); len(plans) != 6 {
			b.Fatalf("%d plans", len(plans))
		}
	}
}

// BenchmarkPlansOverLimit is an account whose credit no plan fits: no offer, no allocation.
func BenchmarkPlansOverLimit(b *testing.B) {
	table := opaygate.DefaultPlanTable()
	b.ReportAllocs()
	for b.Loop() {
		if plans := table.Plans(60000, 0); len(plans) != 0 {
			b.Fatalf("%d plans", len(plans))
		}
	}
}
