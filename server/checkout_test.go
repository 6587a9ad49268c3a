package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/server"
)

// payClient is a customer's browser without JavaScript: it posts forms and reads redirects
// itself, so tests see every 303.
type payClient struct {
	e *env
	c *http.Client
}

// payPage is one answer of a customer page.
type payPage struct {
	status   int
	header   http.Header
	body     string
	location string
}

func (e *env) customer() *payClient {
	return &payClient{e: e, c: &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get fetches a path of the gateway or an absolute URL.
func (p *payClient) get(t testing.TB, target string) payPage {
	t.Helper()
	if strings.HasPrefix(target, "/") {
		target = p.e.srv.URL + target
	}
	resp, err := p.c.Get(target)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	return readPayPage(t, resp)
}

// post sends a form as a browser does.
func (p *payClient) post(t testing.TB, path string, form url.Values) payPage {
	t.Helper()
	resp, err := p.c.PostForm(p.e.srv.URL+path, form)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return readPayPage(t, resp)
}

func readPayPage(t testing.TB, resp *http.Response) payPage {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return payPage{status: resp.StatusCode, header: resp.Header, body: string(b), location: resp.Header.Get("Location")}
}

// follow checks that a form was answered with 303 and fetches where it points.
func (p *payClient) follow(t testing.TB, pg payPage) payPage {
	t.Helper()
	if pg.status != http.StatusSeeOther || pg.location == "" {
		t.Fatalf("answer %d (Location %q), want a 303; body %.300s", pg.status, pg.location, pg.body)
	}
	return p.get(t, pg.location)
}

// html checks that a page is an HTML page with the customer pages' headers and status.
func (pg payPage) html(t testing.TB, status int) payPage {
	t.Helper()
	if pg.status != status {
		t.Fatalf("status %d, want %d; body %.400s", pg.status, status, pg.body)
	}
	for k, want := range map[string]string{
		"Content-Type":    "text/html; charset=utf-8",
		"Cache-Control":   "no-store",
		"X-Frame-Options": "DENY",
		"Referrer-Policy": "no-referrer",
	} {
		if got := pg.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if csp := pg.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if !strings.HasPrefix(pg.body, "<!doctype html>") {
		t.Errorf("not an HTML page: %.200s", pg.body)
	}
	return pg
}

// has checks that a page contains every string.
func (pg payPage) has(t testing.TB, subs ...string) payPage {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(pg.body, s) {
			t.Errorf("page lacks %q; body:\n%s", s, pg.body)
		}
	}
	return pg
}

// lacks checks that a page contains none of the strings.
func (pg payPage) lacks(t testing.TB, subs ...string) payPage {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(pg.body, s) {
			t.Errorf("page has %q", s)
		}
	}
	return pg
}

// redirectsTo checks a 303 and its target.
func (pg payPage) redirectsTo(t testing.TB, want string) {
	t.Helper()
	if pg.status != http.StatusSeeOther || pg.location != want {
		t.Fatalf("answer %d to %q, want 303 to %q; body %.300s", pg.status, pg.location, want, pg.body)
	}
}

// cashierOrder creates a cashier order of amount for m, changed by change, and returns its
// token and order number.
func (e *env) cashierOrder(t testing.TB, m *opaygate.Merchant, ref string, amount int64, change func(map[string]any)) (token, orderNo string) {
	t.Helper()
	currency, country := "EGP", "EG"
	body := map[string]any{
		"reference": ref, "country": country, "amount": map[string]any{"total": amount, "currency": currency},
		"returnUrl": "https://merchant.example/return?ref=" + ref, "callbackUrl": "https://merchant.example/cb",
		"product": map[string]any{"name": "Fridge", "description": "A cold one"},
	}
	if change != nil {
		change(body)
	}
	d := data[opay.CashierCreateData](t, must(t, e.call(t, m, pathCashierCreate, body), opay.CodeSuccess))
	u, err := url.Parse(d.CashierURL)
	if err != nil || u.Path != "/checkout" || u.Scheme+"://"+u.Host != e.srv.URL {
		t.Fatalf("cashierUrl %q", d.CashierURL)
	}
	return u.Query().Get("orderToken"), d.OrderNo
}

func (e *env) orderStatus(t testing.TB, m *opaygate.Merchant, orderNo string) opay.CashierStatusData {
	t.Helper()
	r := must(t, e.call(t, m, pathStatus, map[string]string{"orderNo": orderNo, "country": "EG"}), opay.CodeSuccess)
	return data[opay.CashierStatusData](t, r)
}

// callbackStatuses lists the outbox rows of an order: one per final move.
func (e *env) callbackStatuses(t testing.TB, orderNo string) []string {
	t.Helper()
	list, err := e.svc.Callbacks.ListCallbacks(context.Background(), opaygate.CallbackFilter{OrderNo: orderNo})
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, c := range list {
		statuses = append(statuses, string(c.Status))
	}
	return statuses
}

func form(token string, kv ...string) url.Values {
	f := url.Values{"orderToken": {token}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

func TestCheckoutPage(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	t.Run("Egypt", func(t *testing.T) {
		token, _ := e.cashierOrder(t, e.A, "page-eg", 60000, nil)
		pg := c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK)
		// 30:00, or a few seconds less when the machine is slow between the create and the page.
		if !regexp.MustCompile(`>(30:00|29:[0-5][0-9])<`).MatchString(pg.body) {
			t.Errorf("the page does not count down from 30:00: %.2000s", pg.body)
		}
		pg.has(t,
			"Merchant 100000000000001", "Fridge", "A cold one", "EGP 600.00", "page-eg",
			`role="timer"`, `action="checkout/card"`, `action="checkout/valu"`, `action="checkout/cancel"`,
			`value="`+token+`"`, "4111 1111 1111 1111", "Declined, code 51", `lang="en" dir="ltr"`,
			`<label for="card-number">`, `<label for="valu-account">`)
	})
	t.Run("NigeriaHasNoValU", func(t *testing.T) {
		token, _ := e.cashierOrder(t, e.A, "page-ng", 123456789, func(b map[string]any) {
			b["country"], b["amount"] = "NG", map[string]any{"total": 123456789, "currency": "NGN"}
		})
		c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).
			has(t, "₦1,234,567.89", `action="checkout/card"`).lacks(t, `action="checkout/valu"`)
	})
	t.Run("RestrictedToValU", func(t *testing.T) {
		token, _ := e.cashierOrder(t, e.A, "page-valu", 60000, func(b map[string]any) { b["payMethod"] = "VALU" })
		c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).
			has(t, `action="checkout/valu"`).lacks(t, `action="checkout/card"`)
		c.post(t, "/checkout/card", form(token, "cardNumber", "4111111111111111", "expiry", "12/40", "cvv", "123")).
			redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token+"&error=method")
	})
	t.Run("RestrictedToCard", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "page-card", 60000, func(b map[string]any) { b["payMethod"] = "BankCard" })
		if st := e.orderStatus(t, e.A, orderNo); st.Status != "INITIAL" {
			t.Fatalf("cashier order limited to cards: %+v", st)
		}
		c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).
			has(t, `action="checkout/card"`).lacks(t, `action="checkout/valu"`)
		c.post(t, "/checkout/valu", form(token, "account", "01012345678")).
			redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token+"&error=method")
	})
	t.Run("UnknownErrorKeyIgnored", func(t *testing.T) {
		token, _ := e.cashierOrder(t, e.A, "page-err", 60000, nil)
		c.get(t, "/checkout?orderToken="+token+"&error=%3Cscript%3E").html(t, http.StatusOK).
			lacks(t, `role="alert"`, "<script>")
	})
}

