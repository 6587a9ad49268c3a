// Package opaytest runs an OPay gateway inside a Go test: the real opaygate server in sandbox
// mode, on SQLite in a temporary directory, behind an httptest listener.
//
//	func TestCheckout(t *testing.T) {
//		t.Parallel()
//		gw := opaytest.New(t)
//		shop := NewShop(gw.Client()) // your code, given an *opay.Client
//		…
//		gw.PayWithValU(orderNo, opaytest.ValUAccount, 6) // what the customer does
//		gw.Advance(31 * time.Minute)                     // what time does
//	}
//
// Every gateway is its own world: its own database, clock, simulated payment network and one
// merchant (random id and keys, every function, countries EG and NG) — so tests can run in
// parallel. Sandbox rules apply: OTP 123456 is always accepted, OPay's amount triggers (5, 13,
// 51, 54, 57, 62) fail a payment with that code, and ValU account 01000000051 has no credit.
//
// Time passes only when the test says so: the gateway reads an adjustable clock, and Advance
// moves it and closes the orders that expired, as the gateway's background sweeper would.
//
// Payouts (METHODS.md §10) work as in the sandbox. The merchant starts with OpeningCash in its
// CASH_ACCOUNT in each currency, and has an RSA payout key: Merchant.PayoutKey, a 2048-bit key
// made for each gateway unless WithMerchant gives one, whose public half the gateway holds.
// Client signs payout requests with it; your own code signs with it as it would with the key
// it gave OPay:
//
//	c := gw.Client() // or opay.NewClient(id, key, opay.WithPayoutKey(gw.Merchant.PayoutKey), …)
//	d, err := c.CreatePayout(ctx, opay.PayoutCreateRequest{…})     // PENDING, cash taken
//	gw.Advance(opaytest.PayoutDelay)                                // the bank answers: SUCCESS
//
// An accountNo or phone ending 1005 fails with 01005 and one ending 1010 with 01010, and the
// money goes back to the cash; the notification goes to the payout's notifyUrl.
//
// It builds its gateway with package gateway, as `opaygate serve` does; package opay, the
// client, depends on none of the gateway's packages.
package opaytest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/gateway"
	"github.com/opaygate/opaygate/notify"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/simulator"
	"github.com/opaygate/opaygate/sqlstore"
)

// SandboxOTP is accepted for every order besides the OTP the gateway sent.
const SandboxOTP = "123456"

// SandboxPIN is the PIN the sandbox's issuers accept for an NG card that asks for one (BINs
// 506099 and 506100); any other PIN is wrong, and the third wrong one fails the order with 55.
const SandboxPIN = simulator.PIN

// RefundDelay is how long a refund stays PENDING before the sandbox completes it; Advance past
// it to see refunds succeed.
const RefundDelay = opaygate.DefaultRefundDelay

// PayoutDelay is how long a payout stays PENDING before the sandbox bank answers it; Advance
// past it to see payouts finish.
const PayoutDelay = opaygate.DefaultPayoutDelay

// OpeningCash is the merchant's CASH_ACCOUNT at the start (and after a reset), in minor units
// of each currency: what payouts are paid from.
const OpeningCash = opaygate.SandboxOpeningCash

// ValUAccount is a sandbox ValU account with the default credit limit (200,000.00 EGP), and
// NoCreditAccount one with none: every plan is refused and the payment fails with code 51.
const (
	ValUAccount     = "01012345678"
	NoCreditAccount = simulator.NoCreditAccount
)

// Merchant is the gateway's merchant: who the client authenticates as.
type Merchant struct {
	ID         string
	PrivateKey string
	PublicKey  string

	// What WithMerchant may set besides the id and keys. The defaults: every function, EG and
	// NG, active.
	Name       string
	Countries  []string // "EG", "NG"
	Functions  []string // "cashier", "valu", "bankcard", "invoice", "refund", "payout", …
	WebhookURL string   // where callbacks of orders without a callbackUrl go
	Disabled   bool     // every call then answers 02007
	// CallbackVersion is "v1" (the default) or "v2": the MACQUIRING_CALLBACK format, signed in
	// its headers (docs/CALLBACKS.md). opay.CallbackHandler takes both.
	CallbackVersion string
	// PayoutKey signs the merchant's payout requests (opay.WithPayoutKey); the gateway holds
	// its public half. Default: a new 2048-bit key per gateway. Giving one (at least 2048 bits)
	// saves the time of making it.
	PayoutKey *rsa.PrivateKey
}

// Option configures a gateway.
type Option func(*config)

type config struct {
	merchant Merchant
	logger   *slog.Logger
}

// WithMerchant sets the merchant; fields left empty get the defaults (random id and keys, every
// function, EG and NG). Useful to reuse fixed credentials, or to test how your code handles a
// merchant without a function (02002) or a disabled one (02007).
func WithMerchant(m Merchant) Option {
	return func(c *config) { c.merchant = m }
}

