package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
)

func TestSandboxExposed(t *testing.T) {
	tests := []struct {
		listen, public string
		exposed        bool
	}{
		{"127.0.0.1:8080", "", false},
		{"127.0.0.2:8080", "", false},
		{"[::1]:8080", "", false},
		{"127.0.0.1:8080", "http://localhost:8080", false},
		{"127.0.0.1:8080", "http://127.0.0.1:9000/", false},
		{"127.0.0.1:8080", "http://[::1]:8080", false},
		{"0.0.0.0:8080", "", true},
		{"[::]:8080", "", true},
		{"0.0.0.0:8080", "http://localhost:8080", true}, // listening on every interface
		{"192.168.1.5:8080", "", true},
		{"10.0.0.5:8080", "http://localhost:8080", true},
		{"127.0.0.1:8080", "https://sandbox.example.com", true}, // a proxy or tunnel in front
		{"127.0.0.1:8080", "https://abc123.ngrok.app", true},
	}
	for _, tt := range tests {
		addr, err := net.ResolveTCPAddr("tcp", tt.listen)
		if err != nil {
			t.Fatal(err)
		}
		if got := sandboxExposed(addr, tt.public); got != tt.exposed {
			t.Errorf("listen %s, public URL %q: exposed %v, want %v", tt.listen, tt.public, got, tt.exposed)
		}
	}
}

