package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/server"
	"github.com/opaygate/opaygate/simulator"
	"github.com/opaygate/opaygate/sqlstore"
)

// dashPassword is every test merchant's dashboard password.
const dashPassword = "dashboard secret 1"

// dashEnv is a gateway with the dashboard on a real SQLite database, a movable clock and two
// merchants, A and B, who can log in.
type dashEnv struct {
	srv      *httptest.Server
	db       *sqlstore.DB
	svc      *sqlstore.Services
	sessions *sqlstore.SessionService
	clock    *opaygate.OffsetClock
	logs     *lockedBuffer
	A, B     *opaygate.Merchant
}

// dashOption changes the dashboard's configuration before the server starts.
type dashOption func(*server.Config)

func newDashEnv(t testing.TB, opts ...dashOption) *dashEnv {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "dash.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	network := simulator.New(simulator.RefundDelay(time.Hour))
	e := &dashEnv{db: db, clock: opaygate.NewOffsetClock(nil), logs: &lockedBuffer{}}
	e.svc = sqlstore.NewServices(db, sqlstore.Deps{Methods: method.Default(), Clock: e.clock, ValU: network, OTP: network,
		Acquirer: network, Settler: network})
	e.sessions = sqlstore.NewSessionService(db, e.clock)
	e.A = e.merchant(t, "100000000000001", "Shop A")
	e.B = e.merchant(t, "100000000000002", "Shop B")

	e.srv = httptest.NewUnstartedServer(nil)
	cfg := server.Config{
		Mode: "sandbox", PublicURL: "http://" + e.srv.Listener.Addr().String(),
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Dashboard: server.DashboardConfig{
			Sessions:           opaygate.SessionPolicy{Idle: 30 * time.Minute, Absolute: 8 * time.Hour},
			LoginPerMerchant:   server.RateLimit{Burst: 50, Every: time.Second},
			LoginPerMerchantIP: server.RateLimit{Burst: 50, Every: time.Second},
			LoginPerIP:         server.RateLimit{Burst: 100, Every: time.Second},
		},
	}
	for _, o := range opts {
		o(&cfg)
	}
	s := server.New(cfg, server.Services{
		Merchants: e.svc.Merchants, Products: e.svc.Products, Orders: e.svc.Orders,
		Invoices: e.svc.Invoices, Refunds: e.svc.Refunds, Callbacks: e.svc.Callbacks,
		Sessions: e.sessions, Clock: e.clock, Health: db.Ping, Requests: e.svc.Requests, Ledger: e.svc.Ledger,
	})
	e.srv.Config.Handler = validating(t, s.Handler())
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	return e
}

func (e *dashEnv) merchant(t testing.TB, id, name string) *opaygate.Merchant {
	t.Helper()
	ctx := context.Background()
	priv, pub := opaygate.NewKeyPair()
	m := &opaygate.Merchant{ID: id, Name: name, PrivateKey: priv, PublicKey: pub, Status: opaygate.MerchantActive,
		Countries: opaygate.Countries(), Functions: opaygate.AllFunctions(),
		WebhookURL: "https://" + id + ".example/webhook"}
	if err := e.svc.Merchants.CreateMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := e.sessions.SetPassword(ctx, id, dashPassword); err != nil {
		t.Fatal(err)
	}
	return m
}

