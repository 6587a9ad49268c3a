// Package pay is the customer's pages: the hosted checkout (checkout.go, cashierUrl), the 3-D
// Secure confirmation (threeds.go) and the invoice page (invoice.go, invoiceLink), in English
// and Arabic (text.go). They are rendered on the server from html/template files, one per page,
// each parsed together with one shared layout by New, so a broken template fails the boot,
// never a customer. The pages work without JavaScript; pay.js only counts down the time left
// and keeps a double click from sending a form twice (the server is safe against that anyway).
//
// Every URL a page links to is relative ("checkout/otp", "static/pay/pay.css"): the pages all
// live at the root of the public URL, so they keep working behind a proxy that adds a path
// prefix. Redirects are absolute, built from Deps.PublicURL like cashierUrl is.
//
// The checkout lists the payment methods of package method: each method brings its section
// of the page (its template, its form, its words), and the shared steps that follow (plan,
// OTP, 3-D Secure, the wait for a step outside the API) are pages of this package, the
// waiting page showing the method's own part of it (waiting.go). In the sandbox the simulator
// page (simulate.go) stands in for the wallet, bank or kiosk where such a step is done. The pages call the domain services of the root
// package and nothing else: they must not import package server (which imports this one to
// mount it), the dashboard, sqlstore or the simulator. Their shared mechanics come from
// server/internal (web, httplog).
package pay

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/server/internal/httplog"
	"github.com/opaygate/opaygate/server/internal/web"
)

// payFiles are the pages' templates and static files.
//
//go:embed templates/*.html static
var payFiles embed.FS

// maxForm bounds a customer form's body; the largest (the card form) is a few hundred bytes.
const maxForm = 16 << 10

// Deps are what the pages need from the gateway.
type Deps struct {
	PublicURL string       // e.g. "https://pay.example", no trailing slash: the prefix of redirects
	Logger    *slog.Logger // nil = discard
	Clock     opaygate.Clock
	Merchants opaygate.MerchantService
	Orders    opaygate.OrderService
	Invoices  opaygate.InvoiceService
	// Methods are the payment methods the checkout offers, each with its section of the
	// page (package method); nil = method.Default().
	Methods *method.Set
	// Sandbox is set in sandbox mode only: the pages then show the sandbox's banner, its test
	// cards and the OTP just sent.
	Sandbox Sandbox
	// NotFound answers GET / when it is not an invoice link (the API's 404).
	NotFound http.HandlerFunc
}

// Sandbox tells the pages the OTP the sandbox just sent for an order.
type Sandbox interface {
	LastOTP(orderNo string) (string, bool)
}

// Pages serves the customer's pages.
type Pages struct {
	publicURL string
	log       *slog.Logger
	clock     opaygate.Clock
	merchants opaygate.MerchantService
	orders    opaygate.OrderService
	invoices  opaygate.InvoiceService
	methods   *method.Set
	sandbox   Sandbox
	notFound  http.HandlerFunc
	site      *web.Site
	sections  *template.Template           // the methods' sections of the checkout page
	text      map[string]map[string]string // payText and the methods' texts
}

