package opay_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opaygate/opaygate/opay"
)

// These tests put the client in front of httptest servers that misbehave on purpose, and
// count what reaches them.

const (
	fakeMerchant = "256612345678901"
	fakeKey      = "OPAYPRV16357783346230.07653446106051542"
	fakePublic   = "OPAYPUB-fake"
)

// fastRetry keeps the tests quick while still waiting between attempts.
var fastRetry = opay.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond}

// fake is a scripted gateway: each path answers with the next step of its script, and every
// request is recorded.
type fake struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	scripts map[string][]step
	calls   map[string]int
	bodies  map[string][][]byte
	headers map[string][]http.Header
}

// step is one scripted answer: an envelope, or a misbehaviour.
type step struct {
	body   string        // the answer's body (HTTP 200 unless status is set)
	status int           // HTTP status
	drop   bool          // read the request, then close the connection without answering
	sleep  time.Duration // wait before answering (or until the client gives up)
	detail string        // the X-Opaygate-Detail header
}

func answer(code, data string) step {
	if data == "" {
		data = "null"
	}
	return step{body: `{"code":"` + code + `","message":"m","data":` + data + `}`}
}

func newFake(t *testing.T) *fake {
	f := &fake{t: t, scripts: map[string][]step{}, calls: map[string]int{}, bodies: map[string][][]byte{},
		headers: map[string][]http.Header{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) script(path string, steps ...step) {
	f.mu.Lock()
	f.scripts[path] = steps
	f.mu.Unlock()
}

func (f *fake) count(path string) int { f.mu.Lock(); defer f.mu.Unlock(); return f.calls[path] }

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	n := f.calls[r.URL.Path]
	f.calls[r.URL.Path]++
	f.bodies[r.URL.Path] = append(f.bodies[r.URL.Path], body)
	f.headers[r.URL.Path] = append(f.headers[r.URL.Path], r.Header.Clone())
	steps := f.scripts[r.URL.Path]
	f.mu.Unlock()
	if len(steps) == 0 {
		f.t.Errorf("unexpected request to %s", r.URL.Path)
		http.Error(w, "unexpected", http.StatusTeapot)
		return
	}
	s := steps[min(n, len(steps)-1)]
	if s.sleep > 0 {
		select {
		case <-time.After(s.sleep):
		case <-r.Context().Done():
			return
		}
	}
	if s.drop {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	w.Header().Set("X-Request-Id", "req-"+string(rune('a'+n)))
	if s.detail != "" {
		w.Header().Set(opay.HeaderDetail, s.detail)
	}
	if s.status != 0 {
		w.WriteHeader(s.status)
	}
	io.WriteString(w, s.body)
}

func (f *fake) client(opts ...opay.Option) *opay.Client {
	base := []opay.Option{opay.WithBaseURL(f.srv.URL), opay.WithRetry(fastRetry)}
	return opay.NewClient(fakeMerchant, fakeKey, append(base, opts...)...)
}

const statusData = `{"reference":"r1","orderNo":"261120000000000001","status":"SUCCESS","vat":{"total":0,"currency":"EGP"},"amount":{"total":1000,"currency":"EGP"},"createTime":1}`

var statusReq = opay.CashierStatusRequest{Reference: "r1", Country: "EG"}

func TestRetry_ReadsRetryOn50003UntilSuccess(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathCashierStatus, answer("50003", ""), answer("50003", ""), answer("00000", statusData))
	d, err := f.client().CashierStatus(context.Background(), statusReq)
	if err != nil || d.OrderNo != "261120000000000001" {
		t.Fatalf("CashierStatus = %+v, %v", d, err)
	}
	if n := f.count(opay.PathCashierStatus); n != 3 {
		t.Errorf("attempts = %d, want 3", n)
	}
}

func TestRetry_ReadsGiveUpAfterMaxAttempts(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathInvoiceDetails, answer("50003", ""))
	_, err := f.client().InvoiceDetails(context.Background(), opay.InvoiceNoRequest{InvoiceNo: "12345678"})
	if !errors.Is(err, opay.ErrServiceUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if n := f.count(opay.PathInvoiceDetails); n != 3 {
		t.Errorf("attempts = %d, want 3", n)
	}
}

func TestRetry_ReadsRetryDroppedConnectionsAndGateway5xx(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathRefundQuery, step{drop: true}, step{status: 502, body: "<html>bad gateway</html>"},
		answer("00000", `{"reference":"rf","orderStatus":"SUCCESS"}`))
	d, err := f.client().QueryRefund(context.Background(), opay.RefundQueryRequest{Reference: "rf", Country: "EG"})
	if err != nil || d.OrderStatus != opay.StatusSuccess {
		t.Fatalf("QueryRefund = %+v, %v", d, err)
	}
	if n := f.count(opay.PathRefundQuery); n != 3 {
		t.Errorf("attempts = %d, want 3", n)
	}
}

