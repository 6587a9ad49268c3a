package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/gateway"
	"github.com/opaygate/opaygate/server"
	"github.com/opaygate/opaygate/simulator"
	"github.com/opaygate/opaygate/sqlstore"
)

const serveUsage = `Usage: opaygate serve [flags]

Runs the gateway. In sandbox mode (the default) it pre-loads OPay's
documentation merchants and products, accepts OTP 123456, applies the amount
triggers and serves the /_sandbox/ control API, which wants a token when the
sandbox is reachable from the network (see docs/sandbox.md). Live mode does none of that
and refuses to start until a merchant exists (see 'opaygate merchant add').
Every flag can also be set with the environment variable shown.

Examples:

	opaygate serve
	opaygate serve --addr 0.0.0.0:8080 --public-url https://pay.example.com --db /var/lib/opaygate/opaygate.db --mode live
	OPAYGATE_SANDBOX_TOKEN=$(openssl rand -hex 16) opaygate serve --addr 0.0.0.0:8080 --callback-allow-targets 10.0.0.5:8080
	OPAYGATE_DB='postgres://opaygate@db/opaygate' opaygate serve --log-format json
`

// shutdownTimeout is how long in-flight requests get to finish on shutdown.
const shutdownTimeout = 10 * time.Second

// maxHeaderBytes bounds the request headers one connection may send.
const maxHeaderBytes = 64 << 10

// sweepBatch is how many orders one step of the sweeper handles.
const sweepBatch = gateway.SweepBatch

func (c *CLI) serve(ctx context.Context, args []string) error {
	cfg := DefaultConfig()
	if err := cfg.applyEnv(c.Getenv); err != nil {
		return usageErrorf("serve: %v", err)
	}
	fs := c.newFlagSet("serve", serveUsage)
	cfg.registerFlags(fs)
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return usageErrorf("serve: %v", err)
	}

	m := NewMain(cfg, c.Stdout, cfg.newLogger(c.Stderr))
	if err := m.Run(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		m.Logger.Info("shutting down", "timeout", shutdownTimeout.String())
	case err = <-m.serveErr:
		m.Logger.Error("server stopped", "err", err)
	}
	if cerr := m.Close(); cerr != nil {
		return errors.Join(err, cerr)
	}
	if err == nil {
		m.Logger.Info("stopped")
	}
	return err
}

// Main is a running gateway: storage, services, the HTTP server and the
// expiry sweeper. Run starts it and returns; Close stops it gracefully.
type Main struct {
	Config Config
	Stdout io.Writer // the start-up banner
	Logger *slog.Logger

	// URL is the public base URL, known once Run has listened.
	URL string

	gw       *gateway.Gateway
	http     *http.Server
	serveErr chan error

	stopSweep context.CancelFunc
	sweeping  sync.WaitGroup

	// sandboxExposed is a sandbox others can reach (sandboxExposed); its
	// sandboxToken is the configured one or, if none, one generated at start.
	sandboxExposed   bool
	sandboxToken     string
	sandboxGenerated bool

	// payoutKeys are the demo merchants' payout key files, for the banner; written by the
	// sandbox's seed at start (and at a reset), hence the lock.
	payoutMu   sync.Mutex
	payoutKeys []payoutKeyFile

	// The callback worker and, in the sandbox, the refund completer.
	stopDelivery context.CancelFunc
	delivering   sync.WaitGroup
}

// NewMain returns a gateway configured by cfg, not yet started.
func NewMain(cfg Config, stdout io.Writer, logger *slog.Logger) *Main {
	return &Main{Config: cfg, Stdout: stdout, Logger: logger, serveErr: make(chan error, 1)}
}

