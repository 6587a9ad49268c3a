package server_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// TestAuthDocumentationVector is OPay's own example: this exact body, merchant and signature
// authenticate. The invoice does not exist, so the answer is 02006 — past authentication.
func TestAuthDocumentationVector(t *testing.T) {
	e := newTestServer(t)
	r := e.do(t, "POST", pathInvoice, []byte("{\n\"invoiceNo\": \"20464188\"\n}"), map[string]string{
		"MerchantId":    demoID,
		"Authorization": "Bearer 172b4102c8df516757eafd9d194d176e0b59dc6a8ae879d23493dbc27e9f48d755eb0880cc1b7ce665fc606fcccc227075d5d932f6053585b2381ed13eb62957",
	})
	must(t, r, opay.CodeNotFound)
	if r.Message != "invoice not found." {
		t.Errorf("message %q", r.Message)
	}
}

func TestAuth(t *testing.T) {
	e := newTestServer(t)
	ctx := context.Background()
	status := []byte(`{"reference":"none","country":"EG"}`)
	headers := func(id, auth string) map[string]string {
		return map[string]string{"MerchantId": id, "Authorization": auth}
	}
	ok := func(t *testing.T, r result) { t.Helper(); must(t, r, opay.CodeNotFound) } // authenticated
	refused := func(t *testing.T, r result) {
		t.Helper()
		must(t, r, opay.CodeAuthFailed)
		if r.Message != "authentication failed." || string(r.Data) != "null" || r.HTTP != http.StatusOK {
			t.Errorf("answer %d %s", r.HTTP, r.Raw)
		}
	}

	t.Run("PHPEscapedSlashes", func(t *testing.T) {
		// PHP sends json_encode's "https:\/\/…" but signs the unescaped form.
		sent := []byte(`{"amount":{"currency":"EGP","total":100},"country":"EG","product":{"name":"n"},"reference":"php-1","returnUrl":"https:\/\/merchant.example\/return"}`)
		signed := strings.ReplaceAll(string(sent), `\/`, `/`)
		r := must(t, e.do(t, "POST", pathCashierCreate, sent, headers(e.A.ID, "Bearer "+opay.Sign([]byte(signed), e.A.PrivateKey))), opay.CodeSuccess)
		if d := data[opay.CashierCreateData](t, r); d.Reference != "php-1" {
			t.Errorf("data %+v", d)
		}
	})
	t.Run("PrettyBodySignedCompactAndSorted", func(t *testing.T) {
		sent := []byte("{\n  \"reference\": \"none\",\n  \"country\": \"EG\"\n}")
		ok(t, e.do(t, "POST", pathStatus, sent, headers(e.A.ID, opay.Sign([]byte(`{"reference":"none","country":"EG"}`), e.A.PrivateKey))))
		ok(t, e.do(t, "POST", pathStatus, sent, headers(e.A.ID, "Bearer "+strings.ToUpper(opay.Sign([]byte(`{"country":"EG","reference":"none"}`), e.A.PrivateKey)))))
	})
	t.Run("V2Timestamp", func(t *testing.T) {
		now := time.Now()
		for _, tc := range []struct {
			name string
			ts   string
			good bool
		}{
			{"Seconds", strconv.FormatInt(now.Unix(), 10), true},
			{"Milliseconds", strconv.FormatInt(now.UnixMilli(), 10), true},
			{"Within300s", strconv.FormatInt(now.Add(-290*time.Second).Unix(), 10), true},
			{"AheadWithin300s", strconv.FormatInt(now.Add(290*time.Second).Unix(), 10), true},
			{"Stale", strconv.FormatInt(now.Add(-310*time.Second).Unix(), 10), false},
			{"Future", strconv.FormatInt(now.Add(310*time.Second).UnixMilli(), 10), false},
			{"Garbled", "yesterday", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h := headers(e.A.ID, opay.SignTimestamped(tc.ts, status, e.A.PrivateKey))
				h["RequestTimestamp"] = tc.ts
				if r := e.do(t, "POST", pathStatus, status, h); tc.good {
					ok(t, r)
				} else {
					refused(t, r)
				}
			})
		}
	})
	t.Run("V2AfterSandboxClockAdvance", func(t *testing.T) {
		e.clock.Advance(2 * time.Hour)
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		h := headers(e.A.ID, opay.SignTimestamped(ts, status, e.A.PrivateKey))
		h["RequestTimestamp"] = ts
		ok(t, e.do(t, "POST", pathStatus, status, h))
	})
	t.Run("RequireV2", func(t *testing.T) {
		m := newMerchant(t, e, func(m *opaygate.Merchant) { m.RequireV2 = true })
		refused(t, e.call(t, m, pathStatus, status))
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		h := headers(m.ID, "Bearer "+opay.SignTimestamped(ts, status, m.PrivateKey))
		h["RequestTimestamp"] = ts
		ok(t, e.do(t, "POST", pathStatus, status, h))
		// A v1 signature next to a timestamp header is still v1.
		h = headers(m.ID, opay.AuthorizationHeader(status, m.PrivateKey))
		h["RequestTimestamp"] = ts
		refused(t, e.do(t, "POST", pathStatus, status, h))
	})
	t.Run("Refused", func(t *testing.T) {
		sig := opay.AuthorizationHeader(status, e.A.PrivateKey)
		for name, h := range map[string]map[string]string{
			"WrongKey":             headers(e.A.ID, opay.AuthorizationHeader(status, "OPAYPRV-not-the-key")),
			"OtherMerchantsKey":    headers(e.A.ID, opay.AuthorizationHeader(status, e.B.PrivateKey)),
			"OtherMerchantsID":     headers(e.B.ID, sig),
			"UnknownMerchant":      headers("999999999999999", sig),
			"NoMerchantId":         {"Authorization": sig},
			"NoAuthorization":      {"MerchantId": e.A.ID},
			"NoHeaders":            {},
			"Garbled":              headers(e.A.ID, "Bearer zzzz"),
			"PublicKeyOnSigned":    headers(e.A.ID, "Bearer "+e.A.PublicKey),
			"PrivateKeyAsBearer":   headers(e.A.ID, "Bearer "+e.A.PrivateKey),
			"SignatureOfOtherBody": headers(e.A.ID, opay.AuthorizationHeader([]byte(`{"reference":"other","country":"EG"}`), e.A.PrivateKey)),
		} {
			t.Run(name, func(t *testing.T) { refused(t, e.do(t, "POST", pathStatus, status, h)) })
		}
		// Bodies that are not JSON are refused as well when the signature does not match.
		refused(t, e.do(t, "POST", pathStatus, []byte("not json"), headers(e.A.ID, sig)))
	})
	t.Run("Disabled", func(t *testing.T) {
		m := newMerchant(t, e, func(m *opaygate.Merchant) { m.Status = opaygate.MerchantDisabled })
		r := must(t, e.call(t, m, pathStatus, status), opay.CodeMerchantDisabled)
		if r.Message != "merchant not available." {
			t.Errorf("message %q", r.Message)
		}
		// A stranger learns nothing about the merchant's state.
		refused(t, e.do(t, "POST", pathStatus, status, headers(m.ID, opay.AuthorizationHeader(status, "guess"))))
	})
	t.Run("CashierCreatePublicKey", func(t *testing.T) {
		body := []byte(`{"amount":{"currency":"EGP","total":100},"country":"EG","product":{"name":"n"},"reference":"pk-1","returnUrl":"https://m.example/r"}`)
		must(t, e.do(t, "POST", pathCashierCreate, body, headers(e.A.ID, "Bearer "+e.A.PublicKey)), opay.CodeSuccess)
		body = []byte(strings.Replace(string(body), "pk-1", "pk-2", 1))
		must(t, e.call(t, e.A, pathCashierCreate, body), opay.CodeSuccess)
		refused(t, e.do(t, "POST", pathCashierCreate, body, headers(e.A.ID, "Bearer "+e.B.PublicKey)))
		refused(t, e.do(t, "POST", pathCashierCreate, body, headers(e.A.ID, "Bearer "+e.A.PublicKey+"x")))
	})
	t.Run("NotConfigured", func(t *testing.T) {
		m := newMerchant(t, e, func(m *opaygate.Merchant) {
			m.Countries = []string{"EG"}
			m.Functions = []opaygate.Function{opaygate.FuncCashier}
		})
		for _, tc := range []struct{ path, body string }{
			{pathInvoice, `{"invoiceNo":"20464188"}`},
			{pathPaymentCreate, string(bodyBytes(t, valuRequest("nc-1", 100, "01012345678")))},
			{pathCashierCreate, `{"amount":{"currency":"NGN","total":100},"country":"NG","product":{"name":"n"},"reference":"nc-2","returnUrl":"https://m.example/r"}`},
			{pathCashierCreate, `{"amount":{"currency":"EGP","total":100},"country":"EG","product":{"name":"n"},"reference":"nc-3","returnUrl":"https://m.example/r","payMethod":"VALU"}`},
			{pathRefundCreate, `{}`},
			{pathRefundQuery, `{"reference":"r","country":"EG"}`},
		} {
			r := must(t, e.call(t, m, tc.path, tc.body), opay.CodeNotConfigured)
			if r.Message != "merchant not configured with this function." {
				t.Errorf("%s: message %q", tc.path, r.Message)
			}
		}
		// A gateway wired without a refund service answers 02002 even for merchants with the
		// function (newTestServer wires refunds only withRefunds).
		must(t, e.call(t, e.A, pathRefundCreate, `{}`), opay.CodeNotConfigured)
		refused(t, e.do(t, "POST", pathRefundQuery, []byte(`{}`), headers(e.A.ID, "Bearer nope")))
	})
	_ = ctx
}

