package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/opaygate/opaygate/gateway"
	"github.com/opaygate/opaygate/sqlstore"
)

// Gateway is a sandbox gateway running in this process on a loopback port,
// built by package gateway as `opaygate serve` builds one: the store, the
// simulated network, the HTTP server with a request deadline, the expiry
// sweeper and, unless RequestLog is 0, the request log (package reqlog) with
// its writer. Its log line per request is off: one line per request to a
// terminal would measure the terminal.
type Gateway struct {
	URL     string
	DB      *sqlstore.DB
	Backend sqlstore.Dialect
	// Merchant is the documentation's demo merchant, which the sandbox seeds.
	Merchant Merchant
	// Dir is the SQLite database's directory ("" on PostgreSQL).
	Dir string

	gw         *gateway.Gateway
	requestLog int
	srv        *http.Server
	tempDir    string
	stop       context.CancelFunc
	sweeping   sync.WaitGroup
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
// migrates and seeds it. requestLog is serve's --request-log: the newest
// requests kept per merchant, 0 for no request log.
func StartGateway(ctx context.Context, dbURL string, requestLog int) (g *Gateway, err error) {
	g = &Gateway{requestLog: requestLog}
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
	if g.gw, err = gateway.New(ctx, gateway.Config{DB: dbURL, RequestLog: requestLog}); err != nil {
		return nil, err
	}
	g.DB, g.Backend = g.gw.DB, g.gw.DB.Dialect()
	if g.Backend == sqlstore.SQLite {
		g.Dir = filepath.Dir(strings.TrimPrefix(dbURL, "sqlite:"))
	}
	m := g.gw.Seeded[0]
	g.Merchant = Merchant{ID: m.ID, PrivateKey: m.PrivateKey, PublicKey: m.PublicKey}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	g.URL = "http://" + ln.Addr().String()
	g.srv = newHTTPServer(g.gw.Handler(gateway.HandlerConfig{PublicURL: g.URL, RequestTimeout: requestTimeout}))
	go g.srv.Serve(ln)

	// The sweeper, as serve runs it; callbacks are not delivered, so the
	// benchmark sends nothing beyond loopback.
	sweepCtx, stop := context.WithCancel(context.Background())
	g.stop = stop
	g.sweeping.Go(func() { g.gw.Sweep(sweepCtx, time.Second) })
	g.sweeping.Go(func() { g.gw.LogRequests(sweepCtx) })
	return g, nil
}

// RequestLog reports how many requests the request log stored, did not store because newer
// ones of their merchant superseded them (reqlog.Log.Superseded), and dropped (a full queue).
func (g *Gateway) RequestLog() (written, superseded, dropped int64) {
	if l := g.gw.RequestLog; l != nil {
		return l.Written(), l.Superseded(), l.Dropped()
	}
	return 0, 0, 0
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
	log := "request log off"
	if g.requestLog > 0 {
		log = fmt.Sprintf("request log on (%d per merchant)", g.requestLog)
	}
	if g.Backend == sqlstore.Postgres {
		return "in-process gateway on PostgreSQL, " + log
	}
	return "in-process gateway on SQLite, " + log
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
	if g.gw != nil {
		err = errors.Join(err, g.gw.Close())
	}
	if g.tempDir != "" && strings.Contains(g.tempDir, "opaygate-bench-") {
		err = errors.Join(err, os.RemoveAll(g.tempDir))
	}
	return err
}
