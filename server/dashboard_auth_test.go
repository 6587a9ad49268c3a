package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/server"
)

func TestDashboardLogin(t *testing.T) {
	e := newDashEnv(t)

	t.Run("RedirectsToLogin", func(t *testing.T) {
		p := e.browser(t).get(t, "/dashboard/invoices?status=Paid")
		if p.status != http.StatusSeeOther || p.location != "/dashboard/login?next=%2Fdashboard%2Finvoices%3Fstatus%3DPaid" {
			t.Fatalf("%d %q", p.status, p.location)
		}
	})
	t.Run("WrongPassword", func(t *testing.T) {
		for _, c := range []struct{ id, pw string }{{e.A.ID, "wrong password"}, {"999999999999999", dashPassword}, {e.A.ID, ""}} {
			p := e.browser(t).tryLogin(t, c.id, c.pw)
			if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Merchant id or password is wrong.") {
				t.Fatalf("%s/%q: %d\n%s", c.id, c.pw, p.status, p.body)
			}
		}
	})
	t.Run("CookieFlags", func(t *testing.T) {
		b := e.browser(t)
		p := b.tryLogin(t, e.A.ID, dashPassword)
		if p.status != http.StatusSeeOther || p.location != "/dashboard/orders" {
			t.Fatalf("%d %q", p.status, p.location)
		}
		c := sessionCookie(t, p.header, "opaygate_session")
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
			t.Fatalf("cookie %+v", c)
		}
		if len(c.Value) != 43 {
			t.Fatalf("session id %q is not 256 bits in base64url", c.Value)
		}
		if body := b.mustGet(t, "/dashboard/orders"); !strings.Contains(body, "Shop A") {
			t.Fatal("the orders page does not name the merchant")
		}
	})
	t.Run("NextKeptOnTheDashboard", func(t *testing.T) {
		for next, want := range map[string]string{
			"/dashboard/invoices?status=Paid": "/dashboard/invoices?status=Paid",
			"//evil.example/x":                "/dashboard/orders",
			"https://evil.example/dashboard":  "/dashboard/orders",
			"/\\evil.example":                 "/dashboard/orders",
			"/api/v1/x":                       "/dashboard/orders",
		} {
			b := e.browser(t)
			form := b.get(t, "/dashboard/login?next="+url.QueryEscape(next))
			p := b.postForm(t, "/dashboard/login", url.Values{"csrf": {dashHidden(form.body, "csrf")},
				"next": {dashHidden(form.body, "next")}, "merchant_id": {e.A.ID}, "password": {dashPassword}}, nil)
			if p.location != want {
				t.Errorf("next %q: redirected to %q, want %q", next, p.location, want)
			}
		}
	})
	t.Run("LoginFormWithoutItsCookie", func(t *testing.T) {
		b := e.browser(t)
		form := b.get(t, "/dashboard/login")
		other := e.browser(t) // has no login cookie
		p := other.postForm(t, "/dashboard/login", url.Values{"csrf": {dashHidden(form.body, "csrf")},
			"merchant_id": {e.A.ID}, "password": {dashPassword}}, nil)
		if p.status != http.StatusForbidden {
			t.Fatalf("login CSRF: %d", p.status)
		}
	})
	t.Run("DisabledMerchant", func(t *testing.T) {
		b := e.login(t, e.B)
		disabled := opaygate.MerchantDisabled
		if _, err := e.svc.Merchants.UpdateMerchant(context.Background(), e.B.ID, opaygate.MerchantUpdate{Status: &disabled}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			active := opaygate.MerchantActive
			e.svc.Merchants.UpdateMerchant(context.Background(), e.B.ID, opaygate.MerchantUpdate{Status: &active})
		}()
		if p := b.get(t, "/dashboard/orders"); p.status != http.StatusSeeOther || !strings.Contains(p.location, "ok=disabled") {
			t.Fatalf("session of a disabled merchant: %d %q", p.status, p.location)
		}
		if p := e.browser(t).tryLogin(t, e.B.ID, dashPassword); p.status != http.StatusForbidden {
			t.Fatalf("login of a disabled merchant: %d", p.status)
		}
	})
}

// Over https the cookies are Secure and carry the __Host- prefix.
func TestDashboardSecureCookies(t *testing.T) {
	e := newDashEnv(t, func(c *server.Config) { c.PublicURL = "https://pay.example" })
	s := e.srv.Config.Handler
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "https://pay.example/dashboard/login", nil))
	login := sessionCookie(t, rec.Header(), "__Host-opaygate_login")
	if !login.Secure || !login.HttpOnly {
		t.Fatalf("login cookie %+v", login)
	}
	form := url.Values{"csrf": {login.Value}, "merchant_id": {e.A.ID}, "password": {dashPassword}}
	req := httptest.NewRequest("POST", "https://pay.example/dashboard/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://pay.example")
	req.AddCookie(login)
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("login: %d\n%s", rec.Code, rec.Body)
	}
	c := sessionCookie(t, rec.Header(), "__Host-opaygate_session")
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Fatalf("session cookie %+v", c)
	}
}

