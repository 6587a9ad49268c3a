package opay

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// Payout requests are signed differently from every other call (METHODS.md §10.1): with the
// merchant's own RSA private key, SHA256withRSA, base64 in the Authorization header. The
// gateway holds only the public half, so nobody who reads its database can send a payout.

// SignRSA returns the payout signature of body: standard, padded base64 of the
// RSASSA-PKCS1-v1_5 SHA-256 signature ("SHA256withRSA") under key. Send it as
// "Authorization: Bearer <signature>" with the body exactly as signed.
func SignRSA(body []byte, key *rsa.PrivateKey) (string, error) {
	if key == nil {
		return "", errors.New("opay: sign payout request: no RSA private key")
	}
	sum := sha256.Sum256(body)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// VerifyRSA reports whether signature is a SHA256withRSA signature under pub of body in one of
// the forms Verify accepts: the raw bytes, Compact(body) or CompactSorted(body). The signature
// may carry a "Bearer" prefix and be standard or URL-safe base64, padded or not.
func VerifyRSA(body []byte, signature string, pub *rsa.PublicKey) bool {
	sig, ok := DecodeRSASignature(signature)
	if !ok || pub == nil || len(sig) != pub.Size() {
		return false
	}
	verify := func(form []byte) bool {
		sum := sha256.Sum256(form)
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) == nil
	}
	if verify(body) {
		return true
	}
	c, err := compact(body)
	if err != nil {
		return false
	}
	if !bytes.Equal(c.out, body) && verify(c.out) {
		return true
	}
	sorted := c.sorted()
	return !bytes.Equal(sorted, c.out) && verify(sorted)
}

// DecodeRSASignature reads a payout signature as VerifyRSA does: an optional "Bearer" prefix,
// then standard or URL-safe base64, padded or not. It does not check the length, which
// depends on the key.
func DecodeRSASignature(s string) ([]byte, bool) {
	const scheme = "bearer"
	if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
		s = strings.TrimLeft(s[len(scheme):], " ")
	}
	if s == "" {
		return nil, false
	}
	url := strings.ContainsAny(s, "-_")
	var enc *base64.Encoding
	switch {
	case url && strings.HasSuffix(s, "="):
		enc = base64.URLEncoding
	case url:
		enc = base64.RawURLEncoding
	case strings.HasSuffix(s, "="):
		enc = base64.StdEncoding
	default:
		enc = base64.RawStdEncoding
	}
	// Strict: one signature has one spelling per alphabet and padding.
	sig, err := enc.Strict().DecodeString(s)
	if err != nil {
		return nil, false
	}
	return sig, true
}

// Payout paths answer authentication and configuration failures with OPay's payout codes and
// messages (METHODS.md §10.5), which differ in words, and for 02017 in code, from the rest of
// the API's (02000 "authentication failed.", 02007 "merchant not available.", 02002).
const (
	CodePayoutNotOpened           = "02017"
	MessagePayoutAuthFailed       = "Authentication failed"
	MessagePayoutMerchantDisabled = "Merchant has not gone live"
	MessagePayoutNotOpened        = "The payment method has not been opened yet"
)
