package server_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opaygate/opaygate"
)

// The dashboard in a real browser: Debian's Chromium, headless, driven by chromedp over the
// DevTools protocol (no Node, no second browser download; `apt-get install -y chromium` is
// all CI needs). Outside CI the tests skip when no Chromium is installed; under CI they fail.
// Each scenario saves a screenshot of its final page in $OPAYGATE_ARTIFACTS (else a temporary
// directory); OPAYGATE_UPDATE_DOCS=1 also refreshes the pictures in docs/img.

// dashChrome starts a fresh headless Chromium for one test and returns its context, bounded
// in time so that a wedged browser fails the test instead of hanging it.
func dashChrome(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("OPAYGATE_CHROME")
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path != "" {
			break
		}
		path, _ = exec.LookPath(name)
	}
	if path == "" {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			t.Fatal("Chromium is not installed; CI must run the browser tests (apt-get install -y chromium)")
		}
		t.Skip("Chromium is not installed and CI is unset: skipping the browser test (apt-get install -y chromium)")
	}
	profile := t.TempDir() // created before the browser, so removed after it exits
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc() // waits for the browser to exit
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// dashDo runs steps in the browser and fails the test on the first error.
func dashDo(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// dashRun runs one action that returns a value.
func dashRun[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// dashScreenshot saves the whole page as name.png in the artefact directory, and in docs/img
// when OPAYGATE_UPDATE_DOCS=1 and forDocs is set.
func dashScreenshot(t *testing.T, ctx context.Context, name string, forDocs bool) {
	t.Helper()
	png := dashRun(t, ctx, chromedp.FullScreenshot(100))
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

// dashBrowserLogin logs in through the form, with the keyboard: type, then Enter.
func dashBrowserLogin(t *testing.T, ctx context.Context, e *dashEnv, m *opaygate.Merchant) {
	t.Helper()
	dashDo(t, ctx,
		chromedp.Navigate(e.srv.URL+"/dashboard"),
		chromedp.WaitVisible(chromedp.ID("merchant_id")),
		chromedp.SendKeys(chromedp.ID("merchant_id"), m.ID),
		chromedp.SendKeys(chromedp.ID("password"), dashPassword+"\r"),
		chromedp.WaitVisible(chromedp.CSS(`nav[aria-label="Main"]`)),
	)
}

func dashText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return dashRun(t, ctx, chromedp.Text(chromedp.CSS(sel)))
}

// Log in, add a product, make an invoice of it, and close an order.
func TestDashboardBrowserProductInvoiceClose(t *testing.T) {
	ctx := dashChrome(t)
	e := newDashEnv(t)
	o := e.order(t, e.A, "web-2026-0042", 24900)
	e.order(t, e.A, "web-2026-0041", 9900)
	e.paidOrder(t, e.A, "web-2026-0040", 60000)
	dashBrowserLogin(t, ctx, e, e.A)
	dashScreenshot(t, ctx, "dashboard-orders", true)

	t.Run("Product", func(t *testing.T) {
		dashDo(t, ctx,
			chromedp.Navigate(e.srv.URL+"/dashboard/products/new"),
			chromedp.WaitVisible(chromedp.ID("no")),
			chromedp.SendKeys(chromedp.ID("no"), "MUG-BLUE"),
			chromedp.SendKeys(chromedp.ID("name"), "Blue mug"),
			chromedp.SendKeys(chromedp.ID("description"), "Stoneware, 350 ml"),
			chromedp.SendKeys(chromedp.ID("price"), "149.50"),
			chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(".flash")),
		)
		if body := dashText(t, ctx, "main"); !strings.Contains(body, "Blue mug") || !strings.Contains(body, "EGP 149.50") {
			t.Fatalf("catalog after adding:\n%s", body)
		}
		dashScreenshot(t, ctx, "dashboard-products", false)
	})

	t.Run("Invoice", func(t *testing.T) {
		dashDo(t, ctx,
			chromedp.Navigate(e.srv.URL+"/dashboard/invoices/new"),
			chromedp.WaitVisible(chromedp.ID("name")),
			chromedp.SendKeys(chromedp.ID("name"), "Order 1042"),
			chromedp.SendKeys(chromedp.ID("customer_name"), "Amira Hassan"),
			chromedp.SendKeys(chromedp.ID("customer_email"), "amira@example.com"),
			chromedp.SendKeys(chromedp.ID("customer_mobile"), "+201088889999"),
			chromedp.SetValue(chromedp.ID("qty-0"), "2"),
			chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.ID("link")),
		)
		if link := dashRun(t, ctx, chromedp.Value(chromedp.ID("link"))); !strings.HasPrefix(link, e.srv.URL+"?vid=") {
			t.Fatalf("invoice link %q", link)
		}
		if body := dashText(t, ctx, "main"); !strings.Contains(body, "EGP 299.00") || !strings.Contains(body, "Unpaid") {
			t.Fatalf("invoice page:\n%s", body)
		}
		dashScreenshot(t, ctx, "dashboard-invoice", true)
	})

	t.Run("CloseOrder", func(t *testing.T) {
		dashDo(t, ctx,
			chromedp.Navigate(e.srv.URL+"/dashboard/orders"),
			chromedp.Click(chromedp.CSS(`a[href="/dashboard/orders/`+o.OrderNo+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`form[action$="/close"] button`)),
			chromedp.Click(chromedp.CSS(`form[action$="/close"] button`)),
			chromedp.WaitVisible(chromedp.CSS(".flash")),
		)
		if h1 := dashText(t, ctx, "h1"); !strings.Contains(h1, "CLOSE") {
			t.Fatalf("heading after close: %q", h1)
		}
		got, _ := e.svc.Orders.FindOrder(context.Background(), e.A.ID, opaygate.OrderKey{OrderNo: o.OrderNo})
		if got.Status != opaygate.StatusClose {
			t.Fatalf("order is %s", got.Status)
		}
		dashScreenshot(t, ctx, "dashboard-order-closed", false)
	})
}

