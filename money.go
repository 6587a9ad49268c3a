package opaygate

// RoundHalfUp returns amount × bp / 10000 rounded half up, for non-negative
// amounts and rates (basis points: 1 bp = 0.01 %).
func RoundHalfUp(amount, bp int64) int64 {
	return (amount*bp + 5000) / 10000
}

// CeilDiv returns ⌈a / b⌉ for a ≥ 0, b > 0.
func CeilDiv(a, b int64) int64 {
	return (a + b - 1) / b
}
