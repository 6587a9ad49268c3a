package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The hosted steps of the methods paid with the API's steps, in a real browser (harness:
// pay_browser_test.go): an NG card's PIN and OTP, BankAccount's OTP and BankInstallment's plan
// and 3-D Secure. Each step's screenshot is docs/img/pay-<step>.png.

// fillCard types a card with a valid expiry and CVV into the card section and sends it.
func fillCard(number string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(chromedp.ID("card-number")),
		chromedp.SendKeys(chromedp.ID("card-number"), number),
		chromedp.SendKeys(chromedp.ID("card-expiry"), "12/39"),
		chromedp.SendKeys(chromedp.ID("card-cvv"), "123"),
		chromedp.Click(chromedp.CSS(`form[action="checkout/card"] button`)),
	}
}

// enterOTP types the OTP the sandbox sent for orderNo, after checking that the page shows it.
func (e *env) enterOTP(t *testing.T, ctx context.Context, orderNo string) {
	t.Helper()
	dashDo(t, ctx, chromedp.WaitVisible(chromedp.ID("otp")))
	otp := e.sandboxOTP(t, orderNo)
	if hint := browserText(t, ctx, "#otp-sandbox"); !strings.Contains(hint, otp) {
		t.Fatalf("the sandbox hint %q does not show the OTP %s", hint, otp)
	}
	dashDo(t, ctx,
		chromedp.SendKeys(chromedp.ID("otp"), otp),
		chromedp.Click(chromedp.CSS(`form[action="checkout/otp"] button`)),
	)
}

// paidAndBack checks the result page and its link back to the merchant's site.
func (e *env) paidAndBack(t *testing.T, ctx context.Context, site, orderNo, country string) {
	t.Helper()
	dashDo(t, ctx, chromedp.WaitVisible(chromedp.ID("back")))
	if h := browserText(t, ctx, "h1"); h != "Payment successful" {
		t.Fatalf("result %q", h)
	}
	dashDo(t, ctx, chromedp.Click(chromedp.ID("back")), chromedp.WaitVisible(chromedp.ID("shop")))
	if loc := dashRun(t, ctx, chromedp.Location()); loc != site+"/return" {
		t.Fatalf("landed on %q, want returnUrl", loc)
	}
	if st := e.statusIn(t, orderNo, country); st.Status != "SUCCESS" {
		t.Errorf("status %+v", st)
	}
}

// An NG card whose issuer asks for the PIN and an OTP: the card, one wrong PIN, the right
// one, the OTP, and back to the merchant.
func TestPayBrowserNGCard(t *testing.T) {
	ctx := payChrome(t)
	e := newTestServer(t)
	site := merchantSite(t)
	token, orderNo := e.cashierOrder(t, e.A, "browser-ngcard", 1250000, func(b map[string]any) {
		ngOrder(b)
		b["returnUrl"] = site.URL + "/return"
		b["product"] = map[string]any{"name": "Solar lamp", "description": "Two, with batteries"}
	})
	dashDo(t, ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.srv.URL+"/checkout?orderToken="+token),
	)
	dashDo(t, ctx, fillCard("5060 9900 0001 0106")...)
	dashDo(t, ctx,
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.SendKeys(chromedp.ID("pin"), "4321\r"),
		chromedp.WaitVisible(chromedp.CSS(`[role="alert"]`)),
	)
	if msg := browserText(t, ctx, `[role="alert"]`); msg != "That PIN is not right. 2 attempts left." {
		t.Errorf("after a wrong PIN the page says %q", msg)
	}
	payScreenshot(t, ctx, "pay-pin", true)
	dashDo(t, ctx, chromedp.SendKeys(chromedp.ID("pin"), "1234\r"))
	e.enterOTP(t, ctx, orderNo)
	e.paidAndBack(t, ctx, site.URL, orderNo, "NG")
}

// A bank account: the bank, the account, the BVN, the birth date (the browser's date field)
// and the mobile; the OTP the bank texted; back to the merchant.
func TestPayBrowserBankAccount(t *testing.T) {
	ctx := payChrome(t)
	e := newTestServer(t)
	site := merchantSite(t)
	token, orderNo := e.cashierOrder(t, e.A, "browser-account", 2_500_000, func(b map[string]any) {
		ngOrder(b)
		b["returnUrl"] = site.URL + "/return"
		b["payMethod"] = "BankAccount"
		b["product"] = map[string]any{"name": "School fees", "description": "Second term"}
	})
	dashDo(t, ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.srv.URL+"/checkout?orderToken="+token),
		chromedp.WaitVisible(chromedp.ID("bankaccount-bank")),
		chromedp.SetValue(chromedp.ID("bankaccount-bank"), "058"),
		chromedp.SendKeys(chromedp.ID("bankaccount-number"), "0123456789"),
		chromedp.SendKeys(chromedp.ID("bankaccount-bvn"), "12345678901"),
		chromedp.SetValue(chromedp.ID("bankaccount-dob"), "1990-02-14"),
		chromedp.SendKeys(chromedp.ID("bankaccount-mobile"), "+234 803 123 4567"),
	)
	payScreenshot(t, ctx, "pay-bankaccount", true)
	dashDo(t, ctx, chromedp.Click(chromedp.CSS(`form[action="checkout/bankaccount"] button`)))
	dashDo(t, ctx, chromedp.WaitVisible(chromedp.ID("otp")))
	if sent := browserText(t, ctx, "#otp-hint"); sent != "Your bank sent a code by SMS to +2••••••••4567." {
		t.Errorf("the OTP page says %q", sent)
	}
	e.enterOTP(t, ctx, orderNo)
	e.paidAndBack(t, ctx, site.URL, orderNo, "NG")
}

// Bank installments: a plan of NBE, the card, the 3-D Secure page, and back to the merchant.
func TestPayBrowserBankInstallment(t *testing.T) {
	ctx := payChrome(t)
	e := newTestServer(t)
	site := merchantSite(t)
	token, orderNo := e.cashierOrder(t, e.A, "browser-installment", 1_200_000, func(b map[string]any) {
		b["returnUrl"] = site.URL + "/return"
		b["payMethod"] = "BankInstallment"
		b["product"] = map[string]any{"name": "Washing machine", "description": "8 kg, front loader"}
	})
	dashDo(t, ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.srv.URL+"/checkout?orderToken="+token),
		chromedp.WaitVisible(chromedp.CSS(`input[name="plan"][value="NBE:18"]`)),
		chromedp.Click(chromedp.CSS(`input[name="plan"][value="NBE:18"]`)),
		chromedp.SendKeys(chromedp.ID("installment-card-number"), "4111 1111 1111 1111"),
		chromedp.SendKeys(chromedp.ID("installment-card-expiry"), "12/39"),
		chromedp.SendKeys(chromedp.ID("installment-card-cvv"), "123"),
	)
	payScreenshot(t, ctx, "pay-bankinstallment", true)
	dashDo(t, ctx,
		chromedp.Click(chromedp.CSS(`form[action="checkout/bankinstallment"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="3ds/confirm"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="3ds/confirm"] button`)),
	)
	e.paidAndBack(t, ctx, site.URL, orderNo, "EG")
}
