package cluster_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the inspector's driver on PostgreSQL
	_ "modernc.org/sqlite"             // the inspector's driver on SQLite

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/server"
	"github.com/opaygate/opaygate/simulator"
	"github.com/opaygate/opaygate/sqlstore"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

// Paths of the API.
const (
	pathCashierCreate = "/api/v1/international/cashier/create"
	pathStatus        = "/api/v1/international/cashier/status"
	pathClose         = "/api/v1/international/payment/close"
	pathPaymentCreate = "/api/v1/international/payment/create"
	pathMonth         = "/api/v1/payment/action/input-installment-month"
	pathOTP           = "/api/v1/payment/action/input-otp"
	pathResendOTP     = "/api/v1/payment/action/resend-otp"
	pathInvoiceCreate = "/api/v1/international/invoice/createSingleInvoice"
	pathCancelInvoice = "/api/v1/international/invoice/cancelInvoice"
	pathInvoiceStats  = "/api/v1/international/invoice/getInvoicesStatistics"
)

// merchantID is the merchant every test drives; its webhook makes every final
// status write a callback row, which the invariants count.
const merchantID = "100000000000001"

// node is one gateway: what `opaygate serve` wires, built in-process. Only
// the database is shared with the other nodes.
type node struct {
	i     int
	db    *sqlstore.DB
	svc   *sqlstore.Services
	net   *simulator.Network // per node: its recorded OTPs are its own
	clock *opaygate.OffsetClock
	srv   *httptest.Server
	swept atomic.Int64 // orders this node's sweeper closed
}

// cluster is n nodes on one database, a merchant, and an inspector
// connection for checking the database directly.
type cluster struct {
	t       testing.TB
	dialect sqlstore.Dialect
	nodes   []*node
	m       *opaygate.Merchant
	client  *http.Client
	inspect *sql.DB
	calls   atomic.Int64
	logs    lockedBuffer // every node's errors, shown when a test fails

	stopSweep context.CancelFunc
	sweeping  sync.WaitGroup
}

// eachBackend runs fn as a subtest on PostgreSQL (three nodes, three pools,
// one schema) and on SQLite (three nodes on one *sqlstore.DB in one process,
// the only way SQLite may be shared).
func eachBackend(t *testing.T, fn func(t *testing.T, c *cluster)) {
	for _, dialect := range sqlstoretest.Backends {
		t.Run(string(dialect), func(t *testing.T) {
			fn(t, startCluster(t, dialect, 3))
		})
	}
}

// startCluster starts n nodes on a fresh database. On PostgreSQL they open,
// migrate and seed it all at once, as nodes of a deployment starting together
// do; the migration lock must make that safe.
func startCluster(t testing.TB, dialect sqlstore.Dialect, n int) *cluster {
	t.Helper()
	url := sqlstoretest.URL(t, dialect)
	return startClusterOn(t, dialect, url, url, n)
}