func sessionCookie(t testing.TB, h http.Header, name string) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name && c.Value != "" {
			return c
		}
	}
	t.Fatalf("no cookie %s in %q", name, h.Values("Set-Cookie"))
	return nil
}

// Every form needs the session's CSRF token and must come from this site; a refused POST
// changes nothing.
func TestDashboardCSRF(t *testing.T) {
	e := newDashEnv(t)
	a := e.login(t, e.A)
	b := e.login(t, e.B)
	o := e.order(t, e.A, "csrf-1", 1000)
	path := "/dashboard/orders/" + o.OrderNo + "/close"
	for name, tc := range map[string]struct {
		form    url.Values
		headers map[string]string
	}{
		"MissingToken":          {url.Values{}, nil},
		"WrongToken":            {url.Values{"csrf": {strings.Repeat("0", 64)}}, nil},
		"AnotherSessionsToken":  {url.Values{"csrf": {b.csrf}}, nil},
		"CrossOrigin":           {url.Values{"csrf": {a.csrf}}, map[string]string{"Origin": "https://evil.example"}},
		"CrossSiteFetch":        {url.Values{"csrf": {a.csrf}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		"NullOrigin":            {url.Values{"csrf": {a.csrf}}, map[string]string{"Origin": "null"}},
		"NoOriginNorReferer":    {url.Values{"csrf": {a.csrf}}, map[string]string{"Origin": ""}},
		"CrossOriginReferer":    {url.Values{"csrf": {a.csrf}}, map[string]string{"Origin": "", "Referer": "https://evil.example/page"}},
		"LookalikeOriginPrefix": {url.Values{"csrf": {a.csrf}}, map[string]string{"Origin": e.srv.URL + ".evil.example"}},
	} {
		t.Run(name, func(t *testing.T) {
			p := a.postForm(t, path, tc.form, tc.headers)
			if p.status != http.StatusForbidden {
				t.Fatalf("%d %q", p.status, p.location)
			}
		})
	}
	if got, _ := e.svc.Orders.FindOrder(context.Background(), e.A.ID, opaygate.OrderKey{OrderNo: o.OrderNo}); got.Status != opaygate.StatusInitial {
		t.Fatalf("a refused form closed the order: %s", got.Status)
	}
	t.Run("SameOriginReferer", func(t *testing.T) {
		p := a.postForm(t, path, url.Values{"csrf": {a.csrf}}, map[string]string{"Origin": "", "Referer": e.srv.URL + "/dashboard/orders/" + o.OrderNo})
		if p.status != http.StatusSeeOther {
			t.Fatalf("%d\n%s", p.status, p.body)
		}
	})
	t.Run("LoginCrossOrigin", func(t *testing.T) {
		c := e.browser(t)
		form := c.get(t, "/dashboard/login")
		p := c.postForm(t, "/dashboard/login", url.Values{"csrf": {dashHidden(form.body, "csrf")}, "merchant_id": {e.A.ID},
			"password": {dashPassword}}, map[string]string{"Origin": "https://evil.example"})
		if p.status != http.StatusForbidden {
			t.Fatalf("%d", p.status)
		}
	})
}

func TestDashboardSessionExpiry(t *testing.T) {
	e := newDashEnv(t) // idle 30 minutes, absolute 8 hours
	t.Run("Idle", func(t *testing.T) {
		b := e.login(t, e.A)
		e.clock.Advance(29 * time.Minute)
		b.mustGet(t, "/dashboard/orders") // slides the idle expiry
		e.clock.Advance(29 * time.Minute)
		b.mustGet(t, "/dashboard/orders")
		e.clock.Advance(31 * time.Minute)
		p := b.get(t, "/dashboard/orders")
		if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/dashboard/login?") || !strings.Contains(p.location, "ok=expired") {
			t.Fatalf("after 31 idle minutes: %d %q", p.status, p.location)
		}
		if p := b.post(t, "/dashboard/logout", nil); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/dashboard/login") {
			t.Fatalf("POST with an ended session: %d %q", p.status, p.location)
		}
	})
	t.Run("Absolute", func(t *testing.T) {
		b := e.login(t, e.A)
		for range 18 { // more than 8 hours of activity, a request every 29 minutes
			e.clock.Advance(29 * time.Minute)
			if p := b.get(t, "/dashboard/orders"); p.status != http.StatusOK {
				break
			}
		}
		if p := b.get(t, "/dashboard/orders"); p.status != http.StatusSeeOther {
			t.Fatalf("more than 8 hours after login: %d", p.status)
		}
	})
}

