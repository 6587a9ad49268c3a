package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/server"
	"github.com/opaygate/opaygate/simulator"
	"github.com/opaygate/opaygate/sqlstore"
)

// Gateway is a sandbox gateway running in this process on a loopback port,
// wired as `opaygate serve` wires one: the store, the simulated network, the
// HTTP server with a request deadline, and the expiry sweeper. Its request
// log is off: one line per request to a terminal would measure the terminal.
type Gateway struct {
	URL     string
	DB      *sqlstore.DB
	Backend sqlstore.Dialect
	// Merchant is the documentation's demo merchant, which the sandbox seeds.
	Merchant Merchant
	// Dir is the SQLite database's directory ("" on PostgreSQL).
	Dir string

	srv      *http.Server
	tempDir  string
	stop     context.CancelFunc
	sweeping sync.WaitGroup
}

// Merchant is who the benchmark's requests come from.
type Merchant struct {
	ID         string
	PrivateKey string
	PublicKey  string
}

// requestTimeout is serve's default deadline per request.
const requestTimeout = 5 * time.Second

// StartGateway starts a gateway on dbURL (a SQLite path or postgres://…),
// or on a new SQLite file in a temporary directory when dbURL is empty, and
// migrates and seeds it.
func StartGateway(ctx context.Context, dbURL string) (g *Gateway, err error) {
	g = &Gateway{}
	defer func() {
		if err != nil {
			g.Close()
		}
	}()
	if dbURL == "" {
		if g.tempDir, err = os.MkdirTemp("", "opaygate-bench-"); err != nil {
			return nil, err
		}
		dbURL = filepath.Join(g.tempDir, "opaygate.db")
	}
	if g.DB, err = sqlstore.Open(ctx, dbURL); err != nil {
		return nil, err
	}
	g.Backend = g.DB.Dialect()
	if g.Backend == sqlstore.SQLite {
		g.Dir = filepath.Dir(strings.TrimPrefix(dbURL, "sqlite:"))
	}
	if _, err := g.DB.Migrate(ctx); err != nil {
		return nil, err
	}
	network := simulator.New()
	clock := opaygate.SystemClock{}
	logger := slog.New(slog.DiscardHandler)
	svcs := sqlstore.NewServices(g.DB, sqlstore.Deps{
		Clock: clock, ValU: network, OTP: network, Acquirer: network,
		SandboxOTP: "123456", PlanTable: opaygate.DefaultPlanTable(), Logger: logger,
	})
	demo, err := simulator.Seed(ctx, svcs.Merchants, svcs.Products)
	if err != nil {
		return nil, err
	}
	m := demo[0]
	g.Merchant = Merchant{ID: m.ID, PrivateKey: m.PrivateKey, PublicKey: m.PublicKey}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	g.URL = "http://" + ln.Addr().String()
	srv := server.New(server.Config{Mode: "sandbox", PublicURL: g.URL, Logger: logger}, server.Services{
		Merchants: svcs.Merchants, Products: svcs.Products, Orders: svcs.Orders, Invoices: svcs.Invoices,
		Clock: clock, Health: g.DB.Ping,
	})
	h := srv.Handler()
	g.srv = newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	}))
	go g.srv.Serve(ln)

	sweepCtx, stop := context.WithCancel(context.Background())
	g.stop = stop
	g.sweeping.Add(1)
	go func() {
		defer g.sweeping.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-sweepCtx.Done():
				return
			case <-t.C:
				svcs.Orders.ExpireOrders(sweepCtx, 500)
			}
		}
	}()
	return g, nil
}

// newHTTPServer has serve's timeouts.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}

// Describe names the gateway's database for the report.
func (g *Gateway) Describe() string {
	if g.Backend == sqlstore.Postgres {
		return "in-process gateway on PostgreSQL"
	}
	return "in-process gateway on SQLite"
}

// Close stops the gateway and removes its temporary database.
func (g *Gateway) Close() error {
	var err error
	if g.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = g.srv.Shutdown(ctx)
	}
	if g.stop != nil {
		g.stop()
		g.sweeping.Wait()
	}
	if g.DB != nil {
		err = errors.Join(err, g.DB.Close())
	}
	if g.tempDir != "" && strings.Contains(g.tempDir, "opaygate-bench-") {
		err = errors.Join(err, os.RemoveAll(g.tempDir))
	}
	return err
}
