package notify_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/notify"
	"github.com/opaygate/opaygate/simulator"
	"github.com/opaygate/opaygate/sqlstore"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

// Three workers, each on its own connection pool as three gateway nodes
// would be, share one PostgreSQL database: no callback is ever delivered by
// two of them at once, and none is lost. The receiver counts deliveries per
// notification and reports duplicates.
func TestCluster_ThreeWorkersOnePostgres(t *testing.T) {
	url := sqlstoretest.URL(t, sqlstore.Postgres)
	var nodes []*sqlstore.DB
	for i := range 3 {
		db, err := sqlstore.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if i == 0 {
			if _, err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		nodes = append(nodes, db)
	}
	ln, target := listen(t)
	f := &fixture{db: nodes[0], clock: opaygate.NewOffsetClock(fixedClock{t0}), net: simulator.New()}
	f.svc = f.services(nodes[0])
	priv, pub := opaygate.NewKeyPair()
	f.m = &opaygate.Merchant{ID: "256612345678901", Name: "A", PrivateKey: priv, PublicKey: pub,
		Countries: opaygate.Countries(), Functions: opaygate.AllFunctions(), WebhookURL: target}
	if err := f.svc.Merchants.CreateMerchant(context.Background(), f.m); err != nil {
		t.Fatal(err)
	}
	rc := newReceiver(t, func() string { return f.m.PrivateKey })
	rc.setRespond(func(int) (int, time.Duration) { return 200, time.Duration(rand.IntN(3000)) * time.Microsecond })
	serve(t, ln, rc)

	const n = 300
	for i := range n {
		f.closed(t, fmt.Sprintf("cluster-%03d", i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	start := time.Now()
	for _, db := range nodes {
		svc := f.services(db)
		cfg := localConfig()
		cfg.Clock = f.clock
		w := notify.New(cfg, svc.Callbacks, svc.Merchants)
		wg.Go(func() { w.Run(ctx) })
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, good, _, _, _ := rc.snapshot()
		if len(good) >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d delivered after 60s", len(good), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(start)
	cancel()
	wg.Wait()

	requests, good, bad, concurrent, maxActive := rc.snapshot()
	count := map[string]int{}
	for _, d := range good {
		count[d.key()]++
	}
	duplicates := 0
	for k, c := range count {
		if c > 1 {
			duplicates += c - 1
			t.Errorf("%s delivered %d times", k, c)
		}
	}
	t.Logf("3 workers, %d callbacks: %d requests, %d duplicates, %d concurrent duplicates, at most %d in flight, %s (%.0f deliveries/s)",
		n, requests, duplicates, len(concurrent), maxActive, took.Round(time.Millisecond), float64(n)/took.Seconds())
	if len(concurrent) > 0 || len(bad) > 0 || len(count) != n {
		t.Fatalf("concurrent deliveries %v, refused %v, %d distinct of %d", concurrent, bad, len(count), n)
	}
	list, err := f.svc.Callbacks.ListCallbacks(context.Background(), opaygate.CallbackFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.State != opaygate.CallbackDelivered || c.Attempts != 1 || len(c.History) != 1 {
			t.Errorf("callback %d: %s, %d attempts, history %d", c.ID, c.State, c.Attempts, len(c.History))
		}
	}
}
