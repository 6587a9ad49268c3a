package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate/bench"
	"github.com/opaygate/opaygate/sqlstore"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

// These tests keep the command from rotting: every scenario runs briefly
// against a real gateway and must answer only 00000 with a sane report.
// They never judge speed.

// tiny is a run of n operations per scenario with a few clients.
func tiny(n int) bench.Config {
	cfg := bench.DefaultConfig()
	cfg.Concurrency, cfg.Operations, cfg.Warmup, cfg.Preload = 4, n, 0, 200
	cfg.FsyncProbe = 20 * time.Millisecond
	return cfg
}

func TestRunInProcess(t *testing.T) {
	cfg := tiny(30)
	cfg.GrowthSizes = []int{50, 150}
	rep := mustRun(t, cfg)
	if len(rep.Results) != len(bench.Scenarios()) {
		t.Fatalf("%d results, want one per scenario", len(rep.Results))
	}
	requests := map[string]int64{bench.Baseline: 1, bench.Status: 1, bench.ValUCreate: 1, bench.ValUFlow: 3, bench.Invoice: 2}
	for _, res := range rep.Results {
		checkResult(t, res, 30)
		if res.Requests != 30*requests[res.Scenario] {
			t.Errorf("%s: %d requests for 30 operations, want %d", res.Scenario, res.Requests, 30*requests[res.Scenario])
		}
		if res.VsBaseline <= 0 {
			t.Errorf("%s: no ratio to the baseline", res.Scenario)
		}
		if runtime.GOOS == "linux" && res.CPUPerOp <= 0 {
			t.Errorf("%s: no CPU time per operation", res.Scenario)
		}
	}
	if vc, _ := rep.Result(bench.ValUCreate); vc.Commits <= 0 || vc.WritesPerCommit < 1 {
		t.Errorf("valu-create: %d commits of %.1f writes; want SQLite's group commit counted", vc.Commits, vc.WritesPerCommit)
	} else if vc.RunMsPerCommit <= 0 || vc.CommitMsPerCommit <= 0 || vc.WriterBusy <= 0 || vc.WriterBusy > 1 {
		t.Errorf("valu-create: the writer ran %.3f ms and committed %.3f ms per commit, busy %.2f; want its time measured",
			vc.RunMsPerCommit, vc.CommitMsPerCommit, vc.WriterBusy)
	}
	if rep.Machine.FsyncPerSec <= 0 || rep.Machine.FsyncDir == "" {
		t.Errorf("no fsync rate: %+v", rep.Machine)
	}
	if st, _ := rep.Result(bench.Status); st.Orders < 200 {
		t.Errorf("status ran over %d orders, want the 200 preloaded at least", st.Orders)
	}
	if rep.Growth == nil || len(rep.Growth.Steps) != 2 || rep.Growth.Ratio <= 0 {
		t.Fatalf("growth = %+v, want two steps and a ratio", rep.Growth)
	}
	for i, step := range rep.Growth.Steps {
		checkResult(t, step, 30)
		if min := int64(cfg.GrowthSizes[i]); step.Orders < min {
			t.Errorf("growth step %d over %d orders, want at least %d", i, step.Orders, min)
		}
	}

	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range append(bench.Scenarios(), "p99 ms", "vs baseline", "growth", "CPU per operation", "the writer was busy") {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back bench.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Results) != len(rep.Results) {
		t.Fatalf("JSON does not read back: %v\n%s", err, js.String())
	}
}

