package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/gateway"
	"github.com/opaygate/opaygate/notify"
	"github.com/opaygate/opaygate/sqlstore"
)

const callbackUsage = `Usage: opaygate callback <list|resend|test> [flags]

Shows the callbacks the gateway sends to merchants, with every delivery
attempt, re-sends one by hand, and tests a merchant's callback receiver with
a good and tampered callbacks. See docs/CALLBACKS.md.

Examples:

	opaygate callback list --merchant 256612345678901
	opaygate callback list --order 261120000000000001
	opaygate callback list --state dead
	opaygate callback resend 42
	opaygate callback test --url http://localhost:3000/opay/webhook --merchant-id 256612345678901
`

const callbackListUsage = `Usage: opaygate callback list [flags]

Lists callbacks, newest first, each followed by its attempts (time, HTTP
status or error, duration).

Example:

	opaygate callback list --db ./opaygate.db --merchant 256612345678901 --state dead
`

const callbackResendUsage = `Usage: opaygate callback resend [flags] CALLBACK_ID

Makes a callback due now as a fresh round of retries; its history is kept.
A running gateway sends it within its polling interval.

Example:

	opaygate callback resend 42
`

func (c *CLI) callback(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.Stderr, callbackUsage)
		return usageErrorf("callback: missing subcommand (list, resend or test)")
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "list":
		return c.callbackList(ctx, rest)
	case "resend":
		return c.callbackResend(ctx, rest)
	case "test":
		return c.callbackTest(ctx, rest)
	case "-h", "-help", "--help", "help":
		return c.groupHelp(ctx, callbackUsage, "callback", []string{"list", "resend", "test"}, (*CLI).callback)
	default:
		return usageErrorf("callback: unknown subcommand %q (list, resend or test)", sub)
	}
}

