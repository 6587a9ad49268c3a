package opaygate

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
)

// MinPayoutKeyBits is the smallest RSA modulus accepted as a payout key: below 2048 bits a
// key can be factored by a determined attacker, and NIST disallowed them in 2013.
const MinPayoutKeyBits = 2048

// MaxPayoutKeyBits is the largest: a 4096-bit signature is 684 base64 characters, and the
// gateway reads Authorization headers of up to 1024.
const MaxPayoutKeyBits = 4096

// A merchant's payout key is the public half of an RSA pair the merchant keeps: payout
// requests are signed with the private half (METHODS.md §10.1), so the gateway never holds
// anything that can sign a payout. Merchants paste keys in every shape their tools print,
// hence the three accepted forms; the gateway stores one, NormalizePayoutKey's.

// ParsePayoutKey reads an RSA public key given as PEM "PUBLIC KEY" (SPKI, what
// `openssl rsa -pubout` prints), PEM "RSA PUBLIC KEY" (PKCS#1), or the base64 of either DER
// without the PEM lines. Anything else, a key that is not RSA, or one outside
// MinPayoutKeyBits–MaxPayoutKeyBits is an EINVALID error that names the problem.
func ParsePayoutKey(text string) (*rsa.PublicKey, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, Invalid("payout public key is empty")
	}
	var der []byte
	var pkcs1 bool
	if strings.HasPrefix(text, "-----BEGIN") {
		block, rest := pem.Decode([]byte(text))
		switch {
		case block == nil:
			return nil, Invalid("payout public key: the PEM text is damaged (no complete BEGIN/END block)")
		case strings.TrimSpace(string(rest)) != "":
			return nil, Invalid("payout public key: give one PEM block, not several")
		case strings.Contains(block.Type, "PRIVATE KEY"):
			return nil, Invalid("payout public key: this is a private key (%s); upload the public key only "+
				"(openssl rsa -in key.pem -pubout) and keep the private key to yourself", block.Type)
		case block.Type == "RSA PUBLIC KEY":
			pkcs1 = true
		case block.Type == "CERTIFICATE":
			return nil, Invalid("payout public key: this is a certificate; give its public key " +
				"(openssl x509 -in cert.pem -pubkey -noout)")
		case block.Type != "PUBLIC KEY":
			return nil, Invalid("payout public key: PEM type %q is neither PUBLIC KEY nor RSA PUBLIC KEY", block.Type)
		}
		der = block.Bytes
	} else {
		// Bare base64 may arrive wrapped over lines, as copied from a PEM body.
		b64 := strings.Join(strings.Fields(text), "")
		var err error
		if der, err = base64.StdEncoding.DecodeString(b64); err != nil {
			if der, err = base64.RawStdEncoding.DecodeString(b64); err != nil {
				return nil, Invalid("payout public key is neither PEM nor base64 DER")
			}
		}
	}
	pub, err := parsePublicDER(der, pkcs1)
	if err != nil {
		return nil, err
	}
	if bits := pub.N.BitLen(); bits < MinPayoutKeyBits {
		return nil, Invalid("payout public key has %d bits; at least %d are required", bits, MinPayoutKeyBits)
	} else if bits > MaxPayoutKeyBits {
		return nil, Invalid("payout public key has %d bits; at most %d are accepted", bits, MaxPayoutKeyBits)
	}
	return pub, nil
}

// parsePublicDER reads SPKI or PKCS#1 DER; bare base64 says neither, so both are tried.
func parsePublicDER(der []byte, pkcs1 bool) (*rsa.PublicKey, error) {
	if pkcs1 {
		pub, err := x509.ParsePKCS1PublicKey(der)
		if err != nil {
			return nil, Invalid("payout public key: not a valid PKCS#1 RSA public key")
		}
		return pub, nil
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		if pub, err1 := x509.ParsePKCS1PublicKey(der); err1 == nil {
			return pub, nil
		}
		if _, err1 := x509.ParsePKCS8PrivateKey(der); err1 == nil {
			return nil, Invalid("payout public key: this is a private key; upload the public key only")
		}
		if _, err1 := x509.ParsePKCS1PrivateKey(der); err1 == nil {
			return nil, Invalid("payout public key: this is a private key; upload the public key only")
		}
		return nil, Invalid("payout public key: not a valid SPKI or PKCS#1 public key")
	}
	pub, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, Invalid("payout public key is a %s key; payouts are signed with RSA", keyKind(key))
	}
	return pub, nil
}

func keyKind(key any) string {
	switch key.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA"
	case ed25519.PublicKey:
		return "Ed25519"
	case *ecdh.PublicKey:
		return "ECDH"
	}
	return "non-RSA"
}

// NormalizePayoutKey parses text as ParsePayoutKey does and returns the key as stored: a PEM
// "PUBLIC KEY" (SPKI) block with a trailing newline.
func NormalizePayoutKey(text string) (string, error) {
	pub, err := ParsePayoutKey(text)
	if err != nil {
		return "", err
	}
	return PayoutKeyPEM(pub), nil
}

// PayoutKeyPEM is pub as a PEM "PUBLIC KEY" (SPKI) block.
func PayoutKeyPEM(pub *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		// Only a nil or malformed key fails, which ParsePayoutKey never returns.
		panic(errors.New("opaygate: marshal payout key: " + err.Error()))
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// PayoutKeyFingerprint identifies pub in logs, the CLI and the dashboard: "SHA256:" and the
// unpadded standard base64 of the SHA-256 of its SPKI DER — OpenSSH's style, so the same key
// gives the same fingerprint whichever of the accepted forms it was uploaded in. Compute it
// yourself with:
//
//	openssl pkey -pubin -in pub.pem -outform DER | openssl dgst -sha256 -binary | base64 | tr -d =
func PayoutKeyFingerprint(pub *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(errors.New("opaygate: marshal payout key: " + err.Error()))
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}
