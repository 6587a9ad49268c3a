// Package sqlstore stores the gateway's state in SQL and implements the
// domain services of package opaygate on it. One package serves both
// backends through database/sql: embedded SQLite (modernc.org/sqlite, pure Go)
// and PostgreSQL (pgx). The state machine lives here, next to the
// transactions that enforce it, so both backends share every line of it.
//
// It depends on the root package only; it must not import server or cmd.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations
var migrations embed.FS

// Dialect names a backend.
type Dialect string

// The supported backends.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a connection to the gateway's database.
type DB struct {
	dialect Dialect
	// SQLite allows one writer at a time; giving writes their own one-
	// connection pool queues them in Go instead of failing with
	// "database is locked". PostgreSQL uses one pool for both.
	write *sql.DB
	read  *sql.DB

	rebound sync.Map // query with ? → query with $n (PostgreSQL)

	writeStmts, readStmts sync.Map // query → *sql.Stmt (SQLite)
	unprepared            sync.Map // write queries seen but not yet prepared

	group *committer // SQLite's group commit; nil on PostgreSQL

	merchants merchantCache

	// rerun, when set by a test, throws a batch away before its commit
	// while it returns true, to prove writes survive being run again.
	rerun func() bool
}

// Open connects to the database named by url: a file path or sqlite:PATH
// for SQLite (created when missing), or postgres://… for PostgreSQL. It does
// not migrate; call Migrate.
func Open(ctx context.Context, url string) (*DB, error) {
	var db *DB
	var err error
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err = openPostgres(url)
	case url == "":
		return nil, errors.New("open database: empty database URL")
	default:
		db, err = openSQLite(strings.TrimPrefix(url, "sqlite:"))
	}
	if err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

func openSQLite(path string) (*DB, error) {
	// WAL lets readers run beside the writer; synchronous=FULL makes every
	// commit survive a power cut, not just a process crash.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	write, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", dsn)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)*2))
	read.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)*2))
	db := &DB{dialect: SQLite, write: write, read: read}
	db.group = newCommitter(db)
	return db, nil
}

func openPostgres(url string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, errors.New("open postgres: the database URL is not valid")
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > 3*time.Second {
		cfg.ConnectTimeout = 3 * time.Second
	}
	// A statement that runs longer than this is a bug or an outage; the
	// client gets 50003 instead of hanging.
	if _, ok := cfg.RuntimeParams["statement_timeout"]; !ok {
		cfg.RuntimeParams["statement_timeout"] = "5000"
	}
	if _, ok := cfg.RuntimeParams["idle_in_transaction_session_timeout"]; !ok {
		cfg.RuntimeParams["idle_in_transaction_session_timeout"] = "10000"
	}
	pool := stdlib.OpenDB(*cfg)
	n := DefaultMaxConns()
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	// Recycling connections now and then spreads them again after a
	// failover or behind a connection pooler.
	pool.SetConnMaxLifetime(30 * time.Minute)
	return &DB{dialect: Postgres, write: pool, read: pool}, nil
}

// DefaultMaxConns is the size of a PostgreSQL pool that SetMaxConns did not
// size: max(8, 4 × GOMAXPROCS). A request holds one connection for its one
// transaction (milliseconds), so a few per CPU keep the node busy; more only
// queue in PostgreSQL instead of in the pool.
func DefaultMaxConns() int { return max(8, runtime.GOMAXPROCS(0)*4) }

// SetMaxConns sizes the connection pool (PostgreSQL) or the reader pool
// (SQLite, whose writer is always one connection). Requests beyond it wait
// for a free connection, within their deadline.
func (db *DB) SetMaxConns(n int) {
	if n <= 0 {
		return
	}
	db.read.SetMaxOpenConns(n)
	db.read.SetMaxIdleConns(n)
}

// MaxConns reports the size of the connection pool that SetMaxConns sizes.
func (db *DB) MaxConns() int { return db.read.Stats().MaxOpenConnections }

// Dialect reports which backend db talks to.
func (db *DB) Dialect() Dialect { return db.dialect }

// Close closes every connection.
func (db *DB) Close() error {
	if db.group != nil {
		db.group.close()
	}
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Migrate applies the pending migrations of this backend in order, each in
// its own transaction, and records them. It returns the names it applied.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	if err := db.createMigrations(ctx); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	dir := "migrations/" + string(db.dialect)
	names, err := fs.Glob(migrations, dir+"/*.sql")
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	var applied []string
	for _, name := range names {
		base := name[len(dir)+1:]
		ok, err := db.migrate(ctx, name, base)
		if err != nil {
			return applied, fmt.Errorf("migrate %s: %w", base, err)
		}
		if ok {
			applied = append(applied, base)
		}
	}
	return applied, nil
}

