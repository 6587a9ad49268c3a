package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/reqlog"
	"github.com/opaygate/opaygate/server"
	"github.com/opaygate/opaygate/simulator"
	"github.com/opaygate/opaygate/sqlstore"
)

// Paths of the API, for readable tests.
const (
	pathCashierCreate = "/api/v1/international/cashier/create"
	pathStatus        = "/api/v1/international/cashier/status"
	pathClose         = "/api/v1/international/payment/close"
	pathPaymentCreate = "/api/v1/international/payment/create"
	pathMonth         = "/api/v1/payment/action/input-installment-month"
	pathOTP           = "/api/v1/payment/action/input-otp"
	pathResendOTP     = "/api/v1/payment/action/resend-otp"
	pathRefundCreate  = "/api/v1/international/payment/refund/create"
	pathRefundQuery   = "/api/v1/international/payment/refund/query"
	pathInvoiceCreate = "/api/v1/international/invoice/createSingleInvoice"
	pathInvoice       = "/api/v1/international/invoice/getInvoiceDetails"
	pathCancelInvoice = "/api/v1/international/invoice/cancelInvoice"
	pathInvoiceStats  = "/api/v1/international/invoice/getInvoicesStatistics"
)

// demoID and demoKey are the documentation's merchant (spec section 7).
const (
	demoID  = "256612345678901"
	demoKey = "OPAYPRV16357783346230.07653446106051542"
)

// env is a gateway on a real SQLite database in a temporary directory, the simulated network
// and an adjustable clock, with two merchants of its own (A and B) besides the demo ones.
type env struct {
	t      testing.TB
	srv    *httptest.Server
	db     *sqlstore.DB
	dbPath string // the SQLite file, for tests that scan what it holds
	svc    *sqlstore.Services
	net    *simulator.Network
	clock  *opaygate.OffsetClock
	A, B   *opaygate.Merchant
	Demo   *opaygate.Merchant
	client *http.Client
	logs   *lockedBuffer
	server *server.Server
	reqlog *reqlog.Log // nil unless withRequestLog
}

// lockedBuffer collects the server's log for tests that check what it never says.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testSandbox is the test's Sandbox: the simulator's OTPs, the offset clock and a database
// reset that reloads the merchants.
type testSandbox struct{ e *env }

func (s testSandbox) LastOTP(orderNo string) (string, bool) { return s.e.net.LastOTP(orderNo) }
func (s testSandbox) Messages(orderNo string) []opaygate.SentNotice {
	return s.e.net.Messages(orderNo)
}
func (s testSandbox) Advance(d time.Duration) { s.e.clock.Advance(d) }
func (s testSandbox) DeclineNext(orderNo string, d opaygate.Decision) func() {
	return s.e.net.DeclineNext(orderNo, d)
}
func (s testSandbox) Reset(ctx context.Context) error {
	if err := s.e.db.Reset(ctx); err != nil {
		return err
	}
	s.e.net.Reset()
	return s.e.seed(ctx)
}

// testOption changes how newTestServer wires the gateway.
type testOption func(*testConfig)

type testConfig struct {
	live        bool          // live mode: no sandbox routes, 02000 reasons only in the log
	refunds     bool          // wire the refund and callback services
	refundDelay time.Duration // sandbox refunds succeed this long after they are created
	server      func(*server.Config)
	replay      bool // wire the replay guard
	requestLog  *reqlog.Config
}

// withRequestLog wires the request log with cfg, its writer running until the test ends.
func withRequestLog(cfg reqlog.Config) testOption {
	return func(c *testConfig) { c.requestLog = &cfg }
}

// withReplay wires the replay guard, which refuses a v2 request seen before.
func withReplay() testOption { return func(c *testConfig) { c.replay = true } }

// withServerConfig changes the server's configuration before it is built.
func withServerConfig(f func(*server.Config)) testOption {
	return func(c *testConfig) { c.server = f }
}

// withRefunds wires the refund and callback services, with sandbox refunds that succeed
// delay (of the sandbox clock) after they are created. Without it the gateway has no refund
// service and answers refund calls 02002.
func withRefunds(delay time.Duration) testOption {
	return func(c *testConfig) { c.refunds, c.refundDelay = true, delay }
}

