// Package server is the gateway's HTTP layer: OPay Checkout's merchant API (spec sections 1–5),
// its authentication, the health check, the API's OpenAPI document (GET /openapi.json, package
// openapi) and, in sandbox mode, the /_sandbox/ control API. It assembles the one mux and its
// middleware (request id, one log line per request, panic recovery), and mounts the
// customer's pages (package pay) and the merchant dashboard (package dashboard) on it.
//
// Handlers decode a request into the wire types of package opay, validate it, make one call to
// a domain service and answer with the envelope. All domain behaviour lives behind the
// interfaces of the root package; this package never touches storage or the payment network
// directly, and imports neither sqlstore nor simulator. It imports pay and dashboard only to
// build and mount them; they never import it (they get what they need from it as functions).
package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/notify"
	"github.com/opaygate/opaygate/server/dashboard"
	"github.com/opaygate/opaygate/server/pay"
)

// Config configures the HTTP layer.
type Config struct {
	Mode      string       // "sandbox" or "live"
	PublicURL string       // e.g. "http://127.0.0.1:8080"; prefix of cashierUrl and invoiceLink
	Logger    *slog.Logger // nil = discard
	Dashboard DashboardConfig

	// CallbackTargets refuses, at create time, a callbackUrl its delivery would refuse
	// (docs/CONTRACT.md). Live mode always checks, with the strict guard when this is nil, so
	// that a wiring that forgets it cannot accept what delivery then retries for 72 h; a
	// sandbox checks only when it is set (a sandbox reachable from the network).
	CallbackTargets *notify.Guard
	// SandboxToken, when set, is required on every /_sandbox/ route (sandbox.go): a sandbox
	// others can reach must not let them move its clock, wipe it, or read its callbacks'
	// outcomes. Empty: the routes are open, as on a developer's machine.
	SandboxToken string
	// MaxBodyBytesInFlight bounds the bytes of API request bodies held at once; a request
	// whose body does not fit answers 50003 without reading it (0: DefaultMaxBodyBytesInFlight,
	// at least 2 MiB).
	MaxBodyBytesInFlight int64
	// BodyTimeout is how long an API request body may take to arrive once its headers are
	// in (0: DefaultBodyTimeout).
	BodyTimeout time.Duration
}

// DashboardConfig configures the merchant dashboard (package dashboard); zero fields take the
// defaults.
type DashboardConfig = dashboard.Config

// RateLimit is a token bucket of the dashboard's login limits.
type RateLimit = dashboard.RateLimit

// Sandbox is the control surface of the sandbox: nil in live mode, and the /_sandbox/ routes
// exist only when it is not nil (and Mode is not "live").
type Sandbox interface {
	LastOTP(orderNo string) (string, bool)
	Messages(orderNo string) []opaygate.SentNotice
	Advance(d time.Duration)
	Reset(ctx context.Context) error
	// DeclineNext makes the simulated network decline the order's authorizations with d
	// until undo is called (the customer controls' failureCode).
	DeclineNext(orderNo string, d opaygate.Decision) (undo func())
}

// Services are the domain services the handlers call.
type Services struct {
	Merchants opaygate.MerchantService
	Products  opaygate.ProductService
	Orders    opaygate.OrderService
	Invoices  opaygate.InvoiceService
	Refunds   opaygate.RefundService   // nil: refund routes answer 02002
	Tokens    opaygate.TokenService    // nil: token routes answer 02002
	Voids     opaygate.VoidService     // nil: void routes answer 02002
	Ledger    opaygate.LedgerService   // nil: no balances (payout routes answer 02017)
	Payouts   opaygate.PayoutService   // nil: payout routes answer 02017
	Callbacks opaygate.CallbackService // nil: no /_sandbox/callbacks routes
	Sessions  opaygate.SessionService  // nil: no dashboard
	Clock     opaygate.Clock
	Health    func(ctx context.Context) error // storage ping for /healthz
	Sandbox   Sandbox
	Methods   *method.Set // the payment methods; nil = method.Default()
	// Replay remembers accepted v2 signatures, so an exact replay inside the window is
	// refused; nil refuses none.
	Replay opaygate.ReplayGuard
	// RequestLog takes every API request answered (requestlog.go); nil logs none. Requests
	// reads the log: /_sandbox/requests and the dashboard's Requests page; nil: neither.
	RequestLog RequestRecorder
	Requests   opaygate.RequestLogService
}

