package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opaygate/opaygate/sqlstore"
)

// load says how hard and how long to drive a scenario.
type load struct {
	concurrency int
	duration    time.Duration // measured time, after the warm-up
	operations  int           // instead of duration when > 0
	warmup      time.Duration
	progress    io.Writer // nil: no progress line
	label       string    // of the progress line; "" is the scenario's name
}

// workerStats is what one worker measured; merged when the scenario ends.
type workerStats struct {
	hist   Histogram
	ops    int64
	errors map[string]int64
	first  string // the first error's text
}

// drive runs sc with l.concurrency workers and measures the operations
// that start after the warm-up: until the duration is up, or until
// l.operations have been started.
func drive(ctx context.Context, e *env, sc scenario, l load) Result {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var measuring atomic.Bool
	var budget atomic.Int64 // operations left to start, when counting
	budget.Store(int64(l.operations))
	var stopped atomic.Bool
	stats := make([]*workerStats, l.concurrency)
	var wg sync.WaitGroup
	startReqs := e.c.requests.Load()
	reqsAtStart, start := startReqs, time.Now()
	var commitsBefore sqlstore.GroupCommitStats
	if sc.writes && e.writeStats != nil {
		commitsBefore = e.writeStats()
	}
	pgBefore, pgOK := e.samplePostgres(ctx, sc)
	cpuBefore := e.cpu.sample()
	// Without a warm-up every operation counts, the first ones included.
	measuring.Store(l.warmup == 0)
	for i := range stats {
		ws := &workerStats{errors: map[string]int64{}}
		stats[i] = ws
		w := &worker{id: i, env: e, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i)))}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stopped.Load() && ctx.Err() == nil {
				counted := measuring.Load()
				if counted && l.operations > 0 && budget.Add(-1) < 0 {
					return
				}
				start := time.Now()
				err := sc.op(ctx, w)
				if !counted || ctx.Err() != nil {
					continue
				}
				ws.hist.Record(time.Since(start))
				ws.ops++
				if err != nil {
					kind := "error"
					var ce *callError
					if errors.As(err, &ce) {
						kind = ce.kind
					}
					ws.errors[kind]++
					if ws.first == "" {
						ws.first = err.Error()
					}
				}
			}
		}()
	}

	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if l.progress == nil {
			<-ctx.Done()
			return
		}
		t := time.NewTicker(time.Second)
		defer t.Stop()
		start, last := time.Now(), startReqs
		label := l.label
		if label == "" {
			label = sc.name
		}
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				n := e.c.requests.Load()
				phase := ""
				if !measuring.Load() {
					phase = " (warm-up)"
				}
				fmt.Fprintf(l.progress, "%-16s %5.0fs %10d requests %9.0f req/s%s\n",
					label, now.Sub(start).Seconds(), n-startReqs, float64(n-last), phase)
				last = n
			}
		}
	}()

	if l.warmup > 0 {
		select {
		case <-time.After(l.warmup):
		case <-ctx.Done():
		}
		reqsAtStart, start = e.c.requests.Load(), time.Now()
		if sc.writes && e.writeStats != nil {
			commitsBefore = e.writeStats()
		}
		pgBefore, pgOK = e.samplePostgres(ctx, sc)
		cpuBefore = e.cpu.sample()
		measuring.Store(true)
	}
	if l.operations <= 0 {
		select {
		case <-time.After(l.duration):
		case <-ctx.Done():
		}
		stopped.Store(true)
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpuAfter := e.cpu.sample()
	requests := e.c.requests.Load() - reqsAtStart
	var r Result
	if sc.writes && e.writeStats != nil {
		after := e.writeStats()
		if r.Commits = after.Batches - commitsBefore.Batches; r.Commits > 0 {
			r.WritesPerCommit = float64(after.Writes-commitsBefore.Writes) / float64(r.Commits)
			running, committing := after.Running-commitsBefore.Running, after.Committing-commitsBefore.Committing
			r.RunMsPerCommit = running.Seconds() * 1000 / float64(r.Commits)
			r.CommitMsPerCommit = committing.Seconds() * 1000 / float64(r.Commits)
			// A batch that began before the window counts whole: at most one batch's worth over.
			r.WriterBusy = min(1, (running+committing).Seconds()/elapsed.Seconds())
		}
	}
	if pgAfter, ok := e.samplePostgres(ctx, sc); ok && pgOK {
		r.Postgres = postgresActivity(pgAfter.Sub(pgBefore), elapsed)
	}
	cancel()
	<-progressDone

	r.Scenario, r.Unit, r.Concurrency, r.Seconds = sc.name, sc.unit, l.concurrency, elapsed.Seconds()
	var hist Histogram
	kinds := map[string]int64{}
	for _, ws := range stats {
		hist.Merge(&ws.hist)
		r.Operations += ws.ops
		for k, n := range ws.errors {
			kinds[k] += n
			r.Errors += n
		}
		if r.FirstError == "" {
			r.FirstError = ws.first
		}
	}
	if len(kinds) > 0 {
		r.ErrorKinds = kinds
	}
	r.Requests = requests
	if s := elapsed.Seconds(); s > 0 {
		r.OpsPerSec = float64(r.Operations) / s
		r.RequestsPerSec = float64(requests) / s
	}
	r.Latency = latencyOf(&hist)
	r.CPUPerOp = perOp(cpuBefore.proc, cpuAfter.proc, cpuBefore.procOK && cpuAfter.procOK, r.Operations)
	r.PostgresCPUPerOp = perOp(cpuBefore.postgres, cpuAfter.postgres,
		cpuBefore.postgresOK && cpuAfter.postgresOK, r.Operations)
	return r
}

// Latency summarizes one operation's latency, in milliseconds.
type Latency struct {
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

func latencyOf(h *Histogram) Latency {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return Latency{P50: ms(h.Quantile(0.50)), P95: ms(h.Quantile(0.95)), P99: ms(h.Quantile(0.99)),
		Max: ms(h.Max()), Mean: ms(h.Mean())}
}

// errorKinds lists a result's error kinds, most frequent first.
func errorKinds(m map[string]int64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if m[out[i]] != m[out[j]] {
			return m[out[i]] > m[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// samplePostgres reads PostgreSQL's counters around a write scenario; false
// on SQLite, for reads, or when they cannot be read (the scenario's own
// numbers still stand).
func (e *env) samplePostgres(ctx context.Context, sc scenario) (sqlstore.PostgresStats, bool) {
	if !sc.writes || e.postgresStats == nil {
		return sqlstore.PostgresStats{}, false
	}
	s, err := e.postgresStats(ctx)
	return s, err == nil
}

func postgresActivity(d sqlstore.PostgresStats, elapsed time.Duration) *PostgresActivity {
	secs := elapsed.Seconds()
	if secs <= 0 {
		return nil
	}
	a := &PostgresActivity{Commits: d.Commits, CommitsPerSec: float64(d.Commits) / secs,
		WALSyncs: d.WALSyncs, WALSyncsPerSec: float64(d.WALSyncs) / secs, WriteRoundTrips: d.RoundTrips}
	if d.WALSyncs > 0 {
		a.CommitsPerSync = float64(d.Commits) / float64(d.WALSyncs)
	}
	return a
}