func TestRetry_OtherAPIErrorsAreNotRetried(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathCashierStatus, answer("02006", ""))
	_, err := f.client().CashierStatus(context.Background(), statusReq)
	if !errors.Is(err, opay.ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	if n := f.count(opay.PathCashierStatus); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
}

func TestRetry_NoRetryPolicy(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathCashierStatus, answer("50003", ""))
	_, err := f.client(opay.WithRetry(opay.NoRetry)).CashierStatus(context.Background(), statusReq)
	if !errors.Is(err, opay.ErrServiceUnavailable) || f.count(opay.PathCashierStatus) != 1 {
		t.Fatalf("err = %v after %d attempts", err, f.count(opay.PathCashierStatus))
	}
}

func TestRetry_CreatesAreNotRetriedOn50003(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathPaymentCreate, answer("50003", ""))
	f.script(opay.PathCashierCreate, answer("50003", ""))
	f.script(opay.PathRefundCreate, answer("50003", ""))
	c, ctx := f.client(), context.Background()
	_, err1 := c.CreatePayment(ctx, opay.PaymentCreateRequest{Reference: "p1"})
	_, err2 := c.CreateCashier(ctx, opay.CashierCreateRequest{Reference: "c1"})
	_, err3 := c.CreateRefund(ctx, opay.RefundCreateRequest{Reference: "r1"})
	for _, err := range []error{err1, err2, err3} {
		if !errors.Is(err, opay.ErrServiceUnavailable) {
			t.Errorf("err = %v, want ErrServiceUnavailable", err)
		}
	}
	for _, p := range []string{opay.PathPaymentCreate, opay.PathCashierCreate, opay.PathRefundCreate} {
		if n := f.count(p); n != 1 {
			t.Errorf("%s: attempts = %d, want 1", p, n)
		}
	}
}

const createData = `{"reference":"valu-1","orderNo":"261120000000000007","nextAction":{"actionType":"INPUT_INSTALLMENT_MONTH","plans":[{"months":6,"downPayment":{"total":0,"currency":"EGP"},"fee":{"total":30,"currency":"EGP"},"emi":{"total":190,"currency":"EGP"}}]},"status":"PENDING","amount":{"total":1000,"currency":"EGP"},"vat":{"total":0,"currency":"EGP"}}`

var valuReq = opay.PaymentCreateRequest{Reference: "valu-1", Country: "EG", PayMethod: "VALU",
	Amount: opay.Amount{Total: 1000, Currency: "EGP"}, Product: opay.Product{Name: "x"}, ValUAccountNumber: "01012345678"}

// The first attempt reached the gateway, which created the order, but its answer was lost;
// the retry answers 02004, and the client returns the order the first attempt made.
func TestRetry_CreateAfterDroppedConnectionReturnsTheOriginal(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathPaymentCreate, step{drop: true},
		answer("02004", ""))
	f.script(opay.PathCashierStatus, answer("00000",
		`{"reference":"valu-1","orderNo":"261120000000000007","status":"PENDING","vat":{"total":0,"currency":"EGP"},"amount":{"total":1000,"currency":"EGP"},"createTime":1}`))
	d, err := f.client().CreatePayment(context.Background(), valuReq)
	if err != nil {
		t.Fatal(err)
	}
	if d.OrderNo != "261120000000000007" || d.Status != opay.StatusPending || d.Amount.Total != 1000 {
		t.Errorf("recovered = %+v", d)
	}
	if f.count(opay.PathPaymentCreate) != 2 || f.count(opay.PathCashierStatus) != 1 {
		t.Errorf("attempts: create %d, status %d", f.count(opay.PathPaymentCreate), f.count(opay.PathCashierStatus))
	}
	// Both attempts sent the same bytes, so the same reference; the 02004 carries no data,
	// so the status query asked by that reference.
	if b := f.bodies[opay.PathPaymentCreate]; !bytes.Equal(b[0], b[1]) {
		t.Errorf("the retry sent other bytes:\n%s\n%s", b[0], b[1])
	}
	if q := string(f.bodies[opay.PathCashierStatus][0]); q != `{"reference":"valu-1","country":"EG"}` {
		t.Errorf("status query %s", q)
	}
}

