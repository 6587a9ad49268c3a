// Package reqlog is the request log's writer: the HTTP layer hands it every API request it
// answered (Record), and a background goroutine (Run) redacts the bodies (redact.go), writes
// them in batches through opaygate.RequestLogService, and prunes each merchant's log to its
// newest Keep requests.
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
	DefaultLinger        = 100 * time.Millisecond
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
	Linger        time.Duration // how long a write waits for more requests, at most
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

	held    atomic.Int64 // bytes of the queued bodies
	dropped atomic.Int64 // requests dropped because the queue was full
	written atomic.Int64
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

// Written is how many requests were stored.
func (l *Log) Written() int64 { return l.written.Load() }

// Run writes queued requests until ctx ends, then writes what is still queued (for at most
// flushTimeout) and returns. Stop the HTTP server first, so that nothing is recorded after.
// Every PruneInterval it prunes the merchants it wrote for since the last prune, and reports
// requests dropped meanwhile; at start it prunes every merchant once, since Keep may have been
// lowered since the last run.
func (l *Log) Run(ctx context.Context) {
	touched := map[string]bool{}
	l.prune(ctx, nil)
	tick := time.NewTicker(l.cfg.PruneInterval)
	defer tick.Stop()
	var reported int64
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
			defer cancel()
			l.drain(fctx, touched)
			l.prune(fctx, keys(touched))
			l.reportDrops(&reported)
			return
		case it := <-l.queue:
			// A write is not cut short by the end of ctx: a batch taken off the queue
			// when the server stops is written like the rest (within writeTimeout).
			batch, done := l.gather(ctx, it)
			l.write(context.WithoutCancel(ctx), batch, touched)
			if done != nil {
				l.drain(context.WithoutCancel(ctx), touched)
				close(done)
			}
		case done := <-l.flushes:
			l.drain(context.WithoutCancel(ctx), touched)
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

// drain writes everything queued.
func (l *Log) drain(ctx context.Context, touched map[string]bool) {
	for {
		select {
		case it := <-l.queue:
			l.write(ctx, l.collect(it), touched)
		default:
			return
		}
	}
}

// gather takes first and what arrives within Linger after it, up to a batch, and redacts
// it: one write of many requests costs the database far less than many writes of a few (a
// status read would otherwise cost a commit of its own). It stops early for a Flush, which
// the caller answers once the batch and the rest of the queue are written, and when ctx ends.
func (l *Log) gather(ctx context.Context, first item) ([]*opaygate.APIRequest, chan struct{}) {
	batch := []*opaygate.APIRequest{l.redact(first)}
	linger := time.NewTimer(l.cfg.Linger)
	defer linger.Stop()
	for len(batch) < l.cfg.Batch {
		select {
		case it := <-l.queue:
			batch = append(batch, l.redact(it))
		case done := <-l.flushes:
			return l.collectMore(batch), done
		case <-linger.C:
			return batch, nil
		case <-ctx.Done():
			return batch, nil
		}
	}
	return batch, nil
}

// collect takes first and whatever else is queued, up to a batch, and redacts it.
func (l *Log) collect(first item) []*opaygate.APIRequest {
	return l.collectMore([]*opaygate.APIRequest{l.redact(first)})
}

// collectMore adds to batch whatever is queued, up to a batch.
func (l *Log) collectMore(batch []*opaygate.APIRequest) []*opaygate.APIRequest {
	for len(batch) < l.cfg.Batch {
		select {
		case it := <-l.queue:
			batch = append(batch, l.redact(it))
		default:
			return batch
		}
	}
	return batch
}

// redact fills the request's bodies with what may be stored, and its text fields with what
// Text leaves of them.
func (l *Log) redact(it item) *opaygate.APIRequest {
	defer l.held.Add(-int64(len(it.req) + len(it.resp)))
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