// WithLogger sends the gateway's logs (one line per request, never a key or a body) to l. By
// default they are discarded.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// Gateway is a running gateway with its merchant.
type Gateway struct {
	// URL is the gateway's base URL, e.g. "http://127.0.0.1:41234".
	URL string
	// Merchant is the registered merchant, with its keys.
	Merchant Merchant

	tb      testing.TB // nil for Start
	srv     *httptest.Server
	gw      *gateway.Gateway
	db      *sqlstore.DB
	svcs    *sqlstore.Services
	network *simulator.Network
	clock   *opaygate.OffsetClock
	log     *slog.Logger
	tempDir string // removed by Close, for Start

	worker     *notify.Worker
	delivering sync.Mutex
	stopWorker context.CancelFunc
	workerDone chan struct{}

	sweep     sync.Mutex
	closeOnce sync.Once
	closeErr  error
}

// New starts a gateway for the test and stops it when the test ends. It fails the test if the
// gateway cannot start.
func New(tb testing.TB, opts ...Option) *Gateway {
	tb.Helper()
	g, err := start(tb.TempDir(), opts)
	if err != nil {
		tb.Fatalf("opaytest: %v", err)
	}
	g.tb = tb
	tb.Cleanup(func() {
		if err := g.Close(); err != nil {
			tb.Errorf("opaytest: %v", err)
		}
	})
	return g
}

// Start starts a gateway outside a test's lifetime — in TestMain, an example, or a program;
// Close stops it and deletes its data.
func Start(opts ...Option) (*Gateway, error) {
	dir, err := os.MkdirTemp("", "opaytest-")
	if err != nil {
		return nil, fmt.Errorf("opaytest: %w", err)
	}
	g, err := start(dir, opts)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("opaytest: %w", err)
	}
	g.tempDir = dir
	return g, nil
}

func start(dir string, opts []Option) (_ *Gateway, err error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	// A payout key takes a moment to make: meanwhile the gateway opens its database.
	payoutKey := make(chan error, 1)
	if cfg.merchant.PayoutKey == nil {
		go func() {
			var err error
			cfg.merchant.PayoutKey, err = rsa.GenerateKey(rand.Reader, 2048)
			payoutKey <- err
		}()
	} else {
		payoutKey <- nil
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx := context.Background()
	g := &Gateway{log: cfg.logger}
	// The sandbox's data is this gateway's one merchant: registered at the
	// start as asked, and again with the same id and keys after a reset.
	// It is returned, so that the gateway gives it the sandbox's opening cash.
	seed := func(ctx context.Context, svcs *sqlstore.Services) ([]*opaygate.Merchant, error) {
		m := g.Merchant
		if m.ID == "" {
			if err := <-payoutKey; err != nil {
				return nil, fmt.Errorf("make a payout key: %w", err)
			}
			m = cfg.merchant
		}
		var dm *opaygate.Merchant
		var err error
		if g.Merchant, dm, err = register(ctx, svcs.Merchants, m); err != nil {
			return nil, err
		}
		return []*opaygate.Merchant{dm}, nil
	}
	gw, err := gateway.New(ctx, gateway.Config{DB: filepath.Join(dir, "opaygate.db"),
		RefundDelay: RefundDelay, PayoutDelay: PayoutDelay, Seed: seed, Logger: cfg.logger})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			gw.Close()
		}
	}()
	g.gw, g.db, g.svcs, g.network, g.clock = gw, gw.DB, gw.Services, gw.Network, gw.SandboxClock

	// The server needs its public URL, which exists once the listener does.
	mux := http.NewServeMux()
	g.srv = httptest.NewServer(mux)
	g.URL = g.srv.URL
	mux.Handle("/", gw.Handler(gateway.HandlerConfig{PublicURL: g.URL, Sandbox: sandbox{g}}))
	g.startWorker(cfg.logger)
	return g, nil
}

// register stores the merchant, filling in the defaults but the payout key, which start made.
func register(ctx context.Context, merchants opaygate.MerchantService, m Merchant) (Merchant, *opaygate.Merchant, error) {
	private, public := opaygate.NewKeyPair()
	if m.ID == "" {
		m.ID = opaygate.NewMerchantID()
	}
	if m.PrivateKey == "" {
		m.PrivateKey = private
	}
	if m.PublicKey == "" {
		m.PublicKey = public
	}
	if m.Name == "" {
		m.Name = "opaytest merchant"
	}
	if len(m.Countries) == 0 {
		m.Countries = opaygate.Countries()
	}
	if len(m.Functions) == 0 {
		for _, f := range opaygate.AllFunctions() {
			m.Functions = append(m.Functions, string(f))
		}
	}
	dm := &opaygate.Merchant{
		ID: m.ID, Name: m.Name, PrivateKey: m.PrivateKey, PublicKey: m.PublicKey,
		Status: opaygate.MerchantActive, Countries: m.Countries, WebhookURL: m.WebhookURL,
		CallbackVersion: opaygate.CallbackVersion(m.CallbackVersion),
		PayoutPublicKey: opaygate.PayoutKeyPEM(&m.PayoutKey.PublicKey),
	}
	if m.Disabled {
		dm.Status = opaygate.MerchantDisabled
	}
	for _, f := range m.Functions {
		dm.Functions = append(dm.Functions, opaygate.Function(f))
	}
	if err := merchants.CreateMerchant(ctx, dm); err != nil {
		return m, nil, fmt.Errorf("register merchant: %w", err)
	}
	return m, dm, nil
}

