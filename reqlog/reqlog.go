// Package reqlog is the request log's writer: the HTTP layer hands it every API request it
// answered (Record), and a background goroutine (Run) holds them for up to Linger (window.go),
// redacts the bodies (redact.go), writes them in batches through opaygate.RequestLogService,
// and prunes each merchant's log to its newest Keep requests. Of a merchant's requests within
// one Linger it writes only the newest Keep: the prune would delete the others.
//
// Nothing of it runs on a request's path but Record, which never blocks and never touches the
// database: when the queue is full the request is dropped and counted, and the answer goes out
// as fast as without a log. The log is never written inside a request's transaction.
//
// It imports the root package and internal/jsonscan, nothing else of ours.
package reqlog

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/opaygate/opaygate"
)

// Defaults of Config.
const (
	DefaultKeep          = 1000
	DefaultQueue         = 4096
	DefaultQueueBytes    = 16 << 20
	DefaultBatch         = 256
	DefaultLinger        = time.Second
	DefaultPruneInterval = 10 * time.Second
	DefaultMaxBody       = 16 << 10
)

// flushTimeout bounds the final writes on shutdown, writeTimeout every write: a database
// that does not answer loses a batch of the log, not the writer.
const (
	flushTimeout = 5 * time.Second
	writeTimeout = 5 * time.Second
)

// Config configures a Log; zero fields take the defaults above. A gateway that logs nothing
// (serve's --request-log 0) has no Log at all.
type Config struct {
	Keep          int           // newest requests kept per merchant
	Queue         int           // requests waiting to be written, at most
	QueueBytes    int64         // bytes of their bodies, at most
	Batch         int           // requests per write, at most
	Linger        time.Duration // how long a request waits to be written with more, at most
	PruneInterval time.Duration // how often each merchant written to is pruned to Keep
	MaxBody       int           // bytes kept of each body, after redaction
	Logger        *slog.Logger
}

// Log is one node's request log writer.
type Log struct {
	cfg     Config
	store   opaygate.RequestLogService
	queue   chan item
	flushes chan chan struct{}

	win window // the writer's alone

	held       atomic.Int64 // bytes of the bodies queued or in the window
	dropped    atomic.Int64 // requests dropped because the queue was full
	superseded atomic.Int64 // requests not written: Keep newer ones of their merchant followed within Linger
	written    atomic.Int64
}

// item is a request on its way to storage, with its bodies as they were sent and answered.
type item struct {
	r         *opaygate.APIRequest
	req, resp []byte
}

