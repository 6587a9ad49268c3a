package reqlog_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/reqlog"
)

// store is a RequestLogService in memory whose writes can be held up.
type store struct {
	mu      sync.Mutex
	rows    []*opaygate.APIRequest
	batches []int // rows per AddRequests
	pruned  [][]string
	blocked chan struct{} // while open, AddRequests waits
	entered chan struct{} // AddRequests sends on it when it starts, if set
}

func (s *store) AddRequests(ctx context.Context, rs []*opaygate.APIRequest) error {
	if s.entered != nil {
		s.entered <- struct{}{}
	}
	if s.blocked != nil {
		<-s.blocked
	}
	if err := ctx.Err(); err != nil {
		return err // as the database does with a cancelled context
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rows = append(s.rows, rs...)
	s.batches = append(s.batches, len(rs))
	return nil
}

func (s *store) FindRequests(context.Context, opaygate.RequestFilter) ([]*opaygate.APIRequest, error) {
	return nil, nil
}

func (s *store) RequestPaths(context.Context, string) ([]string, error) { return nil, nil }

func (s *store) FindRequest(context.Context, int64) (*opaygate.APIRequest, error) { return nil, nil }

func (s *store) PruneRequests(_ context.Context, keep int, merchants []string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	slices.Sort(merchants)
	s.pruned = append(s.pruned, merchants)
	return 0, nil
}

func (s *store) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rows)
}

func request(merchant string, known bool) *opaygate.APIRequest {
	return &opaygate.APIRequest{Method: "POST", Path: "/api/v1/international/cashier/status", MerchantID: merchant,
		Known: known, Code: "00000", HTTPStatus: 200}
}

