package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/gateway"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

func open(t *testing.T, cfg gateway.Config) *gateway.Gateway {
	t.Helper()
	if cfg.DB == "" {
		cfg.DB = filepath.Join(t.TempDir(), "opaygate.db")
	}
	g, err := gateway.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("new gateway: %v", err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func get(t *testing.T, h http.Handler, path string) int {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code
}

func TestSandbox(t *testing.T) {
	for _, dialect := range sqlstoretest.Backends {
		t.Run(string(dialect), func(t *testing.T) {
			url := sqlstoretest.URL(t, dialect)
			g := open(t, gateway.Config{DB: url})
			if len(g.Seeded) == 0 || g.Network == nil || g.SandboxClock == nil {
				t.Fatalf("sandbox gateway: seeded %d, network %v, clock %v", len(g.Seeded), g.Network, g.SandboxClock)
			}
			h := g.Handler(gateway.HandlerConfig{PublicURL: "http://127.0.0.1:1"})
			for _, path := range []string{"/healthz", "/_sandbox/clock"} {
				if code := get(t, h, path); code != http.StatusOK {
					t.Errorf("GET %s: %d", path, code)
				}
			}
			// Reset seeds again: the demo merchants come back.
			ctx := context.Background()
			if err := g.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := g.Services.Merchants.FindMerchant(ctx, g.Seeded[0].ID); err != nil {
				t.Fatalf("after reset: %v", err)
			}
			// Demo merchants start with cash to pay out, once, and again after a reset.
			if _, err := g.Services.Ledger.Credit(ctx, g.Seeded[0].ID, "NGN", 1, ""); err != nil {
				t.Fatal(err)
			}
			open(t, gateway.Config{DB: url}) // a restart, or a second node
			for _, m := range g.Seeded {
				list, err := g.Services.Ledger.Balances(ctx, m.ID)
				if err != nil || len(list) != 2 {
					t.Fatalf("balances of %s: %+v %v", m.ID, list, err)
				}
				for _, b := range list {
					want := int64(opaygate.SandboxOpeningCash)
					if m.ID == g.Seeded[0].ID && b.Currency == "NGN" {
						want++
					}
					if b.Cash != want || b.Unsettled != 0 {
						t.Errorf("%s %s: %+v, want cash %d", m.ID, b.Currency, b, want)
					}
				}
			}
		})
	}
}

func TestLive(t *testing.T) {
	g := open(t, gateway.Config{Live: true})
	if len(g.Seeded) != 0 || g.Network != nil {
		t.Fatalf("live gateway seeded %d merchants, network %v", len(g.Seeded), g.Network)
	}
	h := g.Handler(gateway.HandlerConfig{PublicURL: "http://127.0.0.1:1"})
	if code := get(t, h, "/_sandbox/clock"); code == http.StatusOK {
		t.Error("live gateway serves /_sandbox/")
	}
	// Nothing decides a live payment: the network's calls fail.
	ctx := context.Background()
	priv, pub := opaygate.NewKeyPair()
	m := &opaygate.Merchant{ID: "256612345678901", Name: "Live", PrivateKey: priv, PublicKey: pub,
		Countries: []string{"EG"}, Functions: opaygate.AllFunctions()}
	if err := g.Services.Merchants.CreateMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	o := &opaygate.Order{MerchantID: m.ID, Reference: "live-valu", Country: "EG", Amount: 1000,
		PayMethod: opaygate.PayMethodValU, ValUAccount: "01012345678", ProductName: "Tea"}
	if err := g.Services.Orders.CreatePayment(ctx, o, nil); err == nil || errors.As(err, new(*opaygate.Error)) {
		t.Fatalf("live ValU order without a network: %v", err)
	}
}

// TestAutoPay: --sandbox-autopay pays an order that has waited outside the API long enough,
// and leaves a younger one waiting.
func TestAutoPay(t *testing.T) {
	for _, dialect := range sqlstoretest.Backends {
		t.Run(string(dialect), func(t *testing.T) {
			g := open(t, gateway.Config{DB: sqlstoretest.URL(t, dialect)})
			ctx := context.Background()
			m := g.Seeded[0]
			create := func(ref string) *opaygate.Order {
				o := &opaygate.Order{MerchantID: m.ID, Reference: ref, Country: "EG", Amount: 1000,
					ProductName: "Tea", PayMethod: opaygate.PayMethodMWallet}
				if err := g.Services.Orders.CreatePayment(ctx, o, "01012345678"); err != nil {
					t.Fatal(err)
				}
				return o
			}
			old := create("autopay-old")
			g.SandboxClock.Advance(time.Minute)
			young := create("autopay-young")

			autoCtx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { g.AutoPay(autoCtx, time.Millisecond, 30*time.Second); close(done) }()
			deadline := time.Now().Add(10 * time.Second)
			for {
				o, err := g.Services.Orders.FindOrder(ctx, m.ID, opaygate.OrderKey{ID: old.ID})
				if err != nil {
					t.Fatal(err)
				}
				if o.Status == opaygate.StatusSuccess {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the old order is still %s", o.Status)
				}
				time.Sleep(5 * time.Millisecond)
			}
			stop()
			<-done
			if o, _ := g.Services.Orders.FindOrder(ctx, m.ID, opaygate.OrderKey{ID: young.ID}); o.Status != opaygate.StatusPending {
				t.Errorf("the young order is %s, want PENDING", o.Status)
			}
		})
	}
}

// TestReplayGuard checks the wiring on each backend: the handler refuses the second copy of a
// v2 request, and ForgetSignatures' step runs.
func TestReplayGuard(t *testing.T) {
	for _, dialect := range sqlstoretest.Backends {
		t.Run(string(dialect), func(t *testing.T) {
			g := open(t, gateway.Config{DB: sqlstoretest.URL(t, dialect)})
			h := g.Handler(gateway.HandlerConfig{PublicURL: "http://127.0.0.1:1"})
			m := g.Seeded[0]
			body := []byte(`{"reference":"none","country":"EG"}`)
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			codes := make([]string, 2)
			for i := range codes {
				req := httptest.NewRequest(http.MethodPost, "/api/v1/international/cashier/status", bytes.NewReader(body))
				req.Header.Set("MerchantId", m.ID)
				req.Header.Set("RequestTimestamp", ts)
				req.Header.Set("Authorization", "Bearer "+opay.SignTimestamped(ts, body, m.PrivateKey))
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				var env opay.Response
				if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
					t.Fatal(err)
				}
				codes[i] = env.Code
			}
			if codes[0] != opay.CodeNotFound || codes[1] != opay.CodeAuthFailed {
				t.Fatalf("codes %v, want 02006 then 02000", codes)
			}
			if _, err := g.Replay.ForgetExpired(context.Background(), gateway.ForgetBatch); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A commit that makes a callback due calls what OnCallback registered (serve
// registers its worker's Wake there).
func TestOnCallback(t *testing.T) {
	g := open(t, gateway.Config{})
	var calls atomic.Int64
	g.OnCallback(func() { calls.Add(1) })
	ctx := context.Background()
	m := g.Seeded[0]
	o := &opaygate.Order{MerchantID: m.ID, Reference: "wake-1", Country: "EG", Amount: 1000, ProductName: "Mug",
		CallbackURL: "https://merchant.example/callback"}
	if err := g.Services.Orders.CreateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d calls before any callback", n)
	}
	if _, err := g.Services.Orders.CloseOrder(ctx, m.ID, opaygate.OrderKey{OrderNo: o.OrderNo}); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d calls after a close", n)
	}
}
