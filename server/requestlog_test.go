package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/reqlog"
	"github.com/opaygate/opaygate/server"
)

// loggedRequest is one row of /_sandbox/requests.
type loggedRequest struct {
	ID                int64
	At                string
	RequestID         string
	Method, Path      string
	MerchantID        string
	KnownMerchant     bool
	HTTPStatus        int
	Code              string
	DurationMs        float64
	Detail            string
	RequestBody       string
	RequestTruncated  bool
	ResponseBody      string
	ResponseTruncated bool
}

// requests reads /_sandbox/requests with the query q.
func (e *env) requests(t testing.TB, q string) []loggedRequest {
	t.Helper()
	return data[[]loggedRequest](t, must(t, e.do(t, "GET", "/_sandbox/requests?"+q, nil, nil), opay.CodeSuccess))
}

func TestRequestLogCapture(t *testing.T) {
	e := newTestServer(t, withRequestLog(reqlog.Config{}))
	ok := e.call(t, e.A, pathPaymentCreate, valuRequest("rl-1", 60000, "01012345678"))
	must(t, ok, opay.CodeSuccess)
	statusBody := []byte(`{"reference":"rl-1","country":"EG"}`)
	badSig := must(t, e.do(t, "POST", pathStatus, statusBody,
		map[string]string{"MerchantId": e.A.ID, "Authorization": "Bearer " + strings.Repeat("ab", 64)}), opay.CodeAuthFailed)
	badField := must(t, e.call(t, e.A, pathPaymentCreate, valuRequest("rl-2", 60000, "0101234")), opay.CodeInvalidParams)
	stranger := must(t, e.do(t, "POST", pathStatus, statusBody,
		map[string]string{"MerchantId": "999000111", "Authorization": "Bearer x"}), opay.CodeAuthFailed)
	unknownPath := e.do(t, "POST", "/api/v1/international/nothing", statusBody, sign(e.B, statusBody))
	// Not the API: none of these is logged.
	e.do(t, "GET", "/healthz", nil, nil)
	e.do(t, "GET", "/_sandbox/clock", nil, nil)
	e.send("GET", "/dashboard/login", nil, nil)
	e.send("GET", "/checkout?orderToken=nothing", nil, nil)

	all := e.requests(t, "")
	if len(all) != 5 {
		for _, r := range all {
			t.Logf("%s %s %s", r.Method, r.Path, r.Code)
		}
		t.Fatalf("logged %d requests, want the 5 API calls", len(all))
	}
	for i, c := range []struct {
		answer   result
		path     string
		merchant string
		known    bool
		status   int
	}{
		{unknownPath, "/api/v1/international/nothing", e.B.ID, false, 404},
		{stranger, pathStatus, "999000111", false, 200},
		{badField, pathPaymentCreate, e.A.ID, true, 200},
		{badSig, pathStatus, e.A.ID, true, 200},
		{ok, pathPaymentCreate, e.A.ID, true, 200},
	} {
		r := all[i]
		if r.Path != c.path || r.MerchantID != c.merchant || r.KnownMerchant != c.known || r.HTTPStatus != c.status ||
			r.Code != c.answer.Code || r.Detail != c.answer.Detail || r.RequestID != c.answer.Header.Get("X-Request-Id") ||
			r.Method != "POST" || r.DurationMs <= 0 || r.ResponseBody != string(c.answer.Raw) {
			t.Errorf("row %d: %+v\nanswer %s, detail %q", i, r, c.answer.Raw, c.answer.Detail)
		}
	}
	if !strings.Contains(all[3].Detail, "signature matches no accepted form") {
		t.Errorf("bad signature logged with detail %q", all[3].Detail)
	}
	if !strings.Contains(all[2].Detail, "valUAccountNumber") {
		t.Errorf("bad field logged with detail %q", all[2].Detail)
	}
	if all[4].RequestBody == "" || !strings.Contains(all[4].RequestBody, `"reference":"rl-1"`) {
		t.Errorf("request body %q", all[4].RequestBody)
	}

	t.Run("Filters", func(t *testing.T) {
		for q, want := range map[string]int{
			"merchantId=" + e.A.ID:                   3,
			"merchantId=999000111":                   1,
			"code=02000":                             2,
			"failed=true":                            4,
			"failed=false":                           1,
			"path=" + url.QueryEscape(pathStatus):    2,
			"limit=2":                                2,
			"before=" + fmt.Sprint(all[1].ID):        3,
			"merchantId=" + e.A.ID + "&code=02001":   1,
			"merchantId=" + e.B.ID + "&failed=false": 0,
		} {
			if got := e.requests(t, q); len(got) != want {
				t.Errorf("%s: %d rows, want %d", q, len(got), want)
			}
		}
		for _, q := range []string{"limit=0", "limit=501", "limit=x", "failed=maybe", "before=-1"} {
			must(t, e.do(t, "GET", "/_sandbox/requests?"+q, nil, nil), opay.CodeInvalidParams)
		}
	})
}

