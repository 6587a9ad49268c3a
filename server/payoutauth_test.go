package server_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/server"
)

// payoutKeys are made once for the package: 2048-bit generation is slow under the race
// detector. [0] is merchant A's, [1] merchant B's, [2] nobody's.
var payoutKeys = sync.OnceValue(func() [3]*rsa.PrivateKey {
	var keys [3]*rsa.PrivateKey
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

// payoutEnv is a test server with an echo endpoint behind rsaSigned, and merchants A and B
// with payout keys.
type payoutEnv struct {
	*env
	url  string
	keys [3]*rsa.PrivateKey
}

const pathPayoutEcho = "/api/v1/international/payout/echo"

func newPayoutEnv(t *testing.T, opts ...testOption) *payoutEnv {
	e := &payoutEnv{env: newTestServer(t, opts...), keys: payoutKeys()}
	echo := func(_ context.Context, m *opaygate.Merchant, body []byte) (any, error) {
		if strings.Contains(string(body), "notopened") {
			// An endpoint's own ENOTCONFIGURED (a payoutType not enabled) is 02017 too.
			return nil, opaygate.Errorf(opaygate.ENOTCONFIGURED, "payoutType Betting is not simulated")
		}
		return map[string]any{"merchantId": m.ID, "bytes": len(body)}, nil
	}
	srv := httptest.NewServer(server.RSASigned(e.server, echo))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	for i, m := range []*opaygate.Merchant{e.A, e.B} {
		key := opaygate.PayoutKeyPEM(&e.keys[i].PublicKey)
		if _, err := e.svc.Merchants.UpdateMerchant(context.Background(), m.ID, opaygate.MerchantUpdate{PayoutPublicKey: &key}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// post sends body to the echo endpoint with the given headers.
func (e *payoutEnv) post(t *testing.T, body string, headers map[string]string) result {
	t.Helper()
	base := e.srv.URL
	e.srv.URL = e.url
	defer func() { e.srv.URL = base }()
	return e.do(t, "POST", pathPayoutEcho, []byte(body), headers)
}

func rsaSig(t *testing.T, body string, key *rsa.PrivateKey) string {
	t.Helper()
	sig, err := opay.SignRSA([]byte(body), key)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestPayoutAuth(t *testing.T) {
	e := newPayoutEnv(t)
	kA, kB, stranger := e.keys[0], e.keys[1], e.keys[2]
	ctx := context.Background()
	pretty := "{\n  \"reference\": \"p-1\",\n  \"notifyUrl\": \"https:\\/\\/shop.example\\/n\",\n  \"amount\": \"100\"\n}"
	compact := `{"reference":"p-1","notifyUrl":"https://shop.example/n","amount":"100"}`
	sorted := `{"amount":"100","notifyUrl":"https://shop.example/n","reference":"p-1"}`
	headers := func(m *opaygate.Merchant, sig string) map[string]string {
		return map[string]string{"MerchantId": m.ID, "Authorization": "Bearer " + sig}
	}
	accepted := func(t *testing.T, r result, m *opaygate.Merchant) {
		t.Helper()
		must(t, r, opay.CodeSuccess)
		var d struct{ MerchantID string }
		if err := json.Unmarshal(r.Data, &d); err != nil || d.MerchantID != m.ID {
			t.Fatalf("echo %s, want merchant %s", r.Data, m.ID)
		}
	}

	t.Run("ByteForms", func(t *testing.T) {
		for name, signed := range map[string]string{"Raw": pretty, "CompactUnescapedSlash": compact, "Sorted": sorted} {
			t.Run(name, func(t *testing.T) {
				accepted(t, e.post(t, pretty, headers(e.A, rsaSig(t, signed, kA))), e.A)
			})
		}
		accepted(t, e.post(t, compact, headers(e.B, rsaSig(t, compact, kB))), e.B)
	})
	t.Run("Base64Variants", func(t *testing.T) {
		sig := rsaSig(t, compact, kA)
		raw, _ := base64.StdEncoding.DecodeString(sig)
		url := base64.URLEncoding.EncodeToString(raw)
		for name, s := range map[string]string{
			"StdPadded": sig, "StdUnpadded": strings.TrimRight(sig, "="),
			"URLPadded": url, "URLUnpadded": strings.TrimRight(url, "="),
		} {
			t.Run(name, func(t *testing.T) { accepted(t, e.post(t, compact, headers(e.A, s)), e.A) })
		}
		// Without the "Bearer " scheme too, as for HMAC signatures.
		accepted(t, e.post(t, compact, map[string]string{"MerchantId": e.A.ID, "Authorization": sig}), e.A)
	})

	noKey := newMerchant(t, e.env, nil)
	disabled := newMerchant(t, e.env, func(m *opaygate.Merchant) {
		m.Status = opaygate.MerchantDisabled
		m.PayoutPublicKey = opaygate.PayoutKeyPEM(&kA.PublicKey)
	})
	noPayout := newMerchant(t, e.env, func(m *opaygate.Merchant) {
		m.Functions = []opaygate.Function{opaygate.FuncCashier}
		m.PayoutPublicKey = opaygate.PayoutKeyPEM(&kA.PublicKey)
	})
	sigA := rsaSig(t, compact, kA)
	for _, tc := range []struct {
		name         string
		body         string
		headers      map[string]string
		code, msg    string
		wantInDetail string
	}{
		{"WrongKey", compact, headers(e.A, rsaSig(t, compact, stranger)), opay.CodeAuthFailed, opay.MessagePayoutAuthFailed,
			"matches no accepted form of this body (raw bytes, compact, compact with sorted keys) under merchant " + e.A.ID +
				"'s payout public key " + opaygate.PayoutKeyFingerprint(&kA.PublicKey)},
		{"AnotherMerchantsKey", compact, headers(e.A, rsaSig(t, compact, kB)), opay.CodeAuthFailed, opay.MessagePayoutAuthFailed,
			"matches no accepted form"},
		{"AnotherMerchantsSignature", compact, headers(e.B, sigA), opay.CodeAuthFailed, opay.MessagePayoutAuthFailed,
			"matches no accepted form of this body (raw bytes, compact, compact with sorted keys) under merchant " + e.B.ID},
		{"AlteredBody", strings.Replace(compact, "100", "900", 1), headers(e.A, sigA), opay.CodeAuthFailed,
			opay.MessagePayoutAuthFailed, "matches no accepted form"},
		{"HMACOfTheBody", compact, headers(e.A, opay.Sign([]byte(compact), e.A.PrivateKey)), opay.CodeAuthFailed,
			opay.MessagePayoutAuthFailed, "HMAC signatures are refused on payout paths: this is the HMAC-SHA512 of the body"},
		{"HMACShape", compact, headers(e.A, strings.Repeat("ab", 64)), opay.CodeAuthFailed, opay.MessagePayoutAuthFailed,
			"HMAC signatures are refused on payout paths: Authorization has 128 hex digits"},
		{"PublicKey", compact, headers(e.A, e.A.PublicKey), opay.CodeAuthFailed, opay.MessagePayoutAuthFailed,
			"Authorization carries the merchant's public key, which payout paths refuse"},
		{"PrivateKey", compact, headers(e.A, e.A.PrivateKey), opay.CodeAuthFailed, opay.MessagePayoutAuthFailed,
			"Authorization carries the private key itself"},
		{"NotBase64", compact, headers(e.A, "sig*nature!"), opay.CodeAuthFailed, opay.MessagePayoutAuthFailed,
			"Authorization is not base64"},
		{"WrongLength", compact, headers(e.A, sigA[:100]), opay.CodeAuthFailed, opay.MessagePayoutAuthFailed,
			"the signature has 75 bytes (100 base64 characters); merchant " + e.A.ID + "'s 2048-bit payout key makes signatures of 256 bytes (344 base64 characters)"},
		{"NoPayoutKey", compact, headers(noKey, sigA), opay.CodeAuthFailed, opay.MessagePayoutAuthFailed,
			"merchant " + noKey.ID + " has no payout public key"},
		{"NoAuthorization", compact, map[string]string{"MerchantId": e.A.ID}, opay.CodeAuthFailed, opay.MessagePayoutAuthFailed,
			"Authorization header is missing: send Bearer and the base64 SHA256withRSA signature of the body"},
		{"UnknownMerchant", compact, headers(&opaygate.Merchant{ID: "999999999999999"}, sigA), opay.CodeAuthFailed,
			opay.MessagePayoutAuthFailed, "MerchantId 999999999999999 is not a merchant of this gateway"},
		{"DisabledWrongSignature", compact, headers(disabled, rsaSig(t, compact, kB)), opay.CodeAuthFailed,
			opay.MessagePayoutAuthFailed, "matches no accepted form"},
		{"Disabled", compact, headers(disabled, sigA), opay.CodeMerchantDisabled, opay.MessagePayoutMerchantDisabled,
			"merchant " + disabled.ID + " is disabled"},
		{"FunctionMissing", compact, headers(noPayout, sigA), opay.CodePayoutNotOpened, opay.MessagePayoutNotOpened,
			"is not enabled for payouts (function payout)"},
		{"EndpointNotOpened", `{"payoutType":"notopened"}`, headers(e.A, rsaSig(t, `{"payoutType":"notopened"}`, kA)),
			opay.CodePayoutNotOpened, opay.MessagePayoutNotOpened, "payoutType Betting is not simulated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := must(t, e.post(t, tc.body, tc.headers), tc.code)
			if r.Message != tc.msg || string(r.Data) != "null" {
				t.Errorf("message %q data %s, want %q and null", r.Message, r.Data, tc.msg)
			}
			if !strings.Contains(r.Detail, tc.wantInDetail) {
				t.Errorf("detail %q lacks %q", r.Detail, tc.wantInDetail)
			}
		})
	}
	// A key removed stops payouts at once.
	none := ""
	if _, err := e.svc.Merchants.UpdateMerchant(ctx, e.B.ID, opaygate.MerchantUpdate{PayoutPublicKey: &none}); err != nil {
		t.Fatal(err)
	}
	if r := must(t, e.post(t, compact, headers(e.B, rsaSig(t, compact, kB))), opay.CodeAuthFailed); !strings.Contains(r.Detail, "no payout public key") {
		t.Errorf("detail %q", r.Detail)
	}
}

// TestPayoutAuthLive: in live mode the reason of a 02000 is in the log line only, and the log
// holds no signature or key.
func TestPayoutAuthLive(t *testing.T) {
	e := newPayoutEnv(t, withLive())
	body := `{"reference":"live-1"}`
	wrong := rsaSig(t, body, e.keys[1])
	r := must(t, e.post(t, body, map[string]string{"MerchantId": e.A.ID, "Authorization": "Bearer " + wrong,
		"X-Request-Id": "payout-live-1"}), opay.CodeAuthFailed)
	if r.Detail != "" || r.Message != opay.MessagePayoutAuthFailed {
		t.Errorf("live 02000 says %q, detail %q", r.Message, r.Detail)
	}
	good := rsaSig(t, body, e.keys[0])
	must(t, e.post(t, body, map[string]string{"MerchantId": e.A.ID, "Authorization": "Bearer " + good}), opay.CodeSuccess)
	hmacSig := opay.Sign([]byte(body), e.A.PrivateKey)
	must(t, e.post(t, body, map[string]string{"MerchantId": e.A.ID, "Authorization": "Bearer " + hmacSig}), opay.CodeAuthFailed)

	logs := e.logs.String()
	var line string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "payout-live-1") {
			line = l
		}
	}
	if !strings.Contains(line, "matches no accepted form") || !strings.Contains(line, `"code":"02000"`) {
		t.Errorf("the log line lacks the reason: %s", line)
	}
	privDER, _ := x509.MarshalPKCS8PrivateKey(e.keys[0])
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	pubPEM := opaygate.PayoutKeyPEM(&e.keys[0].PublicKey)
	raw, _ := base64.StdEncoding.DecodeString(good)
	for what, secret := range map[string]string{
		"signature": good, "wrong signature": wrong, "signature's start": good[:40], "signature in hex": hex.EncodeToString(raw)[:40],
		"HMAC signature": hmacSig, "private key": e.A.PrivateKey, "RSA private key": privPEM[40:120],
		"payout public key": strings.Split(pubPEM, "\n")[1],
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds the %s", what)
		}
	}
}
