package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL transactions in few round trips. On a machine that also runs
// PostgreSQL, every round trip is a write, a wake-up of a backend, a parse-
// bind-execute and a read; a payment was 23 of them. So a write transaction
// runs on pgx itself (the pool stays database/sql's), and sends what it can
// together, as one pipeline ending in one Sync:
//
//   - BEGIN goes with the transaction's first statement, never alone;
//   - statements queued with execLater (inserts whose result nobody reads:
//     timeline events, outbox rows) go with the next statement that needs an
//     answer, or with COMMIT;
//   - a transaction that only queued statements is one round trip.
//
// Errors keep their meaning: PostgreSQL skips the rest of a pipeline after a
// failed statement, so nothing after a failed queued statement runs, and its
// error is the error of the statement that carried it; the transaction is then
// lost and COMMIT reports that error instead of success. A statement whose
// result is checked (RowsAffected of a conditional update, a unique violation
// turned into a domain error) runs through exec and answers at once.

// pgTx is a transaction on one pgx connection.
type pgTx struct {
	conn   *pgx.Conn
	trips  *atomic.Int64 // DB.pgRoundTrips
	begun  bool          // BEGIN has been sent
	queued []pgStmt      // execLater statements not yet sent
	// err is the failure of a queued statement: the transaction is lost,
	// whatever the caller did with the error of the statement that carried it.
	err error
	// failed is 1 + the index among the statements queued at once of the one that failed
	// (err), 0 while none has; refused, that PostgreSQL refused that statement itself
	// (statementRefused), rather than the connection or the server failing.
	failed  int
	refused bool
	// share: the transaction may commit with others (Tx.shareCommit); private: it must not,
	// whatever it said (Tx.noFlushWait).
	share, private bool
}

type pgStmt struct {
	q    string
	args []any
	what string // what the statement does, for its error; "" names it by its text
	// none is the error of an execOne statement that changed no row (PostgreSQL fails it
	// then), or of an insertOne whose values its unique constraint named unique already
	// holds; nil for any other statement.
	none   error
	unique string
}

// take builds the pipeline that sends q after what is pending: BEGIN if not
// yet sent, then the queued statements, whose results come first (pending).
func (t *pgTx) take(q string, args []any) (*pgx.Batch, bool, []pgStmt) {
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(t.queued)+2)}
	begin := !t.begun
	if begin {
		b.Queue("BEGIN")
	}
	queued := t.queued
	for _, s := range queued {
		b.Queue(s.q, s.args...)
	}
	b.Queue(q, args...)
	t.begun, t.queued = true, nil
	t.trips.Add(1)
	return b, begin, queued
}

// pending reads the results of BEGIN and the queued statements.
func (t *pgTx) pending(br pgx.BatchResults, begin bool, queued []pgStmt) error {
	if begin {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
	}
	for i, s := range queued {
		if _, err := br.Exec(); err != nil {
			var pe *pgconn.PgError
			t.failed, t.refused = i+1, errors.As(err, &pe) && statementRefused(pe.Code)
			if s.none != nil && errors.As(err, &pe) && (s.unique == "" && pe.Code == pgDivisionByZero ||
				s.unique != "" && pe.Code == pgUniqueViolation && pe.ConstraintName == s.unique) {
				err = s.none
			}
			what := s.what
			if what == "" {
				what = statementName(s.q)
			}
			t.err = fmt.Errorf("%s: %w", what, err)
			return t.err
		}
	}
	return nil
}

// statementRefused reports whether an error code is PostgreSQL refusing a statement for what
// it is or meets: its data (22), a constraint (23), a conflict with another transaction (40),
// the statement itself (42), its timeout (57014), a NOWAIT lock another transaction holds
// (55P03). Any other failure is the connection's, the transaction's or the server's
// (read-only, out of space), and says nothing of one statement.
func statementRefused(code string) bool {
	switch {
	case code == "57014" || code == pgLockNotAvailable:
		return true
	case len(code) < 2:
		return false
	}
	switch code[:2] {
	case "22", "23", "40", "42":
		return true
	}
	return false
}

// pgDivisionByZero is how an execOne statement that changed no row fails (its SELECT divides
// by whether it changed one); pgUniqueViolation how an insertOne fails.
const (
	pgDivisionByZero   = "22012"
	pgUniqueViolation  = "23505"
	pgLockNotAvailable = "55P03"
)

// statementName is the start of a statement, to say which queued one failed
// (the statement's text, never its arguments).
func statementName(q string) string {
	f := strings.Fields(q)
	return strings.ToLower(strings.Join(f[:min(3, len(f))], " "))
}

