package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opaygate/opaygate"
)

// The methods whose customer pays outside the API, in a real browser (harness:
// pay_browser_test.go): choose the method on the checkout, see the waiting step — its
// screenshot is docs/img/pay-wait-<slug>.png — complete it on the simulator page, and land on
// the result page or the merchant's returnUrl.

// qrLoaded waits until the waiting page's QR image has loaded: same-origin, so the strict CSP
// lets it in, and a real PNG, so the browser decodes it.
var qrLoaded = chromedp.Poll[bool](`(() => { const i = document.querySelector(".qr img"); return !!i && i.complete && i.naturalWidth > 0; })()`)

// A mobile wallet: the number, the waiting page with the request and the QR code; the wallet
// approves meanwhile (another device), and the page, re-reading itself, shows the result
// without a click — then back to the merchant.
func TestPayBrowserMWallet(t *testing.T) {
	ctx := payChrome(t)
	e := newTestServer(t)
	site := merchantSite(t)
	token, orderNo := e.cashierOrder(t, e.A, "browser-mwallet", 35000, func(b map[string]any) {
		b["returnUrl"] = site.URL + "/return"
		b["product"] = map[string]any{"name": "Headphones", "description": "Wireless, black"}
	})
	dashDo(t, ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.srv.URL+"/checkout?orderToken="+token),
		chromedp.WaitVisible(chromedp.ID("mwallet-account")),
		chromedp.SendKeys(chromedp.ID("mwallet-account"), "010 1234 5678\r"),
		chromedp.WaitVisible(chromedp.ID("wallet")),
	)
	dashRun(t, ctx, qrLoaded)
	if w := browserText(t, ctx, "#wallet"); w != "01012345678" {
		t.Errorf("the waiting page shows the wallet %q", w)
	}
	payScreenshot(t, ctx, "pay-wait-mwallet", true)
	// The wallet's approval arrives from elsewhere; the page finds it on its own.
	c := e.customer()
	c.post(t, "/simulate/approve", form(token)).redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token)
	dashDo(t, ctx, chromedp.WaitVisible(chromedp.ID("back")))
	if h := browserText(t, ctx, "h1"); h != "Payment successful" {
		t.Fatalf("result %q", h)
	}
	dashDo(t, ctx, chromedp.Click(chromedp.ID("back")), chromedp.WaitVisible(chromedp.ID("shop")))
	if loc := dashRun(t, ctx, chromedp.Location()); loc != site.URL+"/return" {
		t.Fatalf("landed on %q, want returnUrl", loc)
	}
	if st := e.orderStatus(t, e.A, orderNo); st.Status != "SUCCESS" {
		t.Errorf("status %+v", st)
	}
}

// The OPay wallet: the QR code and "Open OPay app", which leads to the simulator; approving
// there shows the result.
func TestPayBrowserOpayWallet(t *testing.T) {
	ctx := payChrome(t)
	e := newTestServer(t)
	token, orderNo := e.cashierOrder(t, e.A, "browser-opay", 1250000, ngOrder)
	dashDo(t, ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.srv.URL+"/checkout?orderToken="+token),
		chromedp.WaitVisible(chromedp.CSS(`form[action="checkout/opaywallet"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="checkout/opaywallet"] button`)),
		chromedp.WaitVisible(chromedp.ID("open-app")),
	)
	dashRun(t, ctx, qrLoaded)
	payScreenshot(t, ctx, "pay-wait-opaywallet", true)
	dashDo(t, ctx,
		chromedp.Click(chromedp.ID("open-app")),
		chromedp.WaitVisible(chromedp.ID("approve")),
	)
	payScreenshot(t, ctx, "pay-simulator", true)
	dashDo(t, ctx, chromedp.Click(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.CSS(".result-success")))
	if st := e.statusIn(t, orderNo, "NG"); st.Status != "SUCCESS" {
		t.Errorf("status %+v", st)
	}
}

// USSD: choose the bank, read the code to dial, and decline it on the simulator with 51.
func TestPayBrowserUSSD(t *testing.T) {
	ctx := payChrome(t)
	e := newTestServer(t)
	token, orderNo := e.cashierOrder(t, e.A, "browser-ussd", 480000, ngOrder)
	dashDo(t, ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.srv.URL+"/checkout?orderToken="+token),
		chromedp.WaitVisible(chromedp.ID("ussd-bank")),
		chromedp.SetValue(chromedp.ID("ussd-bank"), "058"),
		chromedp.Click(chromedp.CSS(`form[action="checkout/ussd"] button`)),
		chromedp.WaitVisible(chromedp.ID("ussd-code")),
	)
	if code := browserText(t, ctx, "#ussd-code"); code != "*737*000*"+orderNo[len(orderNo)-4:]+"#" {
		t.Errorf("USSD code %q", code)
	}
	payScreenshot(t, ctx, "pay-wait-ussd", true)
	dashDo(t, ctx,
		chromedp.Click(chromedp.ID("simulate")),
		chromedp.WaitVisible(chromedp.ID("decline-code")),
		chromedp.SetValue(chromedp.ID("decline-code"), "51"),
		chromedp.Click(chromedp.ID("decline")),
		chromedp.WaitVisible(chromedp.CSS(".result-failed")),
	)
	if reason := browserText(t, ctx, ".reason"); !strings.Contains(reason, "Insufficient funds") {
		t.Errorf("reason %q", reason)
	}
	if st := e.statusIn(t, orderNo, "NG"); st.Status != "FAIL" || st.FailureCode != "51" {
		t.Errorf("status %+v", st)
	}
}

