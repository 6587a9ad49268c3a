package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opaygate/opaygate"
)

// Group commit for SQLite. SQLite has one writer and every durable commit
// costs an fsync, so one transaction per request caps writes at the disk's
// sync rate divided by the statements around it. The committer instead takes
// every write waiting at that moment and runs them in ONE transaction, each
// inside its own savepoint, then commits once. A request is answered only
// after that commit is durable, so "00000 means on disk" still holds; a
// failing request rolls back to its savepoint without touching the others; a
// failed commit fails every request of the batch. An idle gateway pays no
// latency for this: a lone request is a batch of one.

// maxBatch bounds how many writes share one commit, which bounds how long the
// first of them waits for the last.
const maxBatch = 128

type writeReq struct {
	ctx   context.Context
	clock opaygate.Clock
	fn    func(tx *Tx) error
	done  chan error
}

type committer struct {
	batches, writes atomic.Int64 // for WriteStats

	// Nanoseconds spent running batches (BEGIN to COMMIT) and in COMMIT (the WAL's
	// frames and its fsync), for GroupCommits.
	running, committing atomic.Int64

	db    *DB
	queue chan *writeReq
	stop  chan struct{}
	idle  chan struct{} // closed when the loop has exited
	once  sync.Once

	// The statements around each request, prepared before the first batch
	// (nil if that failed: they then run unprepared).
	savepoint, release, rollbackTo *sql.Stmt
}

func newCommitter(db *DB) *committer {
	c := &committer{db: db, queue: make(chan *writeReq, 4*maxBatch), stop: make(chan struct{}), idle: make(chan struct{})}
	// The write connection is free now; inside a batch it is the batch's.
	c.savepoint, _ = db.write.Prepare("SAVEPOINT w")
	c.release, _ = db.write.Prepare("RELEASE w")
	c.rollbackTo, _ = db.write.Prepare("ROLLBACK TO w")
	go c.loop()
	return c
}

// do queues fn and waits for the commit of its batch.
func (c *committer) do(ctx context.Context, clock opaygate.Clock, fn func(tx *Tx) error) error {
	select {
	case <-c.stop:
		return errClosed
	default:
	}
	r := &writeReq{ctx: ctx, clock: clock, fn: fn, done: make(chan error, 1)}
	select {
	case c.queue <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.stop:
		return errClosed
	}
	// Once queued, the request's fate is decided by its batch; waiting for
	// it (rather than returning on ctx.Done) keeps a cancelled client from
	// being told "failed" about a write that then committed. A request that
	// slipped into the queue after the loop drained it at close would wait
	// forever, so the loop's exit ends the wait too.
	select {
	case err := <-r.done:
		return err
	case <-c.idle:
		select {
		case err := <-r.done:
			return err
		default:
			return errClosed
		}
	}
}

var errClosed = errors.New("database is closed")

// errBatchLost says the batch's transaction is gone with nothing committed;
// the committer runs the batch again (its functions are re-runnable, as
// update requires), skipping requests whose context has ended.
var errBatchLost = errors.New("batch transaction lost")

func (c *committer) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.idle
	for _, st := range []*sql.Stmt{c.savepoint, c.release, c.rollbackTo} {
		if st != nil {
			st.Close()
		}
	}
}

// takeWaiting appends to batch what ch holds at this moment, up to max in all, without
// waiting: a batch is what arrived while the previous one ran.
func takeWaiting[T any](batch []T, ch <-chan T, max int) []T {
	for len(batch) < max {
		select {
		case r := <-ch:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

func (c *committer) loop() {
	defer close(c.idle)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		select {
		case r := <-c.queue:
			batch = append(batch[:0], r)
		case <-c.stop:
			c.drain()
			return
		}
		batch = takeWaiting(batch, c.queue, maxBatch)
		c.run(batch)
		c.db.prepareWrites()
	}
}

// drain answers every request still queued at close.
func (c *committer) drain() {
	for {
		select {
		case r := <-c.queue:
			r.done <- errClosed
		default:
			return
		}
	}
}

// run executes one batch. BEGIN is retried briefly when another process
// holds the database (busy_timeout already waited inside SQLite).
func (c *committer) run(batch []*writeReq) {
	c.batches.Add(1)
	c.writes.Add(int64(len(batch)))
	var results []error
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt*20) * time.Millisecond)
		}
		results, err = c.try(batch)
		if err == nil || !(c.db.retryable(err) || errors.Is(err, errBatchLost)) {
			break
		}
	}
	for i, r := range batch {
		if err != nil {
			r.done <- err
		} else {
			r.done <- results[i]
		}
	}
}

