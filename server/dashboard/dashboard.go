// Package dashboard is the merchant dashboard (/dashboard): server-rendered pages over the same
// domain services as the API, to see orders, invoices and statistics, close and refund orders,
// issue invoices, keep the product catalog and the merchant's settings. Every page is its own
// template file next to one shared layout, all parsed by New, so a broken template fails the
// boot rather than a merchant. The pages need no JavaScript; one small script only adds "copy"
// buttons. Routes are listed in Register; the login, sessions and CSRF checks are in auth.go.
//
// It calls the domain services of the root package and the few functions of the API it is
// given (Deps): it must not import package server (which imports this one to mount it), the
// customer's pages (package pay), sqlstore or the simulator. Its shared mechanics come from
// server/internal (web, httplog); the field rules are the root package's.
package dashboard

import (
	"context"
	"embed"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/server/internal/httplog"
	"github.com/opaygate/opaygate/server/internal/web"
)

// dashboardFiles are the dashboard's templates and static files.
//
//go:embed templates/*.html static
var dashboardFiles embed.FS

// Config configures the merchant dashboard. Zero fields take the defaults.
type Config struct {
	Sessions opaygate.SessionPolicy // default opaygate.DefaultSessionPolicy()
	// Login throttling (docs/DASHBOARD.md), token buckets in this node's memory. Only the
	// first two ever refuse an attempt, and only for the address that spent them, so nobody
	// can lock a merchant out from addresses of their own.
	LoginPerIP         RateLimit // every attempt from an address: default 20 at once, then one every 15 s
	LoginPerMerchantIP RateLimit // failures on one merchant id from one address: default 5, then one a minute
	// LoginPerMerchant counts the failures on one merchant id from every address. Once it is
	// spent, every attempt on that id waits LoginSlowdown before its password is checked —
	// the right one too, so that the wait tells nothing — but none is refused.
	LoginPerMerchant RateLimit     // default 10 at once, then one a minute
	LoginSlowdown    time.Duration // default 2 s
}

// RateLimit is a token bucket: Burst attempts at once, then one more every Every.
type RateLimit struct {
	Burst int
	Every time.Duration
}

// Deps are what the dashboard needs from the gateway.
type Deps struct {
	PublicURL string       // e.g. "https://pay.example": decides Secure cookies and the Origin check
	Logger    *slog.Logger // nil = discard
	Clock     opaygate.Clock
	Sessions  opaygate.SessionService
	Merchants opaygate.MerchantService
	Products  opaygate.ProductService
	Orders    opaygate.OrderService
	Invoices  opaygate.InvoiceService
	Refunds   opaygate.RefundService   // nil: the order page offers no refunds
	Callbacks opaygate.CallbackService // nil: the order page shows no callbacks
	// Requests is the request log; nil: no Requests page. FlushRequests, when set, writes
	// this node's queued requests before the page reads them.
	Requests      opaygate.RequestLogService
	FlushRequests func(ctx context.Context)
	// Ledger keeps the merchants' balances; nil: no Balance page.
	Ledger opaygate.LedgerService
	// Methods are the payMethod values the gateway has, for the orders filter.
	Methods []string
	// InvoiceLink is an invoice's link for its customer (the invoice page's URL).
	InvoiceLink func(token string) string
	// ValidateInvoice checks a new invoice exactly as the API's createSingleInvoice does and
	// turns it into the domain's terms: the form is turned into that request.
	ValidateInvoice func(opay.CreateInvoiceRequest) (*opaygate.Invoice, []opaygate.InvoiceItem, opaygate.ServiceFee, error)
}

// pageSize is the number of rows of a listing page.
const pageSize = 20

// Dashboard serves the dashboard's pages.
type Dashboard struct {
	svc Deps
	log *slog.Logger

	policy        opaygate.SessionPolicy
	site          *web.Site
	secure        bool     // the public URL is https: cookies are Secure and __Host- prefixed
	scheme        string   // of the public URL, for the Origin check
	origin        string   // scheme://host of the public URL
	perIP         *limiter // every attempt, per address
	perMerchantIP *limiter // failures, per merchant id and address
	perMerchant   *limiter // failures, per merchant id
	slowdown      time.Duration
}

