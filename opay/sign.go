package opay

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"io"
	"strings"
)

// Sign returns the request signature OPay expects in the Authorization header: lowercase hex
// HMAC-SHA512 of body keyed with the merchant's private key.
func Sign(body []byte, privateKey string) string {
	return SignTimestamped("", body, privateKey)
}

// SignTimestamped returns the v2 signature, HMAC-SHA512 of timestamp followed by body, where
// timestamp is the RequestTimestamp header's value. Binding the timestamp lets the gateway
// refuse replays.
func SignTimestamped(timestamp string, body []byte, privateKey string) string {
	mac := hmac.New(sha512.New, []byte(privateKey))
	io.WriteString(mac, timestamp)
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// AuthorizationHeader returns the Authorization header value for a signed request.
func AuthorizationHeader(body []byte, privateKey string) string {
	return "Bearer " + Sign(body, privateKey)
}

// Verify reports whether signature signs body under privateKey. Clients disagree on what they
// sign, so the signature may be over the raw body, Compact(body) or CompactSorted(body). The
// signature may carry a "Bearer" prefix and its hex may be in either case.
func Verify(body []byte, signature, privateKey string) bool {
	return VerifyTimestamped("", body, signature, privateKey)
}

// VerifyTimestamped is Verify for v2 signatures, made over timestamp followed by the body in
// any of Verify's three forms. Checking that timestamp is recent is left to the caller, which
// owns the clock.
func VerifyTimestamped(timestamp string, body []byte, signature, privateKey string) bool {
	want, ok := parseSignature(signature)
	if !ok {
		return false
	}
	v := verifier{
		mac:       hmac.New(sha512.New, []byte(privateKey)),
		timestamp: timestamp,
		want:      want,
		sum:       make([]byte, 0, sha512.Size),
	}
	// Most clients sign what they send, so the canonical forms are only built when needed.
	if v.matches(body) {
		return true
	}
	c, err := compact(body)
	if err != nil {
		return false
	}
	// An already compact or already sorted body would only repeat a failed comparison.
	if !bytes.Equal(c.out, body) && v.matches(c.out) {
		return true
	}
	sorted := c.sorted()
	return !bytes.Equal(sorted, c.out) && v.matches(sorted)
}

type verifier struct {
	mac       hash.Hash
	timestamp string
	want      [sha512.Size]byte
	sum       []byte
	used      bool
}

func (v *verifier) matches(form []byte) bool {
	// A fresh HMAC needs no Reset, and resetting it costs the common raw-body case a copy of
	// its internal state that only later forms would use.
	if v.used {
		v.mac.Reset()
	}
	v.used = true
	io.WriteString(v.mac, v.timestamp)
	v.mac.Write(form)
	v.sum = v.mac.Sum(v.sum[:0])
	return hmac.Equal(v.sum, v.want[:])
}

// parseSignature accepts "Bearer <hex>" as well as bare hex because some OPay clients omit the
// scheme, and any number of spaces after it because some pad it.
func parseSignature(s string) (sig [sha512.Size]byte, ok bool) {
	const scheme = "bearer"
	if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
		s = strings.TrimLeft(s[len(scheme):], " ")
	}
	if len(s) != hex.EncodedLen(sha512.Size) {
		return sig, false
	}
	_, err := hex.Decode(sig[:], []byte(s))
	return sig, err == nil
}
