package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
)

// invoiceForm is a valid new-invoice form; tests change what they test.
func invoiceForm(extra url.Values) url.Values {
	f := url.Values{"name": {"Order 42"}, "description": {"Two mugs"}, "country": {"EG"}, "due": {"2099-12-31"},
		"customer_name": {"Amira"}, "customer_email": {"amira@example.com"}, "customer_mobile": {"+201088889999"},
		"notify": {"BOTH"}, "lang": {"EN"}}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

func TestDashboardInvoices(t *testing.T) {
	e := newDashEnv(t)
	ctx := context.Background()
	e.product(t, e.A, "MUG", "Mug", 15000)
	e.product(t, e.A, "PLATE", "Plate", 2550)
	b := e.login(t, e.A)

	body := b.mustGet(t, "/dashboard/invoices/new")
	for _, want := range []string{"Mug", "Plate", "EGP 150.00", `name="product" value="MUG"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the form lacks %q", want)
		}
	}

	var withProducts string
	t.Run("FromProducts", func(t *testing.T) {
		loc := b.mustPost(t, "/dashboard/invoices", invoiceForm(url.Values{"product": {"MUG", "PLATE"}, "quantity": {"2", "00"},
			"fee_rate": {"2.5"}, "fixed_fee": {"1"}, "amount": {"999"}}))
		if !strings.HasPrefix(loc, "/dashboard/invoices/") || !strings.HasSuffix(loc, "?ok=created") {
			t.Fatalf("redirect %q", loc)
		}
		withProducts = strings.TrimSuffix(strings.TrimPrefix(loc, "/dashboard/invoices/"), "?ok=created")
		inv, err := e.svc.Invoices.FindInvoice(ctx, e.A.ID, withProducts)
		if err != nil || inv.Amount != 30000 || !inv.RelationProduct || len(inv.Products) != 1 || inv.Products[0].Quantity != 2 ||
			inv.ServiceFee != 750+100 || inv.DueTime.Format(time.RFC3339) != "2099-12-31T23:59:59Z" {
			t.Fatalf("invoice %+v %v", inv, err)
		}
		body := b.mustGet(t, loc)
		for _, want := range []string{"Created.", "Order 42", "EGP 300.00", "EGP 8.50", "EGP 308.50", "Mug", "Unpaid",
			e.srv.URL + "?vid=" + inv.Token, "Cancel invoice", "Copy link"} {
			if !strings.Contains(body, want) {
				t.Errorf("invoice page lacks %q", want)
			}
		}
	})
	t.Run("FreeAmount", func(t *testing.T) {
		loc := b.mustPost(t, "/dashboard/invoices", invoiceForm(url.Values{"amount": {"1,234.5"}, "country": {"NG"},
			"customer_mobile": {""}, "notify": {"EMAIL"}}))
		no := strings.TrimSuffix(strings.TrimPrefix(loc, "/dashboard/invoices/"), "?ok=created")
		inv, err := e.svc.Invoices.FindInvoice(ctx, e.A.ID, no)
		if err != nil || inv.Amount != 123450 || inv.Currency != "NGN" || inv.RelationProduct {
			t.Fatalf("invoice %+v %v", inv, err)
		}
	})
	for name, tc := range map[string]struct {
		form url.Values
		want string
	}{
		"ErrNothingToPay":   {invoiceForm(nil), "pick at least one product, or give an amount"},
		"ErrBadMobile":      {invoiceForm(url.Values{"amount": {"10"}, "customer_mobile": {"0108888"}}), "Mobile number format should be like this &#43;201088889999"},
		"ErrMobileChars":    {invoiceForm(url.Values{"amount": {"10"}, "customer_mobile": {"+20 10"}}), "Invalid characters in mobile number."},
		"ErrPastDue":        {invoiceForm(url.Values{"amount": {"10"}, "due": {"2001-01-01"}}), "dueTime must be in the future"},
		"ErrNoName":         {invoiceForm(url.Values{"amount": {"10"}, "name": {""}}), "name is required"},
		"ErrUnknownProduct": {invoiceForm(url.Values{"product": {"NOPE"}, "quantity": {"1"}}), "does not exist"},
		"ErrQuantity":       {invoiceForm(url.Values{"product": {"MUG"}, "quantity": {"-1"}}), "quantity of MUG"},
		"ErrFeeRate":        {invoiceForm(url.Values{"amount": {"10"}, "fee_rate": {"300"}}), "feeRate must be a percentage"},
		"ErrCountry":        {invoiceForm(url.Values{"amount": {"10"}, "country": {"KE"}}), "country must be one of"},
	} {
		t.Run(name, func(t *testing.T) {
			p := b.post(t, "/dashboard/invoices", tc.form)
			if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, tc.want) {
				t.Fatalf("%d, want 422 with %q\n%s", p.status, tc.want, p.body)
			}
			if !strings.Contains(p.body, `value="Amira"`) {
				t.Error("the refused form did not come back filled in")
			}
		})
	}

	t.Run("ListAndFilter", func(t *testing.T) {
		if got := dashRows(b.mustGet(t, "/dashboard/invoices"), "/dashboard/invoices/"); got != 2 {
			t.Fatalf("%d invoices listed", got)
		}
		if got := dashRows(b.mustGet(t, "/dashboard/invoices?status=Paid"), "/dashboard/invoices/"); got != 0 {
			t.Fatalf("%d paid invoices listed", got)
		}
	})
	t.Run("Cancel", func(t *testing.T) {
		if loc := b.mustPost(t, "/dashboard/invoices/"+withProducts+"/cancel", nil); !strings.HasSuffix(loc, "?ok=cancelled") {
			t.Fatalf("redirect %q", loc)
		}
		body := b.mustGet(t, "/dashboard/invoices/"+withProducts)
		if !strings.Contains(body, "Cancelled") || strings.Contains(body, "Cancel invoice") {
			t.Fatal("cancelled invoice page")
		}
		b.mustPost(t, "/dashboard/invoices/"+withProducts+"/cancel", nil) // again: still fine, as the API says
		if got := dashRows(b.mustGet(t, "/dashboard/invoices?status=Cancelled"), "/dashboard/invoices/"); got != 1 {
			t.Fatalf("%d cancelled invoices listed", got)
		}
	})
	t.Run("PaidInvoiceCannotBeCancelled", func(t *testing.T) {
		inv := e.invoice(t, e.A, "To pay", "Karim", 5000)
		dashPayInvoice(t, e, inv)
		body := b.mustGet(t, "/dashboard/invoices/"+inv.InvoiceNo)
		if !strings.Contains(body, `badge ok">Paid<`) || strings.Contains(body, "Cancel invoice") {
			t.Fatalf("paid invoice page:\n%s", body)
		}
		p := b.post(t, "/dashboard/invoices/"+inv.InvoiceNo+"/cancel", nil)
		if p.status != http.StatusConflict || !strings.Contains(p.body, "invoice is Paid") {
			t.Fatalf("%d\n%s", p.status, p.body)
		}
	})
}