// try runs the batch in one transaction and returns each request's result,
// or an error that fails them all (begin or commit failed).
func (c *committer) try(batch []*writeReq) ([]error, error) {
	began := time.Now()
	sqlTx, err := c.db.write.BeginTx(context.Background(), nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer sqlTx.Rollback()
	results := make([]error, len(batch))
	var onCommit []func()
	seqs := &batchSeqs{}
	stmts := batchStmts{}
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if err := c.exec(sqlTx, stmts, c.savepoint, "SAVEPOINT w"); err != nil {
			return nil, fmt.Errorf("savepoint: %w", err)
		}
		// Each request is its own state move with its own instant.
		tx := &Tx{sql: sqlTx, db: c.db, now: r.clock.Now(), seqs: seqs, stmts: stmts}
		err := runGuarded(r.fn, tx)
		var keep committed
		switch {
		case err == nil:
			onCommit = append(onCommit, tx.onCommit...)
		case errors.As(err, &keep):
			err = keep.err
			onCommit = append(onCommit, tx.onCommit...)
		default:
			if rerr := c.exec(sqlTx, stmts, c.rollbackTo, "ROLLBACK TO w"); rerr != nil {
				return nil, fmt.Errorf("%w: rollback to savepoint: %v", errBatchLost, rerr)
			}
		}
		// Touching the savepoint after every request also detects a
		// transaction SQLite rolled back by itself (an interrupted
		// statement, a full disk): then nothing of the batch is applied,
		// and no later request may run outside a transaction.
		if rerr := c.exec(sqlTx, stmts, c.release, "RELEASE w"); rerr != nil {
			return nil, fmt.Errorf("%w: release savepoint: %v", errBatchLost, rerr)
		}
		results[i] = err
	}
	if err := seqs.save(context.Background(), sqlTx); err != nil {
		return nil, err
	}
	if c.db.rerun != nil && c.db.rerun() {
		return nil, errBatchLost
	}
	committing := time.Now()
	err = sqlTx.Commit()
	c.running.Add(int64(committing.Sub(began)))
	c.committing.Add(int64(time.Since(committing)))
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	runAll(onCommit)
	return results, nil
}

// runGuarded turns a panic in one request into that request's error, so it
// cannot take the committer, and every other writer, down with it.
func runGuarded(fn func(tx *Tx) error, tx *Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic in write transaction: %v\n%s", v, debug.Stack())
		}
	}()
	return fn(tx)
}

// WriteStats reports how many write transactions SQLite's group committer
// ran and how many requests they carried; zero on PostgreSQL.
func (db *DB) WriteStats() (batches, writes int64) {
	g := db.GroupCommits()
	return g.Batches, g.Writes
}

// GroupCommitStats is what SQLite's group committer did since the database was opened.
type GroupCommitStats struct {
	Batches, Writes int64 // write transactions, and the requests they carried
	// Running is the time from each batch's BEGIN to its COMMIT: the requests' statements
	// and savepoints. Committing is the time in COMMIT: writing the WAL's frames and
	// waiting for its fsync. Together, how long the one writer was busy; the rest of the
	// time it waited for requests.
	Running, Committing time.Duration
}

// GroupCommits reports SQLite's group committer's work; zero on PostgreSQL.
func (db *DB) GroupCommits() GroupCommitStats {
	if db.group == nil {
		return GroupCommitStats{}
	}
	g := db.group
	return GroupCommitStats{Batches: g.batches.Load(), Writes: g.writes.Load(),
		Running: time.Duration(g.running.Load()), Committing: time.Duration(g.committing.Load())}
}

// exec runs one of the committer's own statements around each request, q,
// prepared as st when it could be: parsing them anew cost as much as a small
// INSERT.
func (c *committer) exec(tx *sql.Tx, stmts batchStmts, st *sql.Stmt, q string) error {
	var err error
	if st != nil {
		_, err = stmts.of(context.Background(), tx, st).Exec()
	} else {
		_, err = tx.Exec(q)
	}
	return err
}

// batchStmts are one batch transaction's handles of the write connection's prepared
// statements, made on a statement's first use in the batch. database/sql makes a handle on
// every Tx.Stmt call, taking the pool's lock twice to register it and later to drop it; a
// batch runs the same few statements for each of its requests. The handles close with the
// transaction.
type batchStmts map[*sql.Stmt]*sql.Stmt

// of returns tx's handle of st. Without a batch (stmts nil) it makes one each time.
func (stmts batchStmts) of(ctx context.Context, tx *sql.Tx, st *sql.Stmt) *sql.Stmt {
	if stmts == nil {
		return tx.StmtContext(ctx, st)
	}
	h, ok := stmts[st]
	if !ok {
		h = tx.StmtContext(ctx, st)
		stmts[st] = h
	}
	return h
}

// batchSeqs are the counters (table sequences) one batch draws from. SQLite
// has one writer, so within a batch the counter is the batch's alone: it is
// read once, drawn in memory, and written back once before the commit, instead
// of an UPDATE … RETURNING per new order. A request rolled back to its
// savepoint leaves a gap in the numbers, as a rolled-back nextval does on
// PostgreSQL; a batch that does not commit writes nothing back, and the next
// batch reads the counter again.
type batchSeqs struct {
	vals  map[string]int64
	names []string // in the order first drawn, so the batch writes them in a fixed order
}

func (s *batchSeqs) next(ctx context.Context, tx *Tx, name string) (int64, error) {
	v, ok := s.vals[name]
	if !ok {
		if err := tx.queryRow(ctx, `SELECT value FROM sequences WHERE name = ?`, name).Scan(&v); err != nil {
			return 0, err
		}
		if s.vals == nil {
			s.vals = map[string]int64{}
		}
		s.names = append(s.names, name)
	}
	v++
	s.vals[name] = v
	return v, nil
}

// save writes the counters the batch drew back to sequences.
func (s *batchSeqs) save(ctx context.Context, tx *sql.Tx) error {
	for _, name := range s.names {
		if _, err := tx.ExecContext(ctx, `UPDATE sequences SET value = ? WHERE name = ?`, s.vals[name], name); err != nil {
			return fmt.Errorf("save %s counter: %w", name, err)
		}
	}
	return nil
}