func TestSandboxTokenConfig(t *testing.T) {
	cfg := DefaultConfig()
	env := map[string]string{"OPAYGATE_SANDBOX_TOKEN": "team-sandbox-token-1"}
	if err := cfg.applyEnv(func(k string) string { return env[k] }); err != nil || cfg.SandboxToken != "team-sandbox-token-1" {
		t.Fatalf("from the environment: %q %v", cfg.SandboxToken, err)
	}
	for _, bad := range []string{"short", "sixteen chars ok"} {
		cfg.SandboxToken = bad
		err := cfg.Validate()
		if err == nil || strings.Contains(err.Error(), bad) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if len(newSandboxToken()) != 32 || newSandboxToken() == newSandboxToken() {
		t.Error("generated tokens are not 128 random bits")
	}
}

// startSandbox runs a sandbox in-process listening on addr with cfg changed by change.
func startSandbox(t *testing.T, addr string, change func(*Config)) (m *Main, banner, logs *syncBuffer) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Addr = addr
	cfg.DB = filepath.Join(t.TempDir(), "opaygate.db")
	if change != nil {
		change(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	banner, logs = &syncBuffer{}, &syncBuffer{}
	m = NewMain(cfg, banner, slog.New(slog.NewTextHandler(logs, nil)))
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, banner, logs
}

// loopbackURL is where a test reaches a gateway listening on every interface: only ever
// 127.0.0.1.
func loopbackURL(t *testing.T, m *Main) string {
	t.Helper()
	_, port, err := net.SplitHostPort(strings.TrimPrefix(m.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return "http://127.0.0.1:" + port
}

func sandboxGet(t *testing.T, url string, header map[string]string) (int, Envelope) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env Envelope
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &env)
	return resp.StatusCode, env
}

var bannerToken = regexp.MustCompile(`X-Sandbox-Token:\n  ([0-9a-f]{32})\n`)

// A sandbox listening on every interface generates a token, prints it in the banner (never in
// the log), and its control API refuses requests without it.
func TestRun_SandboxOnNetworkNeedsToken(t *testing.T) {
	m, banner, logs := startSandbox(t, "0.0.0.0:0", nil)
	tok := bannerToken.FindStringSubmatch(banner.String())
	if tok == nil {
		t.Fatalf("no token in the banner:\n%s", banner.String())
	}
	base := loopbackURL(t, m)
	if code, env := sandboxGet(t, base+"/_sandbox/clock", nil); code != http.StatusUnauthorized || env.Code != "02000" {
		t.Errorf("without the token: HTTP %d %+v", code, env)
	}
	if code, env := sandboxGet(t, base+"/_sandbox/clock", map[string]string{"Authorization": "Bearer " + tok[1]}); code != 200 || env.Code != "00000" {
		t.Errorf("with the token: HTTP %d %+v", code, env)
	}
	if strings.Contains(logs.String(), tok[1]) || !strings.Contains(logs.String(), "sandbox control API requires a token") {
		t.Errorf("log:\n%s", logs.String())
	}
}

// On loopback nothing changes: no token, no banner line about one. A token given by
// configuration is required there too, and never printed.
func TestRun_SandboxOnLoopback(t *testing.T) {
	m, banner, _ := startSandbox(t, "127.0.0.1:0", nil)
	if code, env := sandboxGet(t, m.URL+"/_sandbox/clock", nil); code != 200 || env.Code != "00000" {
		t.Errorf("loopback sandbox: HTTP %d %+v", code, env)
	}
	if strings.Contains(banner.String(), "token") {
		t.Errorf("banner:\n%s", banner.String())
	}

	const chosen = "team-sandbox-token-1"
	m, banner, logs := startSandbox(t, "127.0.0.1:0", func(c *Config) { c.SandboxToken = chosen })
	if code, _ := sandboxGet(t, m.URL+"/_sandbox/clock", nil); code != http.StatusUnauthorized {
		t.Errorf("configured token not required: HTTP %d", code)
	}
	if code, _ := sandboxGet(t, m.URL+"/_sandbox/clock", map[string]string{"X-Sandbox-Token": chosen}); code != 200 {
		t.Errorf("configured token refused: HTTP %d", code)
	}
	if strings.Contains(banner.String()+logs.String(), chosen) {
		t.Error("the configured token is printed")
	}
}

// A sandbox reachable from the network refuses internal callback targets other than those
// of --callback-allow-targets: at create time for a literal address, at delivery for a target
// that was not checked then (a merchant's webhook). The allow-listed receiver gets its
// callback.
func TestRun_SandboxOnNetworkCallbackTargets(t *testing.T) {
	rc := newCallbackReceiver(demoKey)
	allowed := FreeAddr(t)
	ln, err := net.Listen("tcp", allowed)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: rc}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	blocked := FreeAddr(t) // nothing listens: only the refusal's reason tells it was not tried

	m, banner, _ := startSandbox(t, "0.0.0.0:0", func(c *Config) { c.Callbacks.AllowTargets = allowed })
	base := loopbackURL(t, m)
	pub := bannerKey(t, banner.String())
	create := func(ref, callbackURL string) (Envelope, orderData) {
		body, _ := json.Marshal(map[string]any{"reference": ref, "country": "EG",
			"amount": map[string]any{"total": 1000, "currency": "EGP"}, "returnUrl": "https://shop.example.com/r",
			"callbackUrl": callbackURL, "product": map[string]string{"name": "x"}})
		var o orderData
		env := Call(t, base, "/api/v1/international/cashier/create", demoMerchant, "Bearer "+pub, body, &o)
		return env, o
	}
	if env, _ := create("blocked", "http://"+blocked+"/cb"); env.Code != "02001" {
		t.Errorf("callbackUrl off the allow-list: %+v", env)
	}
	env, o := create("allowed", "http://"+allowed+"/cb")
	if env.Code != "00000" {
		t.Fatalf("allow-listed callbackUrl: %+v", env)
	}
	closeOrder := func(orderNo string) {
		Signed(t, base, "/api/v1/international/payment/close", demoMerchant, demoKey,
			map[string]string{"orderNo": orderNo, "country": "EG"}, nil)
	}
	closeOrder(o.OrderNo)

	// The webhook is not checked when it is set; delivery refuses it.
	ctx := context.Background()
	hook := "http://" + blocked + "/hook"
	if _, err := m.gw.Services.Merchants.UpdateMerchant(ctx, demoMerchant, opaygate.MerchantUpdate{WebhookURL: &hook}); err != nil {
		t.Fatal(err)
	}
	env, viaWebhook := create("webhook", "")
	if env.Code != "00000" {
		t.Fatalf("order without callbackUrl: %+v", env)
	}
	closeOrder(viaWebhook.OrderNo)

	deadline := time.Now().Add(10 * time.Second)
	for {
		counts, _ := rc.snapshot()
		cb := m.gw.Services.Callbacks
		list, err := cb.ListCallbacks(ctx, opaygate.CallbackFilter{OrderNo: viaWebhook.OrderNo})
		if err != nil {
			t.Fatal(err)
		}
		if len(counts) == 1 && len(list) == 1 && len(list[0].History) > 0 {
			if e := list[0].History[0].Error; !strings.Contains(e, "loopback address, which callbacks may not reach") {
				t.Errorf("webhook delivery: %q", e)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10s: receiver %v, webhook callback %+v", counts, list)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
