package server

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/server/internal/httplog"
)

// The merchant dashboard (/dashboard): server-rendered pages over the same domain services as
// the API. Every page is its own template file next to one shared layout, all parsed when the
// server is built, so a broken template fails the boot rather than a merchant. The pages need
// no JavaScript; one small script only adds "copy" buttons. Routes are listed in
// dashboardRoutes; the login, sessions and CSRF checks are in dashboard_auth.go.

//go:embed templates/dashboard/*.html
var dashboardTemplates embed.FS

//go:embed static/dashboard
var dashboardStatic embed.FS

// DashboardConfig configures the merchant dashboard. Zero fields take the defaults.
type DashboardConfig struct {
	Sessions opaygate.SessionPolicy // default opaygate.DefaultSessionPolicy()
	// Login attempts are limited per merchant id and per client IP, each by a token bucket
	// held in this node's memory (see docs/DASHBOARD.md for several nodes).
	LoginPerMerchant RateLimit // default 5 at once, then one per minute
	LoginPerIP       RateLimit // default 20 at once, then one every 15 s
}

// RateLimit is a token bucket: Burst attempts at once, then one more every Every.
type RateLimit struct {
	Burst int
	Every time.Duration
}

// pageSize is the number of rows of a listing page.
const pageSize = 20

// dashboard serves the dashboard's pages for one Server.
type dashboard struct {
	*Server
	policy        opaygate.SessionPolicy
	pages         map[string]*template.Template
	static        map[string]staticFile
	secure        bool   // the public URL is https: cookies are Secure and __Host- prefixed
	scheme        string // of the public URL, for the Origin check
	origin        string // scheme://host of the public URL
	perMerchant   *limiter
	perIP         *limiter
	assetsVersion string
}

type staticFile struct {
	body        []byte
	contentType string
}

// dashboardRoutes registers the dashboard when a SessionService is wired. GET pages answer
// HEAD too (the mux does that); POST handlers check the session, the CSRF token and the
// origin before anything else.
func (s *Server) dashboardRoutes(mux *http.ServeMux) {
	if s.svc.Sessions == nil {
		return
	}
	d := newDashboard(s)
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

	mux.HandleFunc("GET /dashboard/settings", d.get(d.settings))
	mux.HandleFunc("POST /dashboard/settings", d.post(d.updateSettings))
	mux.HandleFunc("POST /dashboard/settings/rotate-key", d.post(d.rotateKey))

	// Anything else under /dashboard is an HTML 404, not the API's JSON one.
	mux.HandleFunc("/dashboard/", d.notFoundPage)
}

func newDashboard(s *Server) *dashboard {
	cfg := s.cfg.Dashboard
	d := &dashboard{Server: s, policy: cfg.Sessions, scheme: "http"}
	if d.policy.Idle <= 0 || d.policy.Absolute <= 0 {
		d.policy = opaygate.DefaultSessionPolicy()
	}
	if u, err := url.Parse(s.cfg.PublicURL); err == nil && u.Host != "" {
		d.scheme, d.origin = u.Scheme, u.Scheme+"://"+u.Host
	}
	d.secure = d.scheme == "https"
	d.perMerchant = newLimiter(withDefault(cfg.LoginPerMerchant, RateLimit{Burst: 5, Every: time.Minute}))
	d.perIP = newLimiter(withDefault(cfg.LoginPerIP, RateLimit{Burst: 20, Every: 15 * time.Second}))
	d.static = loadStatic()
	d.assetsVersion = assetsVersion(d.static)
	d.pages = parsePages()
	return d
}

func withDefault(r, def RateLimit) RateLimit {
	if r.Burst <= 0 || r.Every <= 0 {
		return def
	}
	return r
}

// parsePages parses every page with the layout. It panics on a broken template: they are
// embedded, so that is a bug that must stop the server from starting.
func parsePages() map[string]*template.Template {
	names, err := fs.Glob(dashboardTemplates, "templates/dashboard/*.html")
	if err != nil {
		panic(err)
	}
	pages := make(map[string]*template.Template)
	for _, name := range names {
		base := path.Base(name)
		if base == "layout.html" {
			continue
		}
		t := template.New(base).Funcs(dashboardFuncs)
		pages[strings.TrimSuffix(base, ".html")] = template.Must(t.ParseFS(dashboardTemplates,
			"templates/dashboard/layout.html", name))
	}
	return pages
}

func loadStatic() map[string]staticFile {
	files := make(map[string]staticFile)
	entries, err := fs.ReadDir(dashboardStatic, "static/dashboard")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		body, err := fs.ReadFile(dashboardStatic, "static/dashboard/"+e.Name())
		if err != nil {
			panic(err)
		}
		ct := mime.TypeByExtension(path.Ext(e.Name()))
		if ct == "" {
			ct = "application/octet-stream"
		}
		files[e.Name()] = staticFile{body: body, contentType: ct}
	}
	return files
}

// assetsVersion is a hash of the static files' names and contents, appended to their URLs so
// browsers may cache them for long and still see a new release at once. It is computed as the
// customer pages' is: every file counts, in name order.
func assetsVersion(files map[string]staticFile) string {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, name := range names {
		h.Write([]byte(name))
		h.Write(files[name].body)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func (d *dashboard) staticFile(w http.ResponseWriter, r *http.Request) {
	f, ok := d.static[r.PathValue("file")]
	if !ok {
		d.notFoundPage(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	httplog.Record(r, http.StatusOK)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(f.body)
	}
}

// home sends the browser to the orders, which send it on to the login page without a session.
func (d *dashboard) home(w http.ResponseWriter, r *http.Request) {
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

// render writes a page with the layout. The template runs into a buffer first, so a failing
// template becomes a clean 500 instead of half a page.
func (d *dashboard) render(w http.ResponseWriter, r *http.Request, status int, name string, v *visit, p page) {
	t, ok := d.pages[name]
	if !ok {
		panic("dashboard: no page " + name)
	}
	if v != nil {
		p.Merchant, p.CSRF = v.m, v.sess.CSRFToken
	}
	if p.Flash == "" {
		p.Flash = flashes[r.URL.Query().Get("ok")]
	}
	p.Assets = d.assetsVersion
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		d.log.Error("render dashboard page", "request_id", httplog.From(r.Context()).ID, "page", name, "err", err)
		buf.Reset()
		buf.WriteString("<!doctype html><title>Error</title><p>Something went wrong. Please try again.</p>")
		status = http.StatusInternalServerError
	}
	d.headers(w)
	httplog.Record(r, status)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// headers are the dashboard's response headers: HTML that no cache keeps, no other site frames
// and no script from elsewhere runs in.
func (d *dashboard) headers(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "+
		"img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
}

// redirect answers 303 See Other: after a POST the browser GETs the target.
func (d *dashboard) redirect(w http.ResponseWriter, r *http.Request, target string) {
	d.headers(w)
	w.Header().Set("Location", target)
	httplog.Record(r, http.StatusSeeOther)
	w.WriteHeader(http.StatusSeeOther)
}

func (d *dashboard) notFoundPage(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, http.StatusNotFound, "error", nil, page{Title: "Not found",
		Error: "There is no such page, or it belongs to another merchant."})
}

func (d *dashboard) notFound(w http.ResponseWriter, r *http.Request, v *visit) {
	d.render(w, r, http.StatusNotFound, "error", v, page{Title: "Not found",
		Error: "There is no such page, or it belongs to another merchant."})
}

// fail answers an error of a service call: a domain error's own message with a fitting
// status, anything else a 500 whose cause only the log sees.
func (d *dashboard) fail(w http.ResponseWriter, r *http.Request, v *visit, err error) {
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
