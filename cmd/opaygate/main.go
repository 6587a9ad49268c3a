// Command opaygate is the gateway's one binary: it serves OPay Checkout's
// merchant API (serve), prepares its database (migrate), administers
// merchants and products, and computes request signatures (sign).
//
// main is thin on purpose: everything it does is in run and Main, which the
// tests drive directly.
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
