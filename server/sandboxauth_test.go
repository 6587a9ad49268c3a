package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/server"
)

const testSandboxToken = "0123456789abcdef0123456789abcdef"

// With a sandbox token, every /_sandbox/ route answers 401 with 02000 unless the request
// presents it, as a bearer token or in X-Sandbox-Token; the answer never shows the token.
func TestSandboxToken_Required(t *testing.T) {
	e := newTestServer(t, withRefunds(0), withServerConfig(func(c *server.Config) { c.SandboxToken = testSandboxToken }))
	routes := []struct{ method, path, body string }{
		{"GET", "/_sandbox/otp?orderNo=261120000000000001", ""},
		{"GET", "/_sandbox/clock", ""},
		{"POST", "/_sandbox/clock/advance", `{"seconds":1}`},
		{"GET", "/_sandbox/callbacks", ""},
		{"POST", "/_sandbox/callbacks/resend", `{"id":1}`},
		{"POST", "/_sandbox/reset", ""},
	}
	for _, rt := range routes {
		for name, h := range map[string]map[string]string{
			"ErrNoToken":        nil,
			"ErrWrongToken":     {"Authorization": "Bearer " + strings.Repeat("0", len(testSandboxToken))},
			"ErrPrefixOfToken":  {server.HeaderSandboxToken: testSandboxToken[:8]},
			"ErrMerchantSigned": sign(e.A, []byte(rt.body)),
		} {
			r := e.do(t, rt.method, rt.path, []byte(rt.body), h)
			if r.HTTP != http.StatusUnauthorized || r.Code != opay.CodeAuthFailed || r.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s %s: HTTP %d %s", name, rt.method, rt.path, r.HTTP, r.Raw)
			}
			if strings.Contains(string(r.Raw)+r.Detail, testSandboxToken) || !strings.Contains(r.Detail, "sandbox token") {
				t.Errorf("%s %s: detail %q", name, rt.path, r.Detail)
			}
		}
		for _, h := range []map[string]string{
			{"Authorization": "Bearer " + testSandboxToken},
			{"Authorization": "bearer " + testSandboxToken},
			{server.HeaderSandboxToken: testSandboxToken},
		} {
			if r := e.do(t, rt.method, rt.path, []byte(rt.body), h); r.HTTP == http.StatusUnauthorized || r.Code == opay.CodeAuthFailed {
				t.Errorf("%s %s with %v: %d %s", rt.method, rt.path, h, r.HTTP, r.Raw)
			}
		}
	}
	if strings.Contains(e.logs.String(), testSandboxToken) {
		t.Error("the log shows the sandbox token")
	}
	// The API and the pages do not want it.
	e.cashierOrder(t, e.A, "no-token-needed", 1000, nil)
}

// Without a token (a sandbox on loopback), the routes stay open as they always were.
func TestSandboxToken_NotRequiredWithout(t *testing.T) {
	e := newTestServer(t)
	must(t, e.do(t, "GET", "/_sandbox/clock", nil, nil), opay.CodeSuccess)
	e.advance(t, `{"seconds":1}`)
}

// failedCallback records a failed delivery attempt of a new order's callback whose error
// text is the kind a port scan reads.
func failedCallback(t *testing.T, e *env) string {
	t.Helper()
	_, no := e.cashierOrder(t, e.A, "oracle", 1000, func(b map[string]any) { b["callbackUrl"] = "http://127.0.0.1:6379/" })
	must(t, e.call(t, e.A, pathClose, map[string]string{"orderNo": no, "country": "EG"}), opay.CodeSuccess)
	claimed, err := e.svc.Callbacks.ClaimCallbacks(context.Background(), 1, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	if _, err := e.svc.Callbacks.RecordAttempt(context.Background(), claimed[0],
		opaygate.CallbackAttempt{At: e.clock.Now(), HTTPStatus: 400, Error: "HTTP 400", Duration: 3 * time.Millisecond},
		opaygate.SandboxRetrySchedule()); err != nil {
		t.Fatal(err)
	}
	return no
}

type callbackTryView struct {
	At         string
	HTTPStatus int
	Error      string
	DurationMs int64
}

func callbackHistory(t *testing.T, e *env, orderNo string, h map[string]string) []callbackTryView {
	t.Helper()
	r := must(t, e.do(t, "GET", "/_sandbox/callbacks?orderNo="+orderNo, nil, h), opay.CodeSuccess)
	list := data[[]struct{ History []callbackTryView }](t, r)
	if len(list) != 1 || len(list[0].History) != 1 {
		t.Fatalf("callbacks %s", r.Data)
	}
	return list[0].History
}

// /_sandbox/callbacks shows what the network answered (error text, HTTP status, duration) only
// to a trusted caller: the token's holder, or, without a token, a request straight from this
// machine. Through a proxy or tunnel to a loopback sandbox, the attempt only says it failed.
func TestSandboxCallbacks_HideNetworkErrors(t *testing.T) {
	full := callbackTryView{HTTPStatus: 400, Error: "HTTP 400", DurationMs: 3}
	hidden := callbackTryView{Error: "failed (present the sandbox token to see why)"}
	check := func(t *testing.T, got []callbackTryView, want callbackTryView) {
		t.Helper()
		if got[0].At == "" {
			t.Error("the attempt lost its time")
		}
		got[0].At = ""
		if got[0] != want {
			t.Errorf("attempt %+v, want %+v", got[0], want)
		}
	}
	t.Run("Loopback", func(t *testing.T) {
		e := newTestServer(t, withRefunds(0))
		no := failedCallback(t, e)
		check(t, callbackHistory(t, e, no, nil), full)
		for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"} {
			check(t, callbackHistory(t, e, no, map[string]string{h: "203.0.113.7"}), hidden)
		}
	})
	t.Run("Token", func(t *testing.T) {
		e := newTestServer(t, withRefunds(0), withServerConfig(func(c *server.Config) { c.SandboxToken = testSandboxToken }))
		no := failedCallback(t, e)
		tok := map[string]string{server.HeaderSandboxToken: testSandboxToken}
		check(t, callbackHistory(t, e, no, tok), full)
		tok["X-Forwarded-For"] = "203.0.113.7" // the token is what counts
		check(t, callbackHistory(t, e, no, tok), full)
		r := e.do(t, "GET", "/_sandbox/callbacks?orderNo="+no, nil, nil)
		if r.HTTP != http.StatusUnauthorized || strings.Contains(string(r.Raw), "HTTP 400") {
			t.Errorf("without the token: %d %s", r.HTTP, r.Raw)
		}
	})
}