func (c *CLI) callbackList(ctx context.Context, args []string) error {
	fs := c.newFlagSet("callback list", callbackListUsage)
	dsn := dbFromEnv(c.Getenv)
	registerDBFlag(fs, &dsn)
	merchant := fs.String("merchant", "", "only this merchant's `id`")
	order := fs.String("order", "", "only the callbacks of this `orderNo`")
	state := fs.String("state", "", "only callbacks in this `state`: pending, delivered or dead")
	limit := fs.Int("limit", 50, "at most this many callbacks (1–500)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}
	f := opaygate.CallbackFilter{MerchantID: *merchant, OrderNo: *order, State: opaygate.CallbackState(*state), Limit: *limit}
	switch f.State {
	case "", opaygate.CallbackPending, opaygate.CallbackDelivered, opaygate.CallbackDead:
	default:
		return usageErrorf("callback list: --state %q is not pending, delivered or dead", *state)
	}
	if f.Limit < 1 || f.Limit > 500 {
		return usageErrorf("callback list: --limit %d is not between 1 and 500", f.Limit)
	}
	db, svcs, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	list, err := svcs.Callbacks.ListCallbacks(ctx, f)
	if err != nil {
		return fmt.Errorf("callback list: %w", err)
	}
	if len(list) == 0 {
		fmt.Fprintln(c.Stderr, "no callbacks")
		return nil
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tMERCHANT\tORDER NO\tREFERENCE\tSTATUS\tVERSION\tSTATE\tATTEMPTS\tNEXT ATTEMPT\tTARGET")
	for _, cb := range list {
		status := string(cb.Status)
		if cb.Refunded {
			status += " (refunded)"
		}
		next := "-"
		if cb.State == opaygate.CallbackPending {
			next = cb.NextAttemptAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", cb.ID, cb.MerchantID, cb.OrderNo, cb.Reference,
			status, cb.Version.OrDefault(), cb.State, cb.Attempts, next, cb.TargetURL)
		for _, a := range cb.History {
			outcome := a.Error
			if outcome == "" {
				outcome = fmt.Sprintf("HTTP %d", a.HTTPStatus)
			}
			fmt.Fprintf(tw, "\t  %s\t%s\t%s\t\t\t\t\t\t\n", a.At.UTC().Format(time.RFC3339), outcome,
				a.Duration.Round(time.Millisecond))
		}
	}
	return tw.Flush()
}

func (c *CLI) callbackResend(ctx context.Context, args []string) error {
	fs := c.newFlagSet("callback resend", callbackResendUsage)
	dsn := dbFromEnv(c.Getenv)
	registerDBFlag(fs, &dsn)
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageErrorf("callback resend: want exactly one CALLBACK_ID")
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil || id <= 0 {
		return usageErrorf("callback resend: %q is not a callback id", rest[0])
	}
	db, svcs, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	cb, err := svcs.Callbacks.ResendCallback(ctx, id)
	if err != nil {
		if opaygate.ErrorCode(err) == opaygate.ENOTFOUND {
			return fmt.Errorf("callback resend: no callback %d", id)
		}
		return fmt.Errorf("callback resend: %w", err)
	}
	fmt.Fprintf(c.Stdout, "callback %d (%s %s) is pending again, due %s; %d earlier attempts kept\n",
		cb.ID, cb.OrderNo, cb.Status, cb.NextAttemptAt.UTC().Format(time.RFC3339), len(cb.History))
	return nil
}

// CallbackConfig configures callback delivery and the sandbox's refunds.
// Zero retry settings take the mode's schedule: the spec's in live mode, a
// compressed one in the sandbox (docs/CALLBACKS.md).
type CallbackConfig struct {
	Timeout      time.Duration // one POST
	Workers      int           // deliveries in flight per node
	RetryFirst   time.Duration // wait after the first failure
	RetryMax     time.Duration // cap of the doubling waits
	GiveUp       time.Duration // dead this long after the first attempt
	AllowPrivate bool          // live mode, exposed sandbox: let callbacks reach internal addresses
	AllowTargets string        // internal addresses callbacks may reach all the same (notify.ParseTargets)
	RefundDelay  time.Duration // sandbox: a refund succeeds this long after it is created
	PayoutDelay  time.Duration // sandbox: a payout is answered this long after it is created
	// SettlementDelay is how long a payment stays unsettled; unset: the mode's default
	// (sandbox 0, at once; live opaygate.DefaultSettlementDelay).
	SettlementDelay optionalDuration
}

// optionalDuration is a duration flag whose absence means a default that depends on the mode.
type optionalDuration struct {
	d   time.Duration
	set bool
}

func (o *optionalDuration) String() string {
	if o == nil || !o.set {
		return ""
	}
	return o.d.String()
}

func (o *optionalDuration) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration (e.g. 24h)", s)
	}
	o.d, o.set = d, true
	return nil
}

// settlementDelay is the settlement delay in mode.
func (c *CallbackConfig) settlementDelay(mode string) time.Duration {
	switch {
	case c.SettlementDelay.set:
		return c.SettlementDelay.d
	case mode == ModeSandbox:
		return 0
	}
	return opaygate.DefaultSettlementDelay
}

// DefaultCallbackConfig is the delivery configuration of a bare serve.
func DefaultCallbackConfig() CallbackConfig {
	return CallbackConfig{Timeout: 10 * time.Second, Workers: 4, RefundDelay: opaygate.DefaultRefundDelay,
		PayoutDelay: opaygate.DefaultPayoutDelay}
}

func (c *CallbackConfig) applyEnv(getenv func(string) string) error {
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{"OPAYGATE_CALLBACK_TIMEOUT", &c.Timeout},
		{"OPAYGATE_CALLBACK_RETRY_FIRST", &c.RetryFirst},
		{"OPAYGATE_CALLBACK_RETRY_MAX", &c.RetryMax},
		{"OPAYGATE_CALLBACK_GIVE_UP", &c.GiveUp},
		{"OPAYGATE_REFUND_DELAY", &c.RefundDelay},
		{"OPAYGATE_PAYOUT_DELAY", &c.PayoutDelay},
	} {
		if v := getenv(d.name); v != "" {
			parsed, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s=%q is not a duration (e.g. 10s)", d.name, v)
			}
			*d.dst = parsed
		}
	}
	if v := getenv("OPAYGATE_SETTLEMENT_DELAY"); v != "" {
		if err := c.SettlementDelay.Set(v); err != nil {
			return fmt.Errorf("OPAYGATE_SETTLEMENT_DELAY=%q is not a duration (e.g. 24h)", v)
		}
	}
	if v := getenv("OPAYGATE_CALLBACK_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("OPAYGATE_CALLBACK_WORKERS=%q is not an integer", v)
		}
		c.Workers = n
	}
	if v := getenv("OPAYGATE_CALLBACK_ALLOW_TARGETS"); v != "" {
		c.AllowTargets = v
	}
	if v := getenv("OPAYGATE_CALLBACK_ALLOW_PRIVATE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("OPAYGATE_CALLBACK_ALLOW_PRIVATE=%q is not a boolean", v)
		}
		c.AllowPrivate = b
	}
	return nil
}

