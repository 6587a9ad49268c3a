package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
)

// kvInsert is a transaction's statements that insert k (taken when k is there already) and
// then k+"-event", as a create inserts an order and its first event.
func kvInsert(db *DB, k string, taken error) []pgStmt {
	return []pgStmt{
		{q: db.rebind(`INSERT INTO kv (k, v) VALUES (?, ?)`), args: []any{k, 1}, what: "insert " + k,
			none: taken, unique: "kv_pkey"},
		{q: db.rebind(`INSERT INTO kv (k, v) VALUES (?, ?)`), args: []any{k + "-event", 1}},
	}
}

// runShared runs one shared commit of a kvInsert transaction per key, and returns their
// outcomes.
func runShared(db *DB, taken error, keys ...string) []error {
	var b []*sharedCommit
	for _, k := range keys {
		b = append(b, &sharedCommit{ctx: context.Background(), stmts: kvInsert(db, k, taken), done: make(chan error, 1)})
	}
	db.pgGroup.run(b)
	out := make([]error, len(b))
	for i, r := range b {
		out[i] = <-r.done
	}
	return out
}

// TestSharedCommitBatch: the transactions of a shared commit go in one round trip; one whose
// statement fails gets that error alone, the others commit all the same, each in its order (a
// later insert of a key an earlier member inserted fails as it would after that one's
// commit), and nothing of the failed ones is written.
func TestSharedCommitBatch(t *testing.T) {
	db := openTestPostgres(t)
	taken := errors.New("key taken")
	if _, err := db.write.Exec(`INSERT INTO kv (k, v) VALUES ('old', 1)`); err != nil {
		t.Fatal(err)
	}
	batch := func(keys ...string) []error { return runShared(db, taken, keys...) }

	before := db.PostgresRoundTrips()
	for i, err := range batch("a", "b", "c") {
		if err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
	}
	if n := db.PostgresRoundTrips() - before; n != 1 {
		t.Errorf("three transactions: %d round trips, want 1", n)
	}

	// "old" is taken in the table, the second "d" by the first "d" of the same batch.
	errs := batch("old", "d", "e", "d")
	for i, want := range []bool{true, false, false, true} {
		if got := errors.Is(errs[i], taken); got != want {
			t.Errorf("member %d: %v, taken %v, want %v", i, errs[i], got, want)
		}
	}
	if !strings.Contains(errs[0].Error(), "insert old") {
		t.Errorf("error %q does not name the statement", errs[0])
	}
	keys := strings.Join(kvKeys(t, db), " ")
	if want := "a a-event b b-event c c-event d d-event e e-event old"; keys != want {
		t.Fatalf("rows %q, want %q", keys, want)
	}

	// A member whose request gave up before the batch went out is not sent.
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	b := []*sharedCommit{
		{ctx: context.Background(), stmts: kvInsert(db, "f", taken), done: make(chan error, 1)},
		{ctx: gone, stmts: kvInsert(db, "g", taken), done: make(chan error, 1)},
	}
	db.pgGroup.run(b)
	if err := <-b[0].done; err != nil {
		t.Fatalf("member beside a cancelled one: %v", err)
	}
	if err := <-b[1].done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled member: %v, want context.Canceled", err)
	}
	if keys := strings.Join(kvKeys(t, db), " "); strings.Contains(keys, "g") {
		t.Fatalf("rows %q: the cancelled member was written", keys)
	}
}

// TestSharedCommits: transactions that share commits from many goroutines at once each get
// their own outcome, and together take fewer round trips than there are transactions.
func TestSharedCommits(t *testing.T) {
	db := openTestPostgres(t)
	ctx := context.Background()
	taken := errors.New("key taken")
	const n = 200
	var wg sync.WaitGroup
	errs := make([]error, n)
	before := db.PostgresRoundTrips()
	for i := range n {
		wg.Go(func() {
			k := fmt.Sprint("k", i%150) // 50 keys twice
			errs[i] = db.update(ctx, opaygate.SystemClock{}, func(tx *Tx) error {
				tx.shareCommit()
				if err := tx.insertOne(ctx, "insert "+k, `INSERT INTO kv (k, v) VALUES (?, ?)`,
					uniqueKey{columns: "k", name: "kv_pkey"}, taken, k, i); err != nil {
					return err
				}
				return tx.execLater(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, fmt.Sprint("e", i), i)
			})
		})
	}
	wg.Wait()
	trips := db.PostgresRoundTrips() - before
	ok, dup := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, taken):
			dup++
		default:
			t.Errorf("transaction %d: %v", i, err)
		}
	}
	if ok != 150 || dup != 50 {
		t.Fatalf("%d committed, %d taken; want 150 and 50", ok, dup)
	}
	if got := len(kvKeys(t, db)); got != 300 {
		t.Fatalf("%d rows, want 300: each committed transaction's two", got)
	}
	t.Logf("%d transactions in %d round trips", n, trips)
	if trips >= n {
		t.Errorf("%d transactions took %d round trips: no commit was shared", n, trips)
	}
}

// cutProxy forwards connections to PostgreSQL; armed, it lets the next pipeline through and
// cuts its answer short, as a connection lost after the server ran it (COMMIT included).
type cutProxy struct {
	ln     net.Listener
	target string
	armed  atomic.Bool
}

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *cutProxy) handle(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	var cutting atomic.Bool
	go func() { // to the server
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				if p.armed.CompareAndSwap(true, false) {
					cutting.Store(true)
				}
				s.Write(buf[:n])
			}
			if err != nil {
				s.Close()
				return
			}
		}
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := s.Read(buf)
		if n > 0 && cutting.Load() {
			// Let the server finish the pipeline, then pass on a few bytes of its answer.
			time.Sleep(300 * time.Millisecond)
			s.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			for n < 42 {
				m, err := s.Read(buf[n:])
				if n += m; err != nil {
					break
				}
			}
			c.Write(buf[:min(n, 42)]) // BEGIN's answer and the first insert's, part of the next
			c.Close()
			s.Close()
			return
		}
		if n > 0 {
			c.Write(buf[:n])
		}
		if err != nil {
			c.Close()
			return
		}
	}
}

// TestSharedCommitConnectionLost: when the connection fails while a shared commit's answer
// comes back, the server may have committed it all, so nothing is sent again and no member is
// told its key is taken (by its own committed row): every member gets the failure, an outcome
// unknown, as a transaction committing alone would.
func TestSharedCommitConnectionLost(t *testing.T) {
	base := os.Getenv("OPAYGATE_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := &cutProxy{ln: ln, target: u.Host}
	go p.serve()
	u.Host = ln.Addr().String()
	t.Setenv("OPAYGATE_TEST_POSTGRES", u.String())
	db := openTestPostgres(t)
	taken := errors.New("key taken")
	batch := func(keys ...string) []error { return runShared(db, taken, keys...) }
	for _, err := range batch("w1", "w2") { // statements prepared on the connection
		if err != nil {
			t.Fatal(err)
		}
	}
	p.armed.Store(true)
	before := db.PostgresRoundTrips()
	errs := batch("a", "b", "c")
	if n := db.PostgresRoundTrips() - before; n != 1 {
		t.Errorf("%d round trips: a batch whose connection failed was sent again", n)
	}
	for i, err := range errs {
		if err == nil || errors.Is(err, taken) {
			t.Errorf("member %d: %v, want the connection's failure", i, err)
		}
	}
	t.Logf("rows after the cut: %v", kvKeys(t, db))
}