// Register adds the dashboard's routes to mux. GET pages answer HEAD too (the mux does that);
// POST handlers check the session, the CSRF token and the origin before anything else.
func (d *Dashboard) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /dashboard", d.home)
	mux.HandleFunc("GET /dashboard/{$}", d.home)
	mux.HandleFunc("GET /dashboard/static/{file}", d.staticFile)
	mux.HandleFunc("GET /dashboard/login", d.loginPage)
	mux.HandleFunc("POST /dashboard/login", d.login)
	mux.HandleFunc("POST /dashboard/logout", d.post(d.logout))

	mux.HandleFunc("GET /dashboard/orders", d.get(d.orders))
	mux.HandleFunc("GET /dashboard/orders/{orderNo}", d.get(d.order))
	mux.HandleFunc("POST /dashboard/orders/{orderNo}/close", d.post(d.closeOrder))
	mux.HandleFunc("POST /dashboard/orders/{orderNo}/refunds", d.post(d.refundOrder))
	mux.HandleFunc("POST /dashboard/orders/{orderNo}/callbacks/{id}/resend", d.post(d.resendCallback))

	mux.HandleFunc("GET /dashboard/invoices", d.get(d.invoices))
	mux.HandleFunc("GET /dashboard/invoices/new", d.get(d.newInvoicePage))
	mux.HandleFunc("POST /dashboard/invoices", d.post(d.createInvoice))
	mux.HandleFunc("GET /dashboard/invoices/{invoiceNo}", d.get(d.invoice))
	mux.HandleFunc("POST /dashboard/invoices/{invoiceNo}/cancel", d.post(d.cancelInvoice))

	mux.HandleFunc("GET /dashboard/products", d.get(d.products))
	mux.HandleFunc("GET /dashboard/products/new", d.get(d.newProductPage))
	mux.HandleFunc("POST /dashboard/products", d.post(d.createProduct))
	mux.HandleFunc("GET /dashboard/products/{no}/edit", d.get(d.editProductPage))
	mux.HandleFunc("POST /dashboard/products/{no}", d.post(d.updateProduct))

	mux.HandleFunc("GET /dashboard/stats", d.get(d.stats))

	if d.svc.Requests != nil {
		mux.HandleFunc("GET /dashboard/requests", d.get(d.requests))
		mux.HandleFunc("GET /dashboard/requests/{id}", d.get(d.request))
	}

	if d.svc.Ledger != nil {
		mux.HandleFunc("GET /dashboard/balance", d.get(d.balance))
	}
	mux.HandleFunc("GET /dashboard/settings", d.get(d.settings))
	mux.HandleFunc("POST /dashboard/settings", d.post(d.updateSettings))
	mux.HandleFunc("POST /dashboard/settings/rotate-key", d.post(d.rotateKey))
	mux.HandleFunc("POST /dashboard/settings/payout-key", d.post(d.updatePayoutKey))

	// Anything else under /dashboard is an HTML 404, not the API's JSON one.
	mux.HandleFunc("/dashboard/", d.notFoundPage)
}