func (c *CallbackConfig) registerFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.Timeout, "callback-timeout", c.Timeout, "timeout of one callback POST (OPAYGATE_CALLBACK_TIMEOUT)")
	fs.IntVar(&c.Workers, "callback-workers", c.Workers, "callback deliveries in flight per node (OPAYGATE_CALLBACK_WORKERS)")
	fs.DurationVar(&c.RetryFirst, "callback-retry-first", c.RetryFirst,
		"wait after a callback's first failure, doubling after each further one; 0 = 15s live, 1s sandbox (OPAYGATE_CALLBACK_RETRY_FIRST)")
	fs.DurationVar(&c.RetryMax, "callback-retry-max", c.RetryMax,
		"longest wait between callback retries; 0 = 1h live, 30s sandbox (OPAYGATE_CALLBACK_RETRY_MAX)")
	fs.DurationVar(&c.GiveUp, "callback-give-up", c.GiveUp,
		"a callback is dead this long after its first attempt; 0 = 72h live, 10m sandbox (OPAYGATE_CALLBACK_GIVE_UP)")
	fs.BoolVar(&c.AllowPrivate, "callback-allow-private", c.AllowPrivate,
		"let callbacks reach loopback, private and link-local addresses in live mode and in a sandbox reachable from the network (a sandbox on loopback always does) (OPAYGATE_CALLBACK_ALLOW_PRIVATE)")
	fs.StringVar(&c.AllowTargets, "callback-allow-targets", c.AllowTargets,
		"internal `addresses` callbacks may reach where internal targets are refused: 10.0.0.5:8080,10.1.0.0/16,[fd00::5]:443 (OPAYGATE_CALLBACK_ALLOW_TARGETS)")
	fs.DurationVar(&c.RefundDelay, "refund-delay", c.RefundDelay,
		"sandbox: how long a refund stays PENDING before it succeeds (OPAYGATE_REFUND_DELAY)")
	fs.DurationVar(&c.PayoutDelay, "payout-delay", c.PayoutDelay,
		"sandbox: how long a payout stays PENDING before the simulated bank answers it (OPAYGATE_PAYOUT_DELAY)")
	fs.Var(&c.SettlementDelay, "settlement-delay",
		"how long a payment's money stays in the merchant's UNSETTLED_ACCOUNT before it becomes cash; default 0 (at once) in the sandbox, 24h live (OPAYGATE_SETTLEMENT_DELAY)")
}

// Validate reports the first setting that cannot work.
func (c *CallbackConfig) Validate() error {
	switch {
	case c.Timeout <= 0:
		return fmt.Errorf("--callback-timeout %s must be positive", c.Timeout)
	case c.Workers < 1 || c.Workers > 256:
		return fmt.Errorf("--callback-workers %d must be between 1 and 256", c.Workers)
	case c.RetryFirst < 0 || c.RetryMax < 0 || c.GiveUp < 0:
		return fmt.Errorf("callback retry settings must not be negative")
	case c.RetryFirst > 0 && c.RetryMax > 0 && c.RetryMax < c.RetryFirst:
		return fmt.Errorf("--callback-retry-max %s is below --callback-retry-first %s", c.RetryMax, c.RetryFirst)
	case c.RefundDelay < 0:
		return fmt.Errorf("--refund-delay %s must not be negative", c.RefundDelay)
	case c.PayoutDelay < 0:
		return fmt.Errorf("--payout-delay %s must not be negative", c.PayoutDelay)
	case c.SettlementDelay.d < 0:
		return fmt.Errorf("--settlement-delay %s must not be negative", c.SettlementDelay.d)
	}
	if _, err := notify.ParseTargets(c.AllowTargets); err != nil {
		return fmt.Errorf("--callback-allow-targets: %v", err)
	}
	return nil
}

