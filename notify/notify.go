// Package notify delivers the gateway's callbacks (spec section 6): a Worker
// polls the outbox for due callbacks, POSTs each signed body to its target,
// and records every attempt, which moves the callback to delivered, to its
// next retry, or to dead.
//
// Delivery is at-least-once. A callback is leased to one worker at a time
// (across nodes on PostgreSQL), so it is never sent by two at once; a crash
// between the POST and the record means it is sent again after the lease.
// Leases are short (Lease, 5 s) so that a dead node's callbacks are taken
// over within seconds; a live worker renews the lease of a delivery in flight
// every Renew, and abandons the delivery if it can no longer hold the lease.
//
// It depends on the root package and opay only; it must not import sqlstore,
// server or cmd.
package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// Config configures a Worker. Zero fields take the defaults of DefaultConfig.
type Config struct {
	// Interval is how often the worker looks for due callbacks when it is
	// idle (it looks again at once whenever a delivery ends).
	Interval time.Duration
	// Timeout bounds one POST, from dialling to reading the answer.
	Timeout time.Duration
	// Concurrency is how many deliveries may be in flight at once.
	Concurrency int
	// Lease is how long a claim reserves a callback for this worker without
	// renewal: how long a node that died while delivering delays its
	// callbacks. Default 5 s.
	Lease time.Duration
	// Renew is how often a delivery in flight extends its lease (real
	// time); it must leave room for two renewals per lease, so one slow
	// database write does not lose it. Default: Lease / 3.
	Renew time.Duration
	// Schedule decides retries and when to give up.
	Schedule opaygate.RetrySchedule
	// AllowPrivate lets callbacks reach loopback, private and link-local
	// addresses. Live mode keeps it off (server-side request forgery); the
	// sandbox turns it on so a merchant's local receiver works.
	AllowPrivate bool
	// AllowTargets are internal addresses callbacks may reach although
	// AllowPrivate is off: a merchant's receiver on a private network.
	AllowTargets []Target
	// Transport replaces the guarded transport, for tests.
	Transport http.RoundTripper
	// Clock is when attempts happen, and what the store's schedule reads.
	Clock  opaygate.Clock
	Logger *slog.Logger
}

// DefaultLease is how long a claim lasts unless its delivery renews it. A
// delivery can take up to the timeout (10 s), which the renewals cover; the
// lease itself only has to outlast a renewal's database write.
const DefaultLease = 5 * time.Second

// DefaultConfig is live mode's: the spec's schedule, a 10 s timeout, four
// deliveries in flight, internal addresses refused.
func DefaultConfig() Config {
	return Config{
		Interval:    time.Second,
		Timeout:     10 * time.Second,
		Concurrency: 4,
		Schedule:    opaygate.DefaultRetrySchedule(),
	}
}

