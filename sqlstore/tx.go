package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/opaygate/opaygate"
)

// Tx is one write transaction: database/sql's on SQLite (inside the group
// committer's batch), pgx's own on PostgreSQL (pgtx.go).
type Tx struct {
	sql *sql.Tx
	pg  *pgTx
	db  *DB
	// now is the instant of this transaction, read once from the
	// service's clock when it begins (each run, if it runs again), so
	// every row one state move writes carries the same time.
	now time.Time
	// seqs are the counters of the SQLite batch this transaction is part
	// of (batch.go); nil on PostgreSQL.
	seqs *batchSeqs
	// stmts are that batch's handles of its prepared statements; nil on PostgreSQL.
	stmts batchStmts
	// onCommit are run once the transaction's changes are durable, and
	// only then: telling someone about a row that a rollback takes back
	// would send them looking for nothing.
	onCommit []func()
}

// afterCommit runs fn after tx commits; never if it rolls back.
func (tx *Tx) afterCommit(fn func()) {
	if fn != nil {
		tx.onCommit = append(tx.onCommit, fn)
	}
}

func runAll(fns []func()) {
	for _, fn := range fns {
		fn()
	}
}

// stmtCtx is the context a statement runs under. In a SQLite group-commit
// batch, a statement interrupted by its request's cancellation makes SQLite
// roll back the whole transaction — every other request of the batch with it
// — so there statements ignore cancellation; the committer checks each
// request's context before running it instead, and the statements of one
// request are short.
func (tx *Tx) stmtCtx(ctx context.Context) context.Context {
	if tx.db.group != nil {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// row is one row of a query, scanned once; rows are a query's rows.
type row interface{ Scan(dest ...any) error }

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// exec runs a statement and answers with its result at once: use it when the
// result or the error decides what happens next.
func (tx *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if tx.pg != nil {
		return tx.pg.exec(ctx, tx.db.rebind(q), args)
	}
	ctx = tx.stmtCtx(ctx)
	if st := tx.db.prepared(tx.db.write, q); st != nil {
		return tx.stmts.of(ctx, tx.sql, st).ExecContext(ctx, args...)
	}
	return tx.sql.ExecContext(ctx, tx.db.rebind(q), args...)
}

// execLater runs a statement whose result nobody reads and whose failure
// only fails the transaction (an INSERT of a timeline event, an outbox row).
// On PostgreSQL it goes with the transaction's next round trip (pgtx.go), so
// its error may come back from a later statement or from the commit, which
// then fails; on SQLite, where a statement is a function call, it runs at once.
// Never use it for a statement whose rows affected are checked, or whose error
// is turned into a domain error (a unique violation).
func (tx *Tx) execLater(ctx context.Context, q string, args ...any) error {
	if tx.pg != nil {
		return tx.pg.execLater(tx.db.rebind(q), args)
	}
	_, err := tx.exec(ctx, q, args...)
	return err
}

// errNotOneRow is the failure of an execOne update that did not change its one row.
var errNotOneRow = errors.New("the row was not in the state it was read in: changed concurrently")

// execOne runs an UPDATE of one row this transaction holds locked, conditional on the state
// read under that lock (a state move): it must change exactly that row. Under the lock it
// always does; if it ever did not, the transaction fails and rolls back rather than commit a
// move nobody checked. (finishAuthorized moves an order it did not lock, and takes the
// failure, errNotOneRow, for "someone moved it first".) On SQLite the rows affected are checked at once; on PostgreSQL the
// update goes with the next round trip, as execLater's statements do, wrapped so that
// PostgreSQL itself fails it unless it changed one row, and its failure fails the commit.
// what says what the update does, for its error.
func (tx *Tx) execOne(ctx context.Context, what, update string, args ...any) error {
	return tx.changeOne(ctx, what, update, errNotOneRow, args)
}

// insertOne runs insert, an INSERT of one row, and fails with taken when key's unique
// constraint already holds its values. On SQLite it answers at once (ON CONFLICT DO NOTHING,
// then the rows affected); on PostgreSQL the plain INSERT goes with the next round trip, as
// execOne's updates do, and its unique violation of key fails the transaction there with
// taken: a transaction of inserts alone (a create) is then one round trip, BEGIN to COMMIT.
// The caller finds taken with errors.Is on what the transaction returns, and the transaction
// is lost: it reads whatever it needs of the conflict after it.
func (tx *Tx) insertOne(ctx context.Context, what, insert string, key uniqueKey, taken error, args ...any) error {
	if tx.pg != nil {
		return tx.pg.insertOne(what, tx.db.rebind(insert), key.name, taken, args)
	}
	return tx.changeOne(ctx, what, insert+` ON CONFLICT (`+key.columns+`) DO NOTHING`, taken, args)
}

// uniqueKey is a unique constraint: its columns, and its name on PostgreSQL.
type uniqueKey struct{ columns, name string }

func (tx *Tx) changeOne(ctx context.Context, what, stmt string, none error, args []any) error {
	if tx.pg != nil {
		return tx.pg.execOne(what, tx.db.rebind(stmt), none, args)
	}
	res, err := tx.exec(ctx, stmt, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%s: %w", what, none)
	}
	return nil
}

// noFlushWait lets this transaction's commit return before its changes reach the disk, for
// rows whose loss in a crash costs nothing but a few lines of a log (the request log). On
// PostgreSQL it is synchronous_commit off for this transaction alone: the commit does not
// wait for the WAL flush, every later commit that waits for one also makes this one durable,
// and a crash loses at most the last few hundred milliseconds of such transactions, never
// another transaction's rows. It goes with the next round trip and ends with the
// transaction, so it is safe behind PgBouncer in transaction mode. On SQLite it does nothing:
// the rows share the group committer's one sync.
func (tx *Tx) noFlushWait(ctx context.Context) error {
	if tx.pg == nil {
		return nil
	}
	tx.pg.private = true // the setting must not reach anybody else's rows
	return tx.execLater(ctx, `SET LOCAL synchronous_commit TO OFF`)
}

// shareCommit lets this transaction, if it reaches its commit having only queued statements,
// commit in one PostgreSQL transaction with others that did the same (pggroup.go). Only a
// transaction whose statements are all inserts or conditional updates of its own rows may say
// so: nothing that sets anything, takes an advisory lock, or relies on committing alone. On
// SQLite, where the group committer shares every commit, it does nothing.
func (tx *Tx) shareCommit() {
	if tx.pg != nil {
		tx.pg.share = true
	}
}

func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) row {
	if tx.pg != nil {
		return &pgTxRow{ctx: ctx, tx: tx.pg, q: tx.db.rebind(q), args: args}
	}
	ctx = tx.stmtCtx(ctx)
	if st := tx.db.prepared(tx.db.write, q); st != nil {
		return tx.stmts.of(ctx, tx.sql, st).QueryRowContext(ctx, args...)
	}
	return tx.sql.QueryRowContext(ctx, tx.db.rebind(q), args...)
}

// pgTxRow is a row of a PostgreSQL transaction, read when scanned.
type pgTxRow struct {
	ctx  context.Context
	tx   *pgTx
	q    string
	args []any
}

func (r *pgTxRow) Scan(dest ...any) error { return r.tx.scanRow(r.ctx, r.q, r.args, dest) }

func (tx *Tx) query(ctx context.Context, q string, args ...any) (rows, error) {
	if tx.pg != nil {
		return tx.pg.query(ctx, tx.db.rebind(q), args)
	}
	ctx = tx.stmtCtx(ctx)
	if st := tx.db.prepared(tx.db.write, q); st != nil {
		return tx.stmts.of(ctx, tx.sql, st).QueryContext(ctx, args...)
	}
	return tx.sql.QueryContext(ctx, tx.db.rebind(q), args...)
}

// nextNumber draws the next id of a sequence and the number the gateway shows for it: the
// day of at (YYMMDD) and the id in 12 digits, as orderNo and refund numbers are.
func (tx *Tx) nextNumber(ctx context.Context, name string, at time.Time) (int64, string, error) {
	id, err := tx.nextSeq(ctx, name)
	if err != nil {
		return 0, "", err
	}
	return id, at.Format("060102") + fmt.Sprintf("%012d", id%1_000_000_000_000), nil
}

// queryAll runs q inside tx and scans every row with scan.
func queryAll[T any](ctx context.Context, tx *Tx, scan func(interface{ Scan(...any) error }) (T, error), q string, args ...any) ([]T, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, rows.Close()
}

// readRow and readRows run a query on the read pool. On PostgreSQL a row is
// read with pgx itself: database/sql's conversions of every column cost as much
// CPU as the rest of a status request's storage work.
func (db *DB) readRow(ctx context.Context, q string, args ...any) row {
	if db.dialect == Postgres {
		return &pgReadRow{db: db, ctx: ctx, q: db.rebind(q), args: args}
	}
	if st := db.prepared(db.read, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return db.read.QueryRowContext(ctx, db.rebind(q), args...)
}

func (db *DB) readRows(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := db.prepared(db.read, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.read.QueryContext(ctx, db.rebind(q), args...)
}

// prepareWrites prepares the write queries seen since the last call. The
// committer calls it between batches, when the write connection is free.
func (db *DB) prepareWrites() {
	db.unprepared.Range(func(k, _ any) bool {
		q := k.(string)
		db.unprepared.Delete(q)
		if st, err := db.write.Prepare(q); err == nil {
			db.writeStmts.Store(q, st)
		}
		return true
	})
}

// prepared returns a statement prepared on pool for q, or nil where
// preparing buys nothing. SQLite (modernc) parses and plans a query anew on
// every call, which cost a fifth of the CPU of a write; a prepared statement
// is parsed once per connection. pgx already caches statements per
// connection, so PostgreSQL needs none. Queries are constants, so the cache
// stays small; a query that fails to prepare runs unprepared and reports its
// own error.
func (db *DB) prepared(pool *sql.DB, q string) *sql.Stmt {
	if db.dialect != SQLite {
		return nil
	}
	cache := &db.readStmts
	if pool == db.write {
		cache = &db.writeStmts
	}
	if st, ok := cache.Load(q); ok {
		return st.(*sql.Stmt)
	}
	if pool == db.write {
		// The write pool's one connection is busy with the caller's
		// transaction: preparing now would wait for it forever. The
		// committer prepares the query between batches instead.
		db.unprepared.Store(q, struct{}{})
		return nil
	}
	st, err := pool.Prepare(q)
	if err != nil {
		return nil
	}
	if prev, loaded := cache.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt)
	}
	return st
}

// committed wraps an error that fn wants returned after its transaction
// commits anyway, e.g. a wrong OTP whose attempt count must be saved.
type committed struct{ err error }

func (c committed) Error() string { return c.err.Error() }

// commitThen asks update to commit and then return err.
func commitThen(err error) error { return committed{err} }

// maxUpdate bounds one update with all its retries. A write that has not
// committed by then has failed: the database is unreachable or wedged. It
// also bounds background work (the sweeper), whose contexts have no deadline
// and which would otherwise wait on a dead connection for as long as TCP does.
const maxUpdate = 15 * time.Second

// update runs fn in one write transaction and commits it. Serialization
// failures, deadlocks and a busy SQLite are retried with jittered backoff, so
// they never reach a client; fn must therefore have no effect outside tx.
//
// On SQLite, writes go through the group committer (batch.go) instead.
func (db *DB) update(ctx context.Context, clock opaygate.Clock, fn func(tx *Tx) error) error {
	ctx, cancel := context.WithTimeout(ctx, maxUpdate)
	defer cancel()
	if db.group != nil {
		return db.group.do(ctx, clock, fn)
	}
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		if attempt > 0 {
			d := time.Duration(1<<min(attempt, 6)) * time.Millisecond
			select {
			case <-time.After(d + rand.N(d)):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err = db.tryUpdate(ctx, clock, fn)
		if !db.retryable(err) {
			return err
		}
	}
	return err
}

func (db *DB) tryUpdate(ctx context.Context, clock opaygate.Clock, fn func(tx *Tx) error) error {
	if db.dialect == Postgres {
		return db.tryUpdatePostgres(ctx, &Tx{db: db, now: clock.Now()}, fn)
	}
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{sql: sqlTx, db: db, now: clock.Now()}
	defer sqlTx.Rollback()
	err = fn(tx)
	var keep committed
	if err != nil && !errors.As(err, &keep) {
		return err
	}
	if cerr := sqlTx.Commit(); cerr != nil {
		return fmt.Errorf("commit: %w", cerr)
	}
	runAll(tx.onCommit)
	if err != nil {
		return keep.err
	}
	return nil
}

// nextSeq draws the next value of a named counter inside tx.
func (tx *Tx) nextSeq(ctx context.Context, name string) (int64, error) {
	var v int64
	var err error
	switch {
	case tx.db.dialect == Postgres:
		v, err = tx.db.ids.next(ctx, tx, name)
	case tx.seqs != nil:
		v, err = tx.seqs.next(ctx, tx, name)
	default:
		err = tx.queryRow(ctx, `UPDATE sequences SET value = value + 1 WHERE name = ? RETURNING value`, name).Scan(&v)
	}
	if err != nil {
		return 0, fmt.Errorf("next %s id: %w", name, err)
	}
	return v, nil
}