func TestCheckoutNotFound(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	for _, target := range []string{
		"/checkout?orderToken=0123456789abcdef0123456789abcdef", "/checkout?orderToken=nope", "/checkout",
		"/checkout?orderToken=%3Cscript%3E", "/3ds?orderToken=0123456789abcdef0123456789abcdef",
		"/pay?vid=0123456789abcdef0123456789abcdef", "/pay", "/static/pay/nothing.css",
	} {
		c.get(t, target).html(t, http.StatusNotFound).has(t, "not found").lacks(t, "<script>", `"code"`)
	}
	for _, path := range []string{"/checkout/otp", "/checkout/card", "/checkout/cancel", "/3ds/confirm", "/pay"} {
		c.post(t, path, url.Values{"orderToken": {"0123456789abcdef0123456789abcdef"},
			"vid": {"0123456789abcdef0123456789abcdef"}}).html(t, http.StatusNotFound)
	}
}

func TestCheckoutValU(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	token, orderNo := e.cashierOrder(t, e.A, "valu-page", 60000, nil)
	back := e.srv.URL + "/checkout?orderToken=" + token

	c.post(t, "/checkout/valu", form(token, "account", "0101234")).redirectsTo(t, back+"&error=account")
	c.get(t, "/checkout?orderToken="+token+"&error=account").html(t, http.StatusOK).
		has(t, `role="alert"`, "01 and 9 more digits")

	plans := c.follow(t, c.post(t, "/checkout/valu", form(token, "account", "010 1234 5678"))).html(t, http.StatusOK)
	plans.has(t, `action="checkout/plan"`, "6 months", "EGP 114.00 a month", "7 months", "EGP 99.00 a month",
		"24 months", "EGP 18.00", "01•••••5678")
	if n := strings.Count(plans.body, `name="months"`); n != 6 {
		t.Errorf("%d plans offered, want 6", n)
	}
	// A second click of "Continue with ValU" lands on the same step.
	c.post(t, "/checkout/valu", form(token, "account", "01012345678")).redirectsTo(t, back)

	c.post(t, "/checkout/plan", form(token, "months", "8")).redirectsTo(t, back+"&error=plan")
	c.post(t, "/checkout/plan", form(token, "months", "x")).redirectsTo(t, back+"&error=plan")
	otpPage := c.follow(t, c.post(t, "/checkout/plan", form(token, "months", "6"))).html(t, http.StatusOK)
	sent := e.sandboxOTP(t, orderNo)
	otpPage.has(t, `action="checkout/otp"`, `autocomplete="one-time-code"`, "Sandbox: the code sent is "+sent)

	wrong := "000000"
	if sent == wrong {
		wrong = "000001"
	}
	c.post(t, "/checkout/otp", form(token, "otp", "12")).redirectsTo(t, back+"&error=otp_format")
	c.follow(t, c.post(t, "/checkout/otp", form(token, "otp", wrong))).has(t, "That code is not right. 4 attempts left.")
	resent := c.follow(t, c.post(t, "/checkout/resend", form(token))).has(t, "A new code was sent.")
	if now := e.sandboxOTP(t, orderNo); now == sent || !strings.Contains(resent.body, now) {
		t.Errorf("resend: OTP %s then %s; page shows the new one: %v", sent, now, strings.Contains(resent.body, now))
	}

	result := c.follow(t, c.post(t, "/checkout/otp", form(token, "otp", e.sandboxOTP(t, orderNo)))).html(t, http.StatusOK)
	result.has(t, "Payment successful", "EGP 600.00", orderNo,
		`href="https://merchant.example/return?ref=valu-page"`).lacks(t, "<form")
	// The OTP sent twice (a double click) finds the order paid and shows the same result.
	c.follow(t, c.post(t, "/checkout/otp", form(token, "otp", "123456"))).has(t, "Payment successful")

	if st := e.orderStatus(t, e.A, orderNo); st.Status != "SUCCESS" {
		t.Errorf("status API: %+v", st)
	}
	if cbs := e.callbackStatuses(t, orderNo); len(cbs) != 1 || cbs[0] != "SUCCESS" {
		t.Errorf("callbacks %v", cbs)
	}

	t.Run("NoCredit", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "valu-page-51", 60000, nil)
		c.follow(t, c.post(t, "/checkout/valu", form(token, "account", "01000000051"))).
			has(t, "Payment failed", "Insufficient funds")
		if st := e.orderStatus(t, e.A, orderNo); st.Status != "FAIL" || st.FailureCode != "51" {
			t.Errorf("status %+v", st)
		}
	})
	t.Run("OTPAttemptsExceeded", func(t *testing.T) {
		token, _ := e.cashierOrder(t, e.A, "valu-page-otp", 60000, nil)
		c.post(t, "/checkout/valu", form(token, "account", "01012345678"))
		c.post(t, "/checkout/plan", form(token, "months", "12"))
		var last payPage
		for range opaygate.OTPMaxAttempts {
			last = c.follow(t, c.post(t, "/checkout/otp", form(token, "otp", "999999")))
		}
		last.has(t, "Payment failed", "Too many wrong codes").lacks(t, `action="checkout/otp"`)
	})
	t.Run("AmountTrigger", func(t *testing.T) {
		token, _ := e.cashierOrder(t, e.A, "valu-page-62", 62, nil)
		c.post(t, "/checkout/valu", form(token, "account", "01012345678"))
		c.post(t, "/checkout/plan", form(token, "months", "6"))
		c.follow(t, c.post(t, "/checkout/otp", form(token, "otp", "123456"))).has(t, "Payment failed", "Restricted card")
	})
}

