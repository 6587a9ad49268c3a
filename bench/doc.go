// Package bench measures a gateway the way its merchants use it: signed
// requests over real HTTP on loopback, from many concurrent clients. It
// answers three questions — how many payments per second, at what latency,
// and whether that holds as the tables grow — and puts every number beside
// a baseline measured in the same run: a bare handler that only reads the
// body, verifies the signature and answers, the most this machine can do
// per request. Ratios to it survive the drift of a shared machine that
// absolute numbers do not.
//
// Like cmd, it builds a gateway (package gateway) when it is not given one,
// and it opens the store itself to bulk-load history (bench/bulkload);
// nothing but cmd imports it.
package bench
