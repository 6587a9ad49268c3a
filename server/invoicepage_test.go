package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// invoicePageOf creates an invoice for merchant A and returns it and the path of its page.
func (e *env) invoicePageOf(t testing.TB, change func(map[string]any)) (opay.InvoiceData, string) {
	t.Helper()
	inv := createInvoice(t, e, e.A, invoiceBody(e, change))
	u, err := url.Parse(inv.InvoiceLink)
	// OPay's form: the public URL, then ?vid= (no path).
	if err != nil || u.Path != "" || len(u.Query().Get("vid")) != 32 {
		t.Fatalf("invoiceLink %q", inv.InvoiceLink)
	}
	return inv, "/?vid=" + u.Query().Get("vid")
}

func withProducts(m map[string]any) {
	delete(m, "amount")
	m["relationProduct"] = true
	m["productList"] = []any{map[string]any{"merchantProductNo": "SKU-1", "quantity": 2}, map[string]any{"merchantProductNo": "SKU-2", "quantity": 1}}
	m["serviceFee"] = map[string]any{"feeRate": "2.5", "fixedFee": 100}
}

func TestInvoicePage(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	inv, page := e.invoicePageOf(t, withProducts)
	vid := strings.TrimPrefix(page, "/?vid=")
	// 2 × 150.00 + 25.50 = 325.50; fee ⌈32550 × 2.5 %⌉ + 100 = 814 + 100 = 9.14.
	c.get(t, page).html(t, http.StatusOK).has(t, "Rent", "March", "Merchant 100000000000001", inv.InvoiceNo, "Ali",
		"Mug", "Plate", "<td class=\"num\">2</td>", "EGP 150.00", "EGP 300.00", "EGP 25.50", "EGP 325.50",
		"Service fee", "EGP 9.14", "EGP 334.64", "Unpaid", `action="pay"`, "Pay EGP 334.64",
		time.Unix(inv.DueDate, 0).UTC().Format("2006-01-02 15:04")+" UTC", `lang="en" dir="ltr"`)
	// Links of the old form keep working; the root without vid is the API's 404.
	c.get(t, "/pay?vid="+vid).html(t, http.StatusOK).has(t, inv.InvoiceNo, `action="pay"`)
	if pg := c.get(t, "/"); pg.status != http.StatusNotFound || !strings.Contains(pg.body, `"code":"02001"`) {
		t.Errorf("GET / without vid: %d %s", pg.status, pg.body)
	}

	// Pay: an order of the invoice's total, on the checkout page.
	got := c.post(t, "/pay", url.Values{"vid": {vid}})
	if got.status != http.StatusSeeOther || !strings.HasPrefix(got.location, e.srv.URL+"/checkout?orderToken=") {
		t.Fatalf("pay: %d %q", got.status, got.location)
	}
	token := strings.TrimPrefix(got.location, e.srv.URL+"/checkout?orderToken=")
	c.follow(t, got).has(t, "EGP 334.64", "Rent")
	// A second click (or a reload of the invoice) resumes the same order.
	c.post(t, "/pay", url.Values{"vid": {vid}}).redirectsTo(t, got.location)

	c.post(t, "/checkout/card", form(token, "cardNumber", "4111111111111111", "expiry", "12/40", "cvv", "123"))
	result := c.follow(t, c.post(t, "/3ds/confirm", form(token))).has(t, "Payment successful", "Back to the invoice")
	result.has(t, `href="`+e.srv.URL+strings.TrimPrefix(page, "/")+`"`)

	c.get(t, page).html(t, http.StatusOK).has(t, "Paid", "This invoice is paid.").lacks(t, `action="pay"`, "Unpaid")
	details := data[opay.InvoiceData](t, must(t, e.call(t, e.A, pathInvoice, map[string]string{"invoiceNo": inv.InvoiceNo}), opay.CodeSuccess))
	if details.Status != "Paid" {
		t.Errorf("getInvoiceDetails %+v", details)
	}
	// Paying a paid invoice comes back to its page.
	c.post(t, "/pay", url.Values{"vid": {vid}}).redirectsTo(t, e.srv.URL+strings.TrimPrefix(page, "/"))

	t.Run("FailedPaymentCanBeRetried", func(t *testing.T) {
		_, page := e.invoicePageOf(t, nil)
		vid := strings.TrimPrefix(page, "/?vid=")
		first := c.post(t, "/pay", url.Values{"vid": {vid}})
		token := strings.TrimPrefix(first.location, e.srv.URL+"/checkout?orderToken=")
		c.post(t, "/checkout/card", form(token, "cardNumber", "4000000000800005", "expiry", "12/40", "cvv", "123"))
		c.follow(t, c.post(t, "/3ds/confirm", form(token))).has(t, "Payment failed", "Do not honour", "Back to the invoice")
		c.get(t, page).has(t, "Unpaid", `action="pay"`)
		second := c.post(t, "/pay", url.Values{"vid": {vid}})
		if second.location == first.location {
			t.Error("a failed order was offered again")
		}
	})
	t.Run("NoProducts", func(t *testing.T) {
		_, page := e.invoicePageOf(t, nil)
		c.get(t, page).html(t, http.StatusOK).has(t, "EGP 100.00", "Pay EGP 100.00").lacks(t, "Service fee")
	})
}

