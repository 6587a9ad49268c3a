package opaygate

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// InstallmentBank is one bank's installment plans (METHODS.md §8.5): the catalogue
// getBankInstallment lists and BankInstallment payments choose from. A merchant may have its
// own catalogue (Merchant.InstallmentBanks); otherwise the gateway's applies.
type InstallmentBank struct {
	Code  string            `json:"bankCode"`
	Name  string            `json:"bankName"`
	Plans []InstallmentPlan `json:"plans"`
}

// InstallmentPlan is a number of months at a fee rate (percent, as the wire's decimal string)
// for order amounts from Min to Max, in minor units.
type InstallmentPlan struct {
	Months  int    `json:"months"`
	FeeRate string `json:"feeRate"`
	Min     int64  `json:"minAmount"`
	Max     int64  `json:"maxAmount"`
}

// Bounds of a catalogue a merchant sets.
const (
	MaxInstallmentBanks  = 50
	MaxInstallmentPlans  = 24  // per bank
	MaxInstallmentMonths = 60  // five years
	maxBankCode          = 16  // characters
	maxFeeRate           = 100 // percent
)

// CheckInstallmentBanks validates a catalogue: at least one bank, each with a code unique in
// the catalogue and a name, and plans of distinct months (1–60) at a fee rate of 0–100 percent
// (a decimal, at most two places) over a positive amount range. Errors are EINVALID naming the
// bank and the field.
func CheckInstallmentBanks(banks []InstallmentBank) error {
	if len(banks) == 0 || len(banks) > MaxInstallmentBanks {
		return Invalid("a catalogue has 1 to %d banks", MaxInstallmentBanks)
	}
	codes := map[string]bool{}
	for i, b := range banks {
		at := fmt.Sprintf("bank %d", i+1)
		switch {
		case b.Code == "" || utf8.RuneCountInString(b.Code) > maxBankCode || !printable(b.Code):
			return Invalid("%s: bankCode must be 1 to %d printable characters", at, maxBankCode)
		case codes[b.Code]:
			return Invalid("%s: bankCode %s appears twice", at, b.Code)
		}
		codes[b.Code] = true
		at = "bank " + b.Code
		if err := CheckText(at+": bankName", b.Name, MaxNameLength, true); err != nil {
			return err
		}
		if len(b.Plans) == 0 || len(b.Plans) > MaxInstallmentPlans {
			return Invalid("%s: 1 to %d plans", at, MaxInstallmentPlans)
		}
		months := map[int]bool{}
		for _, p := range b.Plans {
			switch {
			case p.Months < 1 || p.Months > MaxInstallmentMonths:
				return Invalid("%s: months must be 1 to %d", at, MaxInstallmentMonths)
			case months[p.Months]:
				return Invalid("%s: two plans of %d months", at, p.Months)
			case !feeRate(p.FeeRate):
				return Invalid("%s, %d months: feeRate must be a percent from 0 to %d, e.g. \"5\" or \"2.5\"", at, p.Months, maxFeeRate)
			case p.Min <= 0 || p.Max < p.Min:
				return Invalid("%s, %d months: minAmount must be positive and at most maxAmount", at, p.Months)
			}
			months[p.Months] = true
		}
	}
	return nil
}

// feeRate reports whether s is a decimal percent from 0 to 100 with at most two places.
func feeRate(s string) bool {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || !Digits(whole) || len(frac) > 2 || dot && (frac == "" || !Digits(frac)) {
		return false
	}
	v, err := strconv.ParseFloat(s, 64)
	return err == nil && v >= 0 && v <= maxFeeRate
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
