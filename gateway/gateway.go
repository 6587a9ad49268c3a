// Package gateway assembles one opaygate gateway: its database, the payment
// network (the simulator in the sandbox, none in live mode), the payment
// methods (package method), the domain services, the sandbox's control surface, the HTTP handler and the
// background work that keeps the state moving (the expiry sweeper, the
// sandbox's refund completer). `opaygate serve`, opaytest and the benchmark
// all build their gateway here, so the three cannot drift apart.
//
// It wires the gateway's packages together (sqlstore, simulator, method, server, notify's
// callback guard) and
// nothing imports it but cmd/opaygate, opaytest and bench. Policies of a
// particular program — flags, banners, callback delivery settings, what a
// live gateway needs before it starts — stay with that program.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/notify"
	"github.com/opaygate/opaygate/reqlog"
	"github.com/opaygate/opaygate/server"
	"github.com/opaygate/opaygate/simulator"
	"github.com/opaygate/opaygate/sqlstore"
)

// SandboxOTP is accepted for every order in the sandbox (spec section 5): the simulated
// network's master code.
const SandboxOTP = simulator.MasterOTP

// Config is what a gateway is built from.
type Config struct {
	DB        string // a SQLite file, sqlite:PATH, or postgres://…
	MaxConns  int    // database connections (see sqlstore.SetMaxConns); 0: the default
	NoMigrate bool   // do not apply pending migrations

	// Live leaves out everything of the sandbox: the simulator (payments
	// that need the network fail), OTP 123456, the movable clock, the
	// seeded data and the /_sandbox/ control.
	Live bool
	// RefundDelay is how long a sandbox refund stays PENDING before
	// CompleteRefunds completes it; live refunds always stay PENDING.
	RefundDelay time.Duration
	// SettlementDelay is how long a payment's money stays in the merchant's
	// UNSETTLED_ACCOUNT before Ledger moves it to CASH_ACCOUNT; 0 settles
	// in the payment's own transaction (the sandbox's default; the CLI's
	// live default is opaygate.DefaultSettlementDelay).
	SettlementDelay time.Duration
	// PayoutDelay is how long a sandbox payout stays PENDING before the simulated network
	// answers it (CompletePayouts); 0: opaygate.DefaultPayoutDelay. Live payouts stay PENDING
	// until a connector calls Services.Payouts.FinishPayout.
	PayoutDelay time.Duration
	// Seed loads the sandbox's data into a new or reset database and
	// returns the merchants it loaded; nil loads the documentation's demo
	// merchants and products (simulator.Seed). Live gateways are not seeded.
	Seed func(ctx context.Context, svcs *sqlstore.Services) ([]*opaygate.Merchant, error)
	// Connector is the payment network of a live gateway; nil: none, so every payment
	// that needs the network fails (50003) and the simulated-only methods answer 02002.
	// Ignored in the sandbox, whose network is the simulator.
	Connector *Connector
	// RequestLog is how many of each merchant's newest API requests the
	// request log keeps; 0: no request log. Run LogRequests for it to be
	// written.
	RequestLog int

	Logger *slog.Logger // nil: discard
}

// Connector is a real payment network for a live gateway (docs/ARCHITECTURE.md, "Writing a
// network connector"). Each part that is set replaces live mode's "no network" for what it
// does; the rest keeps failing. Methods names the simulated-only methods whose network the
// connector reaches (MWALLET, BankTransfer, …): a live gateway then takes them on
// payment/create and offers them on the checkout. The customer's step outside the API (a
// wallet's approval, a transfer that arrived) is reported with the gateway's
// Services.Orders.ReportExternal, from wherever the connector hears of it.
type Connector struct {
	ValU     opaygate.ValUNetwork
	OTP      opaygate.OTPSender
	Acquirer opaygate.Acquirer // may also be an opaygate.PINChecker, for NG cards' PINs
	Notifier opaygate.Notifier
	Settler  opaygate.RefundSettler
	Methods  []string
}

// Gateway is an assembled gateway. New opens it; Close closes its database.
type Gateway struct {
	DB       *sqlstore.DB
	Services *sqlstore.Services
	Sessions *sqlstore.SessionService
	// Replay remembers accepted v2 signatures; ForgetSignatures expires them.
	Replay *sqlstore.ReplayService
	Clock  opaygate.Clock
	// Methods are the payment methods, shared by storage and the HTTP side.
	Methods *method.Set

	// Sandbox only; nil in live mode.
	SandboxClock *opaygate.OffsetClock
	Network      *simulator.Network
	// Seeded are the merchants Seed loaded at start (none in live mode).
	Seeded []*opaygate.Merchant
	// RequestLog writes the request log; nil when Config.RequestLog is 0.
	RequestLog *reqlog.Log

	cfg Config
	// onCallback is what OnCallback registered, called by storage after
	// every commit that made a callback due.
	onCallback atomic.Pointer[func()]
}