// New returns a log writing to store; Run must run for anything to be written.
func New(store opaygate.RequestLogService, cfg Config) *Log {
	if cfg.Keep <= 0 {
		cfg.Keep = DefaultKeep
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.QueueBytes <= 0 {
		cfg.QueueBytes = DefaultQueueBytes
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.PruneInterval <= 0 {
		cfg.PruneInterval = DefaultPruneInterval
	}
	if cfg.Linger <= 0 {
		cfg.Linger = DefaultLinger
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Log{cfg: cfg, store: store, queue: make(chan item, cfg.Queue), flushes: make(chan chan struct{})}
}

// Record queues r with its bodies (which Record keeps: the caller must not change them) and
// returns at once. When the queue is full, in requests or in bytes, r is dropped and counted.
func (l *Log) Record(r *opaygate.APIRequest, request, response []byte) {
	n := int64(len(request) + len(response))
	if l.held.Add(n) > l.cfg.QueueBytes {
		l.held.Add(-n)
		l.dropped.Add(1)
		return
	}
	select {
	case l.queue <- item{r: r, req: request, resp: response}:
	default:
		l.held.Add(-n)
		l.dropped.Add(1)
	}
}

// Dropped is how many requests were not logged because the queue was full.
func (l *Log) Dropped() int64 { return l.dropped.Load() }

// Superseded is how many requests were not written because Keep newer requests of the same
// merchant followed within Linger: the prune would have deleted them.
func (l *Log) Superseded() int64 { return l.superseded.Load() }

// Written is how many requests were stored.
func (l *Log) Written() int64 { return l.written.Load() }

// Run writes queued requests until ctx ends, then writes what is still queued (for at most
// flushTimeout) and returns. Stop the HTTP server first, so that nothing is recorded after.
// Every PruneInterval it prunes the merchants it wrote for since the last prune, and reports
// requests dropped meanwhile; at start it prunes every merchant once, since Keep may have been
// lowered since the last run.
//
// Requests wait in a window (see window) for up to Linger after the first of them, then are
// written together.
func (l *Log) Run(ctx context.Context) {
	touched := map[string]bool{}
	l.prune(ctx, nil)
	tick := time.NewTicker(l.cfg.PruneInterval)
	defer tick.Stop()
	linger := time.NewTimer(l.cfg.Linger)
	linger.Stop()
	defer linger.Stop()
	var reported int64
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
			defer cancel()
			l.takeQueued()
			l.writeWindow(fctx, touched)
			l.prune(fctx, keys(touched))
			l.reportDrops(&reported)
			return
		case it := <-l.queue:
			if l.win.n == 0 {
				linger.Reset(l.cfg.Linger)
			}
			l.take(it)
			if l.win.full(l.cfg) {
				// A write is not cut short by the end of ctx: what was taken off the
				// queue when the server stops is written like the rest.
				linger.Stop()
				l.writeWindow(context.WithoutCancel(ctx), touched)
			}
		case <-linger.C:
			l.writeWindow(context.WithoutCancel(ctx), touched)
		case done := <-l.flushes:
			linger.Stop()
			l.takeQueued()
			l.writeWindow(context.WithoutCancel(ctx), touched)
			close(done)
		case <-tick.C:
			l.prune(ctx, keys(touched))
			clear(touched)
			l.reportDrops(&reported)
		}
	}
}

// reportDrops logs the requests dropped since *reported, if any.
func (l *Log) reportDrops(reported *int64) {
	if d := l.dropped.Load(); d > *reported {
		l.cfg.Logger.Warn("request log queue full: requests not logged", "count", d-*reported, "total", d)
		*reported = d
	}
}

// Flush returns once every request recorded before it is stored (or dropped), so that a
// reader on this node finds the request it just made. It waits for Run.
func (l *Log) Flush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case l.flushes <- done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// takeQueued moves everything queued into the window, writing nothing: it runs only before a
// write of the whole window, so the window cannot outgrow its bounds for long.
func (l *Log) takeQueued() {
	for {
		select {
		case it := <-l.queue:
			l.take(it)
		default:
			return
		}
	}
}

// take puts it in the window. When its merchant's share of the window already holds Keep
// requests, the oldest of them gives way: it would be pruned as soon as written.
func (l *Log) take(it item) {
	if old, ok := l.win.add(it, l.cfg.Keep); ok {
		l.held.Add(-size(old))
		l.superseded.Add(1)
	}
}

// writeWindow redacts what the window holds and writes it in arrival order, at most Batch
// requests per write, and empties the window.
func (l *Log) writeWindow(ctx context.Context, touched map[string]bool) {
	items := l.win.take()
	for len(items) > 0 {
		n := min(len(items), l.cfg.Batch)
		batch := make([]*opaygate.APIRequest, n)
		for i, it := range items[:n] {
			batch[i] = l.redact(it)
		}
		l.write(ctx, batch, touched)
		items = items[n:]
	}
}

// redact fills the request's bodies with what may be stored, and its text fields with what
// Text leaves of them.
func (l *Log) redact(it item) *opaygate.APIRequest {
	defer l.held.Add(-size(it))
	r := it.r
	r.RequestBody, r.RequestTruncated = Body(it.req, l.cfg.MaxBody)
	// The answer is JSON the gateway encoded (RequestRecorder): not checked again.
	r.ResponseBody, r.ResponseTruncated = redactBody(it.resp, l.cfg.MaxBody, true)
	r.Path, r.Detail, r.MerchantID = Text(r.Path), Text(r.Detail), clean(r.MerchantID)
	r.RequestID, r.Method = clean(r.RequestID), clean(r.Method)
	return r
}

func (l *Log) write(ctx context.Context, batch []*opaygate.APIRequest, touched map[string]bool) {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	if err := l.store.AddRequests(ctx, batch); err != nil {
		// A log is not worth retrying into a database that fails: the requests were
		// answered, and the next batch may find it back.
		l.cfg.Logger.Warn("request log write failed", "count", len(batch), "err", err)
		return
	}
	l.written.Add(int64(len(batch)))
	for _, r := range batch {
		if r.Known {
			touched[r.MerchantID] = true
		} else {
			touched[""] = true
		}
	}
}

func (l *Log) prune(ctx context.Context, merchants []string) {
	if merchants != nil && len(merchants) == 0 {
		return
	}
	if _, err := l.store.PruneRequests(ctx, l.cfg.Keep, merchants); err != nil && ctx.Err() == nil {
		l.cfg.Logger.Warn("request log prune failed", "err", err)
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
