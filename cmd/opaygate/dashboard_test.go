package main

import (
	"context"
	"flag"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestConfig_Dashboard(t *testing.T) {
	cfg := DefaultConfig()
	if cfg.Dashboard.IdleTimeout != 30*time.Minute || cfg.Dashboard.SessionLifetime != 12*time.Hour {
		t.Fatalf("defaults %+v", cfg.Dashboard)
	}
	env := map[string]string{"OPAYGATE_DASHBOARD_IDLE_TIMEOUT": "10m"}
	if err := cfg.applyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.registerFlags(fs)
	if err := fs.Parse([]string{"--dashboard-session-lifetime", "2h"}); err != nil {
		t.Fatal(err)
	}
	if p := cfg.Dashboard.policy(); p.Idle != 10*time.Minute || p.Absolute != 2*time.Hour {
		t.Fatalf("policy %+v", p)
	}
	for name, d := range map[string]DashboardConfig{
		"ErrIdleTooShort":      {IdleTimeout: time.Second, SessionLifetime: time.Hour},
		"ErrLifetimeUnderIdle": {IdleTimeout: time.Hour, SessionLifetime: time.Minute},
	} {
		t.Run(name, func(t *testing.T) {
			c := DefaultConfig()
			c.Dashboard = d
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--dashboard-") {
				t.Fatalf("got %v", err)
			}
		})
	}
	c := DefaultConfig()
	if err := c.applyEnv(func(k string) string {
		return map[string]string{"OPAYGATE_DASHBOARD_SESSION_LIFETIME": "forever"}[k]
	}); err == nil {
		t.Fatal("a bad duration was accepted")
	}
}

// serve wires the dashboard: a password set with `merchant passwd` logs in.
func TestRun_Dashboard(t *testing.T) {
	m, stdout, _ := MustMain(t)
	if !strings.Contains(stdout.String(), m.URL+"/dashboard") {
		t.Fatalf("the banner does not show the dashboard:\n%s", stdout)
	}
	if code, out, errOut := RunCLI(t, nil, "a long secret\n", "merchant", "passwd", "--id", demoMerchant, "--db", m.Config.DB); code != 0 {
		t.Fatalf("passwd: %d %s%s", code, out, errOut)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(m.URL + "/dashboard/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("login page: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	token := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindSubmatch(body)
	if token == nil {
		t.Fatalf("no login token:\n%s", body)
	}
	form := url.Values{"csrf": {string(token[1])}, "merchant_id": {demoMerchant}, "password": {"a long secret"}}
	req, _ := http.NewRequestWithContext(context.Background(), "POST", m.URL+"/dashboard/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", m.URL)
	for _, c := range resp.Cookies() {
		req.AddCookie(c)
	}
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard/orders" {
		t.Fatalf("login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}
