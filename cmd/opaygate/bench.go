package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/opaygate/opaygate/bench"
)

const benchUsage = `Usage: opaygate bench [flags]

Measures a gateway over real HTTP on loopback with signed requests, and
prints per scenario the operations and requests per second, the p50, p95 and
p99 latency of an operation, the errors, the peak resident memory, and the
CPU time per operation: this process's (or --pid's), and that of PostgreSQL's
processes when the database is on this machine.

Scenarios (--scenarios, in this order):

	baseline     a bare handler that reads the body, verifies the signature
	             and answers: the limit of a signed request on this machine
	status       cashier/status by reference over --preload orders
	valu-create  payment/create VALU with fresh references (durable writes)
	valu-flow    create, input-installment-month, input-otp: one payment
	invoice      createSingleInvoice, then getInvoiceDetails

Every scenario's request rate is also given as a fraction of the baseline's,
measured in the same run. --growth bulk-loads 10 000 and then 1 000 000
orders and invoices and runs status at both sizes.

On SQLite the write scenarios also report the group commit's commits/s, writes
per commit, and how busy its one writer was (running the writes, and in COMMIT
with the WAL's fsync); on PostgreSQL, PostgreSQL's own commits/s, WAL flushes/s
and commits per flush (pg_stat_database, pg_stat_wal).

By default the gateway runs in this process on a temporary SQLite file
(--db picks another database), so its memory is this process's. With
--target it drives a running gateway as --merchant-id; give --pid for its
memory and --db (its database) to bulk-load it instead of preloading through
the API.

Examples:

	opaygate bench
	opaygate bench --scenarios baseline,valu-create --duration 30s --concurrency 64
	opaygate bench --db 'postgres://postgres@127.0.0.1:5432/test?search_path=bench' --json pg.json
	opaygate bench --scenarios baseline --growth --growth-sizes 10000,1000000
	opaygate bench --target http://127.0.0.1:8080 --merchant-id 256612345678901 \
		--private-key OPAYPRV16357783346230.07653446106051542 --pid "$(pgrep -n opaygate)"
`

func (c *CLI) bench(ctx context.Context, args []string) error {
	cfg := bench.DefaultConfig()
	fs := c.newFlagSet("bench", benchUsage)
	fs.StringVar(&cfg.Target, "target", "", "base `URL` of a running gateway (default: start one in this process)")
	fs.StringVar(&cfg.Merchant.ID, "merchant-id", "", "the target's merchant `id`")
	fs.StringVar(&cfg.Merchant.PrivateKey, "private-key", "",
		"the merchant's private `key` (default $OPAYGATE_PRIVATE_KEY or $OPAY_PRIVATE_KEY)")
	fs.StringVar(&cfg.Merchant.PublicKey, "public-key", "",
		"the merchant's public `key`: preload with cashier/create instead of payment/create")
	fs.IntVar(&cfg.PID, "pid", 0, "the target's process `id`, to report its peak memory")
	fs.StringVar(&cfg.DB, "db", "",
		"database: of the in-process gateway (default a temporary SQLite file), or the target's, to bulk-load it")
	fs.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "concurrent clients")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "measured time per scenario")
	fs.IntVar(&cfg.Operations, "requests", 0,
		"operations per scenario instead of --duration (a payment or an invoice counts as one)")
	fs.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "unmeasured time before each scenario")
	fs.IntVar(&cfg.Rounds, "rounds", cfg.Rounds,
		"run the scenarios this many times, in turn, and report each one's fastest round")
	scenarios := fs.String("scenarios", strings.Join(cfg.Scenarios, ","), "comma-separated `list` of scenarios")
	fs.IntVar(&cfg.Preload, "preload", cfg.Preload, "orders (and invoices) to load for status")
	fs.IntVar(&cfg.RequestLog, "request-log", cfg.RequestLog,
		"the in-process gateway's request log, as serve's --request-log: requests kept per merchant; 0 = off")
	growth := fs.Bool("growth", false, "run status after bulk-loading each of --growth-sizes orders")
	sizes := fs.String("growth-sizes", "10000,1000000", "comma-separated table `sizes` for --growth")
	jsonFile := fs.String("json", "", "also write the report as JSON to `file`")
	format := fs.String("format", "table", "table or json, on standard output")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the scenarios to `file`")
	fs.DurationVar(&cfg.FsyncProbe, "fsync-probe", cfg.FsyncProbe,
		"measure the disk's fsync rate for this long before the scenarios (0: skip)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}
	if cfg.Merchant.PrivateKey == "" && cfg.Target != "" {
		for _, env := range []string{"OPAYGATE_PRIVATE_KEY", "OPAY_PRIVATE_KEY"} {
			if cfg.Merchant.PrivateKey == "" {
				cfg.Merchant.PrivateKey = c.Getenv(env)
			}
		}
	}
	cfg.Scenarios = splitList(*scenarios)
	if *growth {
		for _, s := range splitList(*sizes) {
			n, err := strconv.Atoi(s)
			if err != nil {
				return usageErrorf("bench: --growth-sizes: %q is not a number", s)
			}
			cfg.GrowthSizes = append(cfg.GrowthSizes, n)
		}
	}
	if cfg.Target == "" && (cfg.Merchant != bench.Merchant{} || cfg.PID != 0) {
		return usageErrorf("bench: --merchant-id, --private-key, --public-key and --pid describe a --target")
	}
	if *format != "table" && *format != "json" {
		return usageErrorf("bench: --format %q is neither table nor json", *format)
	}
	if err := cfg.Validate(); err != nil {
		return usageErrorf("bench: %v", err)
	}
	cfg.Progress = c.Stderr
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		cfg.CPUProfile = f
	}

	rep, runErr := bench.Run(ctx, cfg)
	if rep == nil {
		return fmt.Errorf("bench: %w", runErr)
	}
	if *format == "json" {
		err = rep.WriteJSON(c.Stdout)
	} else {
		fmt.Fprintln(c.Stdout)
		err = rep.WriteTable(c.Stdout)
	}
	if err != nil {
		return err
	}
	if *jsonFile != "" {
		f, err := os.Create(*jsonFile)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		err = errors.Join(rep.WriteJSON(f), f.Close())
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	if runErr != nil {
		return fmt.Errorf("bench: %w", runErr)
	}
	var failed int64
	for _, res := range rep.Results {
		failed += res.Errors
	}
	if rep.Growth != nil {
		for _, res := range rep.Growth.Steps {
			failed += res.Errors
		}
	}
	if failed > 0 {
		return fmt.Errorf("bench: %d operations failed; the numbers above include them", failed)
	}
	return nil
}