// New parses the dashboard's pages. It fails when a template does not parse or a page is
// missing: the templates are embedded, so that is a bug to catch at boot.
func New(cfg Config, deps Deps) (*Dashboard, error) {
	d := &Dashboard{svc: deps, log: deps.Logger, policy: cfg.Sessions, scheme: "http"}
	if d.log == nil {
		d.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if d.svc.Clock == nil {
		d.svc.Clock = opaygate.SystemClock{}
	}
	if d.policy.Idle <= 0 || d.policy.Absolute <= 0 {
		d.policy = opaygate.DefaultSessionPolicy()
	}
	if u, err := url.Parse(deps.PublicURL); err == nil && u.Host != "" {
		d.scheme, d.origin = u.Scheme, u.Scheme+"://"+u.Host
	}
	d.secure = d.scheme == "https"
	d.perIP = newLimiter(withDefault(cfg.LoginPerIP, RateLimit{Burst: 20, Every: 15 * time.Second}))
	d.perMerchantIP = newLimiter(withDefault(cfg.LoginPerMerchantIP, RateLimit{Burst: 5, Every: time.Minute}))
	d.perMerchant = newLimiter(withDefault(cfg.LoginPerMerchant, RateLimit{Burst: 10, Every: time.Minute}))
	d.slowdown = cfg.LoginSlowdown
	if d.slowdown <= 0 {
		d.slowdown = 2 * time.Second
	}
	var err error
	if d.site, err = parseDashboard(d.log); err != nil {
		return nil, err
	}
	return d, nil
}

func withDefault(r, def RateLimit) RateLimit {
	if r.Burst <= 0 || r.Every <= 0 {
		return def
	}
	return r
}

// dashboardPageNames are the pages the handlers render.
var dashboardPageNames = []string{"error", "invoice", "invoice_new", "invoices", "key", "login", "order", "orders",
	"product", "products", "request", "requests", "settings", "stats"}

// parseDashboard parses every page with the layout and loads the static files. A broken
// template fails it: they are embedded, so that is a bug that must stop the server from
// starting.
//
// The headers: HTML that no cache keeps, no other site frames and no script from elsewhere
// runs in.
func parseDashboard(log *slog.Logger) (*web.Site, error) {
	templates, static := web.Dirs(dashboardFiles)
	return web.New(web.Config{
		Name: "dashboard page", Templates: templates, Funcs: dashboardFuncs, Pages: dashboardPageNames,
		Static: static, Referrer: "same-origin",
		CSP: "default-src 'self'; script-src 'self'; style-src 'self'; " +
			"img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
		Logger: log,
	})
}

func (d *Dashboard) staticFile(w http.ResponseWriter, r *http.Request) {
	if !d.site.Static(w, r, r.PathValue("file"), "public, max-age=86400") {
		d.notFoundPage(w, r)
	}
}

// home sends the browser to the orders, which send it on to the login page without a session.
func (d *Dashboard) home(w http.ResponseWriter, r *http.Request) {
	d.redirect(w, r, "/dashboard/orders")
}

// visit is one authenticated request: the merchant and its session.
type visit struct {
	m    *opaygate.Merchant
	sess *opaygate.Session
}

// page is what every template gets: the layout's fields and the page's own data.
type page struct {
	Title    string
	Nav      string // the active navigation entry
	Requests bool   // the request log is there: the navigation shows Developers
	Balance  bool   // the ledger is there: the navigation shows Balance
	Merchant *opaygate.Merchant
	CSRF     string
	Flash    string // a fixed message chosen by a key, never text from the request
	Error    string // a domain message safe to show, or a fixed one
	Assets   string
	Data     any
}

// flashes are the messages a redirect can ask for with ?ok=KEY.
var flashes = map[string]string{
	"closed":    "The order is closed.",
	"refunded":  "The refund was created.",
	"resent":    "The callback will be sent again in a moment.",
	"created":   "Created.",
	"saved":     "Saved.",
	"cancelled": "The invoice is cancelled.",
	"logout":    "You are logged out.",
	"expired":   "Your session has ended; please log in again.",
	"disabled":  "This merchant is disabled.",
}

// render writes a page with the layout; a failing template becomes a clean 500 instead of
// half a page.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, name string, v *visit, p page) {
	if v != nil {
		p.Merchant, p.CSRF = v.m, v.sess.CSRFToken
	}
	if p.Flash == "" {
		p.Flash = flashes[r.URL.Query().Get("ok")]
	}
	p.Assets = d.site.Version()
	p.Requests = d.svc.Requests != nil
	p.Balance = d.svc.Ledger != nil
	d.site.Render(w, r, status, name, p)
}

// redirect answers 303 See Other: after a POST the browser GETs the target.
func (d *Dashboard) redirect(w http.ResponseWriter, r *http.Request, target string) {
	d.site.Redirect(w, r, target)
}

func (d *Dashboard) notFoundPage(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, http.StatusNotFound, "error", nil, page{Title: "Not found",
		Error: "There is no such page, or it belongs to another merchant."})
}

func (d *Dashboard) notFound(w http.ResponseWriter, r *http.Request, v *visit) {
	d.render(w, r, http.StatusNotFound, "error", v, page{Title: "Not found",
		Error: "There is no such page, or it belongs to another merchant."})
}

// fail answers an error of a service call: a domain error's own message with a fitting
// status, anything else a 500 whose cause only the log sees.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	switch opaygate.ErrorCode(err) {
	case opaygate.ENOTFOUND:
		d.notFound(w, r, v)
		return
	case opaygate.EINTERNAL:
		d.log.Error("internal error", "request_id", httplog.From(r.Context()).ID, "path", r.URL.Path, "err", err)
		d.render(w, r, http.StatusInternalServerError, "error", v, page{Title: "Error",
			Error: "The service is not available; please try again."})
		return
	}
	d.render(w, r, http.StatusUnprocessableEntity, "error", v, page{Title: "Not possible",
		Error: opaygate.ErrorMessage(err)})
}

// formError is the message shown above a form that was not accepted, with its status.
func formError(err error) (int, string, bool) {
	switch code := opaygate.ErrorCode(err); code {
	case opaygate.EINTERNAL, opaygate.ENOTFOUND:
		return 0, "", false
	case opaygate.EORDERSTATE, opaygate.EINVOICESTATE, opaygate.EDUPLICATE, opaygate.EREFUNDEXCEEDS:
		return http.StatusConflict, opaygate.ErrorMessage(err), true
	default:
		return http.StatusUnprocessableEntity, opaygate.ErrorMessage(err), true
	}
}

// errForm is a form value the dashboard itself refuses.
func errForm(format string, args ...any) error { return opaygate.Invalid(format, args...) }
