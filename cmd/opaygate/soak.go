package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/opaygate/opaygate/bench"
)

const soakUsage = `Usage: opaygate soak [flags]

Soaks a sandbox gateway running in this process (with its callback worker,
expiry sweeper and refund completer, as serve runs them) for --duration:
mixed signed traffic at a fixed --rate of operations a second — ValU
payments (create, plan, OTP), declined ones, hosted-checkout orders left
open or closed, status reads, refunds — beside --slow-clients connections
that trickle a request body a byte a second, and a callback receiver on
127.0.0.1 that answers 500 to half the callbacks at random.

Every --report it prints the requests, errors, resident memory (VmRSS),
goroutines, and the callbacks due, delivered and pending. When the traffic
ends it waits up to --drain for the pending callbacks, then prints a
summary. It exits 1 if a callback that fell due was never acknowledged (or
did not verify), if the resident memory at the end of the traffic exceeds
--max-rss-growth times the memory a quarter of the way in, or if more than
--max-error-rate of the operations failed.

Examples:

	opaygate soak --duration 10m --rate 100 --slow-clients 50
	opaygate soak --duration 60s --rate 50 --slow-clients 20     # CI
	opaygate soak --db 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable' --duration 5m
`

func (c *CLI) soak(ctx context.Context, args []string) error {
	cfg := bench.DefaultSoakConfig()
	fs := c.newFlagSet("soak", soakUsage)
	fs.StringVar(&cfg.DB, "db", "", "database of the gateway (default a temporary SQLite file)")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long the traffic runs")
	fs.IntVar(&cfg.Rate, "rate", cfg.Rate, "operations started per second (each 1–3 requests)")
	fs.IntVar(&cfg.SlowClients, "slow-clients", cfg.SlowClients, "connections that trickle their body")
	fs.DurationVar(&cfg.Report, "report", cfg.Report, "progress line interval")
	fs.DurationVar(&cfg.Drain, "drain", cfg.Drain, "longest wait for pending callbacks after the traffic")
	fs.Float64Var(&cfg.FailRate, "fail-rate", cfg.FailRate, "share of callbacks the receiver answers 500")
	fs.Float64Var(&cfg.MaxRSSGrowth, "max-rss-growth", cfg.MaxRSSGrowth,
		"fail when memory at the end exceeds this factor times memory a quarter of the way in")
	fs.Float64Var(&cfg.MaxErrorRate, "max-error-rate", cfg.MaxErrorRate, "fail when more than this share of operations failed")
	memprofile := fs.String("memprofile", "", "write the heap's live objects to `file` when the soak ends (go tool pprof)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return usageErrorf("soak: %v", err)
	}
	cfg.Out = c.Stdout
	_, err = bench.Soak(ctx, cfg)
	if *memprofile != "" {
		// What is still reachable once the soak is over: a leak shows here.
		runtime.GC()
		f, ferr := os.Create(*memprofile)
		if ferr == nil {
			ferr = pprof.WriteHeapProfile(f)
			ferr = errors.Join(ferr, f.Close())
		}
		if ferr != nil {
			return fmt.Errorf("soak: memprofile: %w", ferr)
		}
	}
	if err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	return nil
}