func TestCheckoutCard(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	card := func(token, number, expiry, cvv string) url.Values {
		return form(token, "cardNumber", number, "expiry", expiry, "cvv", cvv, "cardHolderName", "Ada Obi")
	}
	t.Run("Validation", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "card-bad", 60000, nil)
		back := e.srv.URL + "/checkout?orderToken=" + token
		for _, tc := range []struct {
			name, number, expiry, cvv, key string
		}{
			{"Luhn", "4111 1111 1111 1112", "12/40", "123", "card_number"},
			{"Short", "4111", "12/40", "123", "card_number"},
			{"Letters", "4111-1111-1111-111a", "12/40", "123", "card_number"},
			{"MonthThirteen", "4111111111111111", "13/40", "123", "card_expiry"},
			{"FourDigitYear", "4111111111111111", "12/2040", "123", "card_expiry"},
			{"NoExpiry", "4111111111111111", "", "123", "card_expiry"},
			{"CVVShort", "4111111111111111", "12/40", "12", "card_cvv"},
			{"CVVLetters", "4111111111111111", "12/40", "12a", "card_cvv"},
		} {
			c.post(t, "/checkout/card", card(token, tc.number, tc.expiry, tc.cvv)).redirectsTo(t, back+"&error="+tc.key)
		}
		page := c.get(t, "/checkout?orderToken="+token+"&error=card_number").html(t, http.StatusOK)
		page.has(t, "Check the card number.", `action="checkout/card"`).lacks(t, "4111 1111 1111 1112")
		if st := e.orderStatus(t, e.A, orderNo); st.Status != "INITIAL" {
			t.Errorf("a refused card moved the order: %+v", st)
		}
	})
	t.Run("ThreeDSConfirm", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "card-ok", 60000, nil)
		threeDS := "/3ds?orderToken=" + token
		got := c.post(t, "/checkout/card", card(token, "4111 1111 1111 1111", "12 / 40", "123"))
		got.redirectsTo(t, e.srv.URL+threeDS)
		c.get(t, threeDS).html(t, http.StatusOK).has(t, "Confirm your payment", "EGP 600.00", "•••• 1111",
			"Merchant 100000000000001", `action="3ds/confirm"`, `action="3ds/cancel"`).lacks(t, "4111 1111 1111 1111")
		// The checkout page of an order at 3-D Secure sends the customer there.
		c.get(t, "/checkout?orderToken="+token).redirectsTo(t, e.srv.URL+threeDS)
		// A second click on Pay finds the order at 3-D Secure.
		c.post(t, "/checkout/card", card(token, "4111111111111111", "12/40", "123")).
			redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token)

		confirmed := c.post(t, "/3ds/confirm", form(token))
		confirmed.redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token)
		c.follow(t, confirmed).html(t, http.StatusOK).has(t, "Payment successful", "•••• 1111",
			`href="https://merchant.example/return?ref=card-ok"`)
		// Confirming again, or cancelling now, changes nothing.
		c.post(t, "/3ds/confirm", form(token)).redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token)
		c.post(t, "/3ds/cancel", form(token)).redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token)
		c.get(t, threeDS).redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token)
		if st := e.orderStatus(t, e.A, orderNo); st.Status != "SUCCESS" {
			t.Errorf("status %+v", st)
		}
		if cbs := e.callbackStatuses(t, orderNo); len(cbs) != 1 {
			t.Errorf("callbacks %v", cbs)
		}
	})
	t.Run("DeclinedTestCard", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "card-51", 60000, nil)
		c.follow(t, c.post(t, "/checkout/card", card(token, "4000 0000 0000 0051", "12/40", "123")))
		c.follow(t, c.post(t, "/3ds/confirm", form(token))).has(t, "Payment failed", "Insufficient funds", "•••• 0051")
		if st := e.orderStatus(t, e.A, orderNo); st.Status != "FAIL" || st.FailureCode != "51" {
			t.Errorf("status %+v", st)
		}
	})
	t.Run("ThreeDSCancel", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "card-3ds-cancel", 60000, nil)
		c.post(t, "/checkout/card", card(token, "4111111111111111", "12/40", "123"))
		c.follow(t, c.post(t, "/3ds/cancel", form(token))).has(t, "Payment failed", "3-D Secure cancelled by the cardholder")
		if st := e.orderStatus(t, e.A, orderNo); st.Status != "FAIL" || st.FailureCode != "05" {
			t.Errorf("status %+v", st)
		}
	})
	t.Run("ExpiredCard", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "card-expired", 60000, nil)
		got := c.post(t, "/checkout/card", card(token, "4111111111111111", "01/20", "123"))
		got.redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token)
		c.follow(t, got).has(t, "Payment failed", "Expired card")
		if st := e.orderStatus(t, e.A, orderNo); st.Status != "FAIL" || st.FailureCode != "54" {
			t.Errorf("status %+v", st)
		}
	})
}