// newMerchant creates a merchant enabled for everything, adjusted by change.
func newMerchant(t testing.TB, e *env, change func(*opaygate.Merchant)) *opaygate.Merchant {
	t.Helper()
	priv, pub := opaygate.NewKeyPair()
	m := &opaygate.Merchant{
		ID: opaygate.NewMerchantID(), Name: "extra", PrivateKey: priv, PublicKey: pub,
		Status: opaygate.MerchantActive, Countries: opaygate.Countries(), Functions: opaygate.AllFunctions(),
	}
	if change != nil {
		change(m)
	}
	if err := e.svc.Merchants.CreateMerchant(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTransport(t *testing.T) {
	e := newTestServer(t)
	t.Run("UnknownPath", func(t *testing.T) {
		for _, p := range []string{"/", "/api/v1/international/cashier/nope", "/api/v1/international/cashier/status/"} {
			r := must(t, e.do(t, "POST", p, []byte(`{}`), nil), opay.CodeInvalidParams)
			if r.HTTP != http.StatusNotFound || r.Message != "request params not valid." || r.Detail != "unknown endpoint "+p {
				t.Errorf("%s: %d %s", p, r.HTTP, r.Raw)
			}
		}
	})
	t.Run("WrongMethod", func(t *testing.T) {
		for _, m := range []string{"GET", "PUT", "DELETE"} {
			r := must(t, e.do(t, m, pathStatus, nil, nil), opay.CodeInvalidParams)
			if r.HTTP != http.StatusMethodNotAllowed {
				t.Errorf("%s: HTTP %d", m, r.HTTP)
			}
		}
		if r := e.do(t, "POST", "/healthz", nil, nil); r.HTTP != http.StatusMethodNotAllowed {
			t.Errorf("POST /healthz: HTTP %d", r.HTTP)
		}
	})
	t.Run("Health", func(t *testing.T) {
		r := e.do(t, "GET", "/healthz", nil, nil)
		if r.HTTP != http.StatusOK || string(r.Raw) != `{"status":"ok"}` {
			t.Errorf("healthz %d %s", r.HTTP, r.Raw)
		}
	})
	t.Run("RequestID", func(t *testing.T) {
		r := e.do(t, "POST", pathStatus, nil, map[string]string{"X-Request-Id": "client-id-42"})
		if got := r.Header.Get("X-Request-Id"); got != "client-id-42" {
			t.Errorf("X-Request-Id %q", got)
		}
		r = e.do(t, "POST", pathStatus, nil, map[string]string{"X-Request-Id": "bad id with spaces"})
		if got := r.Header.Get("X-Request-Id"); len(got) != 32 {
			t.Errorf("X-Request-Id %q, want a fresh one", got)
		}
	})
	t.Run("AnyContentType", func(t *testing.T) {
		body := []byte(`{"reference":"none","country":"EG"}`)
		for _, ct := range []string{"application/json; utf-8", "text/json", "text/plain", ""} {
			h := map[string]string{"MerchantId": e.A.ID, "Authorization": opay.AuthorizationHeader(body, e.A.PrivateKey), "Content-Type": ct}
			must(t, e.do(t, "POST", pathStatus, body, h), opay.CodeNotFound)
		}
	})
}

// TestLogsKeepSecrets runs requests that carry every kind of secret and checks the log holds
// none of them, but does hold one line per request with its id, merchant and code.
func TestLogsKeepSecrets(t *testing.T) {
	e := newTestServer(t)
	orderNo := e.toOTP(t, e.A, "log-1", 60000)
	otp := e.sandboxOTP(t, orderNo)
	body := []byte(`{"country":"EG","otp":"` + otp + `","orderNo":"` + orderNo + `"}`)
	sig := opay.Sign(body, e.A.PrivateKey)
	must(t, e.do(t, "POST", pathOTP, body, map[string]string{
		"MerchantId": e.A.ID, "Authorization": "Bearer " + sig, "X-Request-Id": "req-otp-1",
	}), opay.CodeSuccess)
	e.do(t, "POST", pathStatus, body, map[string]string{"MerchantId": e.A.ID, "Authorization": "Bearer " + e.A.PublicKey})

	logs := e.logs.String()
	for what, secret := range map[string]string{
		"private key": e.A.PrivateKey, "public key": e.A.PublicKey, "signature": sig, "otp": `"` + otp + `"`,
		"valU account": "01012345678", "product name": "Phone",
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds the %s", what)
		}
	}
	var line string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "req-otp-1") {
			line = l
		}
	}
	for _, want := range []string{`"method":"POST"`, `"path":"` + pathOTP + `"`, `"merchant_id":"` + e.A.ID + `"`, `"code":"00000"`, `"duration"`} {
		if !strings.Contains(line, want) {
			t.Errorf("request line %q lacks %s", line, want)
		}
	}
}

