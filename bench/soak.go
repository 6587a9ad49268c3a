package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/gateway"
	"github.com/opaygate/opaygate/notify"
)

// The soak: a sandbox gateway in this process, with its callback worker, its
// sweeper and its refund completer, under mixed traffic at a fixed rate for a
// long time, beside slow clients and a callback receiver that fails half the
// time. It answers what a benchmark does not: does memory stay flat, and does
// every callback that fell due reach the merchant in the end.

// SoakConfig says how long and how hard to soak.
type SoakConfig struct {
	DB          string        // "" : a new SQLite file in a temporary directory
	Duration    time.Duration // of the traffic
	Rate        int           // operations started per second (1–3 requests each)
	SlowClients int           // connections that trickle a body a byte a second
	Report      time.Duration // progress line interval
	// Drain bounds the wait, after the traffic, for the callbacks still
	// pending; the soak's retries are at most 2 s apart.
	Drain time.Duration
	// FailRate is the share of callback POSTs the receiver answers 500.
	FailRate float64
	// MaxRSSGrowth fails the soak when the resident memory at the end of the
	// traffic exceeds this factor times the memory a quarter of the way in
	// (after warm-up: caches and pools have grown by then).
	MaxRSSGrowth float64
	// MaxErrorRate fails the soak when more than this share of operations
	// failed.
	MaxErrorRate float64
	Out          io.Writer // progress and summary; nil: discard
}

// DefaultSoakConfig is a 10-minute soak at 100 operations a second.
func DefaultSoakConfig() SoakConfig {
	return SoakConfig{Duration: 10 * time.Minute, Rate: 100, SlowClients: 50, Report: 10 * time.Second,
		Drain: time.Minute, FailRate: 0.5, MaxRSSGrowth: 1.5, MaxErrorRate: 0.001}
}

// Validate reports a setting that cannot work.
func (c SoakConfig) Validate() error {
	switch {
	case c.Duration <= 0:
		return errors.New("the duration must be positive")
	case c.Rate < 1 || c.Rate > 5000:
		return fmt.Errorf("rate %d must be between 1 and 5000 operations a second", c.Rate)
	case c.SlowClients < 0 || c.SlowClients > 1000:
		return fmt.Errorf("slow clients %d must be between 0 and 1000", c.SlowClients)
	case c.Report <= 0 || c.Drain <= 0:
		return errors.New("the report interval and the drain bound must be positive")
	case c.FailRate < 0 || c.FailRate >= 1:
		return fmt.Errorf("the receiver's failure rate %g must be in [0, 1)", c.FailRate)
	case c.MaxRSSGrowth < 1:
		return fmt.Errorf("the RSS growth bound %g must be at least 1", c.MaxRSSGrowth)
	}
	return nil
}

// SoakSample is one progress line.
type SoakSample struct {
	At         time.Duration
	Requests   int64
	Errors     int64
	RSS        int64 // bytes (VmRSS)
	Heap       int64 // bytes of Go heap in use: what of RSS is Go's (SQLite's page cache is not)
	Goroutines int
	Due        int64 // callbacks the traffic made due so far
	Delivered  int64 // of those, acknowledged by the receiver
}

// SoakReport is what a soak measured.
type SoakReport struct {
	Config      SoakConfig
	Operations  int64
	Requests    int64
	Errors      map[string]int64 // by kind: "code 50003", "http 502", "transport", "overload"
	FirstError  string
	Samples     []SoakSample
	Due         int64 // callbacks the traffic made due
	Delivered   int64 // of those, acknowledged by the receiver
	Lost        int64 // due and never acknowledged, after the drain
	Duplicates  int64 // acknowledged more than once (at-least-once allows it)
	Unexpected  int64 // acknowledged without being expected (orders that expired, say)
	Refused     int64 // POSTs the receiver answered 500 on purpose
	BadBodies   int64 // POSTs whose signature or shape did not verify
	Dead        int   // callbacks the gateway gave up on
	Drained     time.Duration
	SlowOpened  int64 // slow connections opened
	SlowCut     int64 // of those, ended by the server
	RSSBase     int64 // a quarter of the way in
	RSSEnd      int64 // at the end of the traffic
	RSSMax      int64
	Fail        []string // why the soak failed; empty when it passed
	WriteCounts [2]int64 // SQLite group commits and the writes they carried
	// Ledger is what ledger verify found at the end: every payment and refund of the soak
	// against its entries, every balance against its entries.
	Ledger *opaygate.LedgerReport
}