// A gateway the benchmark did not start, known only by its URL and merchant:
// status preloads through the API.
func TestRunTarget(t *testing.T) {
	g, err := bench.StartGateway(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	cfg := tiny(20)
	cfg.Target, cfg.Merchant, cfg.Preload = g.URL, g.Merchant, 40
	cfg.Scenarios = []string{bench.Status, bench.ValUFlow}
	cfg.Rounds = 3
	rep := mustRun(t, cfg)
	for _, res := range rep.Results {
		checkResult(t, res, 20)
		if len(res.RoundsOpsPerSec) != 3 {
			t.Errorf("%s: rounds %v, want 3", res.Scenario, res.RoundsOpsPerSec)
		}
	}
	if _, ok := rep.Result(bench.Baseline); ok || rep.Results[0].VsBaseline != 0 {
		t.Error("a run without baseline reports a ratio to it")
	}
}

func TestRunPostgres(t *testing.T) {
	cfg := tiny(30)
	cfg.DB = sqlstoretest.URL(t, sqlstore.Postgres)
	cfg.Scenarios = []string{bench.Status, bench.ValUCreate, bench.Invoice}
	cfg.GrowthSizes = []int{100}
	rep := mustRun(t, cfg)
	if rep.Backend != string(sqlstore.Postgres) {
		t.Errorf("backend %q", rep.Backend)
	}
	for _, res := range append(rep.Results, rep.Growth.Steps...) {
		checkResult(t, res, 30)
	}
}

// PostgreSQL's own view of the writes. Its counters lag by up to a second
// of each connection's work, so the run lasts a few seconds; they count the
// other clients of the shared test server too, so only their presence and
// sanity are checked, never a rate.
func TestRunPostgresOwnView(t *testing.T) {
	cfg := tiny(0)
	cfg.DB = sqlstoretest.URL(t, sqlstore.Postgres)
	cfg.Duration, cfg.Warmup = 2500*time.Millisecond, 300*time.Millisecond
	cfg.Scenarios = []string{bench.Status, bench.ValUCreate}
	rep := mustRun(t, cfg)
	for _, res := range rep.Results {
		checkResult(t, res, -1)
		switch pg := res.Postgres; {
		case res.Scenario == bench.Status && pg != nil:
			t.Errorf("status reports PostgreSQL's writes: %+v", pg)
		case res.Scenario == bench.ValUCreate && (pg == nil || pg.Commits <= 0 || pg.WALSyncs <= 0 || pg.CommitsPerSync <= 0):
			t.Errorf("%s: PostgreSQL's view %+v, want its commits and WAL flushes counted", res.Scenario, pg)
		}
		// The test database is on this machine unless its URL says otherwise.
		local := strings.Contains(cfg.DB, "@127.0.0.1") || strings.Contains(cfg.DB, "@localhost")
		if runtime.GOOS == "linux" && local && (res.CPUPerOp <= 0 || res.PostgresCPUPerOp <= 0) {
			t.Errorf("%s: CPU per operation %.0f µs, PostgreSQL's %.0f µs; want both measured", res.Scenario,
				res.CPUPerOp, res.PostgresCPUPerOp)
		}
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "valu-create: PostgreSQL") || !strings.Contains(table.String(), "WAL flushes/s") {
		t.Errorf("table lacks PostgreSQL's commits and WAL flushes:\n%s", table.String())
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back bench.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if vc, _ := back.Result(bench.ValUCreate); vc.Postgres == nil || vc.Postgres.CommitsPerSec <= 0 || vc.Postgres.WALSyncsPerSec <= 0 {
		t.Errorf("JSON lacks PostgreSQL's view:\n%s", js.String())
	}
	t.Logf("\n%s", table.String())
}

// A duration run stops by itself and counts what it measured.
func TestRunDuration(t *testing.T) {
	cfg := tiny(0)
	cfg.Duration, cfg.Warmup = 300*time.Millisecond, 100*time.Millisecond
	cfg.Scenarios = []string{bench.Baseline, bench.Status}
	var progress bytes.Buffer
	cfg.Progress = &progress
	start := time.Now()
	rep := mustRun(t, cfg)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("a 0.3 s run took %v", took)
	}
	for _, res := range rep.Results {
		checkResult(t, res, -1)
		if res.Seconds < 0.3 || res.Seconds > 5 {
			t.Errorf("%s measured %.2fs, want about 0.3", res.Scenario, res.Seconds)
		}
	}
	if !strings.Contains(progress.String(), "preloaded 200") {
		t.Errorf("progress = %q, want the preload reported", progress.String())
	}
}

func TestConfigValidate(t *testing.T) {
	for name, change := range map[string]func(*bench.Config){
		"ZeroConcurrency":  func(c *bench.Config) { c.Concurrency = 0 },
		"NoDurationNorOps": func(c *bench.Config) { c.Duration, c.Operations = 0, 0 },
		"UnknownScenario":  func(c *bench.Config) { c.Scenarios = []string{"stauts"} },
		"StatusNoPreload":  func(c *bench.Config) { c.Preload = 0 },
		"TargetNoMerchant": func(c *bench.Config) { c.Target = "http://127.0.0.1:1" },
		"GrowthDecreasing": func(c *bench.Config) { c.GrowthSizes = []int{1000, 10} },
		"GrowthTargetNoDB": func(c *bench.Config) {
			c.Target, c.Merchant, c.GrowthSizes = "http://x", bench.Merchant{ID: "1", PrivateKey: "k"}, []int{10}
		},
		"NegativeWarmup":    func(c *bench.Config) { c.Warmup = -time.Second },
		"NothingToRun":      func(c *bench.Config) { c.Scenarios = nil },
		"NegativeOperation": func(c *bench.Config) { c.Operations = -1 },
		"NegativeRounds":    func(c *bench.Config) { c.Rounds = -1 },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := bench.DefaultConfig()
			change(&cfg)
			if err := cfg.Validate(); err == nil {
				t.Error("Validate accepted it")
			}
		})
	}
	cfg := bench.DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Errorf("the default config: %v", err)
	}
}

func mustRun(t *testing.T, cfg bench.Config) *bench.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return rep
}

// checkResult checks one scenario's numbers; ops < 0 means any number.
func checkResult(t *testing.T, res bench.Result, ops int64) {
	t.Helper()
	if res.Errors != 0 {
		t.Errorf("%s: %d errors %v, first: %s", res.Scenario, res.Errors, res.ErrorKinds, res.FirstError)
	}
	if (ops >= 0 && res.Operations != ops) || res.Operations <= 0 {
		t.Errorf("%s: %d operations, want %d", res.Scenario, res.Operations, ops)
	}
	l := res.Latency
	if res.OpsPerSec <= 0 || res.RequestsPerSec < res.OpsPerSec || l.P50 <= 0 || l.P50 > l.P95 || l.P95 > l.P99 || l.P99 > l.Max {
		t.Errorf("%s: insane numbers: %.1f ops/s, %.1f req/s, latency %+v", res.Scenario, res.OpsPerSec, res.RequestsPerSec, l)
	}
}