// startClusterOn starts n nodes on the database at url, and checks it
// through inspectURL: the same database, reached directly when url names a
// connection pooler in front of it.
func startClusterOn(t testing.TB, dialect sqlstore.Dialect, url, inspectURL string, n int) *cluster {
	t.Helper()
	ctx := context.Background()
	c := &cluster{t: t, dialect: dialect}
	c.client = &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxIdleConns: 256},
	}
	t.Cleanup(c.client.CloseIdleConnections)

	dbs := make([]*sqlstore.DB, n)
	if dialect == sqlstore.SQLite {
		db, err := sqlstore.Open(ctx, url)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		for i := range dbs {
			dbs[i] = db
		}
	} else {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range dbs {
			wg.Go(func() {
				db, err := sqlstore.Open(ctx, url)
				if err != nil {
					errs[i] = fmt.Errorf("node %d: open: %w", i, err)
					return
				}
				dbs[i] = db
				if _, err := db.Migrate(ctx); err != nil {
					errs[i] = fmt.Errorf("node %d: migrate: %w", i, err)
				}
			})
		}
		wg.Wait()
		for _, db := range dbs {
			if db != nil {
				t.Cleanup(func() { db.Close() })
			}
		}
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("nodes starting together: %v", err)
		}
	}

	var wg sync.WaitGroup
	errs := make([]error, n)
	c.nodes = make([]*node, n)
	for i := range c.nodes {
		nd := &node{i: i, db: dbs[i], net: simulator.New(), clock: opaygate.NewOffsetClock(nil)}
		nd.svc = sqlstore.NewServices(nd.db, sqlstore.Deps{
			Clock: nd.clock, ValU: nd.net, OTP: nd.net, Acquirer: nd.net, Methods: method.Default(),
		})
		c.nodes[i] = nd
		wg.Go(func() {
			if _, err := simulator.Seed(ctx, nd.svc.Merchants, nd.svc.Products); err != nil {
				errs[i] = fmt.Errorf("node %d: seed: %w", i, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("seeding together: %v", err)
	}

	priv, pub := opaygate.NewKeyPair()
	c.m = &opaygate.Merchant{ID: merchantID, Name: "Cluster shop", PrivateKey: priv, PublicKey: pub,
		Status: opaygate.MerchantActive, Countries: opaygate.Countries(), Functions: opaygate.AllFunctions(),
		WebhookURL: "https://shop.example/opay"}
	if err := c.nodes[0].svc.Merchants.CreateMerchant(ctx, c.m); err != nil {
		t.Fatalf("create merchant: %v", err)
	}

	for _, nd := range c.nodes {
		nd.srv = httptest.NewUnstartedServer(nil)
		s := server.New(server.Config{Mode: "sandbox", PublicURL: "http://" + nd.srv.Listener.Addr().String(),
			Logger: slog.New(slog.NewTextHandler(&c.logs, &slog.HandlerOptions{Level: slog.LevelError})).With("node", nd.i)},
			server.Services{
				Merchants: nd.svc.Merchants, Products: nd.svc.Products,
				Orders: nd.svc.Orders, Invoices: nd.svc.Invoices,
				Clock: nd.clock, Health: nd.db.Ping, Sandbox: sandbox{nd},
			})
		nd.srv.Config.Handler = s.Handler()
		nd.srv.Start()
		t.Cleanup(nd.srv.Close)
	}

	sweepCtx, stop := context.WithCancel(context.Background())
	c.stopSweep = stop
	for _, nd := range c.nodes {
		c.sweeping.Go(func() { c.sweep(sweepCtx, nd) })
	}
	t.Cleanup(c.stop)
	t.Cleanup(func() {
		if t.Failed() && c.logs.Len() > 0 {
			t.Logf("node logs:\n%s", c.logs.String())
		}
	})

	c.inspect = openInspector(t, dialect, inspectURL)
	return c
}

// lockedBuffer is a log destination that several nodes share.
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

func (b *lockedBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// sandbox is a node's /_sandbox/ control: its own OTPs and clock.
type sandbox struct{ nd *node }

func (s sandbox) LastOTP(orderNo string) (string, bool) { return s.nd.net.LastOTP(orderNo) }
func (s sandbox) Messages(orderNo string) []opaygate.SentNotice {
	return s.nd.net.Messages(orderNo)
}
func (s sandbox) Advance(d time.Duration) { s.nd.clock.Advance(d) }
func (s sandbox) DeclineNext(orderNo string, d opaygate.Decision) func() {
	return s.nd.net.DeclineNext(orderNo, d)
}
func (s sandbox) Reset(ctx context.Context) error { return errors.New("no reset in cluster tests") }

// sweep is serve's expiry sweeper, faster: every node runs one, and on
// PostgreSQL they must never close one order twice (SKIP LOCKED).
func (c *cluster) sweep(ctx context.Context, nd *node) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := nd.svc.Orders.ExpireOrders(ctx, 100)
		if err != nil {
			if ctx.Err() == nil {
				c.t.Errorf("node %d: sweeper: %v", nd.i, err)
			}
			return
		}
		nd.swept.Add(int64(n))
	}
}

// stop ends the sweepers; it is safe to call twice.
func (c *cluster) stop() {
	c.stopSweep()
	c.sweeping.Wait()
}

// answer is one API answer as a client sees it.
type answer struct {
	opay.Response
	detail  string // X-Opaygate-Detail
	node    int
	latency time.Duration
}

// status is the order status the answer's data carries, if any.
func (a answer) status() string {
	var d struct {
		Status      string `json:"status"`
		OrderStatus string `json:"orderStatus"`
	}
	_ = json.Unmarshal(a.Data, &d)
	if d.OrderStatus != "" {
		return d.OrderStatus
	}
	return d.Status
}

// orderNo is the orderNo the answer's data carries, if any. A 02004 carries no data, as
// OPay's; its detail names the order that holds the reference, "… used by <orderNo> (…)".
func (a answer) orderNo() string {
	if a.Code == opay.CodeDuplicate {
		_, after, _ := strings.Cut(a.detail, " used by ")
		no, _, _ := strings.Cut(after, " ")
		return no
	}
	var d struct {
		OrderNo string `json:"orderNo"`
	}
	_ = json.Unmarshal(a.Data, &d)
	return d.OrderNo
}

// call signs body with the merchant's private key and POSTs it to node i
// (modulo the number of nodes). Transport errors fail the test: a node must
// always answer with the envelope.
func (c *cluster) call(t testing.TB, i int, path string, body any) answer {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return c.post(t, i, path, b, opay.AuthorizationHeader(b, c.m.PrivateKey))
}

// callPublic is call for cashier/create, authenticated with the public key.
func (c *cluster) callPublic(t testing.TB, i int, path string, body any) answer {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return c.post(t, i, path, b, "Bearer "+c.m.PublicKey)
}

func (c *cluster) post(t testing.TB, i int, path string, body []byte, auth string) answer {
	t.Helper()
	i %= len(c.nodes)
	req, err := http.NewRequest("POST", c.nodes[i].srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("MerchantId", c.m.ID)
	req.Header.Set("Authorization", auth)
	a := answer{node: i}
	a.Code = "transport"
	start := time.Now()
	resp, err := c.client.Do(req)
	c.calls.Add(1)
	if err != nil {
		t.Errorf("node %d %s: %v", i, path, err)
		return a
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	a.latency = time.Since(start)
	a.detail = resp.Header.Get(opay.HeaderDetail)
	if err != nil || json.Unmarshal(raw, &a.Response) != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("node %d %s: HTTP %d, not the envelope: %v %s", i, path, resp.StatusCode, err, raw)
		a.Code = "transport"
	}
	return a
}

// get fetches a sandbox route of node i and decodes the envelope.
func (c *cluster) get(t testing.TB, i int, path string) answer {
	t.Helper()
	i %= len(c.nodes)
	resp, err := c.client.Get(c.nodes[i].srv.URL + path)
	a := answer{node: i}
	a.Code = "transport"
	if err != nil {
		t.Errorf("node %d GET %s: %v", i, path, err)
		return a
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &a.Response); err != nil {
		t.Errorf("node %d GET %s: %s", i, path, raw)
	}
	return a
}

// advanceAll moves every node's sandbox clock by d through its control API,
// one node after the other, as an operator of a sandbox cluster would.
func (c *cluster) advanceAll(t testing.TB, d time.Duration) {
	t.Helper()
	body := fmt.Sprintf(`{"seconds":%d}`, int64(d/time.Second))
	for _, nd := range c.nodes {
		resp, err := c.client.Post(nd.srv.URL+"/_sandbox/clock/advance", "application/json", strings.NewReader(body))
		if err != nil {
			t.Errorf("advance node %d: %v", nd.i, err)
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// openInspector opens a plain database/sql connection to the cluster's
// database, for checking rows the way an auditor would.
func openInspector(t testing.TB, dialect sqlstore.Dialect, url string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", url
	if dialect == sqlstore.SQLite {
		driver, dsn = "sqlite", "file:"+url+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("inspector: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// rows runs a query and returns every row as strings.
func (c *cluster) rows(t testing.TB, q string) [][]string {
	t.Helper()
	rs, err := c.inspect.Query(q)
	if err != nil {
		t.Fatalf("inspect %q: %v", q, err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out [][]string
	for rs.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatalf("inspect %q: %v", q, err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("inspect %q: %v", q, err)
	}
	return out
}