// Run listens, opens and prepares the database, and starts serving and
// sweeping in the background. It listens first, so that a port in use is an
// error here, not a log line later, and leaves the database untouched: no new
// file, no migration for a gateway that cannot start.
func (m *Main) Run(ctx context.Context) (err error) {
	cfg := m.Config
	if err := checkDB(cfg.DB, false); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer func() {
		if err != nil {
			ln.Close()
		}
	}()
	m.gw, err = gateway.New(ctx, gateway.Config{
		DB: cfg.DB, MaxConns: cfg.DBMaxConns, NoMigrate: cfg.NoMigrate,
		Live: cfg.Mode != ModeSandbox, RefundDelay: cfg.Callbacks.RefundDelay, Logger: m.Logger,
		SettlementDelay: cfg.Callbacks.settlementDelay(cfg.Mode), PayoutDelay: max(cfg.Callbacks.PayoutDelay, time.Millisecond),
		RequestLog: cfg.RequestLog, Seed: m.seed,
	})
	if err != nil {
		return fmt.Errorf("%s: %w", describeDB(cfg.DB), err)
	}
	defer func() {
		if err != nil {
			m.gw.Close()
			m.gw = nil
		}
	}()
	if cfg.Mode != ModeSandbox {
		merchants, err := m.gw.Services.Merchants.ListMerchants(ctx)
		if err != nil {
			return err
		}
		if len(merchants) == 0 {
			return fmt.Errorf("live mode needs at least one merchant, and the database (%s) has none; add one with: opaygate merchant add --db %s --name NAME",
				describeDB(cfg.DB), cfg.DB)
		}
	}

	m.URL = cfg.publicURL(ln.Addr())
	if cfg.Mode == ModeSandbox {
		m.sandboxExposed = sandboxExposed(ln.Addr(), cfg.PublicURL)
		m.sandboxToken = cfg.SandboxToken
		if m.sandboxToken == "" && m.sandboxExposed {
			m.sandboxToken, m.sandboxGenerated = newSandboxToken(), true
		}
	}
	dashboard := server.DashboardConfig{Sessions: cfg.Dashboard.policy()}
	guard := cfg.Callbacks.guard(cfg.Mode == ModeSandbox && !m.sandboxExposed)
	m.http = &http.Server{
		Handler: m.gw.Handler(gateway.HandlerConfig{PublicURL: m.URL, Dashboard: &dashboard,
			RequestTimeout: cfg.RequestTimeout, CallbackTargets: &guard, SandboxToken: m.sandboxToken,
			MaxBodyBytesInFlight: cfg.MaxBodyBytesInFlight, BodyTimeout: cfg.BodyTimeout}),
		// A client that sends its headers slowly holds them in memory until this deadline,
		// and MaxHeaderBytes bounds how much that can be: an API request's headers are a
		// few hundred bytes, a dashboard request's a cookie more (net/http's default allows
		// 1 MiB per connection).
		ReadHeaderTimeout: 5 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		// ReadTimeout bounds headers and body together for the pages' and the dashboard's
		// small forms; API bodies get --body-timeout from the end of their headers instead.
		ReadTimeout: 15 * time.Second,
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := m.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			m.serveErr <- err
		}
	}()

	sweepCtx, stop := context.WithCancel(context.Background())
	m.stopSweep = stop
	m.sweeping.Add(1)
	go m.sweep(sweepCtx, m.gw.Services.Orders)
	if cfg.SandboxAutopay > 0 {
		m.sweeping.Go(func() { m.gw.AutoPay(sweepCtx, cfg.SweepInterval, cfg.SandboxAutopay) })
	}
	m.sweeping.Go(func() { m.gw.ForgetSignatures(sweepCtx, gateway.ForgetInterval) })
	m.sweeping.Go(func() { m.gw.Ledger(sweepCtx, gateway.LedgerInterval) })
	// Stopped with the sweeper, after the HTTP server: what it answered last is written.
	m.sweeping.Go(func() { m.gw.LogRequests(sweepCtx) })
	m.startDelivery(m.gw.Services, m.gw.Clock)

	if m.sandboxToken != "" {
		// Whether one is needed, never the token itself.
		m.Logger.Info("sandbox control API requires a token", "generated", m.sandboxGenerated,
			"reachable_from_network", m.sandboxExposed)
	}
	m.printBanner(ln.Addr(), m.gw.Seeded)
	return nil
}

// seed loads the demo merchants and products, and gives each demo merchant a payout key
// pair whose private half is a file in the data directory.
func (m *Main) seed(ctx context.Context, svcs *sqlstore.Services) ([]*opaygate.Merchant, error) {
	demo, err := simulator.Seed(ctx, svcs.Merchants, svcs.Products)
	if err != nil {
		return nil, err
	}
	dir, ok := m.Config.dataDir()
	if !ok {
		return demo, nil // printPayoutKeys says how to get keys
	}
	files, err := provisionPayoutKeys(ctx, svcs.Merchants, demo, dir)
	if err != nil {
		return nil, err
	}
	m.payoutMu.Lock()
	m.payoutKeys = files
	m.payoutMu.Unlock()
	return demo, nil
}

// Close stops accepting connections, lets in-flight requests finish for up
// to shutdownTimeout, stops the sweeper and closes the database.
func (m *Main) Close() error {
	var err error
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if serr := m.http.Shutdown(ctx); serr != nil {
			err = fmt.Errorf("shutdown: %w", serr)
			m.http.Close()
		}
	}
	if m.stopSweep != nil {
		m.stopSweep()
		m.sweeping.Wait()
	}
	m.stopDeliveries()
	if m.gw != nil {
		err = errors.Join(err, m.gw.Close())
	}
	return err
}