// dashPayInvoice pays an invoice the way its hosted page does: PayInvoice, then ValU.
func dashPayInvoice(t testing.TB, e *dashEnv, inv *opaygate.Invoice) *opaygate.Order {
	t.Helper()
	ctx := context.Background()
	o, err := e.svc.Invoices.PayInvoice(ctx, inv.ID, "https://shop.example/return")
	if err != nil {
		t.Fatal(err)
	}
	key := opaygate.OrderKey{OrderNo: o.OrderNo}
	if _, err := e.svc.Orders.StartPayment(ctx, inv.MerchantID, key, opaygate.PayMethodValU, "01012345678"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Orders.SelectPlan(ctx, inv.MerchantID, key, 6); err != nil {
		t.Fatal(err)
	}
	if o, err = e.svc.Orders.SubmitOTP(ctx, inv.MerchantID, key, "123456"); err != nil || o.Status != opaygate.StatusSuccess {
		t.Fatalf("pay invoice: %v %v", o, err)
	}
	return o
}

func TestDashboardProducts(t *testing.T) {
	e := newDashEnv(t)
	ctx := context.Background()
	b := e.login(t, e.A)
	if body := b.mustGet(t, "/dashboard/products"); !strings.Contains(body, "No products yet") {
		t.Fatal("empty catalog page")
	}
	loc := b.mustPost(t, "/dashboard/products", url.Values{"no": {"SKU-1"}, "name": {"Mug"}, "description": {"Blue"},
		"price": {"150"}, "currency": {"EGP"}, "image": {"https://cdn.example/mug.png"}})
	if loc != "/dashboard/products?ok=created" {
		t.Fatalf("redirect %q", loc)
	}
	p, err := e.svc.Products.FindProduct(ctx, e.A.ID, "SKU-1")
	if err != nil || p.Price != 15000 || p.Name != "Mug" || p.Image != "https://cdn.example/mug.png" {
		t.Fatalf("product %+v %v", p, err)
	}
	body := b.mustGet(t, "/dashboard/products")
	for _, want := range []string{"Mug", "SKU-1", p.ProductNo, "EGP 150.00", "/dashboard/products/SKU-1/edit"} {
		if !strings.Contains(body, want) {
			t.Errorf("catalog lacks %q", want)
		}
	}
	t.Run("Edit", func(t *testing.T) {
		body := b.mustGet(t, "/dashboard/products/SKU-1/edit")
		if !strings.Contains(body, `value="150.00"`) || !strings.Contains(body, `action="/dashboard/products/SKU-1"`) {
			t.Fatalf("edit form:\n%s", body)
		}
		b.mustPost(t, "/dashboard/products/SKU-1", url.Values{"name": {"Big mug"}, "price": {"175.25"}, "currency": {"EGP"},
			"no": {"SKU-IGNORED"}})
		p, err := e.svc.Products.FindProduct(ctx, e.A.ID, "SKU-1")
		if err != nil || p.Name != "Big mug" || p.Price != 17525 || p.Description != "" {
			t.Fatalf("after edit %+v %v", p, err)
		}
	})
	for name, tc := range map[string]struct {
		form   url.Values
		status int
		want   string
	}{
		"ErrDuplicate": {url.Values{"no": {"SKU-1"}, "name": {"x"}, "price": {"1"}, "currency": {"EGP"}}, http.StatusConflict, "already in the catalog"},
		"ErrNoName":    {url.Values{"no": {"SKU-2"}, "price": {"1"}, "currency": {"EGP"}}, http.StatusUnprocessableEntity, "name is required"},
		"ErrPrice":     {url.Values{"no": {"SKU-2"}, "name": {"x"}, "price": {"1.234"}, "currency": {"EGP"}}, http.StatusUnprocessableEntity, "price must be an amount"},
		"ErrCurrency":  {url.Values{"no": {"SKU-2"}, "name": {"x"}, "price": {"1"}, "currency": {"USD"}}, http.StatusUnprocessableEntity, "currency must be one of"},
		"ErrImage":     {url.Values{"no": {"SKU-2"}, "name": {"x"}, "price": {"1"}, "currency": {"EGP"}, "image": {"javascript:alert(1)"}}, http.StatusUnprocessableEntity, "absolute http or https URL"},
		"ErrSlash":     {url.Values{"no": {"A/B"}, "name": {"x"}, "price": {"1"}, "currency": {"EGP"}}, http.StatusUnprocessableEntity, "must not contain"},
	} {
		t.Run(name, func(t *testing.T) {
			p := b.post(t, "/dashboard/products", tc.form)
			if p.status != tc.status || !strings.Contains(p.body, tc.want) {
				t.Fatalf("%d\n%s", p.status, p.body)
			}
		})
	}
	if p := b.get(t, "/dashboard/products/NOPE/edit"); p.status != http.StatusNotFound {
		t.Fatalf("unknown product: %d", p.status)
	}
}

func TestDashboardStats(t *testing.T) {
	e := newDashEnv(t)
	e.invoice(t, e.A, "one", "c", 1000)
	e.invoice(t, e.A, "two", "c", 2000)
	paid := e.invoice(t, e.A, "three", "c", 4000)
	dashPayInvoice(t, e, paid)
	e.paidOrder(t, e.A, "day-1", 5000)
	e.clock.Advance(24 * time.Hour)
	e.paidOrder(t, e.A, "day-2", 7000)
	e.paidOrder(t, e.A, "day-2b", 100)
	b := e.login(t, e.A)
	body := b.mustGet(t, "/dashboard/stats")
	for _, want := range []string{
		`Paid</span></td>
      <td class="num">1</td><td class="num">EGP 40.00</td>`,
		`Unpaid</span></td>
      <td class="num">2</td><td class="num">EGP 30.00</td>`,
		`Total</td>
      <td class="num">3</td><td class="num">EGP 70.00</td>`,
		"<svg", "EGP 161.00 in 4 payments", // 40 + 50 + 70 + 1
	} {
		if !strings.Contains(body, want) {
			t.Errorf("stats page lacks %q", want)
		}
	}
	if n := strings.Count(body, `<rect class="bar"`); n != 30 {
		t.Errorf("%d bars, want 30", n)
	}
	today := e.clock.Now().UTC().Format("2006-01-02")
	if !strings.Contains(body, today+": EGP 71.00 (2)") {
		t.Errorf("today's bar does not say EGP 71.00 (2)")
	}
	t.Run("RangeWithoutInvoices", func(t *testing.T) {
		body := b.mustGet(t, "/dashboard/stats?from=2020-01-01&to=2020-01-31")
		if !strings.Contains(body, `Total</td>
      <td class="num">0</td>`) {
			t.Error("an empty range does not count 0")
		}
	})
	t.Run("BadRange", func(t *testing.T) {
		body := b.mustGet(t, "/dashboard/stats?from=2020-01-01&to=2024-01-01")
		if !strings.Contains(body, "at most 366 days") {
			t.Error("a range of years is not refused")
		}
	})
}

func TestDashboardSettings(t *testing.T) {
	e := newDashEnv(t)
	ctx := context.Background()
	b := e.login(t, e.A)
	body := b.mustGet(t, "/dashboard/settings")
	for _, want := range []string{e.A.PublicKey, "Shop A", e.A.WebhookURL} {
		if !strings.Contains(body, want) {
			t.Errorf("settings lack %q", want)
		}
	}
	if strings.Contains(body, e.A.PrivateKey) {
		t.Fatal("the settings page shows the private key")
	}
	t.Run("Update", func(t *testing.T) {
		b.mustPost(t, "/dashboard/settings", url.Values{"name": {"Shop A Ltd"}, "webhook_url": {"https://a.example/hook2"}})
		m, _ := e.svc.Merchants.FindMerchant(ctx, e.A.ID)
		if m.Name != "Shop A Ltd" || m.WebhookURL != "https://a.example/hook2" {
			t.Fatalf("merchant %+v", m)
		}
		b.mustPost(t, "/dashboard/settings", url.Values{"name": {"Shop A Ltd"}, "webhook_url": {""}})
		if m, _ := e.svc.Merchants.FindMerchant(ctx, e.A.ID); m.WebhookURL != "" {
			t.Fatal("the webhook URL cannot be removed")
		}
		for _, f := range []url.Values{{"name": {""}}, {"name": {"x"}, "webhook_url": {"javascript:alert(1)"}}} {
			if p := b.post(t, "/dashboard/settings", f); p.status != http.StatusUnprocessableEntity {
				t.Fatalf("%v: %d", f, p.status)
			}
		}
	})
	t.Run("CallbackVersion", func(t *testing.T) {
		if body := b.mustGet(t, "/dashboard/settings"); !strings.Contains(body, `<option selected>v1</option><option>v2</option>`) {
			t.Fatalf("the page does not offer v1 (chosen) and v2:\n%s", body)
		}
		b.mustPost(t, "/dashboard/settings", url.Values{"name": {"Shop A Ltd"}, "callback_version": {"v2"}})
		m, _ := e.svc.Merchants.FindMerchant(ctx, e.A.ID)
		if m.CallbackVersion != opaygate.CallbackV2 {
			t.Fatalf("callback version %q", m.CallbackVersion)
		}
		if body := b.mustGet(t, "/dashboard/settings"); !strings.Contains(body, `<option>v1</option><option selected>v2</option>`) {
			t.Fatal("the page does not show v2 chosen")
		}
		// A form without the field (an older page) leaves it alone.
		b.mustPost(t, "/dashboard/settings", url.Values{"name": {"Shop A Ltd"}})
		if m, _ := e.svc.Merchants.FindMerchant(ctx, e.A.ID); m.CallbackVersion != opaygate.CallbackV2 {
			t.Fatalf("a form without the field changed it to %q", m.CallbackVersion)
		}
		for _, bad := range []string{"v3", "", "V1"} {
			p := b.post(t, "/dashboard/settings", url.Values{"name": {"Shop A Ltd"}, "callback_version": {bad}})
			if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "is not v1 or v2") {
				t.Fatalf("%q: %d", bad, p.status)
			}
		}
		v1 := opaygate.CallbackV1
		b.mustPost(t, "/dashboard/settings", url.Values{"name": {"Shop A Ltd"}, "callback_version": {string(v1)}})
		if m, _ := e.svc.Merchants.FindMerchant(ctx, e.A.ID); m.CallbackVersion != v1 {
			t.Fatalf("back to v1: %q", m.CallbackVersion)
		}
	})
	t.Run("RotateKey", func(t *testing.T) {
		old := e.A.PrivateKey
		if p := b.post(t, "/dashboard/settings/rotate-key", nil); p.status != http.StatusUnprocessableEntity {
			t.Fatalf("without confirmation: %d", p.status)
		}
		if apiCode(t, e, e.A.ID, old) != "02006" {
			t.Fatal("the old key stopped working without a confirmed rotation")
		}
		p := b.post(t, "/dashboard/settings/rotate-key", url.Values{"confirm": {"yes"}})
		if p.status != http.StatusOK || p.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("rotate: %d %q", p.status, p.header.Get("Cache-Control"))
		}
		m, _ := e.svc.Merchants.FindMerchant(ctx, e.A.ID)
		if m.PrivateKey == old || !strings.HasPrefix(m.PrivateKey, "OPAYPRV") || m.PublicKey != e.A.PublicKey {
			t.Fatalf("keys after rotation: %q %q", m.PrivateKey, m.PublicKey)
		}
		if !strings.Contains(p.body, `value="`+m.PrivateKey+`"`) {
			t.Fatal("the new key is not on the answer page")
		}
		if strings.Contains(b.mustGet(t, "/dashboard/settings"), m.PrivateKey) {
			t.Fatal("the new key is shown again")
		}
		if strings.Contains(e.logs.String(), m.PrivateKey) || strings.Contains(e.logs.String(), old) {
			t.Fatal("a private key is in the log")
		}
		if got := apiCode(t, e, e.A.ID, m.PrivateKey); got != "02006" {
			t.Fatalf("the new key: %s, want 02006 (authenticated, no such order)", got)
		}
		if got := apiCode(t, e, e.A.ID, old); got != "02000" {
			t.Fatalf("the old key: %s, want 02000", got)
		}
	})
}

// apiCode signs a cashier/status call for an order that does not exist with key: 02006 means
// the key authenticated, 02000 that it did not.
func apiCode(t testing.TB, e *dashEnv, merchantID, key string) string {
	t.Helper()
	body := []byte(`{"country":"EG","reference":"no-such-order"}`)
	req, err := http.NewRequest("POST", e.srv.URL+"/api/v1/international/cashier/status", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range sign(&opaygate.Merchant{ID: merchantID, PrivateKey: key}, body) {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct{ Code string }
	if err := jsonDecode(resp.Body, &env); err != nil {
		t.Fatal(err)
	}
	return env.Code
}