func TestDashboardLogout(t *testing.T) {
	e := newDashEnv(t)
	b := e.login(t, e.A)
	u, _ := url.Parse(e.srv.URL)
	stolen := b.client.Jar.Cookies(u)
	p := b.post(t, "/dashboard/logout", nil)
	if p.status != http.StatusSeeOther || p.location != "/dashboard/login?ok=logout" {
		t.Fatalf("logout: %d %q", p.status, p.location)
	}
	if sc := strings.Join(p.header.Values("Set-Cookie"), "\n"); !strings.Contains(sc, "opaygate_session=; Path=/; Max-Age=0") {
		t.Fatalf("cookie not cleared: %s", sc)
	}
	if got := b.get(t, "/dashboard/orders"); got.status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", got.status)
	}
	// The session ended in the database too: the old cookie, replayed, opens nothing.
	replay := e.browser(t)
	replay.client.Jar.SetCookies(u, stolen)
	if got := replay.get(t, "/dashboard/orders"); got.status != http.StatusSeeOther || !strings.HasPrefix(got.location, "/dashboard/login") {
		t.Fatalf("replayed cookie after logout: %d %q", got.status, got.location)
	}
}

// One address guessing at one merchant id is stopped; the merchant id itself is never locked:
// attempts on it from elsewhere go on, the right password gets in (issue 15, item 3 — the
// old per-merchant limit refused even the right password once anyone had used it up).
func TestDashboardLoginRateLimit(t *testing.T) {
	e := newDashEnv(t, func(c *server.Config) {
		c.Dashboard.LoginPerMerchantIP = server.RateLimit{Burst: 3, Every: time.Minute}
		c.Dashboard.LoginPerMerchant = server.RateLimit{Burst: 5, Every: time.Hour}
		c.Dashboard.LoginPerIP = server.RateLimit{Burst: 8, Every: time.Minute}
		c.Dashboard.LoginSlowdown = 20 * time.Millisecond
	})
	b := e.browser(t)
	for i := range 3 {
		if p := b.tryLogin(t, e.A.ID, "wrong password"); p.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, p.status)
		}
	}
	t.Run("OneAddressThrottled", func(t *testing.T) {
		p := b.tryLogin(t, e.A.ID, dashPassword) // this address is throttled on A: even the right password waits
		if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
			t.Fatalf("4th attempt: %d %q", p.status, p.header.Get("Retry-After"))
		}
		if !strings.Contains(p.body, "Too many login attempts") {
			t.Fatalf("body:\n%s", p.body)
		}
		if p := e.browser(t).tryLogin(t, e.B.ID, dashPassword); p.status != http.StatusSeeOther {
			t.Fatalf("another merchant from the same IP: %d", p.status)
		}
	})
	t.Run("OwnerGetsInDuringAttack", func(t *testing.T) {
		// Twenty more addresses guess at A until each is throttled, spending A's own bucket
		// (5) many times over; the owner, from an address of its own, still gets in.
		for i := range 20 {
			attacker := e.browserFrom(t, fmt.Sprintf("127.0.0.%d", 10+i))
			for range 4 {
				attacker.tryLogin(t, e.A.ID, fmt.Sprintf("guess %d", i))
			}
			if p := attacker.tryLogin(t, e.A.ID, "another guess"); p.status != http.StatusTooManyRequests {
				t.Fatalf("attacker %d not throttled: %d", i, p.status)
			}
		}
		if p := e.browserFrom(t, "127.0.0.200").tryLogin(t, e.A.ID, dashPassword); p.status != http.StatusSeeOther {
			t.Fatalf("the owner's right password during the attack: %d\n%s", p.status, p.body)
		}
		if p := e.browserFrom(t, "127.0.0.201").tryLogin(t, e.A.ID, "yet another guess"); p.status != http.StatusUnauthorized {
			t.Fatalf("a wrong password from a fresh address during the attack: %d", p.status)
		}
		if !strings.Contains(e.logs.String(), "dashboard login slowed") {
			t.Fatal("attempts on the attacked merchant id were not slowed")
		}
	})
	t.Run("Refills", func(t *testing.T) {
		e.clock.Advance(61 * time.Second)
		if p := b.tryLogin(t, e.A.ID, dashPassword); p.status != http.StatusSeeOther {
			t.Fatalf("a minute later: %d", p.status)
		}
	})
	t.Run("PerIP", func(t *testing.T) {
		// 6 of the IP's 8 are used (plus a minute's refill of one); unknown ids use up the rest.
		var last int
		for i := range 6 {
			last = e.browser(t).tryLogin(t, "99999999999999"+string(rune('0'+i)), "x").status
		}
		if last != http.StatusTooManyRequests {
			t.Fatalf("after the IP's burst: %d", last)
		}
		if p := e.browser(t).tryLogin(t, e.B.ID, dashPassword); p.status != http.StatusTooManyRequests {
			t.Fatalf("a fresh merchant id from a limited IP: %d", p.status)
		}
	})
}
