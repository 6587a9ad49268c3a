package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
)

// expiringOrders is an OrderService whose only working method hands out a
// backlog of expired orders in batches.
type expiringOrders struct {
	opaygate.OrderService
	mu      sync.Mutex
	backlog int
	calls   int
	fail    bool
}

func (o *expiringOrders) ExpireOrders(ctx context.Context, limit int) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls++
	if o.fail {
		return 0, errors.New("database is on fire")
	}
	n := min(limit, o.backlog)
	o.backlog -= n
	return n, nil
}

func (o *expiringOrders) state() (backlog, calls int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.backlog, o.calls
}

func TestSweep_DrainsBacklogAndLogs(t *testing.T) {
	var logs syncBuffer
	m := NewMain(Config{SweepInterval: 10 * time.Millisecond}, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	orders := &expiringOrders{backlog: 2*sweepBatch + 7}
	ctx, cancel := context.WithCancel(context.Background())
	m.sweeping.Add(1)
	go m.sweep(ctx, orders)

	deadline := time.Now().Add(5 * time.Second)
	for backlog, _ := orders.state(); backlog > 0; backlog, _ = orders.state() {
		if time.Now().After(deadline) {
			t.Fatalf("backlog %d left after 5s", backlog)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	m.sweeping.Wait() // the sweeper stops when told to

	out := logs.String()
	for _, want := range []string{"count=500", "count=7"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestSweep_LogsErrorsAndKeepsGoing(t *testing.T) {
	var logs syncBuffer
	m := NewMain(Config{SweepInterval: 5 * time.Millisecond}, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	orders := &expiringOrders{fail: true}
	ctx, cancel := context.WithCancel(context.Background())
	m.sweeping.Add(1)
	go m.sweep(ctx, orders)
	for _, calls := orders.state(); calls < 3; _, calls = orders.state() {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	m.sweeping.Wait()
	if !strings.Contains(logs.String(), "database is on fire") {
		t.Errorf("the sweeper's error was not logged:\n%s", logs.String())
	}
}
