package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opaygate/opaygate"
)

// The customer's pages in a real browser, next to the dashboard's browser tests and with the
// same harness (dashboard_browser_test.go): Debian's Chromium, headless, driven by chromedp; a
// skip outside CI when Chromium is missing, a failure under CI. Each scenario is bounded by
// payTimeout and saves a screenshot of its final page in $OPAYGATE_ARTIFACTS (else a
// temporary directory); OPAYGATE_UPDATE_DOCS=1 refreshes the pictures in docs/img.

// payTimeout bounds one scenario: a wedged browser fails its test instead of hanging the run.
const payTimeout = 30 * time.Second

func payChrome(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(dashChrome(t), payTimeout)
	t.Cleanup(cancel)
	return ctx
}

// merchantSite is the merchant's own site, where returnUrl and cancelUrl point.
func merchantSite(t *testing.T) *httptest.Server {
	t.Helper()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Shop</title><h1 id="shop">Back at the shop</h1><p id="path">%s</p>`, r.URL.Path)
	}))
	t.Cleanup(site.Close)
	return site
}

// payScreenshot saves the whole page as name.png in the artefact directory, and in docs/img
// when OPAYGATE_UPDATE_DOCS=1 and forDocs is set. It grows the viewport to the page's height
// and captures that, rather than capturing beyond the viewport, which Chromium renders
// shifted for right-to-left pages.
func payScreenshot(t *testing.T, ctx context.Context, name string, forDocs bool) {
	t.Helper()
	width := dashRun(t, ctx, chromedp.Evaluate[int64](`window.innerWidth`))
	height := dashRun(t, ctx, chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
	dashDo(t, ctx, chromedp.EmulateViewport(width, height))
	png := dashRun(t, ctx, chromedp.CaptureScreenshot())
	dir := os.Getenv("OPAYGATE_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", file)
	if forDocs && os.Getenv("OPAYGATE_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(filepath.Join("..", "docs", "img", name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func browserText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return strings.TrimSpace(dashText(t, ctx, sel))
}

// A cashier order paid with ValU: account, plan, the OTP the sandbox shows, and back to the
// merchant's returnUrl.
func TestPayBrowserValU(t *testing.T) {
	ctx := payChrome(t)
	e := newTestServer(t)
	site := merchantSite(t)
	token, orderNo := e.cashierOrder(t, e.A, "browser-valu", 60000, func(b map[string]any) {
		b["returnUrl"] = site.URL + "/return"
		b["product"] = map[string]any{"name": "Refrigerator, 18 cu ft", "description": "Stainless steel, delivered"}
	})
	dashDo(t, ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.srv.URL+"/checkout?orderToken="+token),
		chromedp.WaitVisible(chromedp.ID("valu-account")),
	)
	payScreenshot(t, ctx, "pay-checkout", true)
	if wide := dashRun(t, ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); wide {
		t.Error("the checkout page is wider than a 390 px phone screen")
	}
	dashDo(t, ctx,
		chromedp.SendKeys(chromedp.ID("valu-account"), "01012345678\r"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="months"][value="12"]`)),
		chromedp.Click(chromedp.CSS(`input[name="months"][value="12"]`)),
	)
	payScreenshot(t, ctx, "pay-valu-plans", false)
	dashDo(t, ctx,
		chromedp.Click(chromedp.CSS(`form[action="checkout/plan"] button`)),
		chromedp.WaitVisible(chromedp.ID("otp")),
	)
	hint := browserText(t, ctx, "#otp-sandbox")
	otp := e.sandboxOTP(t, orderNo)
	if !strings.Contains(hint, otp) {
		t.Fatalf("the sandbox hint %q does not show the OTP %s", hint, otp)
	}
	dashDo(t, ctx,
		chromedp.SendKeys(chromedp.ID("otp"), otp),
		chromedp.Click(chromedp.CSS(`form[action="checkout/otp"] button`)),
		chromedp.WaitVisible(chromedp.ID("back")),
	)
	if h := browserText(t, ctx, "h1"); h != "Payment successful" {
		t.Fatalf("result %q", h)
	}
	payScreenshot(t, ctx, "pay-valu-success", false)
	dashDo(t, ctx, chromedp.Click(chromedp.ID("back")), chromedp.WaitVisible(chromedp.ID("shop")))
	if loc := dashRun(t, ctx, chromedp.Location()); loc != site.URL+"/return" {
		t.Fatalf("landed on %q, want returnUrl", loc)
	}
	payScreenshot(t, ctx, "pay-valu-returned", false)
	if st := e.orderStatus(t, e.A, orderNo); st.Status != "SUCCESS" {
		t.Errorf("status %+v", st)
	}
}

