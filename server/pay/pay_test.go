package pay

import (
	"context"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/server/internal/web"
	"github.com/opaygate/opaygate/simulator"
)

func embeddedPay(t *testing.T) (fs.FS, fs.FS) {
	t.Helper()
	templates, static := web.Dirs(payFiles)
	return templates, static
}

func mustNew(t *testing.T, d Deps) *Pages {
	t.Helper()
	p, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A broken template fails parsing — New returns it and server.New panics at boot — instead of
// a customer's page.
func TestParsePayPages(t *testing.T) {
	templates, static := embeddedPay(t)
	if _, err := parsePayPages(payFiles, nil); err != nil {
		t.Fatalf("the embedded pages: %v", err)
	}
	good, assets := fstest.MapFS{}, fstest.MapFS{}
	for dir, m := range map[fs.FS]fstest.MapFS{templates: good, static: assets} {
		_ = fs.WalkDir(dir, ".", func(name string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := fs.ReadFile(dir, name)
				m[name] = &fstest.MapFile{Data: b}
			}
			return err
		})
	}
	for name, change := range map[string]func(fstest.MapFS){
		"Syntax": func(m fstest.MapFS) {
			m["result.html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}{{if}}{{end}}`)}
		},
		"UnknownFunc": func(m fstest.MapFS) {
			m["otp.html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}{{nope .}}{{end}}`)}
		},
		"NoContent":    func(m fstest.MapFS) { m["plan.html"] = &fstest.MapFile{Data: []byte(`hello`)} },
		"MissingPage":  func(m fstest.MapFS) { delete(m, "threeds.html") },
		"BrokenLayout": func(m fstest.MapFS) { m["layout.html"] = &fstest.MapFile{Data: []byte(`{{define "layout"}}{{end`)} },
		"MissingPartial": func(m fstest.MapFS) {
			m["layout.html"] = &fstest.MapFile{Data: []byte(`{{define "layout"}}{{template "content" .}}{{end}}`)}
		},
	} {
		t.Run(name, func(t *testing.T) {
			broken := fstest.MapFS{}
			for k, v := range good {
				broken[k] = v
			}
			change(broken)
			files := fstest.MapFS{}
			for k, v := range broken {
				files["templates/"+k] = v
			}
			for k, v := range assets {
				files["static/"+k] = v
			}
			_, err := parsePayPages(files, nil)
			if name == "MissingPartial" {
				// html/template resolves {{template "summary"}} when a page runs, not when it
				// parses; TestPayPagesRender runs every page, so such a mistake fails a test.
				return
			}
			if err == nil {
				t.Fatal("parsed")
			}
		})
	}
}

// Every label a template asks for exists in both languages, and the languages have the same
// labels, so an Arabic page never falls back to English or to a key.
func TestPayText(t *testing.T) {
	p := mustNew(t, Deps{PublicURL: "http://gw.example"})
	en, ar := p.text["EN"], p.text["AR"]
	for k := range en {
		if _, ok := ar[k]; !ok {
			t.Errorf("AR lacks %q", k)
		}
		if strings.Count(en[k], "%") != strings.Count(ar[k], "%") {
			t.Errorf("%q: EN and AR take different arguments: %q, %q", k, en[k], ar[k])
		}
	}
	for k := range ar {
		if _, ok := en[k]; !ok {
			t.Errorf("EN lacks %q", k)
		}
	}
	templates, _ := embeddedPay(t)
	used := regexp.MustCompile(`\.T "([^"]+)"`)
	_ = fs.WalkDir(templates, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(templates, name)
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			if _, ok := en[m[1]]; !ok {
				t.Errorf("%s uses %q, which has no text", name, m[1])
			}
		}
		return nil
	})
	// The methods' sections too.
	sections, _ := fs.Glob(method.Sections, "templates/*.html")
	for _, name := range sections {
		b, _ := fs.ReadFile(method.Sections, name)
		for _, m := range regexp.MustCompile(`\.T "([^"]+)"`).FindAllStringSubmatch(string(b), -1) {
			if _, ok := en[m[1]]; !ok {
				t.Errorf("%s uses %q, which has no text", name, m[1])
			}
		}
	}
	// Keys built at run time.
	var dynamic []string
	for _, o := range []string{"success", "failed", "expired", "closed", "cancelled"} {
		dynamic = append(dynamic, "result."+o, "result."+o+".text")
	}
	for _, s := range opaygate.InvoiceStatuses() {
		dynamic = append(dynamic, "invoice.status."+string(s))
		if s != opaygate.InvoiceUnpaid {
			dynamic = append(dynamic, "invoice.note."+string(s))
		}
	}
	for k := range checkoutErrors {
		dynamic = append(dynamic, "error."+k)
	}
	for _, k := range reasonKeys {
		dynamic = append(dynamic, k)
	}
	for _, k := range dynamic {
		if _, ok := en[k]; !ok {
			t.Errorf("no text for %q", k)
		}
	}
	// Every reason the sandbox's acquirer gives has a label.
	for amount := range int64(100) {
		if d, ok := simulator.Trigger(amount); ok && reasonKeys[d.Reason] == "" {
			t.Errorf("decline %s %q has no label", d.Code, d.Reason)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct {
		amount   int64
		currency string
		want     string
	}{
		{60000, "EGP", "EGP 600.00"},
		{5, "EGP", "EGP 0.05"},
		{0, "EGP", "EGP 0.00"},
		{100, "EGP", "EGP 1.00"},
		{99999, "EGP", "EGP 999.99"},
		{100000, "EGP", "EGP 1,000.00"},
		{123456789, "NGN", "₦1,234,567.89"},
		{10_000_000_000_000, "NGN", "₦100,000,000,000.00"},
		{-150, "EGP", "-EGP 1.50"},
		{150, "", "1.50"},
	} {
		if got := formatAmount(tc.amount, tc.currency); got != tc.want {
			t.Errorf("formatAmount(%d, %q) = %q, want %q", tc.amount, tc.currency, got, tc.want)
		}
	}
}

func TestTimeLeft(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Minute:                  "30:00",
		30*time.Minute - time.Millisecond: "30:00",
		29*time.Minute + 59*time.Second:   "29:59",
		time.Second:                       "0:01",
		time.Millisecond:                  "0:01",
		0:                                 "0:00",
		-time.Minute:                      "0:00",
		24 * time.Hour:                    "24:00:00",
		time.Hour + 2*time.Minute + 3*time.Second: "1:02:03",
	} {
		if got := timeLeft(d); got != want {
			t.Errorf("timeLeft(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestMaskAccount(t *testing.T) {
	for in, want := range map[string]string{"01012345678": "01•••••5678", "": "", "0101": "0101"} {
		if got := maskAccount(in); got != want {
			t.Errorf("maskAccount(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every page renders with a full view, in both languages, without html/template's marker of a
// value it refused (ZgotmplZ) and without a label shown as its key.
func TestPayPagesRender(t *testing.T) {
	p := mustNew(t, Deps{PublicURL: "http://gw.example"})
	order := &orderView{Token: strings.Repeat("a", 32), OrderNo: "261122000000000001", Reference: "r-1",
		Product: "Fridge", Amount: "EGP 600.00", LeftMS: 60000, TimeLeft: "1:00",
		Plans:   []planView{{Months: 6, EMI: "EGP 114.00", Fee: "EGP 18.00", Down: "EGP 0.00", Total: "EGP 702.00"}},
		Account: "01•••••5678", Card: "•••• 1111", Outcome: "failed", Reason: "Do not honour",
		Back: "https://m.example/return", BackLabel: "result.back"}
	invoice := &invoiceView{Vid: strings.Repeat("b", 32), InvoiceNo: "20000001", Name: "Rent", Status: "Unpaid",
		StatusClass: "unpaid", Due: "2026-12-01 00:00 UTC", Subtotal: "EGP 1.00", Fee: "EGP 0.10", HasFee: true,
		Total: "EGP 1.10", Payable: true, Lines: []invoicePageLine{{Name: "Mug", Quantity: 1, Price: "EGP 1.00", Total: "EGP 1.00"}}}
	for _, name := range p.site.Pages() {
		for _, lang := range []string{"EN", "AR"} {
			v := p.newPayView(lang, "checkout.title")
			v.Merchant, v.Invoice, v.OTPHint, v.PINHint, v.Sandbox = "Shop", invoice, "123456", "1234", true
			o := *order
			v.Order = &o
			all := append(p.methods.Checkout("EG"), p.methods.Checkout("NG")[1:]...) // the card once
			var err error
			eg := &opaygate.Order{Country: "EG", Amount: 6_000_000} // bank installment plans take it
			if o.Methods, err = p.renderSections(v, eg, all); err != nil || len(o.Methods) != len(all) {
				t.Fatalf("sections: %d, %v", len(o.Methods), err)
			}
			// The waiting step of every method that has one, on the waiting page.
			v.Waiting = &method.Waiting{QRCode: "http://gw.example/simulate?orderToken=" + o.Token,
				Identifier: "*919*000*0001#", App: "http://gw.example/simulate?orderToken=" + o.Token}
			o.QRImage, o.Simulate, o.MethodTitle = "checkout/qr?orderToken="+o.Token, "simulate?orderToken="+o.Token, "USSD"
			v.Codes = []declineView{{Code: "05", Reason: "Do not honour"}}
			var steps strings.Builder
			for _, m := range all {
				if _, ok := m.(method.Waiter); ok {
					if err := p.sections.ExecuteTemplate(&steps, "waiting-"+m.Name(), v); err != nil {
						t.Fatalf("waiting step of %s: %v", m.Name(), err)
					}
				}
			}
			o.Waiting = template.HTML(steps.String())
			v.Error, v.Notice = v.T("error.plan"), v.T("notice.resent")
			w := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/x", nil)
			p.renderPay(w, r, http.StatusOK, name, v)
			body := w.Body.String()
			if w.Code != http.StatusOK || strings.Contains(body, "ZgotmplZ") || !strings.Contains(body, "</html>") {
				t.Errorf("%s/%s: %d\n%s", name, lang, w.Code, body)
			}
			for _, key := range regexp.MustCompile(`\b(?:card|valu|mwallet|opaywallet|ussd|vodafonecash|shahry|plan|otp|3ds|waiting|simulate|result|invoice|summary|error|reason)\.[a-zA-Z.]+\b`).FindAllString(body, -1) {
				if _, ok := p.text["EN"][key]; ok {
					t.Errorf("%s/%s shows the key %q", name, lang, key)
				}
			}
		}
	}
}

// failingOrders is an order store that is down.
type failingOrders struct{ opaygate.OrderService }

func (failingOrders) FindOrderByToken(ctx context.Context, token string) (*opaygate.Order, error) {
	return nil, errors.New("connection refused by db-7.internal")
}

// A storage failure is a page that says so, not a Go error, and not JSON.
func TestPayPageStorageDown(t *testing.T) {
	var logs strings.Builder
	p := mustNew(t, Deps{PublicURL: "http://gw.example", Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Orders: failingOrders{}})
	mux := http.NewServeMux()
	p.Register(mux)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/checkout?orderToken="+strings.Repeat("c", 32), nil))
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "Service not available") ||
		strings.Contains(w.Body.String(), "db-7") || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("%d %v\n%s", w.Code, w.Header(), w.Body)
	}
	if !strings.Contains(logs.String(), "db-7") {
		t.Errorf("the error is not logged: %s", logs.String())
	}
}

// renamedWallet is a method whose templates do not exist: a new method someone forgot to give
// a section or a waiting step.
type renamedWallet struct{ method.MWallet }

func (renamedWallet) Name() string { return "NEWWALLET" }

// A method without its templates fails the boot, not a customer's page.
func TestMethodWithoutTemplates(t *testing.T) {
	_, err := New(Deps{PublicURL: "http://gw.example", Methods: method.NewSet(method.BankCard{}, renamedWallet{})})
	if err == nil || !strings.Contains(err.Error(), "no template method-NEWWALLET") {
		t.Errorf("New: %v", err)
	}
}