func TestRetry_CreateRetriedAfterDropSucceeds(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathPaymentCreate, step{drop: true}, answer("00000", createData))
	d, err := f.client().CreatePayment(context.Background(), valuReq)
	if err != nil || d.NextAction == nil || len(d.NextAction.Plans) != 1 {
		t.Fatalf("CreatePayment = %+v, %v", d, err)
	}
}

// A 02004 on the first attempt is the caller's own duplicate: returned as it is.
func TestRetry_CreateDuplicateOnFirstAttemptIsAnError(t *testing.T) {
	f := newFake(t)
	dup := answer("02004", "")
	dup.detail = "reference valu-1 is already used by 261120000000000001 (SUCCESS)"
	f.script(opay.PathPaymentCreate, dup)
	_, err := f.client().CreatePayment(context.Background(), valuReq)
	var ae *opay.APIError
	if !errors.As(err, &ae) || !errors.Is(err, opay.ErrDuplicateReference) || ae.Detail != dup.detail || ae.RequestID != "req-a" {
		t.Fatalf("err = %#v", err)
	}
	if want := "opay: payment/create: 02004 m (" + dup.detail + ") (request id req-a)"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
	if f.count(opay.PathCashierStatus) != 0 {
		t.Error("the client looked up an order it did not create")
	}
}

// If the order holding the reference is not the one asked for, the reference was the caller's
// older order: the 02004 is returned, not that order.
func TestRetry_CreateRecoveryChecksTheAmount(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathCashierCreate, step{drop: true}, answer("02004", ""))
	f.script(opay.PathCashierStatus, answer("00000", statusData)) // 1000 EGP
	req := opay.CashierCreateRequest{Reference: "valu-1", Country: "EG", Amount: opay.Amount{Total: 999, Currency: "EGP"}}
	_, err := f.client().CreateCashier(context.Background(), req)
	if !errors.Is(err, opay.ErrDuplicateReference) {
		t.Fatalf("err = %v, want the 02004", err)
	}
}

func TestRetry_CashierCreateRecoveryHasNoCashierURL(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathCashierCreate, step{drop: true}, answer("02004", ""))
	f.script(opay.PathCashierStatus, answer("00000", strings.Replace(statusData, "SUCCESS", "INITIAL", 1)))
	req := opay.CashierCreateRequest{Reference: "r1", Country: "EG", Amount: opay.Amount{Total: 1000, Currency: "EGP"}}
	d, err := f.client().CreateCashier(context.Background(), req)
	if err != nil || d.OrderNo != "261120000000000001" || d.Status != opay.StatusInitial || d.CashierURL != "" {
		t.Fatalf("CreateCashier = %+v, %v", d, err)
	}
}

func TestRetry_RefundCreateRecoveredThroughRefundQuery(t *testing.T) {
	f := newFake(t)
	refund := `{"reference":"rf-1","originalReference":"o1","orderNo":"261120000000000009","originalOrderNo":"261120000000000001","refundAmount":{"total":300,"currency":"EGP"},"country":"EG","orderStatus":"PENDING"}`
	f.script(opay.PathRefundCreate, step{drop: true}, answer("02004", ""))
	f.script(opay.PathRefundQuery, answer("50003", ""), answer("00000", refund))
	d, err := f.client().CreateRefund(context.Background(), opay.RefundCreateRequest{Reference: "rf-1",
		OriginalReference: "o1", Country: "EG", Amount: opay.Amount{Total: 300, Currency: "EGP"}})
	if err != nil || d.OrderNo != "261120000000000009" || opay.RefundStatus(d.OrderStatus) != opay.StatusPending {
		t.Fatalf("CreateRefund = %+v, %v", d, err)
	}
	if f.count(opay.PathRefundCreate) != 2 || f.count(opay.PathRefundQuery) != 2 {
		t.Errorf("attempts: create %d, query %d", f.count(opay.PathRefundCreate), f.count(opay.PathRefundQuery))
	}
}