// A declined test card: the 3-D Secure page, then the failure and its reason.
func TestPayBrowserDeclinedCard(t *testing.T) {
	ctx := payChrome(t)
	e := newTestServer(t)
	token, orderNo := e.cashierOrder(t, e.A, "browser-card", 249900, nil)
	dashDo(t, ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.srv.URL+"/checkout?orderToken="+token),
		chromedp.WaitVisible(chromedp.ID("card-number")),
		chromedp.SendKeys(chromedp.ID("card-number"), "4000 0000 0000 0051"),
		chromedp.SendKeys(chromedp.ID("card-expiry"), "12/34"),
		chromedp.SendKeys(chromedp.ID("card-cvv"), "123"),
		chromedp.SendKeys(chromedp.ID("card-name"), "Ada Obi"),
		chromedp.Click(chromedp.CSS(`form[action="checkout/card"] button`)),
		chromedp.WaitVisible(chromedp.ID("confirm")),
	)
	if card := browserText(t, ctx, ".threeds dd[dir=ltr]"); card != "•••• 0051" {
		t.Errorf("3-D Secure page shows card %q", card)
	}
	payScreenshot(t, ctx, "pay-3ds", true)
	dashDo(t, ctx, chromedp.Click(chromedp.ID("confirm")), chromedp.WaitVisible(chromedp.CSS(".result-failed")))
	if h, reason := browserText(t, ctx, "h1"), browserText(t, ctx, ".reason"); h != "Payment failed" || !strings.Contains(reason, "Insufficient funds") {
		t.Fatalf("result %q, %q", h, reason)
	}
	payScreenshot(t, ctx, "pay-card-declined", false)
	if st := e.orderStatus(t, e.A, orderNo); st.Status != "FAIL" || st.FailureCode != "51" {
		t.Errorf("status %+v", st)
	}
}

// An invoice paid on its page, by card, comes back Paid — on the invoice page and in the
// merchant's dashboard.
func TestPayBrowserInvoice(t *testing.T) {
	ctx := payChrome(t)
	e := newDashEnv(t)
	bg := context.Background()
	for _, p := range []*opaygate.Product{
		{MerchantID: e.A.ID, MerchantProductNo: "DESK-1", Name: "Standing desk", Description: "Oak, 160 × 80 cm", Price: 1250000, Currency: "EGP"},
		{MerchantID: e.A.ID, MerchantProductNo: "LAMP-2", Name: "Desk lamp", Price: 89900, Currency: "EGP"},
	} {
		if err := e.svc.Products.CreateProduct(bg, p); err != nil {
			t.Fatal(err)
		}
	}
	inv := &opaygate.Invoice{MerchantID: e.A.ID, Name: "Office furniture", Description: "Order 2026-118, delivery included",
		Country: "EG", Lang: "EN", NotifyMethod: "EMAIL", RelationProduct: true, DueTime: e.clock.Now().Add(72 * time.Hour),
		Customer: opaygate.Customer{Name: "Mona Hassan", Email: "mona@example.com"}}
	if err := e.svc.Invoices.CreateInvoice(bg, inv, []opaygate.InvoiceItem{{MerchantProductNo: "DESK-1", Quantity: 1},
		{MerchantProductNo: "LAMP-2", Quantity: 2}}, opaygate.ServiceFee{RateBP: 150}); err != nil {
		t.Fatal(err)
	}
	dashDo(t, ctx,
		chromedp.EmulateViewport(800, 900),
		chromedp.Navigate(e.srv.URL+"/pay?vid="+inv.Token),
		chromedp.WaitVisible(chromedp.ID("pay")),
	)
	if st := browserText(t, ctx, "#invoice-status"); st != "Unpaid" {
		t.Fatalf("status %q", st)
	}
	payScreenshot(t, ctx, "pay-invoice", true)
	dashDo(t, ctx,
		chromedp.Click(chromedp.ID("pay")),
		chromedp.WaitVisible(chromedp.ID("card-number")),
		chromedp.SendKeys(chromedp.ID("card-number"), "4111 1111 1111 1111"),
		chromedp.SendKeys(chromedp.ID("card-expiry"), "0931"),
		chromedp.SendKeys(chromedp.ID("card-cvv"), "321\r"),
		chromedp.WaitVisible(chromedp.ID("confirm")),
		chromedp.Click(chromedp.ID("confirm")),
		chromedp.WaitVisible(chromedp.ID("back")),
		chromedp.Click(chromedp.ID("back")),
		chromedp.WaitVisible(chromedp.ID("invoice-status")),
	)
	if st := browserText(t, ctx, "#invoice-status"); st != "Paid" {
		t.Fatalf("after paying, the invoice page says %q", st)
	}
	if n := dashRun(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#pay").length`)); n != 0 {
		t.Error("a paid invoice still offers Pay")
	}
	payScreenshot(t, ctx, "pay-invoice-paid", false)

	dashBrowserLogin(t, ctx, e, e.A)
	dashDo(t, ctx,
		chromedp.Navigate(e.srv.URL+"/dashboard/invoices/"+inv.InvoiceNo),
		chromedp.WaitVisible(chromedp.CSS("h1 .badge")),
	)
	if st := browserText(t, ctx, "h1 .badge"); st != "Paid" {
		t.Fatalf("the dashboard shows the invoice %q", st)
	}
	payScreenshot(t, ctx, "pay-invoice-paid-dashboard", false)
}