func TestLogFlushesOnStop(t *testing.T) {
	s := &store{}
	l := reqlog.New(s, reqlog.Config{Batch: 3, PruneInterval: time.Hour})
	for range 10 {
		l.Record(request("A", true), []byte(`{"otp":"123456"}`), []byte(`{"code":"00000"}`))
	}
	l.Record(request("nobody", false), nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Run starts after the server stopped: everything queued is written
	l.Run(ctx)
	if s.count() != 11 || l.Written() != 11 {
		t.Fatalf("stored %d, written %d; want 11", s.count(), l.Written())
	}
	if r := s.rows[0]; r.RequestBody != `{"otp":"[redacted]"}` || r.ResponseBody != `{"code":"00000"}` {
		t.Fatalf("stored %+v", r)
	}
	// Once at start for every merchant, then the ones written for.
	if !slices.EqualFunc(s.pruned, [][]string{nil, {"", "A"}}, slices.Equal) {
		t.Fatalf("pruned %q", s.pruned)
	}
}

// TestLogLingers: requests that arrive within Linger of each other are written
// together, a Flush does not wait out the linger, and a lone request is
// written once its linger is over.
func TestLogLingers(t *testing.T) {
	s := &store{}
	l := reqlog.New(s, reqlog.Config{Linger: time.Hour, PruneInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { l.Run(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()
	l.Record(request("A", true), nil, nil)
	time.Sleep(20 * time.Millisecond) // Run has taken the first and waits for more
	l.Record(request("A", true), nil, nil)
	l.Record(request("A", true), nil, nil)
	fctx, fcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer fcancel()
	if err := l.Flush(fctx); err != nil {
		t.Fatalf("Flush during the linger: %v", err)
	}
	s.mu.Lock()
	batches := slices.Clone(s.batches)
	s.mu.Unlock()
	if !slices.Equal(batches, []int{3}) {
		t.Fatalf("rows per write %v, want [3]: one write for the three", batches)
	}

	s2 := &store{}
	l2 := reqlog.New(s2, reqlog.Config{Linger: 10 * time.Millisecond, PruneInterval: time.Hour})
	go l2.Run(ctx)
	l2.Record(request("B", true), nil, nil)
	deadline := time.Now().Add(5 * time.Second)
	for s2.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if s2.count() != 1 {
		t.Fatal("a lone request was not written after its linger")
	}
}

func TestLogDropsWhenFull(t *testing.T) {
	t.Run("Requests", func(t *testing.T) {
		s := &store{blocked: make(chan struct{})}
		l := reqlog.New(s, reqlog.Config{Queue: 4, Batch: 1, PruneInterval: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { l.Run(ctx); close(done) }()
		start := time.Now()
		for range 100 {
			l.Record(request("A", true), []byte(`{}`), nil) // the writer holds up to four, the queue four
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("Record waited %s", d)
		}
		if l.Dropped() < 92 || l.Dropped() > 96 {
			t.Fatalf("dropped %d of 100 with room for 5 to 8", l.Dropped())
		}
		close(s.blocked)
		cancel()
		<-done
		if got := int64(s.count()) + l.Dropped(); got != 100 {
			t.Fatalf("stored %d and dropped %d of 100", s.count(), l.Dropped())
		}
	})
	t.Run("Bytes", func(t *testing.T) {
		s := &store{}
		l := reqlog.New(s, reqlog.Config{QueueBytes: 1000})
		big := make([]byte, 600)
		l.Record(request("A", true), big, nil)
		l.Record(request("A", true), big, nil)
		l.Record(request("A", true), []byte(`{}`), big[:300])
		if l.Dropped() != 1 {
			t.Fatalf("dropped %d, want the second 600 bytes", l.Dropped())
		}
		var logs strings.Builder
		l = reqlog.New(s, reqlog.Config{QueueBytes: 1000, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		l.Record(request("A", true), big, big)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		l.Run(ctx)
		if !strings.Contains(logs.String(), `msg="request log queue full: requests not logged" count=1 total=1`) {
			t.Fatalf("log: %s", logs.String())
		}
	})
}

// A batch taken off the queue when the server stops is written all the same.
func TestLogWritesBatchInFlightAtStop(t *testing.T) {
	s := &store{blocked: make(chan struct{}), entered: make(chan struct{}, 1)}
	l := reqlog.New(s, reqlog.Config{Linger: time.Millisecond, PruneInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	l.Record(request("A", true), nil, nil)
	<-s.entered
	cancel()
	close(s.blocked)
	<-done
	if s.count() != 1 {
		t.Fatalf("stored %d of the batch in flight at the stop", s.count())
	}
}

// TestLogWritesNewestKeep: of a merchant's requests within one linger only the newest Keep are
// written (the prune would delete the others), in the order they came with everyone else's,
// and the bytes of those superseded are given back to the queue.
func TestLogWritesNewestKeep(t *testing.T) {
	s := &store{}
	l := reqlog.New(s, reqlog.Config{Keep: 3, Linger: time.Hour, PruneInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { l.Run(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()
	record := func(id, merchant string, known bool) {
		r := request(merchant, known)
		r.RequestID = id
		l.Record(r, []byte(`{}`), nil)
	}
	for _, id := range []string{"a1", "a2", "a3", "a4", "a5"} {
		record(id, "A", true)
	}
	record("b1", "B", true)
	record("x1", "X", false) // no known merchant: one share for all of them
	record("y1", "Y", false)
	record("a6", "A", true)
	flush(t, l)
	var got []string
	for _, r := range s.rows {
		got = append(got, r.RequestID)
	}
	if want := []string{"a4", "a5", "b1", "x1", "y1", "a6"}; !slices.Equal(got, want) {
		t.Fatalf("written %q, want %q", got, want)
	}
	if l.Written() != 6 || l.Superseded() != 3 {
		t.Fatalf("written %d, superseded %d; want 6 and 3", l.Written(), l.Superseded())
	}

	s2 := &store{}
	l2 := reqlog.New(s2, reqlog.Config{Keep: 1, QueueBytes: 2000, Linger: time.Hour, PruneInterval: time.Hour})
	go l2.Run(ctx)
	for range 5 {
		l2.Record(request("A", true), make([]byte, 300), nil)
	}
	flush(t, l2)
	l2.Record(request("A", true), make([]byte, 1900), nil) // fits only if every byte before was given back
	if l2.Dropped() != 0 || l2.Superseded() != 4 {
		t.Fatalf("dropped %d, superseded %d; want 0 and 4", l2.Dropped(), l2.Superseded())
	}
}

func flush(t *testing.T, l *reqlog.Log) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}