// OnCallback makes fn run after every commit that made a callback due: a
// delivery worker's Wake, so a new callback goes out at once rather than at
// the worker's next poll. fn must not block. The worker is built after the
// gateway (it needs the services), hence a registration rather than a
// Config field.
func (g *Gateway) OnCallback(fn func()) { g.onCallback.Store(&fn) }

func (g *Gateway) callbackDue() {
	if fn := g.onCallback.Load(); fn != nil && *fn != nil {
		(*fn)()
	}
}

// New opens and migrates the database, builds the services on it and, in the
// sandbox, seeds it.
func New(ctx context.Context, cfg Config) (_ *Gateway, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Seed == nil {
		cfg.Seed = func(ctx context.Context, svcs *sqlstore.Services) ([]*opaygate.Merchant, error) {
			return simulator.Seed(ctx, svcs.Merchants, svcs.Products)
		}
	}
	db, err := sqlstore.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	db.SetMaxConns(cfg.MaxConns)
	if !cfg.NoMigrate {
		applied, err := db.Migrate(ctx)
		if err != nil {
			return nil, err
		}
		if len(applied) > 0 {
			cfg.Logger.Info("applied migrations", "migrations", strings.Join(applied, ","))
		}
	}

	g := &Gateway{DB: db, cfg: cfg, Methods: method.Default()}
	deps := sqlstore.Deps{Methods: g.Methods, Logger: cfg.Logger, OnCallback: g.callbackDue,
		SettlementDelay: cfg.SettlementDelay}
	if cfg.Live {
		g.Clock = opaygate.SystemClock{}
		deps.ValU, deps.OTP, deps.Acquirer = noNetwork{}, noNetwork{}, noNetwork{}
		if c := cfg.Connector; c != nil {
			if err := g.Methods.Connect(c.Methods...); err != nil {
				return nil, err
			}
			if c.ValU != nil {
				deps.ValU = c.ValU
			}
			if c.OTP != nil {
				deps.OTP = c.OTP
			}
			if c.Acquirer != nil {
				deps.Acquirer = c.Acquirer
			}
			deps.Notifier, deps.Settler = c.Notifier, c.Settler
		}
	} else {
		// The sandbox's policy (the master OTP, how soon refunds settle) is the
		// simulated network's, not storage's.
		g.SandboxClock = opaygate.NewOffsetClock(nil)
		opts := []simulator.Option{simulator.RefundDelay(cfg.RefundDelay), simulator.WithClock(g.SandboxClock)}
		if cfg.PayoutDelay > 0 {
			opts = append(opts, simulator.PayoutDelay(cfg.PayoutDelay))
		}
		g.Network = simulator.New(opts...)
		g.Clock = g.SandboxClock
		deps.ValU, deps.OTP, deps.Acquirer, deps.Settler = g.Network, g.Network, g.Network, g.Network
		deps.Notifier, deps.Payouts = g.Network, g.Network
	}
	deps.Clock = g.Clock
	g.Services = sqlstore.NewServices(db, deps)
	g.Sessions = sqlstore.NewSessionService(db, g.Clock)
	g.Replay = sqlstore.NewReplayService(db)
	if cfg.RequestLog > 0 {
		g.RequestLog = reqlog.New(g.Services.Requests, reqlog.Config{Keep: cfg.RequestLog, Logger: cfg.Logger})
	}
	if !cfg.Live {
		if g.Seeded, err = g.seed(ctx); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// HandlerConfig is what the HTTP side needs beyond the gateway itself.
type HandlerConfig struct {
	PublicURL string // the base of cashierUrl and invoiceLink
	// Dashboard configures the merchant dashboard; nil leaves it out.
	Dashboard *server.DashboardConfig
	// Sandbox replaces the gateway's own /_sandbox/ control (Control);
	// ignored in live mode, which has none.
	Sandbox server.Sandbox
	// RequestTimeout bounds every request (0: no bound). A database that
	// refuses connections fails fast on its own; one that stopped answering
	// would hold requests for as long as TCP waits, and the deadline turns
	// that into 50003 instead.
	RequestTimeout time.Duration
	// CallbackTargets refuses at create time a callbackUrl that callback
	// delivery would refuse (see server.Config); nil: live mode's strict
	// guard in live mode, no check in the sandbox.
	CallbackTargets *notify.Guard
	// SandboxToken, when set, is required on the /_sandbox/ routes (see
	// server.Config); ignored in live mode.
	SandboxToken string
	// MaxBodyBytesInFlight and BodyTimeout bound the API request bodies a slow or stalled
	// client can make the node hold (see server.Config); 0 takes the server's defaults.
	MaxBodyBytesInFlight int64
	BodyTimeout          time.Duration
}

// Handler returns the gateway's HTTP handler: the API, the hosted pages, the
// dashboard when configured, /healthz and, in the sandbox, /_sandbox/.
func (g *Gateway) Handler(hc HandlerConfig) http.Handler {
	mode := "sandbox"
	var sandbox server.Sandbox
	if g.cfg.Live {
		mode = "live"
	} else if sandbox = hc.Sandbox; sandbox == nil {
		sandbox = g.Control()
	}
	cfg := server.Config{Mode: mode, PublicURL: hc.PublicURL, Logger: g.cfg.Logger,
		CallbackTargets: hc.CallbackTargets, SandboxToken: hc.SandboxToken,
		MaxBodyBytesInFlight: hc.MaxBodyBytesInFlight, BodyTimeout: hc.BodyTimeout}
	svcs := server.Services{
		Merchants: g.Services.Merchants, Products: g.Services.Products,
		Orders: g.Services.Orders, Invoices: g.Services.Invoices,
		Refunds: g.Services.Refunds, Callbacks: g.Services.Callbacks, Tokens: g.Services.Tokens,
		Voids: g.Services.Voids, Ledger: g.Services.Ledger, Payouts: g.Services.Payouts,
		Clock: g.Clock, Health: g.DB.Ping, Sandbox: sandbox, Methods: g.Methods,
		Replay: g.Replay,
	}
	if g.RequestLog != nil {
		svcs.RequestLog, svcs.Requests = g.RequestLog, g.Services.Requests
	}
	if hc.Dashboard != nil {
		cfg.Dashboard = *hc.Dashboard
		svcs.Sessions = g.Sessions
	}
	h := server.New(cfg, svcs).Handler()
	if hc.RequestTimeout > 0 {
		h = withDeadline(h, hc.RequestTimeout)
	}
	return h
}

func withDeadline(h http.Handler, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Close closes the database. Stop the handler's server and the background
// work first.
func (g *Gateway) Close() error {
	if g.DB == nil {
		return nil
	}
	return g.DB.Close()
}

// errNoNetwork is what live mode answers for anything that needs the payment
// network: no real connector exists yet, and the simulator's sandbox rules
// (amount triggers, unlimited credit) must never decide a live payment.
var errNoNetwork = errors.New("no payment network connector is configured in live mode")

// noNetwork is the live mode's payment network until a real connector
// replaces it: every call fails, so such payments answer 50003 instead of
// being approved by a simulator.
type noNetwork struct{}

func (noNetwork) CreditLimit(context.Context, string) (int64, error) { return 0, errNoNetwork }

func (noNetwork) SendOTP(context.Context, *opaygate.Order, string) error { return errNoNetwork }

func (noNetwork) Authorize(context.Context, *opaygate.Order) (opaygate.Decision, error) {
	return opaygate.Decision{}, errNoNetwork
}

// Control is the sandbox's /_sandbox/ control: the simulated network's OTPs,
// the movable clock, and a reset that empties the database and seeds it
// again. Nil in live mode.
func (g *Gateway) Control() server.Sandbox {
	if g.cfg.Live {
		return nil
	}
	return control{g}
}

type control struct{ g *Gateway }

func (c control) LastOTP(orderNo string) (string, bool) { return c.g.Network.LastOTP(orderNo) }
func (c control) Messages(orderNo string) []opaygate.SentNotice {
	return c.g.Network.Messages(orderNo)
}

func (c control) Advance(d time.Duration) { c.g.SandboxClock.Advance(d) }

func (c control) DeclineNext(orderNo string, d opaygate.Decision) func() {
	return c.g.Network.DeclineNext(orderNo, d)
}

// Reset deletes every row and seeds the database again; the demo merchants'
// public keys are new after a reset. The clock keeps its offset, since moving
// time backwards would reopen orders that already expired.
func (c control) Reset(ctx context.Context) error {
	return c.g.Reset(ctx)
}

// Reset empties the sandbox's database and its network's recorded OTPs, and
// seeds it again.
func (g *Gateway) Reset(ctx context.Context) error {
	if err := g.DB.Reset(ctx); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	g.Network.Reset()
	if _, err := g.seed(ctx); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	return nil
}

// seed loads the sandbox's data, and gives its merchants their opening cash to pay out
// (METHODS.md §10.4) unless they have it.
func (g *Gateway) seed(ctx context.Context) ([]*opaygate.Merchant, error) {
	seeded, err := g.cfg.Seed(ctx, g.Services)
	if err != nil {
		return nil, err
	}
	for _, m := range seeded {
		for _, country := range opaygate.Countries() {
			if err := g.Services.Ledger.Open(ctx, m.ID, opaygate.CurrencyOf(country), opaygate.SandboxOpeningCash); err != nil {
				return nil, fmt.Errorf("open balance of %s: %w", m.ID, err)
			}
		}
	}
	return seeded, nil
}
