package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/gateway"
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
			g := open(t, gateway.Config{DB: sqlstoretest.URL(t, dialect)})
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
