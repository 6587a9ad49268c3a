// Package opay is a client for OPay Checkout's international merchant API, usable unchanged
// against OPay itself or against an opaygate gateway. It holds the contract's signing rules —
// request signatures and callback signatures — so the gateway and the merchants' code share one
// implementation of them.
//
// It imports only the standard library and no other opaygate package, so a merchant can depend
// on it alone.
package opay