// Vodafone Cash and Shahry hand the customer to the wallet's or lender's page — the
// simulator — at once; Vodafone Cash is approved there and returns to the merchant, Shahry's
// customer lets it expire.
func TestPayBrowserHandedOff(t *testing.T) {
	for _, tc := range []struct{ slug, title string }{{"vodafonecash", "Vodafone Cash"}, {"shahry", "Shahry installments"}} {
		t.Run(tc.slug, func(t *testing.T) {
			ctx := payChrome(t)
			e := newTestServer(t)
			site := merchantSite(t)
			token, orderNo := e.cashierOrder(t, e.A, "browser-"+tc.slug, 129900, func(b map[string]any) {
				b["returnUrl"], b["cancelUrl"] = site.URL+"/return", site.URL+"/cancelled"
			})
			dashDo(t, ctx,
				chromedp.EmulateViewport(390, 844),
				chromedp.Navigate(e.srv.URL+"/checkout?orderToken="+token),
				chromedp.WaitVisible(chromedp.ID(tc.slug+"-mobile")),
				chromedp.SendKeys(chromedp.ID(tc.slug+"-mobile"), "01112345678\r"),
				chromedp.WaitVisible(chromedp.ID("approve")),
			)
			if h := browserText(t, ctx, "h1"); h != tc.title {
				t.Errorf("simulator for %q", h)
			}
			// The checkout's waiting step, as the customer finds it when they come back.
			dashDo(t, ctx,
				chromedp.Navigate(e.srv.URL+"/checkout?orderToken="+token),
				chromedp.WaitVisible(chromedp.ID("open-app")),
			)
			payScreenshot(t, ctx, "pay-wait-"+tc.slug, true)
			dashDo(t, ctx, chromedp.Click(chromedp.ID("open-app")), chromedp.WaitVisible(chromedp.ID("approve")))
			want, status, landing := "#approve", "SUCCESS", "/return"
			if tc.slug == "shahry" {
				want, status, landing = "#expire", "CLOSE", "/cancelled"
			}
			dashDo(t, ctx,
				chromedp.Click(chromedp.CSS(want)),
				chromedp.WaitVisible(chromedp.ID("back")),
				chromedp.Click(chromedp.ID("back")),
				chromedp.WaitVisible(chromedp.ID("shop")),
			)
			if loc := dashRun(t, ctx, chromedp.Location()); loc != site.URL+landing {
				t.Errorf("landed on %q, want %s", loc, landing)
			}
			if st := e.orderStatus(t, e.A, orderNo); st.Status != status {
				t.Errorf("status %+v", st)
			}
		})
	}
}

// A reference code: the customer asks for one with a mobile number, reads it on the waiting
// page (the code the order holds, also texted to that number), and pays it at a kiosk — the
// simulator stands in for the kiosk — which the page, re-reading itself, shows.
func TestPayBrowserReferenceCode(t *testing.T) {
	ctx := payChrome(t)
	e := newTestServer(t)
	token, orderNo := e.cashierOrder(t, e.A, "browser-reference", 2500, nil)
	e.typeAndShow(t, ctx, token, orderNo, "reference-mobile", "+20 106 666 8888", "reference-code", opaygate.DataReferenceCode)
	payScreenshot(t, ctx, "pay-wait-referencecode", true)
	c := e.customer()
	c.post(t, "/simulate/approve", form(token)).redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token)
	dashDo(t, ctx, chromedp.WaitVisible(chromedp.CSS(".result-success")))
	if st := e.orderStatus(t, e.A, orderNo); st.Status != "SUCCESS" {
		t.Errorf("status %+v", st)
	}
}

// A bank transfer: the mobile number, the account opened for the order on the waiting page,
// and the transfer made from the simulator (the customer's banking app) on the same page's
// link: the result follows.
func TestPayBrowserBankTransfer(t *testing.T) {
	ctx := payChrome(t)
	e := newTestServer(t)
	token, orderNo := e.cashierOrder(t, e.A, "browser-transfer", 750000, ngOrder)
	e.typeAndShow(t, ctx, token, orderNo, "transfer-mobile", "+234 803 123 4567", "transfer-account", opaygate.DataTransferAccount)
	if bank := browserText(t, ctx, "#transfer-bank"); bank != "OPay Sandbox Bank" {
		t.Errorf("bank %q", bank)
	}
	payScreenshot(t, ctx, "pay-wait-banktransfer", true)
	dashDo(t, ctx,
		chromedp.Click(chromedp.ID("simulate")),
		chromedp.WaitVisible(chromedp.ID("approve")),
		chromedp.Click(chromedp.ID("approve")),
		chromedp.WaitVisible(chromedp.CSS(".result-success")),
	)
	if st := e.statusIn(t, orderNo, "NG"); st.Status != "SUCCESS" {
		t.Errorf("status %+v", st)
	}
}

// typeAndShow opens the checkout on a phone, types value into a method's one field and submits
// it, then checks that the waiting page's element shown carries the 10-digit number the order
// holds under key (a reference code, an account): the one drawn for it, not another.
func (e *env) typeAndShow(t *testing.T, ctx context.Context, token, orderNo, field, value, shown, key string) {
	t.Helper()
	dashDo(t, ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.srv.URL+"/checkout?orderToken="+token),
		chromedp.WaitVisible(chromedp.ID(field)),
		chromedp.SendKeys(chromedp.ID(field), value+"\r"),
		chromedp.WaitVisible(chromedp.ID(shown)),
	)
	o, err := e.svc.Orders.FindOrderByNo(context.Background(), orderNo)
	if err != nil {
		t.Fatal(err)
	}
	held := o.MethodData[key]
	if got := browserText(t, ctx, "#"+shown); len(held) != 10 || got != held {
		t.Errorf("the waiting page shows %q, the order holds %q", got, held)
	}
}