// SandboxConfig is the sandbox's: a compressed schedule (1 s doubling, capped
// at 30 s, dead after 10 min), a poll every 250 ms, and local receivers allowed.
func SandboxConfig() Config {
	c := DefaultConfig()
	c.Interval = 250 * time.Millisecond
	c.Schedule = opaygate.SandboxRetrySchedule()
	c.AllowPrivate = true
	return c
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Interval <= 0 {
		c.Interval = d.Interval
	}
	if c.Timeout <= 0 {
		c.Timeout = d.Timeout
	}
	if c.Concurrency <= 0 {
		c.Concurrency = d.Concurrency
	}
	if c.Lease <= 0 {
		c.Lease = DefaultLease
	}
	if c.Renew <= 0 {
		c.Renew = c.Lease / 3
	}
	if c.Schedule.First <= 0 || c.Schedule.Max <= 0 || c.Schedule.GiveUpAfter <= 0 {
		c.Schedule = d.Schedule
	}
	if c.Clock == nil {
		c.Clock = opaygate.SystemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Renew*2 >= c.Lease {
		return fmt.Errorf("callback lease renewal every %s must fit twice in the lease %s", c.Renew, c.Lease)
	}
	if c.Schedule.Max < c.Schedule.First {
		return fmt.Errorf("callback retry cap %s is below the first retry %s", c.Schedule.Max, c.Schedule.First)
	}
	return nil
}

// Worker delivers callbacks. Several workers may share a PostgreSQL
// database; on SQLite run one per database.
type Worker struct {
	cfg       Config
	callbacks opaygate.CallbackService
	merchants opaygate.MerchantService
	client    *http.Client
	log       *slog.Logger

	mu       sync.Mutex
	inFlight map[int64]bool // callbacks this worker is delivering
	wake     chan struct{}
}

// New returns a worker delivering the callbacks of store, signed with the
// keys of merchants.
func New(cfg Config, callbacks opaygate.CallbackService, merchants opaygate.MerchantService) *Worker {
	cfg = cfg.withDefaults()
	transport := cfg.Transport
	if transport == nil {
		transport = newTransport(Guard{AllowPrivate: cfg.AllowPrivate, Allow: cfg.AllowTargets})
	}
	return &Worker{
		cfg:       cfg,
		callbacks: callbacks,
		merchants: merchants,
		client: &http.Client{
			Transport: transport,
			// A redirect is not an acknowledgement, and following one
			// would let a target send us anywhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		log:      cfg.Logger,
		inFlight: map[int64]bool{},
		wake:     make(chan struct{}, 1),
	}
}

// Wake makes a running worker look for due callbacks now instead of at its
// next interval (after a re-send, for instance).
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers due callbacks until ctx ends, then waits for the deliveries
// in flight to finish (each is bounded by the timeout) and returns.
func (w *Worker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, w.cfg.Concurrency)
	ticker := time.NewTicker(w.cfg.Interval)
	defer ticker.Stop()
	for {
		// Only this loop fills slots, so the free count can only grow
		// while it claims.
		if free := cap(slots) - len(slots); free > 0 && ctx.Err() == nil {
			list, err := w.callbacks.ClaimCallbacks(ctx, free, w.cfg.Lease, w.running()...)
			if err != nil && ctx.Err() == nil {
				w.log.Warn("claim callbacks", "err", err)
			}
			for _, c := range w.take(list) {
				slots <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					// A delivery that started finishes and is recorded
					// even when the worker is asked to stop.
					w.deliver(context.WithoutCancel(ctx), c)
					<-slots
					w.Wake()
				}()
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		case <-w.wake:
		}
	}
}

// DeliverDue delivers every callback due now, Concurrency at a time, and
// returns how many attempts it made. Tests and one-shot tools use it instead
// of Run.
func (w *Worker) DeliverDue(ctx context.Context) (int, error) {
	n := 0
	for {
		list, err := w.callbacks.ClaimCallbacks(ctx, w.cfg.Concurrency, w.cfg.Lease, w.running()...)
		if err != nil {
			return n, err
		}
		list = w.take(list)
		if len(list) == 0 {
			return n, nil
		}
		var wg sync.WaitGroup
		for _, c := range list {
			wg.Go(func() { w.deliver(ctx, c) })
		}
		wg.Wait()
		n += len(list)
	}
}

// take marks claimed callbacks in flight. The claims skip what is in flight,
// so a callback already being delivered comes back only from a claim that
// raced with the skip list; it is dropped rather than sent twice at once.
func (w *Worker) take(list []*opaygate.Callback) []*opaygate.Callback {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := list[:0]
	for _, c := range list {
		if w.inFlight[c.ID] {
			continue
		}
		w.inFlight[c.ID] = true
		out = append(out, c)
	}
	return out
}

// running lists the callbacks this worker is delivering, for claims to
// skip: a sandbox clock jump can end their leases while they are in flight,
// and claiming them again would take the claim away from the delivery that
// is about to record its outcome.
func (w *Worker) running() []int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	ids := make([]int64, 0, len(w.inFlight))
	for id := range w.inFlight {
		ids = append(ids, id)
	}
	return ids
}

func (w *Worker) release(id int64) {
	w.mu.Lock()
	delete(w.inFlight, id)
	w.mu.Unlock()
}

// errLeaseLost ends a delivery whose claim another worker now holds, or whose
// lease could not be renewed before it ran out: from then on another worker
// may send the callback, and this one stops rather than overlap with it.
var errLeaseLost = errors.New("delivery abandoned: its lease could not be renewed")