// Calls that are not safe to repeat are not repeated once the request may have arrived.
func TestRetry_UnsafeCallsNotRetriedAfterTheyMayHaveArrived(t *testing.T) {
	c := func(f *fake) *opay.Client { return f.client() }
	ctx := context.Background()
	tests := []struct {
		name string
		path string
		call func(*opay.Client) error
	}{
		{"InputOTP", opay.PathInputOTP, func(c *opay.Client) error {
			_, err := c.InputOTP(ctx, opay.InputOTPRequest{OrderNo: "1", OTP: "123456"})
			return err
		}},
		{"ResendOTP", opay.PathResendOTP, func(c *opay.Client) error {
			_, err := c.ResendOTP(ctx, opay.ResendOTPRequest{OrderNo: "1"})
			return err
		}},
		{"InputInstallmentMonth", opay.PathInputInstallmentMonth, func(c *opay.Client) error {
			_, err := c.InputInstallmentMonth(ctx, opay.InputInstallmentMonthRequest{OrderNo: "1", Months: 6})
			return err
		}},
		{"ClosePayment", opay.PathPaymentClose, func(c *opay.Client) error {
			_, err := c.ClosePayment(ctx, opay.PaymentCloseRequest{OrderNo: "1", Country: "EG"})
			return err
		}},
		{"CancelInvoice", opay.PathInvoiceCancel, func(c *opay.Client) error {
			return c.CancelInvoice(ctx, opay.InvoiceNoRequest{InvoiceNo: "12345678"})
		}},
		{"CreateInvoice", opay.PathInvoiceCreate, func(c *opay.Client) error {
			_, err := c.CreateInvoice(ctx, opay.CreateInvoiceRequest{Name: "x"})
			return err
		}},
	}
	for _, tt := range tests {
		for _, misbehave := range []struct {
			name string
			step step
		}{{"Dropped", step{drop: true}}, {"BadGateway", step{status: 502, body: "bad gateway"}}, {"50003", answer("50003", "")}} {
			t.Run(tt.name+"/"+misbehave.name, func(t *testing.T) {
				f := newFake(t)
				f.script(tt.path, misbehave.step, answer("00000", `"true"`))
				err := tt.call(c(f))
				if err == nil {
					t.Fatal("no error")
				}
				var ae *opay.APIError
				if misbehave.name != "50003" && errors.As(err, &ae) {
					t.Errorf("a transport failure became an *APIError: %v", err)
				}
				if n := f.count(tt.path); n != 1 {
					t.Errorf("attempts = %d, want 1", n)
				}
			})
		}
	}
}

// A request that never left — the connection could not be opened — is retried whatever the
// endpoint, since the server cannot have seen it.
func TestRetry_UnsentRequestsAreRetried(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathInputOTP, answer("00000", `{"reference":"r","orderNo":"1","status":"SUCCESS","amount":{"total":1,"currency":"EGP"}}`))
	var dials atomic.Int32
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			return nil, errors.New("connection refused (simulated)")
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	c := f.client(opay.WithHTTPClient(&http.Client{Transport: tr}))
	d, err := c.InputOTP(context.Background(), opay.InputOTPRequest{OrderNo: "1", OTP: "123456"})
	if err != nil || d.Status != opay.StatusSuccess {
		t.Fatalf("InputOTP = %+v, %v", d, err)
	}
	if dials.Load() != 2 || f.count(opay.PathInputOTP) != 1 {
		t.Errorf("dials %d, requests %d; want 2 and 1", dials.Load(), f.count(opay.PathInputOTP))
	}
}

func TestTimeout_EachAttemptIsBounded(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathCashierStatus, step{sleep: time.Minute})
	start := time.Now()
	_, err := f.client(opay.WithTimeout(30*time.Millisecond)).CashierStatus(context.Background(), statusReq)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline", err)
	}
	var ae *opay.APIError
	if errors.As(err, &ae) {
		t.Errorf("a timeout became an *APIError")
	}
	if n := f.count(opay.PathCashierStatus); n != 3 {
		t.Errorf("attempts = %d, want 3 (a timed-out read is retried)", n)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestTimeout_ContextBoundsTheWholeCall(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathCashierStatus, answer("50003", ""))
	slow := opay.RetryPolicy{MaxAttempts: 10, BaseDelay: time.Hour, MaxDelay: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.client(opay.WithRetry(slow)).CashierStatus(ctx, statusReq)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "50003") {
		t.Fatalf("err = %v, want the deadline and the last error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("waited %v for a backoff longer than the context", d)
	}
	if n := f.count(opay.PathCashierStatus); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
}

func TestCancel_StopsAnAttemptInFlight(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathCashierStatus, step{sleep: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(30 * time.Millisecond); cancel() }()
	_, err := f.client().CashierStatus(ctx, statusReq)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if n := f.count(opay.PathCashierStatus); n != 1 {
		t.Errorf("attempts = %d, want 1: a cancelled call is not retried", n)
	}
}

func TestHTTPError_NonEnvelopeAnswers(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathCashierStatus, step{status: 404, body: "404 page not found"})
	_, err := f.client().CashierStatus(context.Background(), statusReq)
	var he *opay.HTTPError
	if !errors.As(err, &he) || he.StatusCode != 404 || !strings.Contains(he.Body, "404 page") {
		t.Fatalf("err = %#v", err)
	}
	if n := f.count(opay.PathCashierStatus); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
}