// An invoice paid on its link shows Paid in the dashboard; the statistics count it; the pages
// fit a phone's screen and start with a skip link for the keyboard.
func TestDashboardBrowserInvoicePaid(t *testing.T) {
	ctx := dashChrome(t)
	e := newDashEnv(t)
	for i, amount := range []int64{42000, 18000, 60000, 9900, 31500} {
		e.paidOrder(t, e.A, fmt.Sprintf("shop-%d", i), amount)
		e.clock.Advance(26 * time.Hour)
	}
	inv := e.invoice(t, e.A, "Consultation, 2 hours", "Karim Adel", 120000)
	dashPayInvoice(t, e, inv)
	dashBrowserLogin(t, ctx, e, e.A)

	dashDo(t, ctx,
		chromedp.Navigate(e.srv.URL+"/dashboard/invoices"),
		chromedp.Click(chromedp.CSS(`a[href="/dashboard/invoices/`+inv.InvoiceNo+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("h1 .badge")),
	)
	if status := dashText(t, ctx, "h1 .badge"); status != "Paid" {
		t.Fatalf("invoice status %q, want Paid", status)
	}
	if strings.Contains(dashText(t, ctx, "main"), "Cancel invoice") {
		t.Fatal("a paid invoice offers Cancel")
	}
	dashScreenshot(t, ctx, "dashboard-invoice-paid", false)

	t.Run("Statistics", func(t *testing.T) {
		dashDo(t, ctx,
			chromedp.Navigate(e.srv.URL+"/dashboard/stats"),
			chromedp.WaitVisible(chromedp.CSS("svg")),
		)
		if bars := dashRun(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg rect.bar").length`)); bars != 30 {
			t.Fatalf("%d bars", bars)
		}
		if body := dashText(t, ctx, "main"); !strings.Contains(body, "6 payments") {
			t.Fatalf("stats:\n%s", body)
		}
		dashScreenshot(t, ctx, "dashboard-stats", true)
	})

	t.Run("Phone", func(t *testing.T) {
		dashDo(t, ctx, chromedp.EmulateViewport(390, 844))
		for _, path := range []string{"/dashboard/orders", "/dashboard/invoices/" + inv.InvoiceNo, "/dashboard/invoices/new",
			"/dashboard/stats", "/dashboard/settings"} {
			dashDo(t, ctx, chromedp.Navigate(e.srv.URL+path), chromedp.WaitVisible(chromedp.CSS("main")))
			if dashRun(t, ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)) {
				t.Errorf("%s is wider than a 390 px phone screen", path)
			}
		}
		dashScreenshot(t, ctx, "dashboard-phone-settings", false)
	})

	t.Run("Keyboard", func(t *testing.T) {
		dashDo(t, ctx,
			chromedp.Navigate(e.srv.URL+"/dashboard/orders"),
			chromedp.WaitVisible(chromedp.CSS("main")),
			chromedp.KeyEvent("\t"),
		)
		if focused := dashRun(t, ctx, chromedp.Evaluate[string](`document.activeElement.textContent`)); focused != "Skip to content" {
			t.Fatalf("first Tab focuses %q", focused)
		}
	})
}
