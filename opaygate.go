// Package opaygate holds the domain of the gateway: merchants, orders, invoices,
// products and refunds, their statuses and allowed moves, the domain error type,
// the service interfaces that storage implements, and the interfaces of the
// payment network that the sandbox simulates.
//
// It imports nothing but the standard library and nothing of ours; every other
// package depends on it, never the other way round.
package opaygate

import (
	"sync"
	"time"
)

// Clock is where every expiry, OTP window and retry schedule reads the time,
// so tests and the sandbox can move time instead of sleeping.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock, in UTC.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// OffsetClock is a wall clock that can be moved forward, for the sandbox's
// "advance the clock" control and for tests. The zero value reads wall time.
type OffsetClock struct {
	mu     sync.RWMutex
	offset time.Duration
	base   Clock
}

// NewOffsetClock returns a clock that reads base (the wall clock when nil) plus
// an adjustable offset.
func NewOffsetClock(base Clock) *OffsetClock { return &OffsetClock{base: base} }

// Now returns the base time plus the accumulated offset.
func (c *OffsetClock) Now() time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	base := c.base
	if base == nil {
		base = SystemClock{}
	}
	return base.Now().Add(c.offset)
}

// Advance moves the clock forward by d; a negative d is ignored because time
// going backwards would reopen expired orders.
func (c *OffsetClock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Offset reports how far the clock has been moved.
func (c *OffsetClock) Offset() time.Duration {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.offset
}

// Currencies maps each supported country to its currency.
var currencies = map[string]string{"EG": "EGP", "NG": "NGN"}

// CurrencyOf returns the currency of a supported country, or "" when the
// country is not supported.
func CurrencyOf(country string) string { return currencies[country] }

// Countries lists the supported countries in a stable order.
func Countries() []string { return []string{"EG", "NG"} }

// KnownCurrency reports whether c is the currency of a supported country.
func KnownCurrency(c string) bool {
	for _, country := range Countries() {
		if CurrencyOf(country) == c {
			return true
		}
	}
	return false
}

// MaxAmount is the largest amount in minor units the gateway accepts (10^13).
const MaxAmount int64 = 10_000_000_000_000