// migrationLock is the advisory lock key under which PostgreSQL nodes
// migrate, one at a time.
const migrationLock = 4242001

// createMigrations creates the table that records applied migrations. On
// PostgreSQL even CREATE TABLE IF NOT EXISTS fails when two nodes run it at
// the same instant (a unique violation in pg_type), so it too runs under the
// migration lock.
func (db *DB) createMigrations(ctx context.Context) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if db.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx,
		`CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	return tx.Commit()
}

func (db *DB) migrate(ctx context.Context, path, name string) (bool, error) {
	script, err := migrations.ReadFile(path)
	if err != nil {
		return false, err
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if db.dialect == Postgres {
		// Nodes starting together must not apply the same migration twice.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return false, err
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM migrations WHERE name = ?`), name).Scan(&n); err != nil {
		return false, err
	} else if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, string(script)); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO migrations (name, applied_at) VALUES (?, ?)`),
		name, time.Now().UnixMilli()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// Reset deletes every row but keeps the schema and restarts nothing else; the
// sandbox's "reset all data".
func (db *DB) Reset(ctx context.Context) error {
	defer db.merchants.forget("")
	return db.update(ctx, func(tx *Tx) error {
		for _, t := range []string{"callbacks", "order_events", "orders", "invoices", "products", "merchants"} {
			if _, err := tx.exec(ctx, "DELETE FROM "+t); err != nil {
				return err
			}
		}
		return nil
	})
}

// rebind turns ? placeholders into PostgreSQL's $1, $2, …. Queries are
// constants, so each is rewritten once.
func (db *DB) rebind(q string) string {
	if db.dialect != Postgres {
		return q
	}
	if v, ok := db.rebound.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	db.rebound.Store(q, b.String())
	return b.String()
}

// Tx is one write transaction.
type Tx struct {
	*sql.Tx
	db *DB
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

func (tx *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx = tx.stmtCtx(ctx)
	if st := tx.db.prepared(tx.db.write, q); st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, tx.db.rebind(q), args...)
}

func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = tx.stmtCtx(ctx)
	if st := tx.db.prepared(tx.db.write, q); st != nil {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, tx.db.rebind(q), args...)
}

func (tx *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = tx.stmtCtx(ctx)
	if st := tx.db.prepared(tx.db.write, q); st != nil {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, tx.db.rebind(q), args...)
}

// readRow and readRows run a query on the read pool.
func (db *DB) readRow(ctx context.Context, q string, args ...any) *sql.Row {
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

// forUpdate is appended to a SELECT that locks the rows it reads. SQLite
// needs none: its write transactions are serial.
func (db *DB) forUpdate() string {
	if db.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
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
func (db *DB) update(ctx context.Context, fn func(tx *Tx) error) error {
	ctx, cancel := context.WithTimeout(ctx, maxUpdate)
	defer cancel()
	if db.group != nil {
		return db.group.do(ctx, fn)
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
		err = db.tryUpdate(ctx, fn)
		if !db.retryable(err) {
			return err
		}
	}
	return err
}

func (db *DB) tryUpdate(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{Tx: sqlTx, db: db}
	defer tx.Rollback()
	err = fn(tx)
	var keep committed
	if err != nil && !errors.As(err, &keep) {
		return err
	}
	if cerr := tx.Commit(); cerr != nil {
		return fmt.Errorf("commit: %w", cerr)
	}
	if err != nil {
		return keep.err
	}
	return nil
}

func (db *DB) retryable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		code := sqliteErr.Code() & 0xff
		return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
	}
	return false
}

// isUniqueViolation reports whether err is a unique-constraint failure.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		return sqliteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || sqliteErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// nextSeq draws the next value of a named counter inside tx.
func (tx *Tx) nextSeq(ctx context.Context, name string) (int64, error) {
	var v int64
	var err error
	if tx.db.dialect == Postgres {
		err = tx.queryRow(ctx, "SELECT nextval('"+name+"_seq')").Scan(&v)
	} else {
		err = tx.queryRow(ctx, `UPDATE sequences SET value = value + 1 WHERE name = ? RETURNING value`, name).Scan(&v)
	}
	if err != nil {
		return 0, fmt.Errorf("next %s id: %w", name, err)
	}
	return v, nil
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