// Soak runs a soak and returns its report; the error says why it failed
// (lost callbacks, memory growth, errors) or that it could not run.
func Soak(ctx context.Context, cfg SoakConfig) (*SoakReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	out := cfg.Out
	if out == nil {
		out = io.Discard
	}
	s, err := startSoak(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer s.close()
	fmt.Fprintf(out, "soak: %s for %s at %d operations/s, %d slow clients, receiver failing %.0f%%\n",
		s.describe, cfg.Duration, cfg.Rate, cfg.SlowClients, cfg.FailRate*100)

	rep := &SoakReport{Config: cfg, Errors: map[string]int64{}}
	start := time.Now()
	trafficCtx, stopTraffic := context.WithTimeout(ctx, cfg.Duration)
	defer stopTraffic()
	var wg sync.WaitGroup
	wg.Go(func() { s.traffic(trafficCtx) })
	for i := range cfg.SlowClients {
		wg.Go(func() { s.slowClient(trafficCtx, i) })
	}
	sample := func() SoakSample {
		due, delivered := s.rc.progress()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return SoakSample{At: time.Since(start).Round(time.Second), Requests: s.c.requests.Load(), Errors: s.errorCount(),
			RSS: s.rss.field("VmRSS:"), Heap: int64(ms.HeapInuse), Goroutines: runtime.NumGoroutine(),
			Due: due, Delivered: delivered}
	}
	tick := time.NewTicker(cfg.Report)
	var last SoakSample
	for trafficCtx.Err() == nil {
		select {
		case <-trafficCtx.Done():
		case <-tick.C:
			smp := sample()
			rep.Samples = append(rep.Samples, smp)
			fmt.Fprintln(out, formatSample(smp, last, cfg.Report))
			last = smp
		}
	}
	tick.Stop()
	wg.Wait()
	end := sample()
	rep.RSSEnd = end.RSS

	// The traffic is over; the callbacks it made due go on being retried.
	drainStart := time.Now()
	deadline := drainStart.Add(cfg.Drain)
	for {
		due, delivered := s.rc.progress()
		if delivered >= due || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	rep.Drained = time.Since(drainStart).Round(100 * time.Millisecond)
	final := sample()
	rep.Samples = append(rep.Samples, end)
	fmt.Fprintf(out, "traffic over; waited %s for pending callbacks\n", rep.Drained)
	fmt.Fprintln(out, formatSample(final, end, 0))

	rep.Operations, rep.Requests = s.ops.Load(), final.Requests
	s.mu.Lock()
	for k, v := range s.errors {
		rep.Errors[k] = v
	}
	rep.FirstError = s.firstErr
	s.mu.Unlock()
	rep.Due, rep.Delivered, rep.Lost, rep.Duplicates, rep.Unexpected, rep.Refused, rep.BadBodies = s.rc.totals()
	for _, k := range s.rc.lost(5) {
		state := "no callback row"
		if list, err := s.gw.Services.Callbacks.ListCallbacks(context.WithoutCancel(ctx),
			opaygate.CallbackFilter{OrderNo: fmt.Sprintf("%018d", k.orderNo)}); err == nil && len(list) > 0 {
			var parts []string
			for _, c := range list {
				parts = append(parts, fmt.Sprintf("%s refunded=%v %s after %d attempts, next %s",
					c.Status, c.Refunded, c.State, c.Attempts, c.NextAttemptAt.Format(time.RFC3339)))
			}
			state = strings.Join(parts, "; ")
		}
		fmt.Fprintf(out, "lost %s: %s\n", k, state)
	}
	rep.SlowOpened, rep.SlowCut = s.slowOpened.Load(), s.slowCut.Load()
	if dead, err := s.gw.Services.Callbacks.ListCallbacks(context.WithoutCancel(ctx),
		opaygate.CallbackFilter{State: opaygate.CallbackDead, Limit: 500}); err == nil {
		rep.Dead = len(dead)
	}
	rep.WriteCounts[0], rep.WriteCounts[1] = s.gw.DB.WriteStats()
	if rep.Ledger, err = s.gw.Services.Ledger.Verify(context.WithoutCancel(ctx)); err != nil {
		return rep, fmt.Errorf("ledger verify: %w", err)
	}
	rep.judge()
	if ctx.Err() != nil {
		// Cut short: the drain did not run, so "lost" means nothing yet.
		rep.Fail = append([]string{"interrupted"}, rep.Fail...)
	}
	rep.WriteSummary(out)
	if len(rep.Fail) > 0 {
		return rep, errors.New(strings.Join(rep.Fail, "; "))
	}
	return rep, nil
}

// judge decides whether the soak passed.
func (r *SoakReport) judge() {
	for _, smp := range r.Samples {
		r.RSSMax = max(r.RSSMax, smp.RSS)
		if r.RSSBase == 0 && smp.At >= r.Config.Duration/4 {
			r.RSSBase = smp.RSS
		}
	}
	if r.RSSBase == 0 && len(r.Samples) > 0 {
		r.RSSBase = r.Samples[0].RSS
	}
	if r.Lost > 0 {
		r.Fail = append(r.Fail, fmt.Sprintf("%d of %d callbacks due were never acknowledged", r.Lost, r.Due))
	}
	if r.BadBodies > 0 {
		r.Fail = append(r.Fail, fmt.Sprintf("%d callbacks did not verify", r.BadBodies))
	}
	if r.RSSBase > 0 && float64(r.RSSEnd) > r.Config.MaxRSSGrowth*float64(r.RSSBase) {
		r.Fail = append(r.Fail, fmt.Sprintf("resident memory grew from %s to %s (more than ×%.2f)",
			mib1(r.RSSBase), mib1(r.RSSEnd), r.Config.MaxRSSGrowth))
	}
	if r.Ledger != nil && len(r.Ledger.Differences) > 0 {
		d := r.Ledger.Differences[0]
		r.Fail = append(r.Fail, fmt.Sprintf("ledger verify found %d differences, the first: %s %s %s: %s",
			len(r.Ledger.Differences), d.MerchantID, d.Currency, d.Account, d.Problem))
	}
	var failed int64
	for _, n := range r.Errors {
		failed += n
	}
	if r.Operations > 0 && float64(failed) > r.Config.MaxErrorRate*float64(r.Operations) {
		r.Fail = append(r.Fail, fmt.Sprintf("%d of %d operations failed", failed, r.Operations))
	}
}

// WriteSummary prints the report's totals.
func (r *SoakReport) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "operations %d, requests %d, errors %s\n", r.Operations, r.Requests, formatErrors(r.Errors))
	if r.FirstError != "" {
		fmt.Fprintf(w, "first error: %s\n", r.FirstError)
	}
	fmt.Fprintf(w, "callbacks: %d due, %d delivered, %d lost, %d dead, %d duplicates, %d unexpected; receiver refused %d POSTs on purpose\n",
		r.Due, r.Delivered, r.Lost, r.Dead, r.Duplicates, r.Unexpected, r.Refused)
	fmt.Fprintf(w, "slow clients: %d connections, %d ended by the server\n", r.SlowOpened, r.SlowCut)
	fmt.Fprintf(w, "RSS: %s a quarter of the way in, %s at the end of the traffic, %s at most\n",
		mib1(r.RSSBase), mib1(r.RSSEnd), mib1(r.RSSMax))
	if r.WriteCounts[0] > 0 {
		fmt.Fprintf(w, "SQLite: %d commits carried %d writes\n", r.WriteCounts[0], r.WriteCounts[1])
	}
	if r.Ledger != nil {
		fmt.Fprintf(w, "ledger verify: %d accounts, %d entries, %d payments, settlements and refunds checked, %d differences\n",
			r.Ledger.Accounts, r.Ledger.Entries, r.Ledger.Records, len(r.Ledger.Differences))
	}
	if len(r.Fail) == 0 {
		fmt.Fprintln(w, "PASS")
	} else {
		fmt.Fprintln(w, "FAIL: "+strings.Join(r.Fail, "; "))
	}
}