// guard is what callbacks may reach: public addresses always; internal ones
// everywhere when allowPrivate (a sandbox on the developer's machine) or
// --callback-allow-private, else only those --callback-allow-targets lists.
// Delivery enforces it, and the API applies it to callbackUrl at create time.
func (c CallbackConfig) guard(allowPrivate bool) notify.Guard {
	targets, _ := notify.ParseTargets(c.AllowTargets) // Validate has refused what does not parse
	return notify.Guard{AllowPrivate: allowPrivate || c.AllowPrivate, Allow: targets}
}

// notifyConfig is the delivery worker's configuration in mode; exposed is a
// sandbox others can reach (sandboxExposed), whose callbacks reach internal
// addresses only as live mode's do.
func (c CallbackConfig) notifyConfig(mode string, exposed bool, clock opaygate.Clock, logger *slog.Logger) notify.Config {
	nc := notify.DefaultConfig()
	if mode == ModeSandbox {
		nc = notify.SandboxConfig()
	}
	nc.Timeout, nc.Concurrency, nc.Clock, nc.Logger = c.Timeout, c.Workers, clock, logger
	g := c.guard(mode == ModeSandbox && !exposed)
	nc.AllowPrivate, nc.AllowTargets = g.AllowPrivate, g.Allow
	if c.RetryFirst > 0 {
		nc.Schedule.First = c.RetryFirst
	}
	if c.RetryMax > 0 {
		nc.Schedule.Max = c.RetryMax
	}
	if c.GiveUp > 0 {
		nc.Schedule.GiveUpAfter = c.GiveUp
	}
	nc.Schedule.Max = max(nc.Schedule.Max, nc.Schedule.First)
	return nc
}

// completeRefunds is the sandbox's refund processor: every interval it moves
// refunds whose delay has passed to SUCCESS, each with its callback.
func (m *Main) completeRefunds(ctx context.Context, refunds opaygate.RefundService, interval time.Duration) {
	gateway.DrainEvery(ctx, m.Logger, interval, gateway.RefundBatch, refunds.CompleteRefunds,
		"completed sandbox refunds", "complete refunds")
}

// formatSchedule describes a retry schedule for the banner.
func formatSchedule(s opaygate.RetrySchedule) string {
	return strings.Join([]string{s.First.String(), "doubling", "capped at " + s.Max.String(),
		"dead after " + s.GiveUpAfter.String()}, ", ")
}

// startDelivery starts the callback worker and, in the sandbox, the refund
// completer. They run until Close, which lets deliveries in flight finish.
func (m *Main) startDelivery(svcs *sqlstore.Services, clock opaygate.Clock) {
	ctx, stop := context.WithCancel(context.Background())
	m.stopDelivery = stop
	nc := m.Config.Callbacks.notifyConfig(m.Config.Mode, m.sandboxExposed, clock, m.Logger)
	w := notify.New(nc, svcs.Callbacks, svcs.Merchants)
	// A callback committed on this node is sent now, not at the next poll;
	// other nodes' callbacks wait at most one poll interval.
	m.gw.OnCallback(w.Wake)
	m.delivering.Go(func() { w.Run(ctx) })
	m.Logger.Info("callback delivery started", "workers", nc.Concurrency, "timeout", nc.Timeout.String(),
		"retries", formatSchedule(nc.Schedule), "allow_private_targets", nc.AllowPrivate,
		"allow_targets", len(nc.AllowTargets))
	if m.Config.Mode == ModeSandbox {
		m.delivering.Go(func() { m.completeRefunds(ctx, svcs.Refunds, nc.Interval) })
		m.delivering.Go(func() { m.gw.CompletePayouts(ctx, nc.Interval) })
	}
}

// stopDeliveries stops the worker and the completer and waits for them.
func (m *Main) stopDeliveries() {
	if m.stopDelivery != nil {
		m.stopDelivery()
		m.delivering.Wait()
	}
}