// Double clicks and two tabs: every step is a conditional move, so whatever arrives twice
// pays once and everyone lands on the result.
func TestCheckoutDoubleSubmit(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	token, orderNo := e.cashierOrder(t, e.A, "double", 60000, nil)
	send := func(path string, f url.Values) {
		var wg sync.WaitGroup
		statuses := make([]int, 6)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := c.c.PostForm(e.srv.URL+path, f)
				if err != nil {
					return
				}
				resp.Body.Close()
				statuses[i] = resp.StatusCode
			}()
		}
		wg.Wait()
		for _, st := range statuses {
			if st != http.StatusSeeOther {
				t.Errorf("%s: statuses %v, want only 303", path, statuses)
				return
			}
		}
	}
	send("/checkout/card", form(token, "cardNumber", "4111111111111111", "expiry", "12/40", "cvv", "123"))
	send("/3ds/confirm", form(token))
	c.get(t, "/checkout?orderToken="+token).has(t, "Payment successful")
	if cbs := e.callbackStatuses(t, orderNo); len(cbs) != 1 || cbs[0] != "SUCCESS" {
		t.Errorf("callbacks %v: the order moved more than once", cbs)
	}
}

func TestCheckoutCancel(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	t.Run("ToCancelURL", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "cancel-1", 60000, func(b map[string]any) {
			b["cancelUrl"] = "https://merchant.example/cancelled"
		})
		c.post(t, "/checkout/cancel", form(token)).redirectsTo(t, "https://merchant.example/cancelled")
		st := e.orderStatus(t, e.A, orderNo)
		if st.Status != "CLOSE" || st.FailureCode != "ORDER_CANCELLED" {
			t.Errorf("status %+v", st)
		}
		c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).
			has(t, "Payment cancelled", `href="https://merchant.example/cancelled"`).lacks(t, "<form")
	})
	t.Run("WithoutCancelURL", func(t *testing.T) {
		token, _ := e.cashierOrder(t, e.A, "cancel-2", 60000, nil)
		c.follow(t, c.post(t, "/checkout/cancel", form(token))).has(t, "Payment cancelled",
			`href="https://merchant.example/return?ref=cancel-2"`)
	})
	t.Run("DuringValU", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "cancel-3", 60000, nil)
		c.post(t, "/checkout/valu", form(token, "account", "01012345678"))
		c.follow(t, c.post(t, "/checkout/cancel", form(token))).has(t, "Payment cancelled")
		if cbs := e.callbackStatuses(t, orderNo); len(cbs) != 1 || cbs[0] != "CLOSE" {
			t.Errorf("callbacks %v", cbs)
		}
	})
	t.Run("PaidOrderStaysPaid", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "cancel-4", 60000, func(b map[string]any) {
			b["cancelUrl"] = "https://merchant.example/cancelled"
		})
		c.post(t, "/checkout/card", form(token, "cardNumber", "4111111111111111", "expiry", "12/40", "cvv", "123"))
		c.post(t, "/3ds/confirm", form(token))
		c.post(t, "/checkout/cancel", form(token)).redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token)
		if st := e.orderStatus(t, e.A, orderNo); st.Status != "SUCCESS" {
			t.Errorf("status %+v", st)
		}
	})
}