// Server serves the API.
type Server struct {
	cfg     Config
	svc     Services
	log     *slog.Logger
	handler http.Handler
	pay     *pay.Pages           // the customer pages
	dash    *dashboard.Dashboard // the merchant dashboard; nil without a SessionService

	bodies      *bodyBudget // API request bodies held in memory
	bodyTimeout time.Duration
}

// New returns a server for cfg and svc. A nil Clock reads the wall clock.
func New(cfg Config, svc Services) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if svc.Clock == nil {
		svc.Clock = opaygate.SystemClock{}
	}
	if svc.Methods == nil {
		svc.Methods = method.Default()
	}
	for len(cfg.PublicURL) > 0 && cfg.PublicURL[len(cfg.PublicURL)-1] == '/' {
		cfg.PublicURL = cfg.PublicURL[:len(cfg.PublicURL)-1]
	}
	if cfg.Mode == "live" && cfg.CallbackTargets == nil {
		cfg.CallbackTargets = &notify.Guard{}
	}
	if cfg.MaxBodyBytesInFlight <= 0 {
		cfg.MaxBodyBytesInFlight = DefaultMaxBodyBytesInFlight
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	s := &Server{cfg: cfg, svc: svc, log: cfg.Logger,
		bodies: newBodyBudget(cfg.MaxBodyBytesInFlight), bodyTimeout: cfg.BodyTimeout}
	// The pages show the sandbox's hints only where the control API exists too.
	var sandbox pay.Sandbox
	if svc.Sandbox != nil && cfg.Mode != "live" {
		sandbox = svc.Sandbox
	}
	var err error
	s.pay, err = pay.New(pay.Deps{PublicURL: cfg.PublicURL, Logger: s.log, Clock: svc.Clock,
		Merchants: svc.Merchants, Orders: svc.Orders, Invoices: svc.Invoices, Methods: svc.Methods, Sandbox: sandbox,
		NotFound: s.notFound})
	if err != nil {
		// The templates are embedded: a broken one is a bug that must stop the boot.
		panic("server: " + err.Error())
	}
	if svc.Sessions != nil {
		s.dash, err = dashboard.New(cfg.Dashboard, dashboard.Deps{PublicURL: cfg.PublicURL, Logger: s.log,
			Clock: svc.Clock, Sessions: svc.Sessions, Merchants: svc.Merchants, Products: svc.Products,
			Orders: svc.Orders, Invoices: svc.Invoices, Refunds: svc.Refunds, Callbacks: svc.Callbacks,
			InvoiceLink: s.pay.InvoiceLink, ValidateInvoice: s.newInvoice, Methods: svc.Methods.Names(),
			Requests: svc.Requests, FlushRequests: s.flushRequests, Ledger: svc.Ledger})
		if err != nil {
			panic("server: " + err.Error())
		}
	}
	s.handler = s.middleware(s.routes())
	return s
}

// Handler returns the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.handler }

