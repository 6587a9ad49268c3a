package opaygate

import (
	"fmt"
	"strconv"
	"strings"
)

// RoundHalfUp returns amount × bp / 10000 rounded half up, for non-negative
// amounts and rates (basis points: 1 bp = 0.01 %).
func RoundHalfUp(amount, bp int64) int64 {
	return (amount*bp + 5000) / 10000
}

// CeilDiv returns ⌈a / b⌉ for a ≥ 0, b > 0.
func CeilDiv(a, b int64) int64 {
	return (a + b - 1) / b
}

// FormatAmount shows minor units in the currency's usual form: "EGP 1,234.56", "₦1,234.56".
// Both currencies have two decimals; no float is involved.
func FormatAmount(amount int64, currency string) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	whole := strconv.FormatInt(amount/100, 10)
	var b strings.Builder
	for i := range len(whole) {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(whole[i])
	}
	cents := amount % 100
	number := fmt.Sprintf("%s.%02d", b.String(), cents)
	switch currency {
	case "NGN":
		return sign + "₦" + number
	case "":
		return sign + number
	}
	return sign + currency + " " + number
}
