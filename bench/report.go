package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Result is one scenario's measurement.
type Result struct {
	Scenario    string `json:"scenario"`
	Unit        string `json:"unit"` // what one operation is
	Concurrency int    `json:"concurrency"`
	// Orders is how many orders the database held while status ran (0 when
	// unknown or not a read of orders).
	Orders         int64            `json:"orders,omitempty"`
	Operations     int64            `json:"operations"`
	Requests       int64            `json:"requests"`
	Errors         int64            `json:"errors"`
	ErrorKinds     map[string]int64 `json:"error_kinds,omitempty"`
	FirstError     string           `json:"first_error,omitempty"`
	Seconds        float64          `json:"seconds"`
	OpsPerSec      float64          `json:"ops_per_sec"`
	RequestsPerSec float64          `json:"requests_per_sec"`
	// Latency is per operation: a whole payment for valu-flow, a create and
	// a read for invoice.
	Latency Latency `json:"latency"`
	// VsBaseline is RequestsPerSec over the baseline's, measured in the
	// same run: how close each request comes to the machine's limit for a
	// signed HTTP exchange. With several rounds both are the fastest round's.
	VsBaseline float64 `json:"requests_vs_baseline,omitempty"`
	// PeakRSS is the peak resident memory while the scenario ran, in bytes.
	PeakRSS int64 `json:"peak_rss_bytes,omitempty"`
	// Commits and WritesPerCommit count the write transactions of an
	// in-process SQLite gateway, whose group commit carries many requests'
	// writes in one durable commit.
	Commits         int64   `json:"commits,omitempty"`
	WritesPerCommit float64 `json:"writes_per_commit,omitempty"`
	// The one writer's time per commit: running the requests' statements (BEGIN to
	// COMMIT) and in COMMIT (the WAL's frames and fsync); WriterBusy is the share of the
	// measured time it spent on either, the rest waiting for requests. A writer busy
	// all the time is the scenario's limit; one that waits is not.
	RunMsPerCommit    float64 `json:"run_ms_per_commit,omitempty"`
	CommitMsPerCommit float64 `json:"commit_ms_per_commit,omitempty"`
	WriterBusy        float64 `json:"writer_busy,omitempty"`
	// Postgres is PostgreSQL's own view of a write scenario, when the
	// gateway's database is PostgreSQL and the benchmark reaches it.
	Postgres *PostgresActivity `json:"postgres,omitempty"`
	// CPUPerOp is the CPU time, in microseconds per operation, of the process whose memory
	// PeakRSS is (this one with the in-process gateway and the load driver, or --pid's), and
	// PostgresCPUPerOp that of the processes of its PostgreSQL cluster, when that is on this
	// machine; both from Linux's /proc, 0 when it cannot be read. On a machine whose rates
	// swing between runs they are the firmer figures of a before/after pair.
	CPUPerOp         float64 `json:"cpu_us_per_op,omitempty"`
	PostgresCPUPerOp float64 `json:"postgres_cpu_us_per_op,omitempty"`
	// RoundsOpsPerSec is every round's throughput when there were several;
	// the rest of the result is the fastest round's.
	RoundsOpsPerSec []float64 `json:"rounds_ops_per_sec,omitempty"`
}

// PostgresActivity is what PostgreSQL counted while a write scenario ran
// (sqlstore.PostgresStats): this database's commits, from pg_stat_database,
// and the cluster's WAL syncs, from pg_stat_wal. Commits per sync is
// PostgreSQL's group commit: with synchronous_commit on, each commit waits
// for a sync of the WAL that holds it, and one sync covers every commit
// written before it. Other clients of the same cluster count too, and
// backends report their counts at most once a second: on a run of a few
// seconds, or a shared server, the figures are indicative.
type PostgresActivity struct {
	Commits        int64   `json:"commits"`
	CommitsPerSec  float64 `json:"commits_per_sec"`
	WALSyncs       int64   `json:"wal_syncs"`
	WALSyncsPerSec float64 `json:"wal_syncs_per_sec"`
	CommitsPerSync float64 `json:"commits_per_wal_sync,omitempty"`
	// WriteRoundTrips are the in-process gateway's round trips to PostgreSQL
	// in write transactions (sqlstore's PostgresRoundTrips); 0 with --target.
	WriteRoundTrips int64 `json:"write_round_trips,omitempty"`
}

