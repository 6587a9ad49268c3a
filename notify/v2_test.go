package notify_test

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/notify"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

// The test vector of METHODS.md §11.
const (
	v2VectorTimestamp = "1631106688000"
	v2VectorBody      = `{"amount":{"currency":"EGP","total":400},"country":"EG","failureCode":"01582",` +
		`"failureReason":"Invalid CVV/CVC.","notifyId":"68d9b42c1e694ebc921af92b76804d23",` +
		`"orderNo":"211005140885652282","reference":"92631092","status":"FAIL",` +
		`"timestamp":1633411815591,"type":"MACQUIRING_CALLBACK","extras":{}}`
	v2VectorSignature = "69808627272ba0daf1b4a1ee22ed4ee4f9ea95d8b545f505a2506845bba739313f05945138743677442c01dff2d6c09565ecf76b4c898adb069dff046703cb27"
)

// tool returns the path of an independent implementation's program, or skips
// the test when it is missing outside CI; under CI a missing tool fails.
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is needed for the independent check under CI: %v", name, err)
		}
		t.Skipf("%s not installed: the independent check is skipped (it runs under CI)", name)
	}
	return path
}

// The gateway's v2 body and signer reproduce the vector, and so do Python's
// hmac, Node's crypto and openssl, given only the key, the timestamp and the
// bytes.
func TestBodyV2_SpecVector(t *testing.T) {
	if len(v2VectorBody) != 296 {
		t.Fatalf("the vector body has %d bytes, the spec says 296", len(v2VectorBody))
	}
	c := &opaygate.Callback{Amount: 400, Currency: "EGP", Country: "EG", Status: opaygate.StatusFail,
		FailureCode: "01582", FailureReason: "Invalid CVV/CVC.", NotifyID: "68d9b42c1e694ebc921af92b76804d23",
		OrderNo: "211005140885652282", Reference: "92631092", EventTime: time.UnixMilli(1633411815591),
		Version: opaygate.CallbackV2, InstrumentType: "BankCard", Channel: "API"}
	body, err := notify.BodyV2(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != v2VectorBody {
		t.Fatalf("body\n got %s\nwant %s", body, v2VectorBody)
	}
	if got := opay.SignCallbackV2(v2VectorTimestamp, body, vectorKey); got != v2VectorSignature {
		t.Errorf("gateway signer: %s", got)
	}

	independent := map[string]func(t *testing.T) []string{
		"python3": func(t *testing.T) []string {
			return []string{tool(t, "python3"), "-c", `import hmac, hashlib, sys
key, ts, body = sys.argv[1].encode(), sys.argv[2].encode(), sys.stdin.buffer.read()
print(hmac.new(key, ts + body, hashlib.sha512).hexdigest())`, vectorKey, v2VectorTimestamp}
		},
		"node": func(t *testing.T) []string {
			return []string{tool(t, "node"), "-e", `const c = require("crypto"); const chunks = [];
process.stdin.on("data", d => chunks.push(d)).on("end", () => {
  const h = c.createHmac("sha512", process.argv[1]); h.update(process.argv[2]); h.update(Buffer.concat(chunks));
  console.log(h.digest("hex"));
});`, vectorKey, v2VectorTimestamp}
		},
		"openssl": func(t *testing.T) []string {
			return []string{tool(t, "openssl"), "dgst", "-sha512", "-hmac", vectorKey, "-r"}
		},
	}
	for name, argv := range independent {
		t.Run(name, func(t *testing.T) {
			args := argv(t)
			input := string(body)
			if name == "openssl" {
				input = v2VectorTimestamp + input // openssl reads one message: the concatenation
			}
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Stdin = strings.NewReader(input)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := strings.Fields(string(out)); len(got) == 0 || got[0] != v2VectorSignature {
				t.Errorf("%s computes %q", name, out)
			}
		})
	}
}

func TestBodyV2_Members(t *testing.T) {
	c := &opaygate.Callback{Amount: 60000, Currency: "EGP", Country: "EG", Status: opaygate.StatusSuccess,
		FailureCode: "STALE", FailureReason: "left over", NotifyID: strings.Repeat("a", 32), OrderNo: "261120000000000001",
		Reference: `a/b&<c>`, EventTime: t0, Version: opaygate.CallbackV2}
	body, err := notify.BodyV2(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"amount":{"currency":"EGP","total":60000}`, `"failureCode":"","failureReason":""`,
		`"reference":"a/b&<c>"`, `"timestamp":1795168800000`, `"extras":{}}`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %s: %s", want, body)
		}
	}
	c.Refunded, c.RefundReference, c.RefundOrderNo, c.RefundAmount = true, "rf-1", "261120500000000001", 1000
	body, _ = notify.BodyV2(c)
	if want := `"extras":{"refunded":true,"refundReference":"rf-1","refundOrderNo":"261120500000000001","refundAmount":{"total":1000,"currency":"EGP"}}}`; !strings.HasSuffix(string(body), want) {
		t.Errorf("refund body %s", body)
	}
	// A completed void (METHODS.md §12): extras says voided, and nothing of a refund.
	c.RefundReference, c.RefundOrderNo, c.RefundAmount, c.Voided = "", "", 0, true
	body, _ = notify.BodyV2(c)
	if !strings.HasSuffix(string(body), `"extras":{"voided":true}}`) {
		t.Errorf("void body %s", body)
	}
}

// v2Receiver records every request with its headers and answers what
// respond says (200 by default).
type v2Receiver struct {
	mu       sync.Mutex
	respond  func(n int) int
	requests []v2Request
}

type v2Request struct {
	header http.Header
	body   []byte
	at     time.Time
}

func (rc *v2Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.requests = append(rc.requests, v2Request{header: r.Header.Clone(), body: body, at: time.Now()})
	n, respond := len(rc.requests), rc.respond
	rc.mu.Unlock()
	status := http.StatusOK
	if respond != nil {
		status = respond(n)
	}
	w.WriteHeader(status)
}

func (rc *v2Receiver) got() []v2Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]v2Request(nil), rc.requests...)
}

// A v2 merchant's order changes and refunds reach the receiver as v2 bodies
// with v2 headers, which the SDK verifies; a v1 merchant's still get v1.
func TestDeliveryV2_MerchantSetting(t *testing.T) {
	for _, dialect := range sqlstoretest.Backends {
		t.Run(string(dialect), func(t *testing.T) {
			ctx := context.Background()
			ln, url := listen(t)
			f := newFixture(t, dialect, url+"/webhook")
			rc := &v2Receiver{}
			serve(t, ln, rc)
			v2 := opaygate.CallbackV2
			if _, err := f.svc.Merchants.UpdateMerchant(ctx, f.m.ID, opaygate.MerchantUpdate{CallbackVersion: &v2}); err != nil {
				t.Fatal(err)
			}
			paid := f.valu(t, "paid/1", 60000, "")
			failed := f.valu(t, "fail-51", 51, "")
			r := &opaygate.Refund{MerchantID: f.m.ID, Reference: "refund-1", Amount: 1000, Way: opaygate.RefundWayOriginal}
			if err := f.svc.Refunds.CreateRefund(ctx, r, opaygate.OrderKey{OrderNo: paid.OrderNo}); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(time.Minute)
			if n, err := f.svc.Refunds.CompleteRefunds(ctx, 10); err != nil || n != 1 {
				t.Fatalf("complete refunds: %d %v", n, err)
			}
			before := time.Now()
			w := f.worker(localConfig())
			if n := f.deliverDue(t, w); n != 3 {
				t.Fatalf("made %d attempts, want 3", n)
			}
			reqs := rc.got()
			if len(reqs) != 3 {
				t.Fatalf("receiver got %d requests", len(reqs))
			}
			byKey := map[string]*opay.Notification{}
			ids := map[string]bool{}
			for _, q := range reqs {
				h := q.header
				sig := h.Get("Signature")
				ts := h.Get("RequestTimestamp")
				if h.Get("Content-Type") != "application/json" || h.Get("MerchantId") != f.m.ID ||
					h.Get("Authorization") != sig || !regexp.MustCompile(`^[0-9a-f]{128}$`).MatchString(sig) ||
					!regexp.MustCompile(`^[0-9]{13}$`).MatchString(ts) {
					t.Fatalf("headers %v", h)
				}
				// Stamped when sent, on the wall clock (not the gateway's, which stands at t0).
				if ms := time.UnixMilli(mustInt(t, ts)); ms.Before(before.Add(-time.Second)) || ms.After(time.Now().Add(time.Second)) {
					t.Errorf("RequestTimestamp %s is not the time of sending", ts)
				}
				// Independently of package opay.
				mac := hmac.New(sha512.New, []byte(f.m.PrivateKey))
				mac.Write([]byte(ts))
				mac.Write(q.body)
				if hex.EncodeToString(mac.Sum(nil)) != sig {
					t.Errorf("signature does not cover RequestTimestamp + body")
				}
				if err := opay.VerifyCallbackV2(h, q.body, f.m.PrivateKey); err != nil {
					t.Errorf("VerifyCallbackV2: %v", err)
				}
				n, err := opay.ParseCallbackRequest(h, q.body, f.m.PrivateKey)
				if err != nil {
					t.Fatalf("ParseCallbackRequest: %v\n%s", err, q.body)
				}
				if n.Version != "v2" || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(n.NotifyID) || ids[n.NotifyID] {
					t.Errorf("notifyId %q (version %s)", n.NotifyID, n.Version)
				}
				ids[n.NotifyID] = true
				byKey[n.OrderNo+"/"+string(n.Status)+"/"+map[bool]string{true: "refund"}[n.Refunded]] = n
			}
			if n := byKey[paid.OrderNo+"/SUCCESS/"]; n == nil || n.Amount != (opay.Amount{Total: 60000, Currency: "EGP"}) ||
				n.Reference != "paid/1" || !n.Timestamp.Equal(t0) || n.FailureCode != "" || n.Refund != nil ||
				n.V2 == nil || n.V2.Type != "MACQUIRING_CALLBACK" || n.V2.Extras != (opay.CallbackV2Extras{}) {
				t.Errorf("SUCCESS: %+v", n)
			}
			if n := byKey[failed.OrderNo+"/FAIL/"]; n == nil || n.FailureCode != failed.FailureCode || n.FailureCode == "" ||
				n.DisplayedFailure != "Insufficient funds" || n.Amount.Total != 51 {
				t.Errorf("FAIL: %+v (order's code %q)", n, failed.FailureCode)
			}
			if n := byKey[paid.OrderNo+"/SUCCESS/refund"]; n == nil || n.Refund == nil ||
				*n.Refund != (opay.NotificationRefund{Reference: "refund-1", OrderNo: r.RefundNo, Amount: opay.Amount{Total: 1000, Currency: "EGP"}}) ||
				!n.Timestamp.Equal(t0.Add(time.Minute)) || n.Amount.Total != 60000 {
				t.Errorf("refund: %+v", n)
			}

			// A v1 merchant is unaffected.
			v1 := opaygate.CallbackV1
			if _, err := f.svc.Merchants.UpdateMerchant(ctx, f.m.ID, opaygate.MerchantUpdate{CallbackVersion: &v1}); err != nil {
				t.Fatal(err)
			}
			closed := f.closed(t, "closed-1")
			f.deliverDue(t, w)
			last := rc.got()[3]
			n, err := opay.ParseCallback(last.body, f.m.PrivateKey)
			if err != nil || n.Version != "v1" || n.OrderNo != closed.OrderNo || last.header.Get("RequestTimestamp") != "" ||
				last.header.Get("Signature") != "" {
				t.Fatalf("v1 callback: %v %+v %v", err, n, last.header)
			}
			if c := f.callbacks(t, closed.OrderNo)[0]; c.Version != opaygate.CallbackV1 || c.NotifyID != "" {
				t.Errorf("v1 row: %s %q", c.Version, c.NotifyID)
			}
		})
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A row keeps the version it was written with: switching the merchant to v1
// while a v2 callback is being retried changes neither its format nor its
// notifyId, and a re-send by hand keeps them too.
func TestDeliveryV2_RetryKeepsVersion(t *testing.T) {
	ctx := context.Background()
	ln, url := listen(t)
	f := newFixture(t, sqlstoretest.Backends[0], url)
	rc := &v2Receiver{respond: func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}}
	serve(t, ln, rc)
	v2, v1 := opaygate.CallbackV2, opaygate.CallbackV1
	if _, err := f.svc.Merchants.UpdateMerchant(ctx, f.m.ID, opaygate.MerchantUpdate{CallbackVersion: &v2}); err != nil {
		t.Fatal(err)
	}
	o := f.closed(t, "switch-1")
	w := f.worker(localConfig())
	f.deliverDue(t, w) // answered 500
	if _, err := f.svc.Merchants.UpdateMerchant(ctx, f.m.ID, opaygate.MerchantUpdate{CallbackVersion: &v1}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(15 * time.Second)
	if n := f.deliverDue(t, w); n != 1 {
		t.Fatalf("retry: %d attempts", n)
	}
	c := f.callbacks(t, o.OrderNo)[0]
	if _, err := f.svc.Callbacks.ResendCallback(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	f.deliverDue(t, w)
	reqs := rc.got()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, q := range reqs {
		n, err := opay.ParseCallbackRequest(q.header, q.body, f.m.PrivateKey)
		if err != nil || n.Version != "v2" || n.NotifyID != c.NotifyID || string(q.body) != string(reqs[0].body) {
			t.Errorf("attempt %d: %v %+v\n%s", i+1, err, n, q.body)
		}
	}
	if c.Version != opaygate.CallbackV2 || c.State != opaygate.CallbackDelivered || c.Attempts != 2 {
		t.Errorf("row: %s %s after %d", c.Version, c.State, c.Attempts)
	}
	// Changes after the switch are v1.
	o2 := f.closed(t, "switch-2")
	f.deliverDue(t, w)
	if c2 := f.callbacks(t, o2.OrderNo)[0]; c2.Version != opaygate.CallbackV1 {
		t.Errorf("after the switch: %s", c2.Version)
	}
}

// Merchant code that verifies v2 callbacks as OPay's page describes it — here
// a Python receiver using only hmac and hashlib — accepts what the gateway
// really delivers, and rejects it once a byte of the body changes.
func TestDeliveryV2_PublicVerifierAccepts(t *testing.T) {
	python := tool(t, "python3")
	ctx := context.Background()
	f := newFixture(t, sqlstoretest.Backends[0], "")
	cmd := exec.Command(python, "testdata/verify_callback_v2.py", f.m.PrivateKey)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l := <-lines:
			return l
		case <-time.After(10 * time.Second):
			t.Fatal("the Python receiver said nothing for 10 s")
			return ""
		}
	}
	target := "http://127.0.0.1:" + next() + "/opay/callback"
	v2 := opaygate.CallbackV2
	if _, err := f.svc.Merchants.UpdateMerchant(ctx, f.m.ID, opaygate.MerchantUpdate{CallbackVersion: &v2, WebhookURL: &target}); err != nil {
		t.Fatal(err)
	}
	o := f.valu(t, "python-1", 60000, "")
	w := f.worker(localConfig())
	f.deliverDue(t, w)
	c := f.callbacks(t, o.OrderNo)[0]
	if line := next(); line != "accepted "+c.NotifyID || c.State != opaygate.CallbackDelivered {
		t.Fatalf("the Python verifier: %q; callback %s %+v", line, c.State, c.History)
	}

	// The same verifier rejects a forgery: a body the key did not sign.
	body, _ := notify.BodyV2(c)
	ts := notify.RequestTimestamp(time.Now())
	sig := opay.SignCallbackV2(ts, body, f.m.PrivateKey)
	forged := strings.Replace(string(body), `"total":60000`, `"total":6000000`, 1)
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(forged))
	notify.SetHeadersV2(req.Header, f.m.ID, ts, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if line := next(); resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(line, "rejected") {
		t.Fatalf("forged body: %d %q", resp.StatusCode, line)
	}
}