// Orders that can no longer be paid show a page that says so, never a form.
func TestCheckoutFinalPages(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	t.Run("Expired", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "final-exp", 60000, func(b map[string]any) {
			b["expireAt"] = 1
			b["cancelUrl"] = "https://merchant.example/cancelled"
		})
		e.clock.Advance(61 * time.Second)
		c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).
			has(t, "This payment has expired", `href="https://merchant.example/cancelled"`).lacks(t, "<form", `role="timer"`)
		// A form sent from a page left open past the expiry lands on the same page.
		c.follow(t, c.post(t, "/checkout/valu", form(token, "account", "01012345678"))).has(t, "This payment has expired")
		if st := e.orderStatus(t, e.A, orderNo); st.Status != "CLOSE" || st.FailureCode != "ORDER_EXPIRED" {
			t.Errorf("status %+v", st)
		}
	})
	t.Run("ExpiredAtThreeDS", func(t *testing.T) {
		token, _ := e.cashierOrder(t, e.A, "final-exp-3ds", 60000, func(b map[string]any) { b["expireAt"] = 1 })
		c.post(t, "/checkout/card", form(token, "cardNumber", "4111111111111111", "expiry", "12/40", "cvv", "123"))
		e.clock.Advance(61 * time.Second)
		c.get(t, "/3ds?orderToken="+token).redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token)
		c.follow(t, c.post(t, "/3ds/confirm", form(token))).has(t, "This payment has expired")
	})
	t.Run("ClosedByMerchant", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "final-closed", 60000, nil)
		must(t, e.call(t, e.A, pathClose, map[string]string{"orderNo": orderNo, "country": "EG"}), opay.CodeSuccess)
		c.get(t, "/checkout?orderToken="+token).has(t, "This payment is closed").lacks(t, "<form")
	})
	t.Run("Failed", func(t *testing.T) {
		token, _ := e.cashierOrder(t, e.A, "final-fail", 13, nil)
		c.post(t, "/checkout/card", form(token, "cardNumber", "4111111111111111", "expiry", "12/40", "cvv", "123"))
		c.post(t, "/3ds/confirm", form(token))
		c.get(t, "/checkout?orderToken="+token).has(t, "Payment failed", "Invalid amount").lacks(t, "<form")
	})
}