// TestRequestLogNeverHoldsSecrets makes the requests that carry secrets — cards with their
// CVV, OTPs, PINs, a BVN, a private key sent as the signature or inside a body, a body that is
// not JSON — and then reads every column of every stored row.
func TestRequestLogNeverHoldsSecrets(t *testing.T) {
	e := newTestServer(t, withRequestLog(reqlog.Config{}))
	const bvn = "22298765431"
	// A card with its CVV, in JSON, with spaces, and in a body that is not JSON.
	e.cardPayment(t, cardRequest("sec-1", 60000, apiPAN, true, nil))
	e.call(t, e.A, pathPaymentCreate, cardRequest("sec-2", 60000, "4111 1190 7635 0814", true, nil))
	e.call(t, e.A, pathPaymentCreate, "cardNumber="+apiPAN+"&cvv="+apiCVV)
	e.call(t, e.A, pathPaymentCreate, `{"bankcard":{"cardNumber":"`+apiPAN+`","cvv":"`+apiCVV+`"}`) // unclosed
	// An NG card: its PIN, then its OTP.
	d := data[opay.PaymentCreateData](t, must(t, e.call(t, e.A, pathPaymentCreate, ngCard("sec-pin", "5060990000010106", 1000)), opay.CodeSuccess))
	must(t, e.call(t, e.A, pathPIN, map[string]string{"orderNo": d.OrderNo, "pin": "9876"}), opay.CodeOTPInvalid)
	must(t, e.call(t, e.A, pathPIN, map[string]string{"orderNo": d.OrderNo, "pin": "1234"}), opay.CodeSuccess)
	// ValU: the OTP sent, then a wrong one.
	orderNo := e.toOTP(t, e.A, "sec-valu", 60000)
	otp := e.sandboxOTP(t, orderNo)
	e.call(t, e.A, pathOTP, map[string]string{"orderNo": orderNo, "otp": "918273"})
	must(t, e.call(t, e.A, pathOTP, map[string]string{"orderNo": orderNo, "otp": otp}), opay.CodeSuccess)
	// A BVN.
	must(t, e.call(t, e.A, pathPaymentCreate, `{"reference":"sec-bvn","country":"NG","payMethod":"BankAccount",`+
		`"amount":{"total":1000,"currency":"NGN"},"product":{"name":"n"},"bankAccountNumber":"0123456789","bankCode":"058",`+
		`"bvn":"`+bvn+`","dobDay":"05","dobMonth":"11","dobYear":"1985","customerName":"Ada","userPhone":"+2348031234567"}`), opay.CodeSuccess)
	// The private key as the signature, and inside a body.
	body := []byte(`{"reference":"sec-1","country":"EG"}`)
	for _, auth := range []string{"Bearer " + e.A.PrivateKey, e.A.PrivateKey} {
		must(t, e.do(t, "POST", pathStatus, body, map[string]string{"MerchantId": e.A.ID, "Authorization": auth}), opay.CodeAuthFailed)
	}
	e.call(t, e.A, pathStatus, `{"reference":"sec-1","country":"EG","note":"`+e.A.PrivateKey+`"}`)
	e.call(t, e.Demo, pathStatus, `{"reference":"x","country":"EG","key":"`+demoKey+`"}`)

	if err := e.reqlog.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows, err := e.db.WritePool().QueryContext(context.Background(), `SELECT * FROM request_log`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	n := 0
	var dump strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			fmt.Fprintf(&dump, "%v\t", v)
		}
		dump.WriteString("\n")
		n++
	}
	if n < 15 {
		t.Fatalf("only %d rows logged", n)
	}
	all := dump.String()
	for _, secret := range []string{apiPAN, "907635", "1190 7635", `"` + apiCVV + `"`, "cvv=" + apiCVV, "5060990000010106",
		`"9876"`, `"1234"`, `"` + otp + `"`, "918273", bvn, e.A.PrivateKey, demoKey, "OPAYPRV1", "OPAYPRV*"} {
		if strings.Contains(all, secret) {
			t.Errorf("the request log holds %q", secret)
		}
	}
	if m := regexp.MustCompile(`[0-9a-fA-F]{128}`).FindString(all); m != "" {
		t.Errorf("the request log holds a signature: %s", m)
	}
	// What it keeps instead: the masks, and the members with their values redacted.
	for _, kept := range []string{"411111******0814", "506099******0106", `"cvv":"[redacted]"`, `"pin":"[redacted]"`,
		`"otp":"[redacted]"`, `"bvn":"[redacted]"`, "OPAYPRV[redacted]", "cardNumber=••••••******••••&cvv=••••",
		"Authorization carries the private key itself"} {
		if !strings.Contains(all, kept) {
			t.Errorf("the request log lacks %q", kept)
		}
	}
	// Every JSON body's secret members, wherever they are, hold nothing but the mark.
	for _, r := range e.requests(t, "limit=500") {
		for _, b := range []string{r.RequestBody, r.ResponseBody} {
			var v any
			if json.Unmarshal([]byte(b), &v) == nil {
				checkRedacted(t, r.Path, v)
			}
		}
	}
}