func TestInvoicePageStates(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	t.Run("Cancelled", func(t *testing.T) {
		inv, page := e.invoicePageOf(t, nil)
		must(t, e.call(t, e.A, pathCancelInvoice, map[string]string{"invoiceNo": inv.InvoiceNo}), opay.CodeSuccess)
		c.get(t, page).html(t, http.StatusOK).has(t, "Cancelled", "cancelled by the merchant").lacks(t, `action="pay"`)
		c.post(t, "/pay", url.Values{"vid": {strings.TrimPrefix(page, "/?vid=")}}).redirectsTo(t, e.srv.URL+strings.TrimPrefix(page, "/"))
	})
	t.Run("Expired", func(t *testing.T) {
		_, page := e.invoicePageOf(t, nil)
		e.clock.Advance(73 * time.Hour)
		c.get(t, page).html(t, http.StatusOK).has(t, "Expired", "past its due date").lacks(t, `action="pay"`)
		c.post(t, "/pay", url.Values{"vid": {strings.TrimPrefix(page, "/?vid=")}}).redirectsTo(t, e.srv.URL+strings.TrimPrefix(page, "/"))
	})
	t.Run("CancelledWhilePaying", func(t *testing.T) {
		inv, page := e.invoicePageOf(t, nil)
		got := c.post(t, "/pay", url.Values{"vid": {strings.TrimPrefix(page, "/?vid=")}})
		token := strings.TrimPrefix(got.location, e.srv.URL+"/checkout?orderToken=")
		c.post(t, "/checkout/card", form(token, "cardNumber", "4111111111111111", "expiry", "12/40", "cvv", "123"))
		must(t, e.call(t, e.A, pathCancelInvoice, map[string]string{"invoiceNo": inv.InvoiceNo}), opay.CodeSuccess)
		c.follow(t, c.post(t, "/3ds/confirm", form(token))).has(t, "Payment failed", "The invoice can no longer be paid")
		c.get(t, page).has(t, "Cancelled")
	})
}

func TestInvoicePageArabic(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	_, page := e.invoicePageOf(t, func(m map[string]any) {
		withProducts(m)
		m["lang"] = "AR"
		m["name"] = "إيجار مارس"
	})
	c.get(t, page).html(t, http.StatusOK).has(t, `<html lang="ar" dir="rtl">`, "إيجار مارس", "غير مدفوعة",
		"الإجمالي", "رسوم الخدمة", "ادفع EGP 334.64", "<bdi>EGP 334.64</bdi>").lacks(t, "Unpaid", "Total")
	got := c.post(t, "/pay", url.Values{"vid": {strings.TrimPrefix(page, "/?vid=")}})
	checkout := c.follow(t, got).html(t, http.StatusOK)
	checkout.has(t, `dir="rtl"`, "كيف تريد أن تدفع؟", "ادفع EGP 334.64 بالبطاقة")
	token := strings.TrimPrefix(got.location, e.srv.URL+"/checkout?orderToken=")
	c.post(t, "/checkout/card", form(token, "cardNumber", "4111111111111111", "expiry", "12/40", "cvv", "123"))
	c.get(t, "/3ds?orderToken="+token).has(t, `dir="rtl"`, "أكّد عملية الدفع")
	c.follow(t, c.post(t, "/3ds/confirm", form(token))).has(t, `dir="rtl"`, "تم الدفع بنجاح", "العودة إلى الفاتورة")
	c.get(t, page).has(t, "مدفوعة", "تم دفع هذه الفاتورة")
}

// Everything the merchant or its customer typed onto an invoice is escaped on its page.
func TestInvoicePageEscaping(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	ctx := context.Background()
	if err := e.svc.Products.CreateProduct(ctx, &opaygate.Product{MerchantID: e.A.ID, MerchantProductNo: "EVIL",
		Name: `<script>alert("product")</script>`, Description: `<img src=x onerror=alert(1)>`, Price: 100, Currency: "EGP"}); err != nil {
		t.Fatal(err)
	}
	_, page := e.invoicePageOf(t, func(m map[string]any) {
		delete(m, "amount")
		m["relationProduct"] = true
		m["productList"] = []any{map[string]any{"merchantProductNo": "EVIL", "quantity": 1}}
		m["name"] = `<script>alert("name")</script>`
		m["description"] = `</p><script>alert("description")</script>`
		m["customer"] = map[string]any{"customerName": `<script>alert("customer")</script>`, "customerEmail": "x@example.com"}
	})
	pg := c.get(t, page).html(t, http.StatusOK).lacks(t, "<script>alert", "<img src=x")
	pg.has(t, "&lt;script&gt;alert(&#34;name&#34;)", "&lt;script&gt;alert(&#34;product&#34;)",
		"&lt;script&gt;alert(&#34;customer&#34;)", "&lt;img src=x onerror=alert(1)&gt;")
	got := c.post(t, "/pay", url.Values{"vid": {strings.TrimPrefix(page, "/?vid=")}})
	c.follow(t, got).html(t, http.StatusOK).lacks(t, "<script>alert").has(t, "&lt;script&gt;alert(&#34;name&#34;)")
}