func formatSample(s, prev SoakSample, interval time.Duration) string {
	rate := ""
	if interval > 0 {
		rate = fmt.Sprintf(" (%4.0f/s)", float64(s.Requests-prev.Requests)/interval.Seconds())
	}
	return fmt.Sprintf("%6s  requests %8d%s  errors %4d  rss %8s  heap %8s  goroutines %5d  callbacks due %6d delivered %6d pending %5d",
		s.At, s.Requests, rate, s.Errors, mib1(s.RSS), mib1(s.Heap), s.Goroutines, s.Due, s.Delivered, s.Due-s.Delivered)
}

func formatErrors(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	var kinds []string
	for k := range m {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// soak is a running soak's gateway, receiver and clients.
type soak struct {
	cfg      SoakConfig
	describe string
	gw       *gateway.Gateway
	srv      *http.Server
	addr     string // the gateway's host:port
	rcSrv    *http.Server
	rc       *soakReceiver
	c        *client
	e        *env
	rss      *rss
	tempDir  string
	stopBG   context.CancelFunc
	bg       sync.WaitGroup

	soakCounters
}

// startSoak starts the gateway as serve does in the sandbox (worker woken on
// commit, sweeper, refund completer) and the receiver.
func startSoak(ctx context.Context, cfg SoakConfig) (s *soak, err error) {
	s = &soak{cfg: cfg, rss: newRSS(0)}
	s.errors = map[string]int64{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	dbURL := cfg.DB
	if dbURL == "" {
		if s.tempDir, err = os.MkdirTemp("", "opaygate-soak-"); err != nil {
			return nil, err
		}
		dbURL = filepath.Join(s.tempDir, "opaygate.db")
	}
	s.gw, err = gateway.New(ctx, gateway.Config{DB: dbURL, RefundDelay: time.Second})
	if err != nil {
		return nil, err
	}
	s.describe = "in-process sandbox gateway on " + string(s.gw.DB.Dialect())
	m := s.gw.Seeded[0]
	merchant := Merchant{ID: m.ID, PrivateKey: m.PrivateKey, PublicKey: m.PublicKey}

	s.rc = newSoakReceiver(merchant.PrivateKey, cfg.FailRate)
	rcLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.rcSrv = &http.Server{Handler: s.rc, ReadHeaderTimeout: 10 * time.Second}
	go s.rcSrv.Serve(rcLn)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.addr = ln.Addr().String()
	base := "http://" + s.addr
	s.srv = newHTTPServer(s.gw.Handler(gateway.HandlerConfig{PublicURL: base, RequestTimeout: requestTimeout}))
	go s.srv.Serve(ln)

	nc := notify.SandboxConfig()
	nc.Clock = s.gw.Clock
	// Retries a quarter of a second apart, doubling to at most 2 s: with a
	// receiver that fails half the POSTs, the sandbox's 30 s cap would leave
	// one callback in a thousand still pending after a few minutes' drain —
	// a test of patience, not of delivery. Nothing dies within the soak.
	nc.Schedule = opaygate.RetrySchedule{First: 250 * time.Millisecond, Max: 2 * time.Second, GiveUpAfter: 24 * time.Hour}
	w := notify.New(nc, s.gw.Services.Callbacks, s.gw.Services.Merchants)
	s.gw.OnCallback(w.Wake)
	bgCtx, stop := context.WithCancel(context.Background())
	s.stopBG = stop
	s.bg.Go(func() { w.Run(bgCtx) })
	s.bg.Go(func() { s.gw.Sweep(bgCtx, time.Second) })
	s.bg.Go(func() { s.gw.CompleteRefunds(bgCtx, nc.Interval) })

	s.c = newClient(base, merchant, 256)
	s.e = &env{c: s.c, gateway: base, callbackURL: "http://" + rcLn.Addr().String() + "/callback",
		runID: fmt.Sprintf("soak%d-", time.Now().UnixNano()%1_000_000)}
	return s, nil
}

func (s *soak) close() {
	if s.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.srv.Shutdown(ctx)
		cancel()
	}
	if s.stopBG != nil {
		s.stopBG()
		s.bg.Wait()
	}
	if s.rcSrv != nil {
		s.rcSrv.Close()
	}
	if s.c != nil {
		s.c.close()
	}
	if s.gw != nil {
		s.gw.Close()
	}
	if s.tempDir != "" && strings.Contains(s.tempDir, "opaygate-soak-") {
		os.RemoveAll(s.tempDir)
	}
}

// mib1 is mib to a tenth: a soak looks for slow growth.
func mib1(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