// Growth is the status scenario at growing table sizes.
type Growth struct {
	Steps []Result `json:"steps"`
	// Ratio is the largest size's throughput over the smallest's.
	Ratio float64 `json:"ratio"`
}

// Machine describes where the run happened.
type Machine struct {
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	MemTotal   int64  `json:"mem_total_bytes,omitempty"`
	GoVersion  string `json:"go_version"`
	OS         string `json:"os"`
	// LoadAverage is the machine's 1, 5 and 15 minute load when the run
	// began: other work on a shared machine shows here.
	LoadAverage string `json:"load_average,omitempty"`
	// FsyncPerSec is how many 8 kB writes per second the disk under
	// FsyncDir made durable, measured just before the scenarios.
	FsyncPerSec float64 `json:"fsyncs_per_sec,omitempty"`
	FsyncDir    string  `json:"fsync_dir,omitempty"`
}

// Report is a whole run.
type Report struct {
	Gateway     string   `json:"gateway"`
	Backend     string   `json:"backend,omitempty"`
	Machine     Machine  `json:"machine"`
	Concurrency int      `json:"concurrency"`
	Duration    string   `json:"duration,omitempty"`
	Operations  int      `json:"operations,omitempty"`
	Preloaded   int      `json:"preloaded_orders,omitempty"`
	Rounds      int      `json:"rounds"`
	Results     []Result `json:"results"`
	Growth      *Growth  `json:"growth,omitempty"`
	// PeakRSS is the highest of the scenarios' peaks; RSSOf says whose
	// memory it is.
	PeakRSS int64  `json:"peak_rss_bytes,omitempty"`
	RSSOf   string `json:"rss_of,omitempty"`
}

