package opaygate_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/opaygate/opaygate"
)

var testRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func TestParsePayoutKey(t *testing.T) {
	key := testRSAKey()
	spki, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pkcs1 := x509.MarshalPKCS1PublicKey(&key.PublicKey)
	pemOf := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	want := opaygate.PayoutKeyFingerprint(&key.PublicKey)
	wrapped := base64.StdEncoding.EncodeToString(spki)
	wrapped = wrapped[:64] + "\n" + wrapped[64:]
	for name, text := range map[string]string{
		"SPKIPEM":          pemOf("PUBLIC KEY", spki),
		"PKCS1PEM":         pemOf("RSA PUBLIC KEY", pkcs1),
		"SPKIBase64":       base64.StdEncoding.EncodeToString(spki),
		"PKCS1Base64":      base64.StdEncoding.EncodeToString(pkcs1),
		"UnpaddedBase64":   base64.RawStdEncoding.EncodeToString(spki),
		"WrappedBase64":    wrapped,
		"SurroundingSpace": "\n  " + pemOf("PUBLIC KEY", spki) + "\n\n",
	} {
		t.Run(name, func(t *testing.T) {
			norm, err := opaygate.NormalizePayoutKey(text)
			if err != nil {
				t.Fatal(err)
			}
			if norm != pemOf("PUBLIC KEY", spki) {
				t.Errorf("normalized to\n%s", norm)
			}
			pub, err := opaygate.ParsePayoutKey(norm)
			if err != nil {
				t.Fatal(err)
			}
			if got := opaygate.PayoutKeyFingerprint(pub); got != want {
				t.Errorf("fingerprint %s, want %s", got, want)
			}
		})
	}
	if !strings.HasPrefix(want, "SHA256:") || len(want) != len("SHA256:")+43 {
		t.Errorf("fingerprint %q is not SHA256: and 43 base64 characters", want)
	}

	// Only the modulus's length is checked, so made-up moduli stand for keys that are slow to
	// generate.
	modulus := func(bits int) []byte {
		n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
		der, err := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: n.Add(n, big.NewInt(1)), E: 65537})
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	privDER, _ := x509.MarshalPKCS8PrivateKey(key)
	pem1 := pemOf("PUBLIC KEY", spki)
	for name, tc := range map[string]struct{ text, want string }{
		"Empty":             {"  ", "empty"},
		"TooShort":          {pemOf("PUBLIC KEY", modulus(2047)), "2047 bits; at least 2048"},
		"TooLong":           {pemOf("PUBLIC KEY", modulus(4097)), "4097 bits; at most 4096"},
		"ECDSA":             {pemOf("PUBLIC KEY", ecDER), "ECDSA key"},
		"PrivatePEM":        {pemOf("PRIVATE KEY", privDER), "private key"},
		"PrivateBase64":     {base64.StdEncoding.EncodeToString(privDER), "private key"},
		"RSAPrivatePEM":     {pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)), "private key"},
		"Certificate":       {pemOf("CERTIFICATE", spki), "certificate"},
		"OtherType":         {pemOf("SSH KEY", spki), `"SSH KEY"`},
		"TwoBlocks":         {pem1 + pem1, "one PEM block"},
		"Truncated":         {pem1[:len(pem1)/2], "damaged"},
		"NotBase64":         {"OPAYPUB123.456", "neither PEM nor base64"},
		"Base64NotKey":      {base64.StdEncoding.EncodeToString([]byte("hello world")), "not a valid SPKI or PKCS#1"},
		"PKCS1TypeSPKIBody": {pemOf("RSA PUBLIC KEY", spki), "not a valid PKCS#1"},
	} {
		t.Run("Refuses"+name, func(t *testing.T) {
			_, err := opaygate.ParsePayoutKey(tc.text)
			if opaygate.ErrorCode(err) != opaygate.EINVALID || !strings.Contains(opaygate.ErrorMessage(err), tc.want) {
				t.Errorf("err = %v, want EINVALID saying %q", err, tc.want)
			}
		})
	}
}