// Close stops the gateway and closes its database; New's gateways are closed by the test's
// cleanup. It is safe to call more than once.
func (g *Gateway) Close() error {
	g.closeOnce.Do(func() {
		g.stopWorker()
		<-g.workerDone
		g.srv.Close()
		g.closeErr = g.gw.Close()
		if g.tempDir != "" {
			g.closeErr = errors.Join(g.closeErr, os.RemoveAll(g.tempDir))
		}
	})
	return g.closeErr
}

// Client returns a client of the gateway's merchant, with its public key for cashier/create
// and its payout key for the payout calls. opts come last, so they can override any of that.
func (g *Gateway) Client(opts ...opay.Option) *opay.Client {
	base := []opay.Option{
		opay.WithBaseURL(g.URL),
		opay.WithPublicKey(g.Merchant.PublicKey),
		opay.WithPayoutKey(g.Merchant.PayoutKey),
		opay.WithHTTPClient(g.srv.Client()),
	}
	return opay.NewClient(g.Merchant.ID, g.Merchant.PrivateKey, append(base, opts...)...)
}

// Now is the gateway's current time.
func (g *Gateway) Now() time.Time { return g.clock.Now() }

// Advance moves the gateway's clock forward by d and, before returning, does what the gateway's
// background work would have done in that time: it closes every order that has expired (CLOSE,
// failure ORDER_EXPIRED), completes the refunds older than RefundDelay, answers the payouts
// older than PayoutDelay, and delivers the callbacks and payout notifications that are due,
// retries included. OTPs and invoices age as well. Time never goes
// back; d <= 0 changes nothing but still runs that work.
//
// A sweep that fails means the gateway's database is broken: the test given to New fails, and a
// gateway from Start panics.
func (g *Gateway) Advance(d time.Duration) {
	if err := g.advance(context.Background(), d); err != nil {
		g.broken("advance the clock", err)
	}
}

// broken reports a failure of the gateway itself, which no test can handle: Errorf (safe from
// any goroutine) for New's gateways, a panic for Start's.
func (g *Gateway) broken(what string, err error) {
	if g.tb != nil {
		g.tb.Errorf("opaytest: %s: %v", what, err)
		return
	}
	panic("opaytest: " + what + ": " + err.Error())
}

func (g *Gateway) advance(ctx context.Context, d time.Duration) error {
	// One sweep at a time, so that when two goroutines advance, each returns after the work
	// due at its own new time is done.
	g.sweep.Lock()
	defer g.sweep.Unlock()
	// What was due before the jump goes out at its own time, not d later.
	if err := g.deliver(ctx); err != nil {
		return err
	}
	g.clock.Advance(d)
	const batch = 500
	for _, step := range []func(context.Context, int) (int, error){
		g.svcs.Orders.ExpireOrders, g.svcs.Refunds.CompleteRefunds, g.svcs.Ledger.Settle,
		g.svcs.Payouts.CompletePayouts,
	} {
		for {
			n, err := step(ctx, batch)
			if err != nil {
				return err
			}
			if n < batch {
				break
			}
		}
	}
	return g.deliver(ctx)
}

// LastOTP returns the last OTP the gateway texted for an order, or "" if it sent none.
func (g *Gateway) LastOTP(orderNo string) string {
	otp, _ := g.network.LastOTP(orderNo)
	return otp
}

// sandbox serves the gateway's /_sandbox/ control API, for code that drives the gateway over
// HTTP rather than through this package.
type sandbox struct{ g *Gateway }

func (s sandbox) LastOTP(orderNo string) (string, bool) { return s.g.network.LastOTP(orderNo) }
func (s sandbox) Messages(orderNo string) []opaygate.SentNotice {
	return s.g.network.Messages(orderNo)
}

func (s sandbox) Advance(d time.Duration) {
	if err := s.g.advance(context.Background(), d); err != nil {
		s.g.log.Error("opaytest: expire orders", "err", err)
	}
}

func (s sandbox) DeclineNext(orderNo string, d opaygate.Decision) func() {
	return s.g.network.DeclineNext(orderNo, d)
}

// Reset deletes everything and registers the same merchant again.
func (s sandbox) Reset(ctx context.Context) error { return s.g.gw.Reset(ctx) }