// Everything a merchant or a customer typed is escaped wherever a page shows it.
func TestCheckoutEscaping(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	evil := newMerchant(t, e, func(m *opaygate.Merchant) { m.Name = `Evil <script>alert("m")</script>` })
	token, _ := e.cashierOrder(t, evil, "evil", 60000, func(b map[string]any) {
		b["reference"] = `ref<img/src=x>`
		b["product"] = map[string]any{"name": `<script>alert("p")</script>`, "description": `"><svg onload=alert(1)>`}
		b["userInfo"] = map[string]any{"userName": `<script>alert("u")</script>`}
	})
	for _, pg := range []payPage{
		c.get(t, "/checkout?orderToken="+token),
		c.follow(t, c.post(t, "/checkout/card", form(token, "cardNumber", "4111111111111111", "expiry", "12/40", "cvv", "123", "cardHolderName", `<script>alert("n")</script>`))),
		c.follow(t, c.post(t, "/3ds/confirm", form(token))),
	} {
		pg.html(t, http.StatusOK).lacks(t, "<script>alert", "<svg", "<img").
			has(t, "&lt;script&gt;alert(&#34;p&#34;)&lt;/script&gt;", "Evil &lt;script&gt;")
	}
}

// In live mode the pages show no sandbox hints.
func TestCheckoutLiveMode(t *testing.T) {
	e := newTestServer(t)
	live := e.liveServer(t)
	token, orderNo := e.cashierOrder(t, e.A, "live", 60000, nil)
	c := &payClient{e: live, c: e.customer().c}
	c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).lacks(t, "4111 1111 1111 1111", "Sandbox")
	c.post(t, "/checkout/valu", form(token, "account", "01012345678"))
	c.post(t, "/checkout/plan", form(token, "months", "6"))
	page := c.get(t, "/checkout?orderToken="+token).has(t, `action="checkout/otp"`)
	if otp := e.sandboxOTP(t, orderNo); strings.Contains(page.body, otp) {
		t.Error("live mode shows the OTP")
	}
}