// routes is the one place that lists every route of the API and mounts the customer's pages
// and the dashboard (their routes are in their Register methods). Each API path is also
// registered without a method so that other methods get the envelope with 405 instead of the
// mux's plain text.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	api := func(path string, h http.Handler) {
		mux.Handle("POST "+path, h)
		mux.HandleFunc(path, s.methodNotAllowed)
	}

	api("/api/v1/international/cashier/create", s.publicKey(s.cashierCreate))
	api("/api/v1/international/cashier/status", s.signed(s.cashierStatus))
	api("/api/v1/international/payment/close", s.signed(s.paymentClose))
	api("/api/v1/international/payment/create", s.signed(s.paymentCreate))
	api("/api/v1/payment/action/input-installment-month", s.signed(s.inputInstallmentMonth))
	api("/api/v1/payment/action/input-otp", s.signed(s.inputOTP))
	api("/api/v1/payment/action/input-pin", s.signed(s.inputPIN))
	api("/api/v1/international/payment/getBankInstallment", s.signed(s.getBankInstallment))
	api("/api/v1/payment/action/resend-otp", s.signed(s.resendOTP))
	api("/api/v1/international/payment/refund/create", s.signed(s.refundCreate))
	api("/api/v1/international/payment/refund/query", s.signed(s.refundQuery))
	api("/api/v1/international/invoice/createSingleInvoice", s.signed(s.createInvoice))
	api("/api/v1/international/token/create", s.signed(s.tokenCreate))
	api("/api/v1/international/token/query", s.signed(s.tokenQuery))
	api("/api/v1/international/token/delete", s.signed(s.tokenDelete))
	api("/api/v1/international/payment/void", s.signed(s.paymentVoid))
	api("/api/v1/international/transaction/reversal/status", s.signed(s.reversalStatus))
	api("/api/v1/international/payout/createSingleOrder", s.rsaSigned(s.payoutCreate))
	api("/api/v1/international/payout/queryorder", s.rsaSigned(s.payoutQuery))
	api("/api/v1/international/payout/balance", s.rsaSigned(s.payoutBalance))
	api("/api/v1/international/payout/bank-account-validate", s.rsaSigned(s.bankAccountValidate))
	api("/api/v1/international/payout/opay-wallet-validate", s.rsaSigned(s.walletValidate))
	api("/api/v1/international/invoice/getInvoiceDetails", s.signed(s.invoiceDetails))
	api("/api/v1/international/invoice/cancelInvoice", s.signed(s.cancelInvoice))
	api("/api/v1/international/invoice/getInvoicesStatistics", s.signed(s.invoiceStatistics))

	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("/healthz", s.methodNotAllowed)
	mux.HandleFunc("GET /openapi.json", s.openAPI) // GET also matches HEAD
	mux.HandleFunc("/openapi.json", s.methodNotAllowed)

	// The control API moves time and wipes data: never in live mode, whatever is wired.
	if s.svc.Sandbox != nil && s.cfg.Mode != "live" {
		sandbox := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.sandboxAuth(h)) }
		sandbox("GET /_sandbox/otp", s.sandboxOTP)
		sandbox("/_sandbox/otp", s.methodNotAllowed)
		sandbox("GET /_sandbox/clock", s.sandboxClock)
		sandbox("/_sandbox/clock", s.methodNotAllowed)
		sandbox("POST /_sandbox/clock/advance", s.sandboxAdvance)
		sandbox("/_sandbox/clock/advance", s.methodNotAllowed)
		sandbox("POST /_sandbox/reset", s.sandboxReset)
		sandbox("/_sandbox/reset", s.methodNotAllowed)
		sandbox("GET /_sandbox/messages", s.sandboxMessages)
		sandbox("/_sandbox/messages", s.methodNotAllowed)
		// The customer's actions on an order (sandbox_customer.go).
		for path, act := range map[string]func(context.Context, *opaygate.Order, sandboxOrderRequest) (*opaygate.Order, error){
			"/_sandbox/orders/pay": s.sandboxPay, "/_sandbox/orders/decline": s.sandboxDecline,
			"/_sandbox/orders/start": s.sandboxStart, "/_sandbox/orders/plan": s.sandboxOneStep(opaygate.StepPlan),
			"/_sandbox/orders/pin": s.sandboxOneStep(opaygate.StepPIN), "/_sandbox/orders/otp": s.sandboxOneStep(opaygate.StepOTP),
			"/_sandbox/orders/3ds": s.sandboxOneStep(opaygate.Step3DS), "/_sandbox/orders/cancel": s.sandboxCancel,
			"/_sandbox/orders/abandon": s.sandboxAbandon, "/_sandbox/orders/expire": s.sandboxExpire,
		} {
			sandbox("POST "+path, s.sandboxOrderAction(act))
			sandbox(path, s.methodNotAllowed)
		}
		if s.svc.Requests != nil {
			sandbox("GET /_sandbox/requests", s.sandboxRequests)
			sandbox("/_sandbox/requests", s.methodNotAllowed)
		}
		if s.svc.Ledger != nil {
			sandbox("GET /_sandbox/balance", s.sandboxBalances)
			sandbox("/_sandbox/balance", s.methodNotAllowed)
			sandbox("POST /_sandbox/balance/credit", s.sandboxCredit)
			sandbox("/_sandbox/balance/credit", s.methodNotAllowed)
		}
		if s.svc.Payouts != nil {
			sandbox("POST /_sandbox/payouts/complete", s.sandboxCompletePayout)
			sandbox("/_sandbox/payouts/complete", s.methodNotAllowed)
		}
		if s.svc.Callbacks != nil {
			sandbox("GET /_sandbox/callbacks", s.sandboxCallbacks)
			sandbox("/_sandbox/callbacks", s.methodNotAllowed)
			sandbox("POST /_sandbox/callbacks/resend", s.sandboxResendCallback)
			sandbox("/_sandbox/callbacks/resend", s.methodNotAllowed)
		}
	}

	s.pay.Register(mux)
	if s.dash != nil {
		s.dash.Register(mux)
	}

	mux.HandleFunc("/", s.notFound)
	return mux
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeStatus(w, r, http.StatusNotFound, invalid("unknown endpoint %s", r.URL.Path))
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	s.writeStatus(w, r, http.StatusMethodNotAllowed, invalid("method %s not allowed", r.Method))
}