// deliver makes one attempt and records it.
func (w *Worker) deliver(ctx context.Context, c *opaygate.Callback) {
	defer w.release(c.ID)
	a := opaygate.CallbackAttempt{CallbackID: c.ID, At: w.cfg.Clock.Now()}
	start := time.Now()
	pctx, abandon := context.WithCancelCause(ctx)
	stopRenewing := w.holdLease(pctx, c, abandon)
	status, err := w.post(pctx, c)
	stopRenewing()
	if cause := context.Cause(pctx); err != nil && errors.Is(cause, errLeaseLost) {
		err = cause
	}
	abandon(nil)
	a.Duration = time.Since(start)
	a.HTTPStatus = status
	switch {
	case err != nil:
		a.Error = w.describe(err)
	case !a.Acknowledged():
		a.Error = fmt.Sprintf("HTTP %d", status)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	got, rerr := w.callbacks.RecordAttempt(rctx, c, a, w.cfg.Schedule)
	attrs := []any{"callback_id", c.ID, "version", c.Version.OrDefault(), "order_no", c.OrderNo, "status", c.Status, "refunded", c.Refunded,
		"target_host", hostOf(c.TargetURL), "http_status", status, "duration", a.Duration.Round(time.Millisecond)}
	switch {
	case rerr != nil:
		// The lease runs out and the callback is tried again.
		w.log.Error("record callback attempt", append(attrs, "err", rerr)...)
	case got.State == opaygate.CallbackDelivered:
		w.log.Info("callback delivered", append(attrs, "attempts", got.Attempts)...)
	case got.State == opaygate.CallbackDead:
		w.log.Warn("callback dead: retries exhausted", append(attrs, "attempts", got.Attempts, "error", a.Error)...)
	default:
		w.log.Info("callback failed, will retry", append(attrs, "attempts", got.Attempts, "error", a.Error,
			"next_attempt_at", got.NextAttemptAt.Format(time.RFC3339))...)
	}
}

// holdLease renews c's lease every Renew until the returned stop is called,
// so that a delivery slower than the lease is not claimed by another worker.
// When the claim is gone, or the lease ran out while renewals failed, it
// calls abandon: another worker may be sending the callback by then.
func (w *Worker) holdLease(ctx context.Context, c *opaygate.Callback, abandon context.CancelCauseFunc) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(w.cfg.Renew)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			// A renewal gets one interval (at least a second: tests renew
			// every few ms); one that times out is tried again at the next
			// tick, while the lease lasts.
			rctx, cancel := context.WithTimeout(ctx, max(w.cfg.Renew, time.Second))
			kept, err := w.callbacks.RenewLease(rctx, c, w.cfg.Lease)
			cancel()
			switch {
			case err == nil && kept:
			case err == nil:
				w.log.Warn("callback lease lost during delivery", "callback_id", c.ID, "order_no", c.OrderNo)
				abandon(errLeaseLost)
				return
			case !w.cfg.Clock.Now().Before(c.LeaseUntil):
				w.log.Warn("callback lease ran out: renewals failed", "callback_id", c.ID, "order_no", c.OrderNo, "err", err)
				abandon(errLeaseLost)
				return
			default:
				// The next renewal may still make it before the lease ends.
				w.log.Warn("renew callback lease", "callback_id", c.ID, "err", err)
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// post sends c's body and returns the HTTP status, reading (and discarding)
// a bounded answer so that the connection can be reused.
func (w *Worker) post(ctx context.Context, c *opaygate.Callback) (int, error) {
	u, err := url.Parse(c.TargetURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, errors.New("target is not an absolute http or https URL")
	}
	m, err := w.merchants.FindMerchant(ctx, c.MerchantID)
	if err != nil {
		return 0, fmt.Errorf("merchant key unavailable: %w", err)
	}
	v2 := c.Version.OrDefault() == opaygate.CallbackV2
	var body []byte
	if v2 {
		body, err = BodyV2(c)
	} else {
		body, err = Body(c, m.PrivateKey)
	}
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.TargetURL, strings.NewReader(string(body)))
	if err != nil {
		return 0, errors.New("target is not an absolute http or https URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	if v2 {
		// Stamped by the wall clock, not the gateway's (which the sandbox
		// moves): receivers compare it with theirs, as the gateway compares
		// a request's RequestTimestamp with its own.
		ts := RequestTimestamp(time.Now())
		SetHeadersV2(req.Header, c.MerchantID, ts, opay.SignCallbackV2(ts, body, m.PrivateKey))
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if err != nil && !acknowledged(resp.StatusCode) {
		return resp.StatusCode, err
	}
	return resp.StatusCode, nil
}

func acknowledged(status int) bool { return status >= 200 && status <= 299 }

// describe says what went wrong in a line fit for the attempt log: without
// Go's "Post \"<url>\":" prefix, and a timeout as a timeout.
func (w *Worker) describe(err error) string {
	var be *BlockedError
	if errors.As(err, &be) {
		return be.Error()
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Sprintf("timeout after %s", w.cfg.Timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

// hostOf is what logs show of a target: its host, never its path or query,
// which may carry the merchant's secrets.
func hostOf(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Host
}