// Result returns the named scenario's result.
func (r *Report) Result(name string) (Result, bool) {
	for _, res := range r.Results {
		if res.Scenario == name {
			return res, true
		}
	}
	return Result{}, false
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report for people.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %d clients", r.Gateway, r.Concurrency)
	if r.Duration != "" {
		fmt.Fprintf(&b, ", %s per scenario", r.Duration)
	} else {
		fmt.Fprintf(&b, ", %d operations per scenario", r.Operations)
	}
	if r.Rounds > 1 {
		fmt.Fprintf(&b, ", fastest of %d rounds", r.Rounds)
	}
	fmt.Fprintf(&b, "; %d CPUs, %s", r.Machine.CPUs, r.Machine.GoVersion)
	if r.Machine.LoadAverage != "" {
		fmt.Fprintf(&b, ", load average %s at the start", r.Machine.LoadAverage)
	}
	if r.Machine.FsyncPerSec > 0 {
		fmt.Fprintf(&b, ";\ndisk: %.0f fsyncs/s (8 kB write + fsync in %s)", r.Machine.FsyncPerSec, r.Machine.FsyncDir)
	}
	b.WriteString("\n\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tops/s\tunit\treq/s\tvs baseline\tp50 ms\tp95 ms\tp99 ms\terrors\tpeak RSS\t")
	for _, res := range r.Results {
		writeRow(tw, res.Scenario, res)
	}
	tw.Flush()
	writeErrors(&b, r.Results)
	writeCPU(&b, r)
	for _, res := range r.Results {
		if res.Commits > 0 && res.Seconds > 0 {
			fmt.Fprintf(&b, "%s: %.0f commits/s carrying %.1f writes each; the writer was busy %.0f %% of the time (per commit %.2f ms running the writes, %.2f ms committing)\n",
				res.Scenario, float64(res.Commits)/res.Seconds, res.WritesPerCommit,
				100*res.WriterBusy, res.RunMsPerCommit, res.CommitMsPerCommit)
		}
		if pg := res.Postgres; pg != nil && pg.Commits == 0 {
			fmt.Fprintf(&b, "%s: PostgreSQL counted no commit yet (its statistics lag by up to a second)\n", res.Scenario)
		} else if pg != nil {
			fmt.Fprintf(&b, "%s: PostgreSQL %.0f commits/s, %.0f WAL flushes/s", res.Scenario,
				pg.CommitsPerSec, pg.WALSyncsPerSec)
			if res.Operations > 0 {
				// Shared commits (sqlstore/pggroup.go) carry several creates each.
				fmt.Fprintf(&b, ", %.2f commits per %s", float64(pg.Commits)/float64(res.Operations), res.Unit)
			}
			if pg.CommitsPerSync > 0 {
				fmt.Fprintf(&b, ", %.1f commits per flush", pg.CommitsPerSync)
			}
			b.WriteString(" (pg_stat_database, pg_stat_wal)")
			if pg.WriteRoundTrips > 0 && res.Operations > 0 {
				fmt.Fprintf(&b, "; %.1f round trips per %s in write transactions",
					float64(pg.WriteRoundTrips)/float64(res.Operations), res.Unit)
			}
			b.WriteString("\n")
		}
	}
	if g := r.Growth; g != nil && len(g.Steps) > 0 {
		b.WriteString("\ngrowth: status at each table size\n\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "orders\tops/s\tunit\treq/s\tvs baseline\tp50 ms\tp95 ms\tp99 ms\terrors\tpeak RSS\t")
		for _, res := range g.Steps {
			writeRow(tw, fmt.Sprint(res.Orders), res)
		}
		tw.Flush()
		writeErrors(&b, g.Steps)
		first, last := g.Steps[0], g.Steps[len(g.Steps)-1]
		fmt.Fprintf(&b, "\nstatus at %d orders runs at %.0f %% of its rate at %d orders\n",
			last.Orders, 100*g.Ratio, first.Orders)
	}
	if r.PeakRSS > 0 {
		fmt.Fprintf(&b, "\npeak RSS %s (%s)\n", mib(r.PeakRSS), r.RSSOf)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeRow(w io.Writer, name string, res Result) {
	vs := "-"
	if res.VsBaseline > 0 {
		vs = fmt.Sprintf("%.0f %%", 100*res.VsBaseline)
	}
	rss := "-"
	if res.PeakRSS > 0 {
		rss = mib(res.PeakRSS)
	}
	fmt.Fprintf(w, "%s\t%.0f\t%s\t%.0f\t%s\t%.2f\t%.2f\t%.2f\t%d\t%s\t\n", name, res.OpsPerSec, res.Unit,
		res.RequestsPerSec, vs, res.Latency.P50, res.Latency.P95, res.Latency.P99, res.Errors, rss)
}

func writeErrors(b *strings.Builder, results []Result) {
	for _, res := range results {
		if res.Errors == 0 {
			continue
		}
		var parts []string
		for _, k := range errorKinds(res.ErrorKinds) {
			parts = append(parts, fmt.Sprintf("%s ×%d", k, res.ErrorKinds[k]))
		}
		fmt.Fprintf(b, "%s errors: %s; first: %s\n", res.Scenario, strings.Join(parts, ", "), res.FirstError)
	}
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

// writeCPU writes each scenario's CPU time per operation, when it was measured.
func writeCPU(b *strings.Builder, r *Report) {
	var proc, pg bool
	for _, res := range r.Results {
		proc, pg = proc || res.CPUPerOp > 0, pg || res.PostgresCPUPerOp > 0
	}
	if !proc && !pg {
		return
	}
	b.WriteString("CPU per operation")
	switch {
	case proc && pg:
		fmt.Fprintf(b, " (%s; then the processes of its PostgreSQL cluster):\n", r.RSSOf)
	case proc:
		fmt.Fprintf(b, " (%s):\n", r.RSSOf)
	default:
		b.WriteString(" (the processes of the PostgreSQL cluster):\n")
	}
	for _, res := range r.Results {
		var parts []string
		if res.CPUPerOp > 0 {
			parts = append(parts, fmt.Sprintf("%.0f µs", res.CPUPerOp))
		}
		if res.PostgresCPUPerOp > 0 {
			parts = append(parts, fmt.Sprintf("PostgreSQL %.0f µs", res.PostgresCPUPerOp))
		}
		if len(parts) > 0 {
			fmt.Fprintf(b, "  %s: %s per %s\n", res.Scenario, strings.Join(parts, ", "), res.Unit)
		}
	}
}
