package opaygate

// Plan is one ValU installment offer. Amounts are in minor units.
type Plan struct {
	Months      int   `json:"months"`
	DownPayment int64 `json:"downPayment"`
	Fee         int64 `json:"fee"`
	EMI         int64 `json:"emi"`
}

// MaxTenor bounds the months a request may name for a plan; only the offered ones are
// accepted, this only keeps absurd numbers out.
const MaxTenor = 1200

// ValidTenor reports whether months can name a plan at all.
func ValidTenor(months int64) bool { return months > 0 && months <= MaxTenor }

// PlanTable defines the offers: a flat total rate that grows with the tenor,
// a down payment and an admin fee, all in basis points of the amount.
type PlanTable struct {
	Tenors        []int `json:"tenors"`
	BaseMonths    int   `json:"baseMonths"`    // tenor that pays BaseRateBP
	BaseRateBP    int64 `json:"baseRateBP"`    // total flat rate at BaseMonths
	StepRateBP    int64 `json:"stepRateBP"`    // added per month above BaseMonths
	DownPaymentBP int64 `json:"downPaymentBP"` // share paid up front
	FeeBP         int64 `json:"feeBP"`         // admin fee
}

// DefaultPlanTable is spec section 5: 6–24 months, 14 % + 1.5 % per month
// above 6, no down payment, 3 % admin fee.
func DefaultPlanTable() PlanTable {
	return PlanTable{
		Tenors:     []int{6, 7, 9, 12, 18, 24},
		BaseMonths: 6, BaseRateBP: 1400, StepRateBP: 150,
		DownPaymentBP: 0, FeeBP: 300,
	}
}

// RateBP is the total flat rate for a tenor, in basis points.
func (t PlanTable) RateBP(months int) int64 {
	return t.BaseRateBP + t.StepRateBP*int64(months-t.BaseMonths)
}

// Plans returns the offers for amount whose financed part fits creditLimit, in
// tenor order. The EMI is rounded up so the installments never fall short of
// the financed amount plus interest; the fee and down payment round half up.
func (t PlanTable) Plans(amount, creditLimit int64) []Plan {
	var plans []Plan
	down := RoundHalfUp(amount, t.DownPaymentBP)
	fee := RoundHalfUp(amount, t.FeeBP)
	financed := amount - down
	if financed > creditLimit {
		return nil
	}
	for _, m := range t.Tenors {
		if m <= 0 {
			continue
		}
		emi := CeilDiv(financed*(10000+t.RateBP(m)), 10000*int64(m))
		plans = append(plans, Plan{Months: m, DownPayment: down, Fee: fee, EMI: emi})
	}
	return plans
}
