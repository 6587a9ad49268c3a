// Command opaygate is the gateway's one binary. Its subcommands:
//
//   - serve: the gateway (sandbox or live), built by package gateway;
//   - migrate: apply the database's pending migrations;
//   - merchant add|list|disable|enable|update|passwd: administer merchants;
//   - product add|list: a merchant's catalog;
//   - sign: the signature of a request body;
//   - call: call an endpoint of a gateway (or OPay), signed;
//   - callback list|resend: the callback outbox; callback test: check a
//     merchant's receiver with a good and tampered callbacks;
//   - bench: load a gateway and report throughput and latency (package bench);
//   - soak: mixed traffic for minutes at a fixed rate, with slow clients and a
//     failing callback receiver; fails on lost callbacks or growing memory;
//   - healthcheck: ask a gateway's /healthz (the container's HEALTHCHECK);
//   - version: the version and commit, stamped with -ldflags -X.
//
// main is thin on purpose: everything it does is in run and Main, which the
// tests drive directly. It is the top of the dependency graph: nothing imports
// it, and it reaches storage, the network and the HTTP layer only through
// package gateway (and sqlstore for the administration commands).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// The first SIGINT/SIGTERM cancels ctx and starts a graceful shutdown; a
	// second one kills the process the default way.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	c := &CLI{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	os.Exit(c.Run(ctx, os.Args[1:]))
}
