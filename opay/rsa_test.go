package opay

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// testRSAKeys are made once: 2048-bit generation is slow under the race detector.
var testRSAKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var keys [2]*rsa.PrivateKey
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

func mustSignRSA(t *testing.T, body string, key *rsa.PrivateKey) string {
	t.Helper()
	sig, err := SignRSA([]byte(body), key)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestVerifyRSAForms(t *testing.T) {
	keys := testRSAKeys()
	key, other := keys[0], keys[1]
	phpSent := `{"notifyUrl":"https:\/\/shop.example\/payout","amount":"100"}`
	phpSigned := `{"notifyUrl":"https://shop.example/payout","amount":"100"}`
	pretty := "{\n  \"z\": {\"y\": 1, \"x\": [ {\"b\": 2, \"a\": 1} ]},\n  \"a\": \"v\"\n}"
	sorted := `{"a":"v","z":{"x":[{"a":1,"b":2}],"y":1}}`
	compactPretty := `{"z":{"y":1,"x":[{"b":2,"a":1}]},"a":"v"}`
	tests := []struct {
		name, body, signed string
		key                *rsa.PrivateKey
		want               bool
	}{
		{"Raw", pretty, pretty, key, true},
		{"CompactUnescapedSlash", phpSent, phpSigned, key, true},
		{"Compact", pretty, compactPretty, key, true},
		{"Sorted", pretty, sorted, key, true},
		{"OtherKey", pretty, pretty, other, false},
		{"AlteredBody", strings.Replace(phpSent, "100", "900", 1), phpSigned, key, false},
		{"NotJSONRaw", "amount=100", "amount=100", key, true},
		{"NotJSONAltered", "amount=900", "amount=100", key, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sig := mustSignRSA(t, tc.signed, tc.key)
			if got := VerifyRSA([]byte(tc.body), sig, &key.PublicKey); got != tc.want {
				t.Errorf("VerifyRSA = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestVerifyRSAEncodings(t *testing.T) {
	key := testRSAKeys()[0]
	body := []byte(`{"reference":"p-1"}`)
	sig := mustSignRSA(t, string(body), key)
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(raw) != 256 {
		t.Fatalf("SignRSA gave %d bytes of standard base64: %v", len(raw), err)
	}
	if again := mustSignRSA(t, string(body), key); again != sig {
		t.Errorf("PKCS#1 v1.5 signatures are deterministic, got two")
	}
	// 256 bytes are 342 base64 digits and "==": the padding and the URL alphabet's - and _
	// are both tested only when they occur, so look for a signature that has them.
	urlSafe := base64.URLEncoding.EncodeToString(raw)
	for name, s := range map[string]string{
		"StdPadded":      sig,
		"StdUnpadded":    strings.TrimRight(sig, "="),
		"URLPadded":      urlSafe,
		"URLUnpadded":    strings.TrimRight(urlSafe, "="),
		"Bearer":         "Bearer " + sig,
		"BearerLower":    "bearer  " + sig,
		"BearerUnpadURL": "Bearer " + strings.TrimRight(urlSafe, "="),
	} {
		t.Run(name, func(t *testing.T) {
			if !VerifyRSA(body, s, &key.PublicKey) {
				t.Error("refused")
			}
		})
	}
	for name, s := range map[string]string{
		"Empty":      "",
		"BearerOnly": "Bearer ",
		"Hex":        Sign(body, "OPAYPRV1"),
		"Truncated":  sig[:100],
		"BadPadding": strings.TrimRight(sig, "=") + "===",
		"NotBase64":  "not*base64!",
		"MixedAlpha": strings.TrimRight(sig, "=")[:300] + "-_+/" + strings.TrimRight(sig, "=")[304:],
	} {
		t.Run("Refuses"+name, func(t *testing.T) {
			if VerifyRSA(body, s, &key.PublicKey) {
				t.Error("accepted")
			}
		})
	}
	if VerifyRSA(body, sig, nil) {
		t.Error("accepted without a key")
	}
	if _, err := SignRSA(body, nil); err == nil {
		t.Error("SignRSA without a key succeeded")
	}
}

func TestClientSignsPayoutsWithRSA(t *testing.T) {
	key := testRSAKeys()[0]
	var auth, path string
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth, path = r.Header.Get("Authorization"), r.URL.Path
		body, _ = io.ReadAll(r.Body)
		io.WriteString(w, `{"code":"00000","message":"SUCCESSFUL","data":{"orderNo":"P1"}}`)
	}))
	defer srv.Close()
	ctx := context.Background()

	c := NewClient("256612345678901", "", WithBaseURL(srv.URL), WithPayoutKey(key))
	var out struct{ OrderNo string }
	if err := c.doPayout(ctx, "/api/v1/international/payout/queryorder", map[string]string{"reference": "p-1"}, &out); err != nil {
		t.Fatal(err)
	}
	if out.OrderNo != "P1" || path != "/api/v1/international/payout/queryorder" {
		t.Errorf("answer %+v at %s", out, path)
	}
	if !strings.HasPrefix(auth, "Bearer ") || !VerifyRSA(body, auth, &key.PublicKey) {
		t.Errorf("Authorization %q does not verify over %s", auth, body)
	}
	// Do recognises payout paths too.
	if _, err := c.Do(ctx, "/api/v1/international/payout/balance", []byte(`{"country":"NG"}`)); err != nil {
		t.Fatal(err)
	}
	if !VerifyRSA([]byte(`{"country":"NG"}`), auth, &key.PublicKey) {
		t.Error("Do did not sign a payout path with RSA")
	}
	// Without a payout key, payouts fail before sending; other calls without the HMAC key too.
	path = ""
	bare := NewClient("256612345678901", "OPAYPRV1", WithBaseURL(srv.URL))
	if err := bare.doPayout(ctx, "/api/v1/international/payout/balance", struct{}{}, nil); err == nil ||
		!strings.Contains(err.Error(), "WithPayoutKey") || path != "" {
		t.Errorf("no payout key: %v (sent to %q)", err, path)
	}
	if _, err := c.Do(ctx, PathCashierStatus, []byte(`{}`)); err == nil || path != "" {
		t.Errorf("no private key: %v (sent to %q)", err, path)
	}
}
