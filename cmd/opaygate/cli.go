package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed
	exitUsage = 2 // the command line was wrong
)

// CLI is one invocation of the binary with its standard streams and
// environment, so tests can run commands in-process.
type CLI struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

const usage = `opaygate is a payment gateway that speaks OPay Checkout's merchant API.

Usage:

	opaygate <command> [flags]

Commands:

	serve      run the gateway (sandbox unless --mode live)
	migrate    apply pending database migrations
	merchant   add, list, update, disable or enable merchants; set a dashboard password
	           or a payout key
	product    add or list a merchant's products
	sign       compute the Authorization header of a request body (HMAC, or RSA for payouts)
	call       send a signed request to the API and print the answer
	callback   list callbacks with their delivery attempts, re-send one, or test a receiver
	sandbox    play an order's customer on a running sandbox: pay, decline, otp, …
	requests   list the request log: API requests answered, and why refused ones were
	balance    print merchants' balances (unsettled and cash) and ledger entries
	ledger     verify: check every balance and record against the ledger
	bench      measure a gateway: requests/s and latency per scenario
	soak       run mixed traffic for minutes; check memory and that no callback is lost
	healthcheck  ask a gateway's /healthz (the container image's HEALTHCHECK)
	version    print the version and commit (also --version)

Examples:

	opaygate serve
	opaygate merchant add --name "My Shop" --db ./opaygate.db
	echo -n '{"invoiceNo":"20464188"}' | opaygate sign --key "$OPAY_PRIVATE_KEY"

Run 'opaygate <command> -h' for a command's flags.
`

// Run executes the command line args (without the program name) and returns
// the process exit code. Errors are reported on Stderr as one line.
// DefaultGOGC is the garbage collector's target when the GOGC environment variable is not
// set. Go's default, 100, collects whenever the heap has doubled since the last collection;
// a gateway's live heap is a few tens of megabytes while it allocates for every request, so
// at 100 the collector took a tenth of the CPU of a status request. At 200 it runs half as
// often for a few more megabytes of peak memory (docs/BENCHMARKS.md). GOGC=100 restores Go's
// default; GOMEMLIMIT caps memory as usual.
const DefaultGOGC = 200

func (c *CLI) Run(ctx context.Context, args []string) int {
	if c.Getenv == nil {
		c.Getenv = func(string) string { return "" }
	}
	if c.Getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGOGC)
	}
	if len(args) == 0 {
		fmt.Fprint(c.Stderr, usage)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = c.serve(ctx, rest)
	case "migrate":
		err = c.migrate(ctx, rest)
	case "merchant":
		err = c.merchant(ctx, rest)
	case "product":
		err = c.product(ctx, rest)
	case "sign":
		err = c.sign(ctx, rest)
	case "callback":
		err = c.callback(ctx, rest)
	case "requests":
		err = c.requests(ctx, rest)
	case "balance":
		err = c.balance(ctx, rest)
	case "ledger":
		err = c.ledger(ctx, rest)
	case "call":
		err = c.call(ctx, rest)
	case "sandbox":
		err = c.sandboxCmd(ctx, rest)
	case "bench":
		err = c.bench(ctx, rest)
	case "soak":
		err = c.soak(ctx, rest)
	case "healthcheck":
		err = c.healthcheck(ctx, rest)
	case "version", "--version", "-version":
		err = c.version(ctx, rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(c.Stdout, usage)
		return exitOK
	default:
		err = usageErrorf("unknown command %q (run 'opaygate -h' for the list)", cmd)
	}
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(c.Stderr, "opaygate: %s\n", ue.msg)
		return exitUsage
	default:
		fmt.Fprintf(c.Stderr, "opaygate: %s\n", oneLine(err.Error()))
		return exitError
	}
}

// usageError is a mistake on the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// newFlagSet returns a flag set that reports its own errors as usage errors
// and prints its usage (text, then the flags) when asked with -h.
func (c *CLI) newFlagSet(name, text string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// Parse errors come back to Run, which prints them once; -h prints the
	// usage on stdout because the user asked for it.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(c.Stdout, text)
		fmt.Fprintln(c.Stdout, "\nFlags:")
		fs.SetOutput(c.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses args, accepting flags after positional arguments too
// ("merchant disable ID --db x"), and returns the positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	// The flag package shows the usage on every parse error; only -h
	// should, and only once, so it is silenced while parsing.
	usage := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = usage }()
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usage()
				return nil, err
			}
			return nil, usageErrorf("%s: %v (see 'opaygate %s -h')", fs.Name(), err, fs.Name())
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// noArgs rejects positional arguments for commands that take none.
func noArgs(fs *flag.FlagSet, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s: unexpected argument %q", fs.Name(), args[0])
	}
	return nil
}

// oneLine keeps error messages on one line, as promised to scripts.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