// New parses the pages. It fails when a template does not parse or a page is missing: the
// templates are embedded, so that is a bug to catch at boot.
func New(d Deps) (*Pages, error) {
	p := &Pages{publicURL: d.PublicURL, log: d.Logger, clock: d.Clock, merchants: d.Merchants, orders: d.Orders,
		invoices: d.Invoices, methods: d.Methods, sandbox: d.Sandbox, notFound: d.NotFound}
	if p.methods == nil {
		p.methods = method.Default()
	}
	if p.log == nil {
		p.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if p.clock == nil {
		p.clock = opaygate.SystemClock{}
	}
	if p.notFound == nil {
		p.notFound = http.NotFound
	}
	var err error
	if p.site, err = parsePayPages(payFiles, p.log); err != nil {
		return nil, err
	}
	if p.sections, err = template.ParseFS(method.Sections, "templates/*.html"); err != nil {
		return nil, fmt.Errorf("payment method sections: %w", err)
	}
	p.text = map[string]map[string]string{}
	for lang, texts := range payText {
		p.text[lang] = maps.Clone(texts)
	}
	for _, country := range []string{"EG", "NG"} {
		for _, m := range p.methods.Checkout(country) {
			if err := p.addMethod(m); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// addMethod adds a method's words to the pages' dictionary, and checks that its templates
// exist — its section, and its part of the waiting page if it has one — so a method without
// them fails the boot, not a customer.
func (p *Pages) addMethod(m method.Method) error {
	if p.sections.Lookup("method-"+m.Name()) == nil {
		return fmt.Errorf("payment method %s: no template method-%s", m.Name(), m.Name())
	}
	if _, ok := m.(method.Waiter); ok && p.sections.Lookup("waiting-"+m.Name()) == nil {
		return fmt.Errorf("payment method %s: no template waiting-%s", m.Name(), m.Name())
	}
	for lang, texts := range m.Texts() {
		if p.text[lang] == nil {
			p.text[lang] = map[string]string{}
		}
		maps.Copy(p.text[lang], texts)
	}
	return nil
}

// Links are the pages a method's nextAction or waiting step may send its customer to. The
// simulator page exists in the sandbox only: a live gateway has none to link to.
func (p *Pages) Links() method.Links {
	links := method.Links{ThreeDS: p.ThreeDSURL}
	if p.sandboxPages() {
		links.Simulate = p.SimulateURL
	}
	return links
}

// payPageNames are the customer pages the handlers render.
var payPageNames = []string{"checkout", "plan", "otp", "pin", "threeds", "waiting", "simulate", "result", "invoice",
	"notfound", "unavailable"}

// parsePayPages parses every page of files' templates/ with layout.html and loads its
// static/. It fails on any template error, and when a page the handlers render is missing.
//
// The headers: HTML no cache keeps (it shows a payment's state), no site frames (clickjacking
// a Pay button), and no script or style from elsewhere. The token in the URL stays out of
// Referer headers. There is no form-action directive: the 3-D Secure and cancel forms end in
// a redirect to the merchant, which it would block.
func parsePayPages(files fs.FS, log *slog.Logger) (*web.Site, error) {
	templates, static := web.Dirs(files)
	return web.New(web.Config{
		Name: "customer page", Templates: templates, Pages: payPageNames, Static: static,
		Referrer: "no-referrer",
		CSP: "default-src 'none'; script-src 'self'; style-src 'self'; " +
			"img-src 'self'; base-uri 'none'; frame-ancestors 'none'",
		Logger: log,
	})
}

// Register adds the pages' routes to mux.
func (p *Pages) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /checkout", p.checkoutPage)
	// A method's section posts to checkout/<its slug>; the literal paths of the shared steps
	// are more specific and win.
	mux.HandleFunc("POST /checkout/{method}", p.checkoutStart)
	mux.HandleFunc("POST /checkout/plan", p.checkoutPlan)
	mux.HandleFunc("POST /checkout/otp", p.checkoutOTP)
	mux.HandleFunc("POST /checkout/pin", p.checkoutPIN)
	mux.HandleFunc("POST /checkout/resend", p.checkoutResend)
	mux.HandleFunc("POST /checkout/cancel", p.checkoutCancel)
	mux.HandleFunc("GET /checkout/qr", p.checkoutQR)
	mux.HandleFunc("GET /simulate", p.simulatePage)
	mux.HandleFunc("POST /simulate/approve", p.simulateApprove)
	mux.HandleFunc("POST /simulate/decline", p.simulateDecline)
	mux.HandleFunc("POST /simulate/expire", p.simulateExpire)
	mux.HandleFunc("GET /3ds", p.threeDSPage)
	mux.HandleFunc("POST /3ds/confirm", p.threeDSConfirm)
	mux.HandleFunc("POST /3ds/cancel", p.threeDSCancel)
	mux.HandleFunc("GET /{$}", p.root)
	mux.HandleFunc("GET /pay", p.invoicePage)
	mux.HandleFunc("POST /pay", p.invoicePay)
	mux.HandleFunc("GET /static/pay/{file}", p.payStatic)
}

// payView is what every customer page gets: the layout's fields and the page's own data.
// Every string in it is escaped by html/template wherever it lands; Error and Notice are
// chosen from fixed texts, never copied from the request.
type payView struct {
	Lang    string // "EN" or "AR"
	Title   string
	Sandbox bool
	Assets  string // static files' version
	Error   string
	Notice  string

	Merchant string
	Order    *orderView
	Invoice  *invoiceView
	Hints    any    // a method section's sandbox hints, while that section renders
	Data     any    // what a method section shows of the order (method.Sectioner), while it renders
	OTPHint  string // the OTP just sent, in sandbox mode
	PINHint  string // the PIN the sandbox's issuers accept, in sandbox mode
	// Refresh makes the page re-read itself every 5 seconds (a meta refresh, so it works
	// without JavaScript): the waiting page, until the order is final.
	Refresh bool
	// Waiting is what the method of an order waiting outside the API says the customer
	// must do (the waiting and simulator pages), or nil.
	Waiting *method.Waiting
	Codes   []declineView // the simulator's decline codes

	text map[string]map[string]string
}

// T translates a label of the page into the page's language; with args the text is a format.
func (v *payView) T(key string, args ...any) string {
	text, ok := v.text[v.Lang][key]
	if !ok {
		text, ok = v.text["EN"][key]
	}
	if !ok {
		return key // a missing translation shows its key rather than nothing; tests catch it
	}
	if len(args) > 0 {
		return fmt.Sprintf(text, args...)
	}
	return text
}

// HTMLLang and Dir are the layout's lang and dir attributes.
func (v *payView) HTMLLang() string {
	if v.Lang == "AR" {
		return "ar"
	}
	return "en"
}

// Dir is "rtl" for Arabic pages.
func (v *payView) Dir() string {
	if v.Lang == "AR" {
		return "rtl"
	}
	return "ltr"
}

// newPayView starts a view in lang with the page's title key.
func (p *Pages) newPayView(lang, title string) *payView {
	if lang != "AR" {
		lang = "EN"
	}
	v := &payView{Lang: lang, Sandbox: p.sandboxPages(), Assets: p.site.Version(), text: p.text}
	v.Title = v.T(title)
	return v
}

// sandboxPages reports whether pages show sandbox hints (test cards, the OTP).
func (p *Pages) sandboxPages() bool { return p.sandbox != nil }

// renderPay writes a customer page; a template that fails is a clean error page instead of
// half a form.
func (p *Pages) renderPay(w http.ResponseWriter, r *http.Request, status int, name string, v *payView) {
	p.site.Render(w, r, status, name, v)
}

// payRedirect answers a form with 303: the browser GETs target, so a reload never re-posts
// (Post/Redirect/Get). target is a path under the public URL, or an absolute merchant URL.
func (p *Pages) payRedirect(w http.ResponseWriter, r *http.Request, target string) {
	if strings.HasPrefix(target, "/") {
		target = p.publicURL + target
	}
	p.site.Redirect(w, r, target)
}

// payNotFound answers an unknown token with an HTML page: customers follow links, and a
// JSON envelope would mean nothing to them.
func (p *Pages) payNotFound(w http.ResponseWriter, r *http.Request, lang string) {
	p.renderPay(w, r, http.StatusNotFound, "notfound", p.newPayView(lang, "notfound.title"))
}

// payFailed answers an internal error: logged with the request id, never shown.
func (p *Pages) payFailed(w http.ResponseWriter, r *http.Request, lang string, err error) {
	p.log.Error("customer page", "request_id", httplog.From(r.Context()).ID, "path", r.URL.Path, "err", err)
	p.renderPay(w, r, http.StatusServiceUnavailable, "unavailable", p.newPayView(lang, "unavailable.title"))
}

// parsePayForm reads a customer form of at most maxForm bytes.
func parsePayForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	return r.ParseForm()
}

// payStatic serves the pages' CSS and script: for a year when the URL names the current
// version, else for five minutes.
func (p *Pages) payStatic(w http.ResponseWriter, r *http.Request) {
	cache := "public, max-age=300"
	if r.URL.Query().Get("v") == p.site.Version() {
		cache = "public, max-age=31536000, immutable"
	}
	if !p.site.Static(w, r, r.PathValue("file"), cache) {
		p.payNotFound(w, r, "")
	}
}

// formatAmount shows minor units in the currency's usual form (opaygate.FormatAmount).
func formatAmount(amount int64, currency string) string {
	return opaygate.FormatAmount(amount, currency)
}

// formatTime shows a time to the minute in UTC, the same in both languages.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") + " UTC" }

// timeLeft writes a duration as m:ss, or h:mm:ss from an hour up. Seconds round up, as the
// countdown's do: 0:00 means the time is over.
func timeLeft(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	sec := int64((d + time.Second - 1) / time.Second)
	if sec >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", sec/3600, sec/60%60, sec%60)
	}
	return fmt.Sprintf("%d:%02d", sec/60, sec%60)
}

// merchantName finds the name the pages show for a merchant; a merchant that vanished shows
// its id rather than failing the page.
func (p *Pages) merchantName(r *http.Request, id string) (string, error) {
	m, err := p.merchants.FindMerchant(r.Context(), id)
	if opaygate.ErrorCode(err) == opaygate.ENOTFOUND {
		return id, nil
	} else if err != nil {
		return "", err
	}
	if m.Name == "" {
		return m.ID, nil
	}
	return m.Name, nil
}
