package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opaygate/opaygate/bench/bulkload"
	"github.com/opaygate/opaygate/reqlog"
	"github.com/opaygate/opaygate/sqlstore"
)

// Config is one benchmark run.
type Config struct {
	// Target is the base URL of a running gateway. Empty starts one in this
	// process on DB.
	Target string
	// Merchant signs the requests to Target (an in-process gateway uses its
	// demo merchant).
	Merchant Merchant
	// PID is Target's process, whose memory is then reported (Linux).
	PID int
	// DB is the in-process gateway's database (empty: a SQLite file in a
	// temporary directory). With Target it is the target's database, which
	// the bulk loader then fills directly; without it, status preloads
	// through the API and growth cannot run.
	DB string

	Concurrency int
	Duration    time.Duration // measured per scenario, after Warmup
	Operations  int           // per scenario instead of Duration, when > 0
	Warmup      time.Duration // per scenario, not measured
	Scenarios   []string
	// Preload is how many orders status reads from.
	Preload int
	// RequestLog is the in-process gateway's --request-log: the newest API
	// requests kept per merchant (serve's default), 0 for no request log.
	RequestLog int
	// GrowthSizes, when set, runs status again at each of these table
	// sizes, bulk-loading the difference before each.
	GrowthSizes []int
	// Rounds repeats the scenarios, one after the other, this many times
	// and reports each scenario's fastest round. Other work on a shared
	// machine only ever slows a round down (it takes CPU, or disk syncs),
	// so the fastest round is the nearest to what the gateway can do; every
	// round's throughput is kept in the result.
	Rounds int

	// Progress receives a line per second while a scenario runs, and a
	// line per bulk load.
	Progress io.Writer
	// CPUProfile, when set, receives a CPU profile of the scenarios (not of
	// the loading or of growth).
	CPUProfile io.Writer
	// FsyncProbe is how long to measure the disk's fsync rate before the
	// scenarios, in the SQLite database's directory or else the temporary
	// one; 0 skips it.
	FsyncProbe time.Duration
}

// DefaultConfig is a bare `opaygate bench`.
func DefaultConfig() Config {
	return Config{
		Concurrency: 32,
		Duration:    10 * time.Second,
		Warmup:      time.Second,
		Scenarios:   Scenarios(),
		Preload:     10_000,
		RequestLog:  reqlog.DefaultKeep,
		Rounds:      1,
		FsyncProbe:  time.Second,
	}
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.Concurrency <= 0:
		return errors.New("concurrency must be positive")
	case c.Operations < 0:
		return errors.New("the number of requests must not be negative")
	case c.Operations == 0 && c.Duration <= 0:
		return errors.New("give a positive duration or a number of requests")
	case c.Warmup < 0:
		return errors.New("the warm-up must not be negative")
	case c.Preload < 0:
		return errors.New("preload must not be negative")
	case c.RequestLog < 0:
		return errors.New("request-log must not be negative")
	case c.Rounds < 0:
		return errors.New("rounds must not be negative")
	case len(c.Scenarios) == 0 && len(c.GrowthSizes) == 0:
		return errors.New("no scenario to run")
	}
	for _, s := range c.Scenarios {
		if !slices.Contains(Scenarios(), s) {
			return fmt.Errorf("unknown scenario %q (known: %v)", s, Scenarios())
		}
	}
	if slices.Contains(c.Scenarios, Status) && c.Preload == 0 {
		return errors.New("status reads preloaded orders: preload must be positive")
	}
	if c.Target != "" && (c.Merchant.ID == "" || c.Merchant.PrivateKey == "") {
		return errors.New("a target gateway needs the merchant id and private key")
	}
	if c.Target != "" && c.DB == "" && len(c.GrowthSizes) > 0 {
		return errors.New("growth bulk-loads the database: give the target's database")
	}
	for i, n := range c.GrowthSizes {
		if n <= 0 || (i > 0 && n <= c.GrowthSizes[i-1]) {
			return errors.New("growth sizes must be positive and increasing")
		}
	}
	return nil
}

