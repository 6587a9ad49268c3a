package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/sqlstore"
)

// MustMain runs a sandbox gateway in-process on a free port.
func MustMain(tb testing.TB) (*Main, *syncBuffer, *syncBuffer) {
	tb.Helper()
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = filepath.Join(tb.TempDir(), "opaygate.db")
	cfg.SweepInterval = 20 * time.Millisecond
	var stdout, logs syncBuffer
	m := NewMain(cfg, &stdout, slog.New(slog.NewTextHandler(&logs, nil)))
	if err := m.Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := m.Close(); err != nil {
			tb.Error(err)
		}
	})
	return m, &stdout, &logs
}

func bannerKey(tb testing.TB, banner string) string {
	tb.Helper()
	k := regexp.MustCompile(`(?m)^\s+` + demoMerchant + `\s+(OPAYPUB\S+)`).FindStringSubmatch(banner)
	if k == nil {
		tb.Fatalf("no public key in the banner:\n%s", banner)
	}
	return k[1]
}

func sandboxPost(tb testing.TB, url, body string) {
	tb.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var env Envelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Code != "00000" {
		tb.Fatalf("POST %s: %v %+v", url, err, env)
	}
}

// Port 0 resolves to the real port in the URL, the banner shows it, and the
// sweeper closes an order that expired in sandbox time for good.
func TestRun_SweeperClosesExpiredOrders(t *testing.T) {
	m, stdout, logs := MustMain(t)
	if strings.HasSuffix(m.URL, ":0") || !strings.Contains(stdout.String(), "URL:       "+m.URL) {
		t.Fatalf("URL %s, banner:\n%s", m.URL, stdout.String())
	}
	p := &Proc{URL: m.URL}
	body := `{"reference":"expiring","country":"EG","amount":{"total":1000,"currency":"EGP"},` +
		`"returnUrl":"https://shop.example.com/r","product":{"name":"x"},"expireAt":1}`
	var o orderData
	if env := Call(t, m.URL, "/api/v1/international/cashier/create", demoMerchant, "Bearer "+bannerKey(t, stdout.String()),
		[]byte(body), &o); env.Code != "00000" {
		t.Fatalf("cashier/create: %s %s", env.Code, env.Message)
	}
	sandboxPost(t, m.URL+"/_sandbox/clock/advance", `{"minutes":2}`)

	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "closed expired orders") {
		if time.Now().After(deadline) {
			t.Fatalf("the sweeper logged nothing in 10s:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := orderStatus(t, p, o.OrderNo); got.Status != "CLOSE" {
		t.Fatalf("expired order is %s", got.Status)
	}
}

// The sandbox reset empties the database and seeds the demo data again.
func TestRun_SandboxReset(t *testing.T) {
	m, stdout, _ := MustMain(t)
	p := &Proc{URL: m.URL}
	publicKey := bannerKey(t, stdout.String())
	o := cashierCreate(t, p, publicKey, "before-reset", 1000)

	sandboxPost(t, m.URL+"/_sandbox/reset", `{}`)

	body, _ := json.Marshal(map[string]string{"orderNo": o.OrderNo, "country": "EG"})
	if env := Call(t, m.URL, "/api/v1/international/cashier/status", demoMerchant, authFor(body), body, nil); env.Code != "02006" {
		t.Fatalf("order after reset: %s %s, want 02006", env.Code, env.Message)
	}
	// The demo merchant is back with its documented private key, and its
	// catalog too.
	body, _ = json.Marshal(map[string]any{
		"country": "EG", "name": "after reset", "description": "d", "relationProduct": true,
		"dueTime":     time.Now().Add(24 * time.Hour).Unix(),
		"customer":    map[string]string{"customerName": "C", "customerMobile": "+201066668888", "customerEmail": "c@example.com"},
		"productList": []map[string]any{{"merchantProductNo": "1000000570", "quantity": 1}, {"merchantProductNo": "1000000571", "quantity": 2}},
	})
	var inv struct {
		Amount amount `json:"amount"`
	}
	if env := Call(t, m.URL, "/api/v1/international/invoice/createSingleInvoice", demoMerchant, authFor(body), body, &inv); env.Code != "00000" {
		t.Fatalf("invoice of demo products after reset: %s %s", env.Code, env.Message)
	}
	if inv.Amount.Total != 10000 {
		t.Errorf("demo invoice amount %d, want 10000 like the documentation's", inv.Amount.Total)
	}
}

// Every API request answered before shutdown is in the request log afterwards; with
// --request-log 0 none is.
func TestRun_RequestLog(t *testing.T) {
	for name, keep := range map[string]int{"Kept": 1000, "Off": 0} {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Addr, cfg.DB, cfg.RequestLog = "127.0.0.1:0", filepath.Join(t.TempDir(), "opaygate.db"), keep
			m := NewMain(cfg, &syncBuffer{}, slog.New(slog.DiscardHandler))
			if err := m.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				body, _ := json.Marshal(map[string]string{"reference": fmt.Sprint("logged-", i), "country": "EG"})
				Call(t, m.URL, "/api/v1/international/cashier/status", demoMerchant, authFor(body), body, nil)
			}
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			db, err := sqlstore.Open(context.Background(), cfg.DB)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			rs, err := sqlstore.NewRequestLogService(db).FindRequests(context.Background(), opaygate.RequestFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if want := min(keep, 3); len(rs) != want || (want > 0 && rs[0].Code != "02006") {
				t.Fatalf("logged %d requests, want %d", len(rs), want)
			}
		})
	}
}
