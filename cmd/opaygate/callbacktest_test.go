package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/opaygate/opaygate/opay"
)

const testKey = "OPAYPRVreceiver-test-key"

// receiver records what it was sent and answers with answer.
type receiver struct {
	mu     sync.Mutex
	bodies []opay.Callback
	raw    []sentCallback
	answer http.Handler
}

type sentCallback struct {
	header http.Header
	body   []byte
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var cb opay.Callback
	if json.Unmarshal(body, &cb) == nil && r.Header.Get("Content-Type") == "application/json" {
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, cb)
		rc.raw = append(rc.raw, sentCallback{header: r.Header.Clone(), body: body})
		rc.mu.Unlock()
	}
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	rc.answer.ServeHTTP(w, r)
}

func newReceiver(t *testing.T, answer http.Handler) (*receiver, string) {
	rc := &receiver{answer: answer}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv.URL + "/opay/webhook"
}

// The receivers merchants write: one that verifies with the SDK, one that
// trusts anything, one that verifies with the wrong hash (SHA-512 for SHA3-512).
var (
	verifying = opay.CallbackHandler(testKey, func(context.Context, *opay.Notification) error { return nil })
	trusting  = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	wrongHash = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var cb opay.Callback
		json.NewDecoder(r.Body).Decode(&cb)
		mac := hmac.New(sha512.New, []byte(testKey))
		mac.Write([]byte(opay.CallbackSignatureString(cb.Payload)))
		if hex.EncodeToString(mac.Sum(nil)) != cb.SHA512 {
			http.Error(w, "bad signature", http.StatusUnauthorized)
		}
	})
)

func TestCallbackTest_VerifyingReceiverPasses(t *testing.T) {
	rc, url := newReceiver(t, verifying)
	env := map[string]string{"OPAY_PRIVATE_KEY": testKey}
	code, stdout, stderr := RunCLI(t, env, "", "callback", "test", "--url", url, "--merchant-id", demoMerchant,
		"--reference", "order-42", "--amount", "25000")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"key from OPAY_PRIVATE_KEY", "reference order-42", "SUCCESS 25000 EGP",
		"wrong signature", "changed amount", "amount 25000 → 2500000", "correctly signed", "accepts the correctly signed"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Count(stdout, "ok: rejected") != 2 || strings.Count(stdout, "ok: accepted") != 1 ||
		!strings.Contains(lineWith(stdout, "wrong signature"), "401") || !strings.Contains(lineWith(stdout, "correctly signed"), "200") {
		t.Errorf("verdicts:\n%s", stdout)
	}
	if strings.Contains(stdout+stderr, testKey) {
		t.Fatal("the key was printed")
	}
	// Tampered ones first, all about one order; the good one verifies.
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bodies) != 3 {
		t.Fatalf("the receiver got %d callbacks", len(rc.bodies))
	}
	good, changed := rc.bodies[2], rc.bodies[1]
	if _, err := opay.ParseCallback(mustJSON(t, good), testKey); err != nil {
		t.Errorf("the good callback does not verify: %v", err)
	}
	if changed.Payload.Amount != "2500000" || changed.SHA512 != good.SHA512 || changed.Payload.TransactionID != good.Payload.TransactionID {
		t.Errorf("changed amount: %+v, good %+v", changed, good)
	}
	if p := good.Payload; p.Status != "SUCCESS" || p.Currency != "EGP" || p.Country != "EG" || len(p.TransactionID) != 18 || p.Token != p.TransactionID {
		t.Errorf("payload %+v", p)
	}
}

func TestCallbackTest_ReceiverBugsFail(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.Handler
		lines   map[string]string // case → verdict
		want    string            // in stderr
	}{
		{"TrustsAnything", trusting, map[string]string{"wrong signature": "FAIL: accepted a tampered callback",
			"changed amount": "FAIL: accepted a tampered callback", "correctly signed": "ok: accepted"},
			"it accepted tampered callbacks (wrong signature: HTTP 200, changed amount: HTTP 200)"},
		{"WrongHash", wrongHash, map[string]string{"wrong signature": "ok: rejected",
			"changed amount": "ok: rejected", "correctly signed": "FAIL: rejected a correctly signed callback"},
			"HMAC-SHA3-512 (not SHA-512)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, url := newReceiver(t, tc.handler)
			code, stdout, stderr := RunCLI(t, nil, "", "callback", "test", "--url", url, "--merchant-id", demoMerchant, "--key", testKey)
			if code != exitError || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			for name, verdict := range tc.lines {
				if !strings.Contains(lineWith(stdout, name+" "), verdict) {
					t.Errorf("%s: want %q:\n%s", name, verdict, stdout)
				}
			}
		})
	}
}

// v2 receivers: one that verifies as OPay's page says (HMAC-SHA512 of RequestTimestamp and
// the body) and checks no freshness, and one that signs the body alone, as v2 requests do
// without their timestamp.
var (
	v2Literal = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha512.New, []byte(testKey))
		mac.Write([]byte(r.Header.Get("RequestTimestamp")))
		mac.Write(body)
		if !hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(r.Header.Get("Signature"))) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
		}
	})
	v2BodyOnly = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha512.New, []byte(testKey))
		mac.Write(body)
		if hex.EncodeToString(mac.Sum(nil)) != r.Header.Get("Signature") {
			http.Error(w, "bad signature", http.StatusUnauthorized)
		}
	})
)