// ready reports whether a statement can go alone: BEGIN sent, nothing queued.
func (t *pgTx) ready() bool { return t.begun && len(t.queued) == 0 }

func (t *pgTx) exec(ctx context.Context, q string, args []any) (sql.Result, error) {
	if t.err != nil {
		return nil, t.err
	}
	if t.ready() {
		t.trips.Add(1)
		tag, err := t.conn.Exec(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		return pgResult(tag.RowsAffected()), nil
	}
	b, begin, queued := t.take(q, args)
	br := t.conn.SendBatch(ctx, b)
	err := t.pending(br, begin, queued)
	var n int64
	if err == nil {
		var tag pgconn.CommandTag
		tag, err = br.Exec()
		n = tag.RowsAffected()
	}
	if cerr := br.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return pgResult(n), nil
}

// execLater queues q to go with the transaction's next round trip.
func (t *pgTx) execLater(q string, args []any) error {
	if t.err != nil {
		return t.err
	}
	t.queued = append(t.queued, pgStmt{q: q, args: append([]any(nil), args...)})
	return nil
}

// execOne queues stmt (an UPDATE, or an INSERT … ON CONFLICT DO NOTHING), which must change
// one row, to go with the next round trip, wrapped so that PostgreSQL fails it (and with it the
// transaction) when it changes none; none is then its error.
func (t *pgTx) execOne(what, stmt string, none error, args []any) error {
	if t.err != nil {
		return t.err
	}
	q := `WITH changed AS (` + stmt + ` RETURNING 1) SELECT 1 / (COUNT(*) = 1)::int FROM changed`
	t.queued = append(t.queued, pgStmt{q: q, args: append([]any(nil), args...), what: what, none: none})
	return nil
}

// insertOne queues insert, whose violation of the unique constraint named unique fails it
// (and with it the transaction) with taken, to go with the next round trip.
func (t *pgTx) insertOne(what, insert, unique string, taken error, args []any) error {
	if t.err != nil {
		return t.err
	}
	t.queued = append(t.queued, pgStmt{q: insert, args: append([]any(nil), args...), what: what, none: taken, unique: unique})
	return nil
}

func (t *pgTx) scanRow(ctx context.Context, q string, args []any, dest []any) error {
	if t.err != nil {
		return t.err
	}
	if t.ready() {
		t.trips.Add(1)
		return t.conn.QueryRow(ctx, q, args...).Scan(dest...)
	}
	b, begin, queued := t.take(q, args)
	br := t.conn.SendBatch(ctx, b)
	err := t.pending(br, begin, queued)
	if err == nil {
		err = br.QueryRow().Scan(dest...)
	}
	if cerr := br.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return err
}

func (t *pgTx) query(ctx context.Context, q string, args []any) (rows, error) {
	if t.err != nil {
		return nil, t.err
	}
	if t.ready() {
		t.trips.Add(1)
		r, err := t.conn.Query(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		return &pgRows{Rows: r}, nil
	}
	b, begin, queued := t.take(q, args)
	br := t.conn.SendBatch(ctx, b)
	if err := t.pending(br, begin, queued); err != nil {
		br.Close()
		return nil, err
	}
	r, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &pgRows{Rows: r, br: br}, nil
}

// commit sends the queued statements and COMMIT in one round trip. A
// transaction that never sent anything commits nothing and costs nothing.
func (t *pgTx) commit(ctx context.Context) error {
	if t.err != nil {
		return t.err
	}
	if !t.begun && len(t.queued) == 0 {
		return nil
	}
	b, begin, queued := t.take("COMMIT", nil)
	br := t.conn.SendBatch(ctx, b)
	err := t.pending(br, begin, queued)
	committed := false
	if err == nil {
		var tag pgconn.CommandTag
		tag, err = br.Exec()
		// COMMIT of a transaction an earlier error aborted succeeds and
		// says ROLLBACK: nothing was written.
		if err == nil && tag.String() != "COMMIT" {
			err = errors.New("transaction was rolled back by an earlier error")
		}
		committed = err == nil
	}
	// Once PostgreSQL said COMMIT, the transaction is committed, whatever closing the
	// pipeline meets after (a connection lost then is the next user's to find).
	if cerr := br.Close(); err == nil && cerr != nil && !committed {
		err = cerr
	}
	return err
}

// rollback ends a transaction that is not committed. A connection left in a
// transaction is closed, so the pool never hands it out again (pgx's stdlib
// also refuses one whose transaction is open).
func (t *pgTx) rollback() {
	t.queued = nil
	if !t.begun || t.conn.IsClosed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if t.conn.PgConn().TxStatus() == 'I' {
		return // committed, or the pipeline that carried BEGIN failed before it
	}
	t.trips.Add(1)
	if _, err := t.conn.Exec(ctx, "ROLLBACK"); err != nil || t.conn.PgConn().TxStatus() != 'I' {
		t.conn.Close(ctx)
	}
}

// pgResult is the sql.Result of a statement run on pgx.
type pgResult int64

func (r pgResult) RowsAffected() (int64, error) { return int64(r), nil }
func (pgResult) LastInsertId() (int64, error) {
	return 0, errors.New("LastInsertId is not supported by PostgreSQL; use RETURNING")
}

// pgRows adapts pgx.Rows (and the pipeline it was read from) to rows.
type pgRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r *pgRows) Close() error {
	r.Rows.Close()
	err := r.Rows.Err()
	if r.br != nil {
		if cerr := r.br.Close(); err == nil {
			err = cerr
		}
		r.br = nil
	}
	return err
}

// withPgx runs f on a pgx connection of pool, taken from database/sql's pool
// and given back after.
func withPgx(ctx context.Context, pool *sql.DB, f func(*pgx.Conn) error) error {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		return f(dc.(*stdlib.Conn).Conn())
	})
}