// sweep closes expired orders for good every interval, so their final state
// (and their callbacks) does not wait for someone to read them.
func (m *Main) sweep(ctx context.Context, orders opaygate.OrderService) {
	defer m.sweeping.Done()
	gateway.DrainEvery(ctx, m.Logger, m.Config.SweepInterval, sweepBatch, orders.ExpireOrders,
		"closed expired orders", "expire orders")
}

func (m *Main) printBanner(addr net.Addr, demo []*opaygate.Merchant) {
	w := m.Stdout
	fmt.Fprintf(w, "opaygate %s gateway\n", m.Config.Mode)
	fmt.Fprintf(w, "  URL:       %s\n", m.URL)
	if listen := "http://" + addr.String(); listen != m.URL {
		fmt.Fprintf(w, "  listening: %s\n", addr)
	}
	fmt.Fprintf(w, "  mode:      %s\n", m.Config.Mode)
	db := describeDB(m.Config.DB)
	if m.gw.DB.Dialect() == sqlstore.Postgres {
		db += fmt.Sprintf(" (pool of at most %d connections)", m.gw.DB.MaxConns())
	}
	fmt.Fprintf(w, "  database:  %s\n", db)
	fmt.Fprintf(w, "  dashboard: %s/dashboard (passwords: opaygate merchant passwd --id MERCHANT_ID)\n", m.URL)
	if len(demo) > 0 {
		// Printing private keys is normally forbidden; these are the values
		// published in OPay's documentation, so showing them helps people run
		// the documentation's samples and reveals nothing.
		fmt.Fprintf(w, "\nDemo merchants (OPay documentation values; the private keys are public):\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  MerchantId\tpublic key\tprivate key")
		for _, d := range demo {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", d.ID, d.PublicKey, d.PrivateKey)
		}
		tw.Flush()
		fmt.Fprint(w, demoKeysNote)
		m.printPayoutKeys(w)
		fmt.Fprintf(w, "\nSandbox OTP %s is always accepted. Control API: %s/_sandbox/\n", gateway.SandboxOTP, m.URL)
		m.printSandboxAccess(w)
	}
	fmt.Fprintln(w, "\nPress Ctrl+C to stop.")
}

// printPayoutKeys lists the demo merchants' payout private key files, or why one cannot
// sign (the file is gone: the merchant's key is kept, not replaced behind anyone's back).
func (m *Main) printPayoutKeys(w io.Writer) {
	m.payoutMu.Lock()
	files := m.payoutKeys
	m.payoutMu.Unlock()
	if _, ok := m.Config.dataDir(); !ok {
		fmt.Fprintf(w, "\nPayout keys: the demo merchants have none, as the database has no directory to keep their\n"+
			"private keys in; give --data-dir (OPAYGATE_DATA_DIR) to have the sandbox make them (docs/PAYOUTS.md).\n")
		return
	}
	if len(files) == 0 {
		return
	}
	fmt.Fprintf(w, "\nPayout keys of the demo merchants (sign payouts with: opaygate sign --rsa FILE; docs/PAYOUTS.md):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range files {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.MerchantID, f.Path, f.Fingerprint)
	}
	tw.Flush()
	for _, f := range files {
		if f.Problem != "" {
			fmt.Fprintf(w, "  %s: %s: %s\n", f.MerchantID, f.Path, f.Problem)
		}
	}
}

// demoKeysNote answers what newcomers ask about the keys with asterisks: they
// are not hidden by the gateway, they are the values OPay's documentation
// prints, used here as they are.
const demoKeysNote = `  The keys with asterisks are not masked by opaygate: OPay's documentation prints them that
  way, and here they are the keys themselves, asterisks included (sign with them verbatim).
`

// printSandboxAccess says what the control API needs and where callbacks may go. A generated
// token is printed because nobody could use the sandbox otherwise; a configured one never is.
func (m *Main) printSandboxAccess(w io.Writer) {
	switch {
	case m.sandboxGenerated:
		fmt.Fprintf(w, "This sandbox is reachable from the network: the control API needs this token, new at each start\n"+
			"(set OPAYGATE_SANDBOX_TOKEN to keep one), as Authorization: Bearer <token> or X-Sandbox-Token:\n  %s\n",
			m.sandboxToken)
	case m.sandboxToken != "":
		fmt.Fprintln(w, "The control API needs the sandbox token set by --sandbox-token or OPAYGATE_SANDBOX_TOKEN.")
	}
	if m.sandboxExposed {
		fmt.Fprintln(w, "Callbacks may not reach loopback, private or link-local addresses except those of --callback-allow-targets.")
	}
}