func TestCallbackTest_V2(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.Handler
		code    int
		lines   map[string]string // case → verdict
		want    string            // in stderr
	}{
		{"SDKPasses", verifying, exitOK, map[string]string{"wrong signature": "ok: rejected", "changed amount": "ok: rejected",
			"restamped": "ok: rejected", "stale timestamp": "ok: rejected", "correctly signed": "ok: accepted"}, ""},
		{"LiteralPagePasses", v2Literal, exitOK, map[string]string{"wrong signature": "ok: rejected", "changed amount": "ok: rejected",
			"restamped": "ok: rejected", "stale timestamp": "ok: accepted (rejecting it would stop replays)",
			"correctly signed": "ok: accepted"}, ""},
		{"TrustsAnything", trusting, exitError, map[string]string{"wrong signature": "FAIL: accepted a tampered callback",
			"restamped": "FAIL: accepted a tampered callback", "correctly signed": "ok: accepted"},
			"it accepted tampered callbacks (wrong signature: HTTP 200, changed amount: HTTP 200, restamped: HTTP 200): it must verify the headers' signature"},
		{"BodyOnly", v2BodyOnly, exitError, map[string]string{"wrong signature": "ok: rejected",
			"correctly signed": "FAIL: rejected a correctly signed callback"},
			"HMAC-SHA512 (not SHA3) of RequestTimestamp followed by the raw body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc, url := newReceiver(t, tc.handler)
			code, stdout, stderr := RunCLI(t, nil, "", "callback", "test", "--scheme", "v2", "--url", url,
				"--merchant-id", demoMerchant, "--key", testKey, "--amount", "25000")
			if code != tc.code || (tc.want != "" && !strings.Contains(stderr, tc.want)) || (tc.want == "" && stderr != "") {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			if !strings.Contains(stdout, "v2 callbacks of order") || strings.Contains(stdout+stderr, testKey) {
				t.Errorf("stdout:\n%s", stdout)
			}
			for name, verdict := range tc.lines {
				if !strings.Contains(lineWith(stdout, name+" "), verdict) {
					t.Errorf("%s: want %q:\n%s", name, verdict, stdout)
				}
			}
			rc.mu.Lock()
			defer rc.mu.Unlock()
			if len(rc.raw) != 5 {
				t.Fatalf("the receiver got %d callbacks", len(rc.raw))
			}
			good := rc.raw[4]
			n, err := opay.ParseCallbackRequest(good.header, good.body, testKey)
			if err != nil || n.Version != "v2" || n.Amount.Total != 25000 || n.Status != opay.StatusSuccess || len(n.NotifyID) != 32 {
				t.Fatalf("the good callback: %+v %v", n, err)
			}
			if h := good.header; h.Get("MerchantId") != demoMerchant || h.Get("Authorization") != h.Get("Signature") {
				t.Errorf("headers %v", h)
			}
			for i, sent := range rc.raw[:4] {
				if _, err := opay.ParseCallbackRequest(sent.header, sent.body, testKey); err == nil {
					t.Errorf("case %d verifies with the SDK", i+1)
				}
				var b opay.CallbackV2
				if json.Unmarshal(sent.body, &b) != nil || b.NotifyID != n.NotifyID {
					t.Errorf("case %d is not the same callback: %s", i+1, sent.body)
				}
			}
		})
	}
}

// Without a key on the command line or in the environment, the merchant's
// key is read from the database.
func TestCallbackTest_KeyFromDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "opaygate.db")
	if code, stdout, stderr := RunCLI(t, nil, "", "merchant", "add", "--db", db, "--id", demoMerchant, "--name", "Shop",
		"--private-key", testKey, "--public-key", "OPAYPUBx"); code != 0 {
		t.Fatalf("merchant add: %s%s", stdout, stderr)
	}
	_, url := newReceiver(t, verifying)
	code, stdout, stderr := RunCLI(t, map[string]string{"OPAYGATE_DB": db}, "", "callback", "test", "--url", url, "--merchant-id", demoMerchant)
	if code != exitOK || !strings.Contains(stdout, "key from the database (SQLite "+db+")") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = RunCLI(t, nil, "", "callback", "test", "--url", url, "--merchant-id", "100000000000009", "--db", db)
	if code != exitError || !strings.Contains(stderr, "no merchant 100000000000009") {
		t.Fatalf("unknown merchant: exit %d %q", code, stderr)
	}
}

func TestCallbackTest_Usage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"ErrNoURL", []string{"--merchant-id", demoMerchant}, exitUsage, "--url is required"},
		{"ErrBadURL", []string{"--url", "localhost:3000", "--merchant-id", demoMerchant}, exitUsage, "not an http(s) URL"},
		{"ErrBadMerchant", []string{"--url", "http://127.0.0.1:1", "--merchant-id", "42"}, exitUsage, "15-digit"},
		{"ErrBadCountry", []string{"--url", "http://127.0.0.1:1", "--merchant-id", demoMerchant, "--country", "KE"}, exitUsage, "--country"},
		{"ErrScheme", []string{"--url", "http://127.0.0.1:1", "--merchant-id", demoMerchant, "--scheme", "v3"}, exitUsage, `--scheme "v3" is not v1 or v2`},
		{"ErrNoKey", []string{"--url", "http://127.0.0.1:1", "--merchant-id", demoMerchant, "--db", filepath.Join(dir, "none.db")},
			exitError, "no key: give --key, set OPAYGATE_PRIVATE_KEY or OPAY_PRIVATE_KEY, or point --db"},
		{"ErrNobodyListening", []string{"--url", "http://127.0.0.1:1/hook", "--merchant-id", demoMerchant, "--key", testKey},
			exitError, "no answer to the correctly signed callback"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := RunCLI(t, nil, "", append([]string{"callback", "test"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d (want %d)\n%s%s", code, tc.code, stdout, stderr)
			}
		})
	}
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