// An expired order's page, reached by the page's own countdown: two seconds before the end the
// form is there; when the countdown runs out the page reloads and says the order expired.
func TestPayBrowserExpiredOrder(t *testing.T) {
	ctx := payChrome(t)
	e := newTestServer(t)
	token, _ := e.cashierOrder(t, e.A, "browser-expired", 60000, func(b map[string]any) {
		b["expireAt"] = 1
		b["cancelUrl"] = "https://shop.example/cart"
	})
	e.clock.Advance(58 * time.Second)
	dashDo(t, ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.srv.URL+"/checkout?orderToken="+token),
		chromedp.WaitVisible(chromedp.ID("card-number")),
	)
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(waitCtx, chromedp.WaitVisible(chromedp.CSS(".result-expired"))); err != nil {
		t.Fatalf("the page did not turn to expired by itself: %v", err)
	}
	if h := browserText(t, ctx, "h1"); h != "This payment has expired" {
		t.Fatalf("result %q", h)
	}
	if n := dashRun(t, ctx, chromedp.Evaluate[int](`document.forms.length`)); n != 0 {
		t.Errorf("the expired page has %d forms", n)
	}
	if href := dashRun(t, ctx, chromedp.Evaluate[string](`document.getElementById("back").href`)); href != "https://shop.example/cart" {
		t.Errorf("back link %q, want cancelUrl", href)
	}
	payScreenshot(t, ctx, "pay-expired", false)
}

// An Arabic invoice renders right to left, and the keyboard reaches its Pay button.
func TestPayBrowserArabicInvoice(t *testing.T) {
	ctx := payChrome(t)
	e := newTestServer(t)
	inv := createInvoice(t, e, e.A, invoiceBody(e, func(m map[string]any) {
		withProducts(m)
		m["lang"], m["name"], m["description"] = "AR", "أدوات منزلية", "طلب رقم 4471"
		m["customer"] = map[string]any{"customerName": "منى حسن", "customerMobile": "+201066668888"}
	}))
	dashDo(t, ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(inv.InvoiceLink),
		chromedp.WaitVisible(chromedp.ID("pay")),
	)
	if dir := dashRun(t, ctx, chromedp.Evaluate[string](`document.documentElement.dir + " " + document.documentElement.lang`)); dir != "rtl ar" {
		t.Fatalf("dir and lang %q", dir)
	}
	if st := browserText(t, ctx, "#invoice-status"); st != "غير مدفوعة" {
		t.Errorf("status %q", st)
	}
	// In a right-to-left page the table's first column sits on the right.
	if rtl := dashRun(t, ctx, chromedp.Evaluate[bool](`(() => { const c = document.querySelectorAll("table.lines thead th");
		return c[0].getBoundingClientRect().left > c[c.length-1].getBoundingClientRect().left })()`)); !rtl {
		t.Error("the products table is laid out left to right")
	}
	if wide := dashRun(t, ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); wide {
		t.Error("the invoice page is wider than a 390 px phone screen")
	}
	payScreenshot(t, ctx, "pay-invoice-arabic", true)

	// The keyboard: the first Tab reaches the skip link; the Pay button can be reached and
	// shows a visible focus ring.
	dashDo(t, ctx, chromedp.KeyEvent("\t"))
	if focused := dashRun(t, ctx, chromedp.Evaluate[string](`document.activeElement.className`)); focused != "skip" {
		t.Errorf("the first Tab focuses %q, want the skip link", focused)
	}
	for range 20 {
		if dashRun(t, ctx, chromedp.Evaluate[string](`document.activeElement.id`)) == "pay" {
			break
		}
		dashDo(t, ctx, chromedp.KeyEvent("\t"))
	}
	if outline := dashRun(t, ctx, chromedp.Evaluate[string](`document.activeElement.id + " " + getComputedStyle(document.activeElement).outlineStyle`)); outline != "pay solid" {
		t.Errorf("focus after tabbing: %q, want the Pay button with a solid outline", outline)
	}
}