// The signature covers the exact bytes that arrive; cashier/create carries the public key
// when there is one.
func TestSigning(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathCashierStatus, answer("00000", statusData))
	f.script(opay.PathCashierCreate, answer("00000", `{"reference":"r1","orderNo":"1","cashierUrl":"u","status":"INITIAL"}`))
	ctx := context.Background()
	req := opay.CashierCreateRequest{Reference: "r1", Country: "EG", ReturnURL: "https://shop.example.com/r?a=1&b=<2>"}

	if _, err := f.client().CashierStatus(ctx, statusReq); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client().CreateCashier(ctx, req); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client(opay.WithPublicKey(fakePublic)).CreateCashier(ctx, req); err != nil {
		t.Fatal(err)
	}
	check := func(path string, i int, wantAuth func(body []byte) string) {
		t.Helper()
		body, h := f.bodies[path][i], f.headers[path][i]
		if h.Get("MerchantId") != fakeMerchant || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("%s headers %v", path, h)
		}
		if got, want := h.Get("Authorization"), wantAuth(body); got != want {
			t.Errorf("%s #%d: Authorization %q, want %q", path, i, got, want)
		}
	}
	signed := func(body []byte) string { return opay.AuthorizationHeader(body, fakeKey) }
	check(opay.PathCashierStatus, 0, signed)
	check(opay.PathCashierCreate, 0, signed)
	check(opay.PathCashierCreate, 1, func([]byte) string { return "Bearer " + fakePublic })
	if b := string(f.bodies[opay.PathCashierCreate][0]); !strings.Contains(b, `"returnUrl":"https://shop.example.com/r?a=1&b=<2>"`) {
		t.Errorf("body %s: URLs should be sent as written", b)
	}
}

func TestDo_SendsTheExactBytes(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathInvoiceDetails, answer("02006", ""))
	body := []byte(`{ "invoiceNo" : "12345678" }`)
	res, err := f.client().Do(context.Background(), opay.PathInvoiceDetails, body)
	if !errors.Is(err, opay.ErrNotFound) || res == nil || res.Code != "02006" || res.RequestID != "req-a" {
		t.Fatalf("Do = %+v, %v", res, err)
	}
	if got := f.bodies[opay.PathInvoiceDetails][0]; !bytes.Equal(got, body) {
		t.Errorf("sent %s", got)
	}
	if got := f.headers[opay.PathInvoiceDetails][0].Get("Authorization"); got != opay.AuthorizationHeader(body, fakeKey) {
		t.Errorf("Authorization %s", got)
	}
}

func TestClient_NoCredentials(t *testing.T) {
	_, err := opay.NewClient("", "").CashierStatus(context.Background(), statusReq)
	if err == nil || errors.As(err, new(*opay.APIError)) {
		t.Fatalf("err = %v", err)
	}
}

// The logger sees what happened, never a key, a signature or a body.
func TestLogger_NeverLogsSecrets(t *testing.T) {
	f := newFake(t)
	f.script(opay.PathInputOTP, answer("02011", ""))
	f.script(opay.PathCashierStatus, step{drop: true}, answer("00000", statusData))
	f.script(opay.PathCashierCreate, answer("00000", `{"reference":"r1","orderNo":"1","cashierUrl":"u","status":"INITIAL"}`))
	f.script(opay.PathPaymentCreate, answer("02001", ""))
	var logs bytes.Buffer
	l := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := f.client(opay.WithLogger(l), opay.WithPublicKey(fakePublic))
	ctx := context.Background()
	c.InputOTP(ctx, opay.InputOTPRequest{OrderNo: "1", OTP: "918273"})
	c.CashierStatus(ctx, statusReq)
	c.CreateCashier(ctx, opay.CashierCreateRequest{Reference: "r1", Country: "EG"})
	c.CreatePayment(ctx, opay.PaymentCreateRequest{Reference: "card", BankCard: &opay.BankCard{CardNumber: "5123450000000008", CVV: "100"}})

	out := logs.String()
	for _, secret := range []string{fakeKey, fakePublic, "918273", "5123450000000008", "Bearer",
		opay.Sign(f.bodies[opay.PathInputOTP][0], fakeKey)} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"endpoint=input-otp", "code=02011", "attempt=2", "endpoint=cashier/status", "request_id=req-"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
}