func TestPayStatic(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	page := c.get(t, "/checkout?orderToken="+func() string { tok, _ := e.cashierOrder(t, e.A, "static", 100, nil); return tok }())
	for _, name := range []string{"pay.css", "pay.js"} {
		i := strings.Index(page.body, "static/pay/"+name+"?v=")
		if i < 0 {
			t.Fatalf("the page does not link %s", name)
		}
		link := page.body[i:]
		link = link[:strings.IndexByte(link, '"')]
		got := c.get(t, "/"+link)
		if got.status != http.StatusOK || !strings.Contains(got.header.Get("Cache-Control"), "immutable") ||
			!strings.Contains(got.header.Get("Content-Type"), map[string]string{"pay.css": "text/css", "pay.js": "javascript"}[name]) {
			t.Errorf("%s: %d %v", link, got.status, got.header)
		}
	}
	if got := c.get(t, "/static/pay/pay.css"); got.status != http.StatusOK || got.header.Get("Cache-Control") == "" ||
		strings.Contains(got.header.Get("Cache-Control"), "immutable") {
		t.Errorf("unversioned: %d %v", got.status, got.header)
	}
}

// jsonString is s as a JSON string, for log scans.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// liveServer serves e's services in live mode (no sandbox control, no hints), logging to the
// same buffer.
func (e *env) liveServer(t testing.TB) *env {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Config.Handler = server.New(server.Config{Mode: "live", PublicURL: "http://" + srv.Listener.Addr().String(),
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))},
		server.Services{Merchants: e.svc.Merchants, Products: e.svc.Products, Orders: e.svc.Orders,
			Invoices: e.svc.Invoices, Clock: e.clock}).Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	live := *e
	live.srv = srv
	return &live
}