// withLive runs the server in live mode.
func withLive() testOption { return func(c *testConfig) { c.live = true } }

func newTestServer(t testing.TB, opts ...testOption) *env {
	t.Helper()
	var cfg testConfig
	for _, o := range opts {
		o(&cfg)
	}
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "opaygate.db")
	db, err := sqlstore.Open(ctx, dbPath)
	if err != nil {
		t.Fatalf("open db: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	e := &env{t: t, db: db, dbPath: dbPath, net: simulator.New(simulator.RefundDelay(cfg.refundDelay)), clock: opaygate.NewOffsetClock(nil), logs: &lockedBuffer{}}
	e.svc = sqlstore.NewServices(db, sqlstore.Deps{Methods: method.Default(),
		Clock: e.clock, ValU: e.net, OTP: e.net, Acquirer: e.net,
		Settler: e.net, Notifier: e.net,
	})
	if err := e.seed(ctx); err != nil {
		t.Fatalf("seed: %v", err)
	}
	// The public URL must be known before the server is built, so the listener comes first.
	e.srv = httptest.NewUnstartedServer(nil)
	services := server.Services{
		Merchants: e.svc.Merchants,
		Products:  e.svc.Products,
		Orders:    e.svc.Orders,
		Invoices:  e.svc.Invoices,
		Tokens:    e.svc.Tokens,
		Voids:     e.svc.Voids,
		Ledger:    e.svc.Ledger,
		Payouts:   e.svc.Payouts,
		Clock:     e.clock,
		Health:    db.Ping,
		Sandbox:   testSandbox{e},
	}
	if cfg.refunds {
		services.Refunds, services.Callbacks = e.svc.Refunds, e.svc.Callbacks
	}
	if cfg.replay {
		services.Replay = sqlstore.NewReplayService(db)
	}
	if cfg.requestLog != nil {
		e.reqlog = reqlog.New(e.svc.Requests, *cfg.requestLog)
		services.RequestLog, services.Requests = e.reqlog, e.svc.Requests
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { e.reqlog.Run(ctx); close(done) }()
		t.Cleanup(func() { stop(); <-done })
	}
	mode := "sandbox"
	if cfg.live {
		mode = "live"
	}
	scfg := server.Config{
		Mode: mode, PublicURL: "http://" + e.srv.Listener.Addr().String(),
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if cfg.server != nil {
		cfg.server(&scfg)
	}
	s := server.New(scfg, services)
	e.server = s
	// Every exchange is checked against the OpenAPI document (openapi_validate_test.go).
	e.srv.Config.Handler = validating(t, s.Handler())
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	e.client = e.srv.Client()
	return e
}

// seed creates the demo merchants and products and merchants A and B.
func (e *env) seed(ctx context.Context) error {
	demo, err := simulator.Seed(ctx, e.svc.Merchants, e.svc.Products)
	if err != nil {
		return err
	}
	e.Demo = demo[0]
	mk := func(id string) (*opaygate.Merchant, error) {
		if m, err := e.svc.Merchants.FindMerchant(ctx, id); err == nil {
			return m, nil
		}
		priv, pub := opaygate.NewKeyPair()
		m := &opaygate.Merchant{
			ID: id, Name: "Merchant " + id, PrivateKey: priv, PublicKey: pub,
			Status: opaygate.MerchantActive, Countries: opaygate.Countries(), Functions: opaygate.AllFunctions(),
		}
		return m, e.svc.Merchants.CreateMerchant(ctx, m)
	}
	if e.A, err = mk("100000000000001"); err != nil {
		return err
	}
	if e.B, err = mk("100000000000002"); err != nil {
		return err
	}
	for _, p := range []opaygate.Product{
		{MerchantID: e.A.ID, MerchantProductNo: "SKU-1", Name: "Mug", Price: 15000, Currency: "EGP"},
		{MerchantID: e.A.ID, MerchantProductNo: "SKU-2", Name: "Plate", Price: 2550, Currency: "EGP"},
	} {
		if _, err := e.svc.Products.FindProduct(ctx, p.MerchantID, p.MerchantProductNo); err == nil {
			continue
		}
		if err := e.svc.Products.CreateProduct(ctx, &p); err != nil {
			return err
		}
	}
	return nil
}

// result is one API answer.
type result struct {
	HTTP   int
	Header http.Header
	Raw    []byte
	Detail string // the X-Opaygate-Detail header
	opay.Response
}

// call signs body with m's private key (v1) and POSTs it.
func (e *env) call(t testing.TB, m *opaygate.Merchant, path string, body any) result {
	t.Helper()
	b := bodyBytes(t, body)
	return e.do(t, "POST", path, b, sign(m, b))
}

// do sends a request with exactly the given headers and decodes the envelope.
func (e *env) do(t testing.TB, method, path string, body []byte, headers map[string]string) result {
	t.Helper()
	r, err := e.send(method, path, body, headers)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Errorf("%s %s: no X-Request-Id", method, path)
	}
	return r
}

// send is do without testing.TB, for goroutines other than the test's.
func (e *env) send(method, path string, body []byte, headers map[string]string) (result, error) {
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		return result{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	r := result{HTTP: resp.StatusCode, Header: resp.Header, Raw: raw, Detail: resp.Header.Get(opay.HeaderDetail)}
	if path != "/healthz" {
		if err := json.Unmarshal(raw, &r.Response); err != nil || r.Code == "" {
			return r, fmt.Errorf("answer is not the envelope: %v: %s", err, raw)
		}
	}
	return r, nil
}

// sign returns the headers of a v1-signed request of m.
func sign(m *opaygate.Merchant, body []byte) map[string]string {
	return map[string]string{"MerchantId": m.ID, "Authorization": opay.AuthorizationHeader(body, m.PrivateKey)}
}

func bodyBytes(t testing.TB, body any) []byte {
	t.Helper()
	switch b := body.(type) {
	case []byte:
		return b
	case string:
		return []byte(b)
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// must checks the code of an answer and returns it.
func must(t testing.TB, r result, code string) result {
	t.Helper()
	if r.Code != code {
		t.Fatalf("code %s (%q), want %s; body %s", r.Code, r.Message, code, r.Raw)
	}
	return r
}

// data decodes an answer's data into v.
func data[T any](t testing.TB, r result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Data, &v); err != nil {
		t.Fatalf("data %s: %v", r.Data, err)
	}
	return v
}

// sandboxOTP reads an order's last OTP through the control API.
func (e *env) sandboxOTP(t testing.TB, orderNo string) string {
	t.Helper()
	r := must(t, e.do(t, "GET", "/_sandbox/otp?orderNo="+orderNo, nil, nil), opay.CodeSuccess)
	return data[struct{ OTP string }](t, r).OTP
}

// advance moves the clock through the control API.
func (e *env) advance(t testing.TB, body string) {
	t.Helper()
	must(t, e.do(t, "POST", "/_sandbox/clock/advance", []byte(body), nil), opay.CodeSuccess)
}

// valu creates a VALU payment of amount for m.
func (e *env) valu(t testing.TB, m *opaygate.Merchant, ref string, amount int64, account string) opay.PaymentCreateData {
	t.Helper()
	r := must(t, e.call(t, m, pathPaymentCreate, valuRequest(ref, amount, account)), opay.CodeSuccess)
	return data[opay.PaymentCreateData](t, r)
}

func valuRequest(ref string, amount int64, account string) opay.PaymentCreateRequest {
	return opay.PaymentCreateRequest{
		Amount:      opay.Amount{Total: amount, Currency: "EGP"},
		CallbackURL: "https://merchant.example/callback",
		Country:     "EG", PayMethod: "VALU",
		Product:           opay.Product{Name: "Phone", Description: "A phone"},
		Reference:         ref,
		ReturnURL:         "https://merchant.example/return",
		ValUAccountNumber: account,
	}
}

// toOTP takes a new VALU order to the OTP step with a 6-month plan.
func (e *env) toOTP(t testing.TB, m *opaygate.Merchant, ref string, amount int64) string {
	t.Helper()
	d := e.valu(t, m, ref, amount, "01012345678")
	must(t, e.call(t, m, pathMonth, map[string]any{"country": "EG", "months": 6, "orderNo": d.OrderNo}), opay.CodeSuccess)
	return d.OrderNo
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