// TestAuthDetail: a 02000 body never says what was wrong, but a developer can find out. In
// sandbox mode the X-Opaygate-Detail header says it, in live mode only the log line does; a
// key or a whole signature appears in neither.
func TestAuthDetail(t *testing.T) {
	status := []byte(`{"reference":"none","country":"EG"}`)
	create := []byte(`{"amount":{"currency":"EGP","total":100},"country":"EG","product":{"name":"n"},"reference":"d-1","returnUrl":"https://m.example/r"}`)
	for _, live := range []bool{false, true} {
		var opts []testOption
		name := "Sandbox"
		if live {
			opts, name = append(opts, withLive()), "Live"
		}
		t.Run(name, func(t *testing.T) {
			e := newTestServer(t, opts...)
			priv := newMerchant(t, e, func(m *opaygate.Merchant) { m.RequireV2 = true })
			sig := opay.Sign(status, e.A.PrivateKey)
			stale := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
			for _, tc := range []struct {
				name    string
				path    string
				body    []byte
				headers map[string]string
				want    string
			}{
				{"NoMerchantId", pathStatus, status, map[string]string{"Authorization": "Bearer " + sig}, "MerchantId header is missing"},
				{"UnknownMerchant", pathStatus, status, map[string]string{"MerchantId": "999999999999999", "Authorization": "Bearer " + sig},
					"MerchantId 999999999999999 is not a merchant of this gateway"},
				{"NoAuthorization", pathStatus, status, map[string]string{"MerchantId": e.A.ID}, "Authorization header is missing: send Bearer and the HMAC-SHA512 of the body"},
				{"NoAuthorizationOnCreate", pathCashierCreate, create, map[string]string{"MerchantId": e.A.ID}, "send Bearer and the merchant's public key"},
				{"PublicKeyWhereSignatureNeeded", pathStatus, status, map[string]string{"MerchantId": e.A.ID, "Authorization": "Bearer " + e.A.PublicKey},
					"Authorization carries the public key, which only cashier/create accepts"},
				{"PrivateKeySent", pathStatus, status, map[string]string{"MerchantId": e.A.ID, "Authorization": "Bearer " + e.A.PrivateKey},
					"Authorization carries the private key itself"},
				{"WrongPublicKeyOnCreate", pathCashierCreate, create, map[string]string{"MerchantId": e.A.ID, "Authorization": "Bearer " + e.B.PublicKey},
					"Authorization is neither merchant " + e.A.ID + "'s public key nor a signature of the body"},
				{"SHA256Signature", pathStatus, status, map[string]string{"MerchantId": e.A.ID, "Authorization": "Bearer " + sig[:64]},
					"Authorization has 64 hex digits; an HMAC-SHA512 has 128"},
				{"OtherKey", pathStatus, status, map[string]string{"MerchantId": e.A.ID, "Authorization": "Bearer " + opay.Sign(status, e.B.PrivateKey)},
					"the signature matches no accepted form of this body (raw bytes, compact, compact with sorted keys) under merchant " + e.A.ID + "'s private key"},
				{"StaleTimestamp", pathStatus, status, map[string]string{"MerchantId": e.A.ID, "RequestTimestamp": stale,
					"Authorization": opay.SignTimestamped(stale, status, e.A.PrivateKey)}, "RequestTimestamp is 1h0m"}, // 1h0m0s, or more when the machine is slow
				{"V2Required", pathStatus, status, map[string]string{"MerchantId": priv.ID, "Authorization": opay.AuthorizationHeader(status, priv.PrivateKey)},
					"merchant " + priv.ID + " requires timestamped (v2) signatures"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					r := must(t, e.do(t, "POST", tc.path, tc.body, tc.headers), opay.CodeAuthFailed)
					if r.Message != "authentication failed." || string(r.Data) != "null" {
						t.Errorf("answer %s", r.Raw)
					}
					switch {
					case live && r.Detail != "":
						t.Errorf("live mode tells the client %q", r.Detail)
					case !live && !strings.Contains(r.Detail, tc.want):
						t.Errorf("detail %q, want %q", r.Detail, tc.want)
					}
					if !strings.Contains(e.logs.String(), tc.want) {
						t.Errorf("no log line says %q", tc.want)
					}
				})
			}
			logs := e.logs.String()
			for what, secret := range map[string]string{"private key": e.A.PrivateKey, "public key": e.A.PublicKey,
				"B's public key": e.B.PublicKey, "signature": sig[:64]} {
				if strings.Contains(logs, secret) {
					t.Errorf("the log holds the %s", what)
				}
			}
		})
	}
}