// order creates an open hosted-checkout order of m.
func (e *dashEnv) order(t testing.TB, m *opaygate.Merchant, ref string, amount int64) *opaygate.Order {
	t.Helper()
	o := &opaygate.Order{MerchantID: m.ID, Reference: ref, Country: "EG", Amount: amount,
		ProductName: "Phone", ReturnURL: "https://shop.example/return", User: opaygate.UserInfo{Name: "Customer " + ref}}
	if err := e.svc.Orders.CreateOrder(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	return o
}

// paidOrder creates an order of m and pays it with ValU in the sandbox.
func (e *dashEnv) paidOrder(t testing.TB, m *opaygate.Merchant, ref string, amount int64) *opaygate.Order {
	t.Helper()
	ctx := context.Background()
	o := &opaygate.Order{MerchantID: m.ID, Reference: ref, Country: "EG", Amount: amount, PayMethod: opaygate.PayMethodValU,
		ValUAccount: "01012345678", ProductName: "Phone", ReturnURL: "https://shop.example/return"}
	if err := e.svc.Orders.CreatePayment(ctx, o, nil); err != nil {
		t.Fatal(err)
	}
	key := opaygate.OrderKey{OrderNo: o.OrderNo}
	if _, err := e.svc.Orders.SelectPlan(ctx, m.ID, key, 6); err != nil {
		t.Fatal(err)
	}
	o, err := e.svc.Orders.SubmitOTP(ctx, m.ID, key, "123456")
	if err != nil || o.Status != opaygate.StatusSuccess {
		t.Fatalf("pay %s: %v %v", ref, o, err)
	}
	return o
}

// product adds a catalog product of m.
func (e *dashEnv) product(t testing.TB, m *opaygate.Merchant, no, name string, price int64) *opaygate.Product {
	t.Helper()
	p := &opaygate.Product{MerchantID: m.ID, MerchantProductNo: no, Name: name, Price: price, Currency: "EGP"}
	if err := e.svc.Products.CreateProduct(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

// invoice issues an invoice of m for a free amount.
func (e *dashEnv) invoice(t testing.TB, m *opaygate.Merchant, name, customer string, amount int64) *opaygate.Invoice {
	t.Helper()
	inv := &opaygate.Invoice{MerchantID: m.ID, Name: name, Country: "EG", Amount: amount, Lang: "EN",
		NotifyMethod: "EMAIL", DueTime: e.clock.Now().Add(72 * time.Hour),
		Customer: opaygate.Customer{Name: customer, Email: "c@example.com"}}
	if err := e.svc.Invoices.CreateInvoice(context.Background(), inv, nil, opaygate.ServiceFee{}); err != nil {
		t.Fatal(err)
	}
	return inv
}

// dashBrowser is an HTTP client that behaves like a browser on the dashboard: it keeps cookies,
// does not follow redirects (tests look at them), and sends Origin with its POSTs.
type dashBrowser struct {
	e      *dashEnv
	client *http.Client
	csrf   string // the session's token, read from the last page that had one
}

func (e *dashEnv) browser(t testing.TB) *dashBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &dashBrowser{e: e, client: c}
}

// browserFrom is a browser whose connections come from ip, an address of 127.0.0.0/8
// (Linux routes the whole block to the loopback interface), as a client elsewhere would.
func (e *dashEnv) browserFrom(t testing.TB, ip string) *dashBrowser {
	t.Helper()
	b := e.browser(t)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	b.client.Transport = &http.Transport{DialContext: d.DialContext}
	return b
}

// login logs m in and fails the test if that does not work.
func (e *dashEnv) login(t testing.TB, m *opaygate.Merchant) *dashBrowser {
	t.Helper()
	b := e.browser(t)
	r := b.tryLogin(t, m.ID, dashPassword)
	if r.status != http.StatusSeeOther || r.location != "/dashboard/orders" {
		t.Fatalf("login %s: %d %q\n%s", m.ID, r.status, r.location, r.body)
	}
	b.get(t, "/dashboard/orders")
	if b.csrf == "" {
		t.Fatal("no CSRF token on the orders page")
	}
	return b
}

// tryLogin fetches the login form and posts it.
func (b *dashBrowser) tryLogin(t testing.TB, id, password string) dashPage {
	t.Helper()
	form := b.get(t, "/dashboard/login")
	token := dashHidden(form.body, "csrf")
	return b.postForm(t, "/dashboard/login", url.Values{"csrf": {token}, "merchant_id": {id}, "password": {password}}, nil)
}

// dashPage is one answer of the dashboard.
type dashPage struct {
	status   int
	location string
	header   http.Header
	body     string
}

func (b *dashBrowser) get(t testing.TB, path string) dashPage {
	t.Helper()
	req, err := http.NewRequest("GET", b.e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b.do(t, req)
}

// post sends a form with the session's CSRF token, as the dashboard's own forms do.
func (b *dashBrowser) post(t testing.TB, path string, form url.Values) dashPage {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	return b.postForm(t, path, form, nil)
}

// postForm sends exactly form, with Origin set to the server's unless headers say otherwise
// (an empty value removes the header).
func (b *dashBrowser) postForm(t testing.TB, path string, form url.Values, headers map[string]string) dashPage {
	t.Helper()
	req, err := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.e.srv.URL)
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return b.do(t, req)
}

func (b *dashBrowser) do(t testing.TB, req *http.Request) dashPage {
	t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := dashPage{status: resp.StatusCode, location: resp.Header.Get("Location"), header: resp.Header, body: string(raw)}
	if tok := dashHidden(p.body, "csrf"); tok != "" && !strings.Contains(req.URL.Path, "/login") {
		b.csrf = tok
	}
	return p
}

// mustGet fetches a page that must answer 200.
func (b *dashBrowser) mustGet(t testing.TB, path string) string {
	t.Helper()
	p := b.get(t, path)
	if p.status != http.StatusOK {
		t.Fatalf("GET %s: %d %q\n%s", path, p.status, p.location, p.body)
	}
	return p.body
}

// mustPost sends a form that must be accepted with a redirect, and returns its target.
func (b *dashBrowser) mustPost(t testing.TB, path string, form url.Values) string {
	t.Helper()
	p := b.post(t, path, form)
	if p.status != http.StatusSeeOther {
		t.Fatalf("POST %s: %d\n%s", path, p.status, p.body)
	}
	return p.location
}

var dashHiddenPattern = regexp.MustCompile(`name="([a-z_]+)" value="([^"]*)"`)

// dashHidden finds the value of the first input named name.
func dashHidden(body, name string) string {
	for _, m := range dashHiddenPattern.FindAllStringSubmatch(body, -1) {
		if m[1] == name {
			return m[2]
		}
	}
	return ""
}

// rows counts the links to objects of one kind on a listing, e.g. "/dashboard/orders/".
func dashRows(body, prefix string) int {
	return len(regexp.MustCompile(`href="`+regexp.QuoteMeta(prefix)+`[0-9]+"`).FindAllString(body, -1))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