func checkRedacted(t *testing.T, path string, v any) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch strings.ToLower(k) {
			case "cvv", "pin", "otp", "bvn":
				if x != reqlog.Redacted {
					t.Errorf("%s: %s is %v", path, k, x)
				}
			}
			checkRedacted(t, path, x)
		}
	case []any:
		for _, x := range v {
			checkRedacted(t, path, x)
		}
	}
}

func TestRequestLogQueueFull(t *testing.T) {
	e := newTestServer(t, withRequestLog(reqlog.Config{Queue: 1, QueueBytes: 1}))
	for i := range 20 {
		must(t, e.call(t, e.A, pathStatus, map[string]string{"reference": fmt.Sprint("none-", i), "country": "EG"}), opay.CodeNotFound)
	}
	if e.reqlog.Dropped() != 20 {
		t.Fatalf("dropped %d of 20 requests whose bodies do not fit", e.reqlog.Dropped())
	}
	if got := e.requests(t, ""); len(got) != 0 {
		t.Fatalf("logged %d", len(got))
	}
}

func TestRequestLogPruned(t *testing.T) {
	e := newTestServer(t, withRequestLog(reqlog.Config{Keep: 5, PruneInterval: 20 * time.Millisecond}))
	for i := range 12 {
		e.call(t, e.A, pathStatus, map[string]string{"reference": fmt.Sprint("p-", i), "country": "EG"})
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := e.requests(t, "merchantId="+e.A.ID+"&limit=500")
		if len(got) == 5 && strings.Contains(got[0].RequestBody, `"p-11"`) && strings.Contains(got[4].RequestBody, `"p-7"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d rows left after the prune, want the newest 5", len(got))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// /_sandbox/requests is a control route like the others: it wants the sandbox's token when one
// is set, and a live gateway has none (its merchants read their log on the dashboard).
func TestSandboxRequestsGuarded(t *testing.T) {
	e := newTestServer(t, withRequestLog(reqlog.Config{}), withServerConfig(func(c *server.Config) { c.SandboxToken = "s3cret-token-0123456789" }))
	if r := e.do(t, "GET", "/_sandbox/requests", nil, nil); r.HTTP != 401 || r.Code != opay.CodeAuthFailed {
		t.Fatalf("without the token: %d %s", r.HTTP, r.Code)
	}
	must(t, e.do(t, "GET", "/_sandbox/requests", nil, map[string]string{"X-Sandbox-Token": "s3cret-token-0123456789"}), opay.CodeSuccess)

	live := newTestServer(t, withLive(), withRequestLog(reqlog.Config{}))
	if r := live.do(t, "GET", "/_sandbox/requests", nil, nil); r.HTTP != 404 {
		t.Fatalf("live: %d %s", r.HTTP, r.Code)
	}
	must(t, live.call(t, live.A, pathStatus, map[string]string{"reference": "nothing", "country": "EG"}), opay.CodeNotFound)
	if err := live.reqlog.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rs, err := live.svc.Requests.FindRequests(context.Background(), opaygate.RequestFilter{}); err != nil || len(rs) != 1 {
		t.Fatalf("a live gateway logged %d requests: %v", len(rs), err)
	}
}