// Run runs the benchmark that cfg describes.
func Run(ctx context.Context, cfg Config) (rep *Report, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// A run's references are new to the database, whatever ran before.
	runID := "b" + strconv.FormatInt(time.Now().UnixNano()/1e6%1e10, 36) + "-"
	rep = &Report{
		Concurrency: cfg.Concurrency,
		Machine: Machine{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), MemTotal: memTotal(),
			GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, LoadAverage: loadAverage()},
	}
	if cfg.Operations > 0 {
		rep.Operations = cfg.Operations
	} else {
		rep.Duration = cfg.Duration.String()
	}

	var db *sqlstore.DB
	gatewayURL, merchant := cfg.Target, cfg.Merchant
	mem := newRSS(cfg.PID)
	var fsyncDir string
	if cfg.Target == "" {
		g, err := StartGateway(ctx, cfg.DB, cfg.RequestLog)
		if err != nil {
			return nil, fmt.Errorf("start gateway: %w", err)
		}
		defer func() { err = errors.Join(err, g.Close()) }()
		if cfg.RequestLog > 0 && cfg.Progress != nil {
			defer func() {
				written, superseded, dropped := g.RequestLog()
				fmt.Fprintf(cfg.Progress, "request log: %d requests written, %d superseded (newer ones of their merchant came within a second), %d dropped (queue full)\n",
					written, superseded, dropped)
			}()
		}
		db, gatewayURL, merchant, fsyncDir = g.DB, g.URL, g.Merchant, g.Dir
		rep.Gateway, rep.Backend = g.Describe(), string(g.Backend)
		rep.RSSOf = "this process: the in-process gateway and the load driver together"
	} else {
		rep.Gateway = "gateway at " + cfg.Target
		if cfg.DB != "" {
			if db, err = sqlstore.Open(ctx, cfg.DB); err != nil {
				return nil, err
			}
			defer db.Close()
			rep.Backend = string(db.Dialect())
		}
		if cfg.PID > 0 {
			rep.RSSOf = "gateway process " + strconv.Itoa(cfg.PID)
		} else {
			mem = nil
		}
	}

	if cfg.FsyncProbe > 0 {
		if fsyncDir == "" {
			fsyncDir = os.TempDir()
		}
		rate, err := fsyncRate(fsyncDir, cfg.FsyncProbe)
		if err != nil {
			return nil, fmt.Errorf("fsync probe: %w", err)
		}
		rep.Machine.FsyncPerSec, rep.Machine.FsyncDir = rate, fsyncDir
	}

	c := newClient(gatewayURL, merchant, cfg.Concurrency)
	defer c.close()
	bl, err := startBaseline(merchant)
	if err != nil {
		return nil, fmt.Errorf("start baseline: %w", err)
	}
	defer bl.close()
	e := &env{c: c, gateway: gatewayURL, baseline: bl.URL, callbackURL: bl.URL + "/callback", runID: runID,
		statusRefs: refs{prefix: runID + "P", n: 1}}
	if cfg.Target == "" && db.Dialect() == sqlstore.SQLite {
		e.writeStats = db.GroupCommits
	}
	if db != nil && db.Dialect() == sqlstore.Postgres {
		e.postgresStats = db.PostgresStats
	}
	e.cpu = &cpuClock{}
	if db != nil && db.Dialect() == sqlstore.Postgres && localPostgres(cfg.DB) {
		e.cpu.postmaster = postmasterOf(ctx, db.WritePool())
	}
	if mem != nil {
		e.cpu.proc = mem.proc
	}

	wanted := func(s string) bool { return slices.Contains(cfg.Scenarios, s) }
	if cfg.Preload > 0 && wanted(Status) {
		start := time.Now()
		if db != nil {
			err = bulkload.Run(ctx, db, bulkload.Load{MerchantID: merchant.ID, Prefix: runID + "P", To: cfg.Preload})
		} else {
			err = preloadAPI(ctx, e, runID+"P", cfg.Preload, cfg.Concurrency)
		}
		if err != nil {
			return nil, fmt.Errorf("preload: %w", err)
		}
		e.statusRefs = refs{prefix: runID + "P", n: cfg.Preload}
		rep.Preloaded = cfg.Preload
		progressf(cfg.Progress, "preloaded %d orders and invoices in %.1fs\n", cfg.Preload, time.Since(start).Seconds())
	}

	l := load{concurrency: cfg.Concurrency, duration: cfg.Duration, operations: cfg.Operations,
		warmup: cfg.Warmup, progress: cfg.Progress}
	if cfg.CPUProfile != nil {
		if err := pprof.StartCPUProfile(cfg.CPUProfile); err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
	}
	rounds := max(cfg.Rounds, 1)
	rep.Rounds = rounds
	var names []string
	for _, name := range Scenarios() {
		if wanted(name) {
			names = append(names, name)
		}
	}
	measured := map[string][]Result{}
rounds:
	for round := range rounds {
		for _, name := range names {
			sc, err := e.scenario(name)
			if err != nil {
				pprof.StopCPUProfile()
				return nil, err
			}
			if rounds > 1 {
				l.label = fmt.Sprintf("%s %d/%d", name, round+1, rounds)
			}
			res := measure(ctx, e, sc, l, mem)
			if name == Status && db != nil {
				res.Orders, _ = bulkload.OrderCount(ctx, db)
			}
			measured[name] = append(measured[name], res)
			if ctx.Err() != nil {
				break rounds
			}
		}
	}
	if cfg.CPUProfile != nil {
		pprof.StopCPUProfile()
	}
	for _, name := range names {
		rep.Results = append(rep.Results, fastest(measured[name]))
	}

	if len(cfg.GrowthSizes) > 0 && ctx.Err() == nil {
		l.label = ""
		if rep.Growth, err = growth(ctx, e, db, merchant, runID+"G", cfg, l, mem); err != nil {
			return nil, err
		}
	}
	if b, ok := rep.Result(Baseline); ok && b.RequestsPerSec > 0 {
		for i := range rep.Results {
			rep.Results[i].VsBaseline = rep.Results[i].RequestsPerSec / b.RequestsPerSec
		}
		if rep.Growth != nil {
			for i := range rep.Growth.Steps {
				rep.Growth.Steps[i].VsBaseline = rep.Growth.Steps[i].RequestsPerSec / b.RequestsPerSec
			}
		}
	}
	for _, res := range rep.Results {
		rep.PeakRSS = max(rep.PeakRSS, res.PeakRSS)
	}
	if rep.Growth != nil {
		for _, res := range rep.Growth.Steps {
			rep.PeakRSS = max(rep.PeakRSS, res.PeakRSS)
		}
	}
	return rep, ctx.Err()
}

