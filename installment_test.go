package opaygate_test

import (
	"strings"
	"testing"

	"github.com/opaygate/opaygate"
)

func TestCheckInstallmentBanks(t *testing.T) {
	plan := func(months int, rate string, min, max int64) opaygate.InstallmentPlan {
		return opaygate.InstallmentPlan{Months: months, FeeRate: rate, Min: min, Max: max}
	}
	bank := func(code string, plans ...opaygate.InstallmentPlan) opaygate.InstallmentBank {
		return opaygate.InstallmentBank{Code: code, Name: "Bank " + code, Plans: plans}
	}
	ok := []opaygate.InstallmentBank{bank("CIB", plan(6, "0", 1, 1), plan(12, "2.5", 100, 200)), bank("NBE", plan(60, "100", 1, 9))}
	if err := opaygate.CheckInstallmentBanks(ok); err != nil {
		t.Fatalf("valid catalogue: %v", err)
	}
	for name, tc := range map[string]struct {
		banks []opaygate.InstallmentBank
		want  string
	}{
		"Empty":          {nil, "1 to 50 banks"},
		"NoCode":         {[]opaygate.InstallmentBank{bank("", plan(6, "0", 1, 1))}, "bank 1: bankCode"},
		"CodeTwice":      {[]opaygate.InstallmentBank{bank("A", plan(6, "0", 1, 1)), bank("A", plan(6, "0", 1, 1))}, "bankCode A appears twice"},
		"NoName":         {[]opaygate.InstallmentBank{{Code: "A", Plans: []opaygate.InstallmentPlan{plan(6, "0", 1, 1)}}}, "bank A: bankName"},
		"NoPlans":        {[]opaygate.InstallmentBank{bank("A")}, "bank A: 1 to 24 plans"},
		"Months0":        {[]opaygate.InstallmentBank{bank("A", plan(0, "0", 1, 1))}, "months must be 1 to 60"},
		"Months61":       {[]opaygate.InstallmentBank{bank("A", plan(61, "0", 1, 1))}, "months must be 1 to 60"},
		"MonthsTwice":    {[]opaygate.InstallmentBank{bank("A", plan(6, "0", 1, 1), plan(6, "1", 1, 1))}, "two plans of 6 months"},
		"RateNegative":   {[]opaygate.InstallmentBank{bank("A", plan(6, "-1", 1, 1))}, "feeRate"},
		"RateOver100":    {[]opaygate.InstallmentBank{bank("A", plan(6, "100.5", 1, 1))}, "feeRate"},
		"RatePercent":    {[]opaygate.InstallmentBank{bank("A", plan(6, "5%", 1, 1))}, "feeRate"},
		"RateTrailing":   {[]opaygate.InstallmentBank{bank("A", plan(6, "5.", 1, 1))}, "feeRate"},
		"RateTooPrecise": {[]opaygate.InstallmentBank{bank("A", plan(6, "0.125", 1, 1))}, "feeRate"},
		"RateEmpty":      {[]opaygate.InstallmentBank{bank("A", plan(6, "", 1, 1))}, "feeRate"},
		"MinZero":        {[]opaygate.InstallmentBank{bank("A", plan(6, "0", 0, 1))}, "minAmount must be positive"},
		"MaxBelowMin":    {[]opaygate.InstallmentBank{bank("A", plan(6, "0", 5, 4))}, "at most maxAmount"},
	} {
		t.Run(name, func(t *testing.T) {
			err := opaygate.CheckInstallmentBanks(tc.banks)
			if opaygate.ErrorCode(err) != opaygate.EINVALID || !strings.Contains(opaygate.ErrorMessage(err), tc.want) {
				t.Fatalf("got %v, want EINVALID with %q", err, tc.want)
			}
		})
	}
}