// tryUpdatePostgres is tryUpdate on pgx (see the top of this file).
func (db *DB) tryUpdatePostgres(ctx context.Context, tx *Tx, fn func(tx *Tx) error) error {
	var onCommit []func()
	var keep committed
	var ferr error
	var shared []pgStmt
	err := withPgx(ctx, db.write, func(conn *pgx.Conn) error {
		tx.pg = &pgTx{conn: conn, trips: &db.pgRoundTrips}
		defer tx.pg.rollback()
		ferr = fn(tx)
		if ferr != nil && !errors.As(ferr, &keep) {
			return ferr
		}
		if t := tx.pg; t.share && !t.private && !t.begun && len(t.queued) > 0 && t.err == nil {
			shared, t.queued = t.queued, nil // committed below, the connection back in the pool
			return nil
		}
		if err := tx.pg.commit(ctx); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		onCommit = tx.onCommit
		return nil
	})
	if err != nil {
		return err
	}
	if shared != nil {
		if err := db.pgGroup.commit(ctx, shared); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		onCommit = tx.onCommit
	}
	runAll(onCommit)
	if ferr != nil {
		return keep.err
	}
	return nil
}

// pgReadRow is a row of the read pool, read with pgx when scanned.
type pgReadRow struct {
	db   *DB
	ctx  context.Context
	q    string
	args []any
}

func (r *pgReadRow) Scan(dest ...any) error {
	return withPgx(r.ctx, r.db.read, func(conn *pgx.Conn) error {
		return conn.QueryRow(r.ctx, r.q, r.args...).Scan(dest...)
	})
}

// idBlock is how many values of a sequence one draw takes from PostgreSQL.
const idBlock = 32

// pgIDs hands out the values of PostgreSQL sequences (orders_seq, refunds_seq, …) that this
// node drew ahead, idBlock per round trip, so that a create does not spend a round trip of its
// own on nextval. Every value is still PostgreSQL's, unique across nodes; what changes is that
// ids are no longer in creation order across nodes (so nothing may take the greatest id for
// the newest row: order by created_at), and that a node that stops loses the values it held,
// as a rolled-back nextval always has: numbers have gaps.
type pgIDs struct {
	mu   sync.Mutex
	free map[string][]int64 // by sequence, ascending
}

// next returns a value of name's sequence, drawing a block inside tx when none is left.
func (p *pgIDs) next(ctx context.Context, tx *Tx, name string) (int64, error) {
	p.mu.Lock()
	if vs := p.free[name]; len(vs) > 0 {
		p.free[name] = vs[1:]
		p.mu.Unlock()
		return vs[0], nil
	}
	p.mu.Unlock()
	rows, err := tx.query(ctx, `SELECT nextval('`+name+`_seq') FROM generate_series(1, `+strconv.Itoa(idBlock)+`)`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var vs []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return 0, err
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(vs) == 0 {
		return 0, fmt.Errorf("drew no value of %s_seq", name)
	}
	p.mu.Lock()
	if p.free == nil {
		p.free = map[string][]int64{}
	}
	p.free[name] = append(p.free[name], vs[1:]...)
	slices.Sort(p.free[name]) // two refills at once may append out of order
	p.mu.Unlock()
	return vs[0], nil
}

// PostgresRoundTrips counts the round trips of write transactions to
// PostgreSQL since Open (pipelines and single statements, BEGIN to COMMIT or
// ROLLBACK); zero on SQLite. The benchmark divides it by operations.
func (db *DB) PostgresRoundTrips() int64 { return db.pgRoundTrips.Load() }