// measure drives one scenario and records its peak memory.
func measure(ctx context.Context, e *env, sc scenario, l load, mem *rss) Result {
	if mem != nil {
		// Garbage from loading or from the previous scenario must not count
		// against this one.
		if mem.proc == "/proc/self" {
			debug.FreeOSMemory()
		}
		mem.resetPeak()
	}
	res := drive(ctx, e, sc, l)
	if mem != nil {
		res.PeakRSS = mem.peak()
	}
	return res
}

// growth bulk-loads up to each size in turn and runs status over that
// size's orders.
func growth(ctx context.Context, e *env, db *sqlstore.DB, m Merchant, prefix string, cfg Config, l load, mem *rss) (*Growth, error) {
	g := &Growth{}
	sc, err := e.scenario(Status)
	if err != nil {
		return nil, err
	}
	loaded := 0
	for _, size := range cfg.GrowthSizes {
		start := time.Now()
		progressf(cfg.Progress, "growth: loading orders and invoices %d–%d\n", loaded, size)
		if err := bulkload.Run(ctx, db, bulkload.Load{MerchantID: m.ID, Prefix: prefix, From: loaded, To: size}); err != nil {
			return nil, fmt.Errorf("growth: %w", err)
		}
		took := time.Since(start)
		progressf(cfg.Progress, "growth: loaded %d in %.1fs (%.0f orders/s)\n", size-loaded, took.Seconds(),
			float64(size-loaded)/took.Seconds())
		loaded = size
		e.statusRefs = refs{prefix: prefix, n: size}
		orders, _ := bulkload.OrderCount(ctx, db)
		var rs []Result
		for round := range max(cfg.Rounds, 1) {
			if cfg.Rounds > 1 {
				l.label = fmt.Sprintf("%s %d %d/%d", Status, size, round+1, cfg.Rounds)
			}
			rs = append(rs, measure(ctx, e, sc, l, mem))
			if ctx.Err() != nil {
				break
			}
		}
		res := fastest(rs)
		res.Orders = orders
		g.Steps = append(g.Steps, res)
		if ctx.Err() != nil {
			return g, nil
		}
	}
	if first := g.Steps[0].OpsPerSec; first > 0 {
		g.Ratio = g.Steps[len(g.Steps)-1].OpsPerSec / first
	}
	return g, nil
}

// preloadAPI creates n orders through the API, for a target whose database
// the benchmark cannot reach: hosted-checkout orders when the merchant's
// public key is known, else ValU payments. Their references are those of a
// bulk load with the same prefix.
func preloadAPI(ctx context.Context, e *env, prefix string, n, concurrency int) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, concurrency)
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				ref := bulkload.Reference(prefix, i)
				var err error
				if e.c.merchant.PublicKey != "" {
					_, err = e.c.callPublic(ctx, e.gateway, pathCashierCreate, []byte(`{"reference":"`+ref+
						`","country":"EG","amount":{"total":60000,"currency":"EGP"},`+
						`"returnUrl":"https://merchant.example/return","product":{"name":"Preloaded order"}}`))
				} else {
					_, err = e.c.call(ctx, e.gateway, pathPaymentCreate, []byte(`{"amount":{"total":60000,`+
						`"currency":"EGP"},"country":"EG","payMethod":"VALU","product":{"name":"Preloaded order"},`+
						`"reference":"`+ref+`","valUAccountNumber":"01012345678"}`))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func progressf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}

// fastest is the round with the highest throughput, with every round's
// errors and the highest peak of memory.
func fastest(rounds []Result) Result {
	if len(rounds) == 1 {
		return rounds[0]
	}
	res := slices.MaxFunc(rounds, func(a, b Result) int { return cmp.Compare(a.OpsPerSec, b.OpsPerSec) })
	res.Errors, res.ErrorKinds, res.PeakRSS, res.RoundsOpsPerSec = 0, nil, 0, nil
	for _, r := range rounds {
		res.RoundsOpsPerSec = append(res.RoundsOpsPerSec, r.OpsPerSec)
		res.Errors += r.Errors
		for k, n := range r.ErrorKinds {
			if res.ErrorKinds == nil {
				res.ErrorKinds = map[string]int64{}
			}
			res.ErrorKinds[k] += n
		}
		if res.FirstError == "" {
			res.FirstError = r.FirstError
		}
		res.PeakRSS = max(res.PeakRSS, r.PeakRSS)
	}
	return res
}
