package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opaygate/opaygate"
)

// A merchant sees only its own orders, invoices, products and callbacks, in listings and by
// id, and cannot act on another's: every such page is the same 404 as a missing one.
func TestDashboardMerchantIsolation(t *testing.T) {
	e := newDashEnv(t)
	ctx := context.Background()
	open := e.order(t, e.A, "a-open", 1000)
	paid := e.paidOrder(t, e.A, "a-paid", 2000)
	inv := e.invoice(t, e.A, "A's invoice", "A's customer", 3000)
	e.product(t, e.A, "A-ONLY", "A's product", 500)
	callbacks, err := e.svc.Callbacks.ListCallbacks(ctx, opaygate.CallbackFilter{MerchantID: e.A.ID, OrderNo: paid.OrderNo})
	if err != nil || len(callbacks) == 0 {
		t.Fatalf("A's callbacks: %v %v", callbacks, err)
	}
	e.order(t, e.B, "b-own", 1000)
	b := e.login(t, e.B)

	t.Run("Listings", func(t *testing.T) {
		for _, q := range []string{"a-open", paid.OrderNo} {
			if body := b.mustGet(t, "/dashboard/orders?q="+q); dashRows(body, "/dashboard/orders/") != 0 {
				t.Errorf("searching %q finds A's order", q)
			}
		}
		for _, path := range []string{"/dashboard/orders", "/dashboard/invoices", "/dashboard/products", "/dashboard/stats",
			"/dashboard/invoices/new"} {
			body := b.mustGet(t, path)
			for _, secret := range []string{open.OrderNo, paid.OrderNo, "a-open", inv.InvoiceNo, "A&#39;s", "A-ONLY", "Shop A"} {
				if strings.Contains(body, secret) {
					t.Errorf("%s shows A's %q", path, secret)
				}
			}
		}
	})
	t.Run("PagesByID", func(t *testing.T) {
		for _, path := range []string{"/dashboard/orders/" + open.OrderNo, "/dashboard/orders/" + paid.OrderNo,
			"/dashboard/invoices/" + inv.InvoiceNo, "/dashboard/products/A-ONLY/edit"} {
			if p := b.get(t, path); p.status != http.StatusNotFound || strings.Contains(p.body, "A&#39;s") {
				t.Errorf("GET %s: %d", path, p.status)
			}
		}
	})
	t.Run("Actions", func(t *testing.T) {
		for path, form := range map[string]url.Values{
			"/dashboard/orders/" + open.OrderNo + "/close":                                          nil,
			"/dashboard/orders/" + paid.OrderNo + "/refunds":                                        {"amount": {"1"}, "reference": {"steal-1"}},
			"/dashboard/orders/" + paid.OrderNo + "/callbacks/" + itoa(callbacks[0].ID) + "/resend": nil,
			"/dashboard/invoices/" + inv.InvoiceNo + "/cancel":                                      nil,
			"/dashboard/products/A-ONLY":                                                            {"name": {"stolen"}, "price": {"1"}, "currency": {"EGP"}},
		} {
			if p := b.post(t, path, form); p.status != http.StatusNotFound {
				t.Errorf("POST %s: %d\n%s", path, p.status, p.body)
			}
		}
		// B's own order path with A's callback id.
		own, _, _ := e.svc.Orders.ListOrders(ctx, opaygate.OrderFilter{MerchantID: e.B.ID})
		if p := b.post(t, "/dashboard/orders/"+own[0].OrderNo+"/callbacks/"+itoa(callbacks[0].ID)+"/resend", nil); p.status != http.StatusNotFound {
			t.Errorf("resend A's callback through B's order: %d", p.status)
		}
		if o, _ := e.svc.Orders.FindOrder(ctx, e.A.ID, opaygate.OrderKey{OrderNo: open.OrderNo}); o.Status != opaygate.StatusInitial {
			t.Errorf("B closed A's order")
		}
		if got, _ := e.svc.Invoices.FindInvoice(ctx, e.A.ID, inv.InvoiceNo); got.Status != opaygate.InvoiceUnpaid {
			t.Errorf("B cancelled A's invoice")
		}
		if p, _ := e.svc.Products.FindProduct(ctx, e.A.ID, "A-ONLY"); p.Name != "A's product" {
			t.Errorf("B renamed A's product")
		}
		if refunds, _ := e.svc.Refunds.ListRefunds(ctx, e.A.ID, opaygate.OrderKey{OrderNo: paid.OrderNo}); len(refunds) != 0 {
			t.Errorf("B refunded A's order")
		}
	})
	t.Run("InvoiceWithAnotherMerchantsProduct", func(t *testing.T) {
		p := b.post(t, "/dashboard/invoices", url.Values{"name": {"x"}, "country": {"EG"}, "due": {"2099-01-01"},
			"customer_name": {"c"}, "customer_email": {"c@example.com"}, "notify": {"EMAIL"}, "lang": {"EN"},
			"product": {"A-ONLY"}, "quantity": {"1"}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "does not exist") {
			t.Fatalf("%d\n%s", p.status, p.body)
		}
	})
}

// Every string a merchant or a customer typed is escaped wherever the dashboard shows it.
func TestDashboardEscaping(t *testing.T) {
	e := newDashEnv(t)
	ctx := context.Background()
	const x = `<script>alert("x")</script>`
	const ref = `"><script>alert(1)</script>` // a reference has no whitespace
	name := "Shop " + x
	if _, err := e.svc.Merchants.UpdateMerchant(ctx, e.A.ID, opaygate.MerchantUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	p := &opaygate.Product{MerchantID: e.A.ID, MerchantProductNo: `P<b>1</b>`, Name: "Mug " + x, Description: "desc " + x,
		Price: 1500, Currency: "EGP"}
	if err := e.svc.Products.CreateProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	o := &opaygate.Order{MerchantID: e.A.ID, Reference: ref, Country: "EG", Amount: 1000, ProductName: "Phone " + x,
		ProductDescription: x, ReturnURL: `https://shop.example/return?a="><script>`, CallbackURL: "https://shop.example/cb?" + x,
		User: opaygate.UserInfo{Name: "Customer " + x, Email: x, Mobile: x}, DisplayName: "Sub " + x, VisitSource: x}
	if err := e.svc.Orders.CreateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Orders.CloseOrder(ctx, e.A.ID, opaygate.OrderKey{OrderNo: o.OrderNo}); err != nil {
		t.Fatal(err)
	}
	inv := &opaygate.Invoice{MerchantID: e.A.ID, Name: "Invoice " + x, Description: x, Country: "EG", Lang: "EN",
		NotifyMethod: "EMAIL", DueTime: e.clock.Now().Add(48 * 3600e9), RelationProduct: true,
		Customer: opaygate.Customer{Name: "Customer " + x, Email: "c@example.com", Mobile: x}}
	if err := e.svc.Invoices.CreateInvoice(ctx, inv, []opaygate.InvoiceItem{{MerchantProductNo: p.MerchantProductNo, Quantity: 2}}, opaygate.ServiceFee{}); err != nil {
		t.Fatal(err)
	}
	b := e.login(t, e.A)
	for _, path := range []string{"/dashboard/orders", "/dashboard/orders/" + o.OrderNo, "/dashboard/orders?q=" + url.QueryEscape(ref),
		"/dashboard/invoices", "/dashboard/invoices/" + inv.InvoiceNo, "/dashboard/invoices/new", "/dashboard/products",
		"/dashboard/products/" + url.PathEscape(p.MerchantProductNo) + "/edit", "/dashboard/settings", "/dashboard/stats",
		"/dashboard/orders?q=" + url.QueryEscape(x) + "&from=" + url.QueryEscape(x)} {
		body := b.mustGet(t, path)
		for _, raw := range []string{"<script>alert", `"><script>`, "<b>1</b>"} {
			if strings.Contains(body, raw) {
				t.Errorf("%s contains %q unescaped", path, raw)
			}
		}
		if !strings.Contains(body, "&lt;script&gt;alert") && !strings.Contains(body, "%3cscript%3ealert") {
			t.Errorf("%s does not show the escaped text at all", path)
		}
	}
	// The one script tag on every page is the dashboard's own, from its own origin.
	if body := b.mustGet(t, "/dashboard/orders"); strings.Count(body, "<script") != 1 || !strings.Contains(body, `<script src="/dashboard/static/dashboard.js`) {
		t.Errorf("unexpected script tags:\n%s", body)
	}
}

func TestDashboardHeadersAndAssets(t *testing.T) {
	e := newDashEnv(t)
	b := e.login(t, e.A)
	p := b.get(t, "/dashboard/orders")
	for k, want := range map[string]string{
		"Content-Type":    "text/html; charset=utf-8",
		"Cache-Control":   "no-store",
		"X-Frame-Options": "DENY",
	} {
		if got := p.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	for file, ct := range map[string]string{"dashboard.css": "text/css; charset=utf-8", "dashboard.js": "text/javascript; charset=utf-8"} {
		a := e.browser(t).get(t, "/dashboard/static/"+file)
		if a.status != http.StatusOK || a.header.Get("Content-Type") != ct || len(a.body) < 100 {
			t.Errorf("%s: %d %q", file, a.status, a.header.Get("Content-Type"))
		}
	}
	for _, path := range []string{"/dashboard/static/nope.css", "/dashboard/nowhere"} {
		if p := e.browser(t).get(t, path); p.status != http.StatusNotFound || !strings.Contains(p.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %q", path, p.status, p.header.Get("Content-Type"))
		}
	}
	// No external resource anywhere: the gateway runs offline.
	for _, path := range []string{"/dashboard/orders", "/dashboard/stats", "/dashboard/settings"} {
		if body := b.mustGet(t, path); strings.Contains(body, "src=\"http") || strings.Contains(body, "href=\"http") {
			t.Errorf("%s links to another host", path)
		}
	}
}
