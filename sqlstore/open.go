package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/opaygate/opaygate"
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

	// transactionPooled is set when the PostgreSQL URL names a pooler in
	// transaction mode (pool_mode=transaction): nothing may outlive a
	// transaction on a server connection.
	transactionPooled bool

	merchants merchantCache

	ids pgIDs // sequence values drawn ahead (PostgreSQL)

	pgRoundTrips atomic.Int64 // PostgresRoundTrips

	pgGroup pgGroup // shared commits (PostgreSQL; pggroup.go)

	// rerun, when set by a test, throws a batch away before its commit
	// while it returns true, to prove writes survive being run again.
	rerun func() bool
}

// Open connects to the database named by dbURL: a file path or sqlite:PATH
// for SQLite (created when missing), or postgres://… for PostgreSQL, with
// pool_mode=transaction when that is a pooler in transaction mode such as
// PgBouncer. It does not migrate; call Migrate.
func Open(ctx context.Context, dbURL string) (*DB, error) {
	var db *DB
	var err error
	switch {
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		db, err = openPostgres(dbURL)
	case dbURL == "":
		return nil, errors.New("open database: empty database URL")
	default:
		db, err = openSQLite(strings.TrimPrefix(dbURL, "sqlite:"))
	}
	if err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		if strings.Contains(err.Error(), "unsupported startup parameter") {
			// PgBouncer's answer to the timeouts opaygate sets at connect.
			return nil, fmt.Errorf("open database: %w (behind PgBouncer in transaction mode? add pool_mode=transaction to the URL)", err)
		}
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

// readMapBytes is how much of a SQLite database its read connections map into memory.
const readMapBytes = 256 << 20

func openSQLite(path string) (*DB, error) {
	// WAL lets readers run beside the writer; synchronous=FULL makes every
	// commit survive a power cut, not just a process crash.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	// The writer's savepoints (one per request of a group-commit batch) keep
	// their undo pages in memory, not in a temporary file: they only serve a
	// rollback inside the open transaction, never a recovery.
	write, err := sql.Open("sqlite", dsn+"&_txlock=immediate&_pragma=temp_store(MEMORY)")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	// Readers map the file (the first readMapBytes of it) instead of copying each page they
	// miss with pread: a status read over a table larger than a connection's page cache was
	// a syscall per page. The writer keeps pwrite and its own cache; SQLite maps read-only.
	read, err := sql.Open("sqlite", dsn+"&_pragma=mmap_size("+strconv.Itoa(readMapBytes)+")")
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

func openPostgres(rawURL string) (*DB, error) {
	rawURL, transactionPooled, err := poolMode(rawURL)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, errors.New("open postgres: the database URL is not valid")
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > 3*time.Second {
		cfg.ConnectTimeout = 3 * time.Second
	}
	if transactionPooled {
		// A pooler in transaction mode hands each transaction, or each
		// statement outside one, whichever server connection is free: a
		// statement prepared on one is unknown on the next. pgx then caches
		// only statements' descriptions and sends each statement whole, in
		// the same one round trip. The pooler also refuses startup
		// parameters it does not know, so the timeouts below are the
		// role's or the pooler's to set (docs/DEPLOYMENT.md).
		if !strings.Contains(rawURL, "default_query_exec_mode=") {
			cfg.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
		}
	} else {
		// A statement that runs longer than this is a bug or an outage; the
		// client gets 50003 instead of hanging.
		if _, ok := cfg.RuntimeParams["statement_timeout"]; !ok {
			cfg.RuntimeParams["statement_timeout"] = "5000"
		}
		if _, ok := cfg.RuntimeParams["idle_in_transaction_session_timeout"]; !ok {
			cfg.RuntimeParams["idle_in_transaction_session_timeout"] = "10000"
		}
	}
	pool := stdlib.OpenDB(*cfg)
	n := DefaultMaxConns()
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	// Recycling connections now and then spreads them again after a
	// failover or behind a connection pooler.
	pool.SetConnMaxLifetime(30 * time.Minute)
	db := &DB{dialect: Postgres, write: pool, read: pool, transactionPooled: transactionPooled}
	db.pgGroup.db = db
	return db, nil
}

// poolMode takes opaygate's own parameter pool_mode out of a PostgreSQL URL:
// pool_mode=transaction says the URL names a pooler in transaction pooling
// mode (PgBouncer's pool_mode = transaction), not PostgreSQL itself;
// pool_mode=session, or none, a connection of our own.
func poolMode(rawURL string) (string, bool, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", false, errors.New("open postgres: the database URL is not valid")
	}
	q := u.Query()
	if !q.Has("pool_mode") {
		return rawURL, false, nil
	}
	mode := q.Get("pool_mode")
	if mode != "transaction" && mode != "session" {
		return "", false, fmt.Errorf("open postgres: pool_mode=%s: want transaction or session", mode)
	}
	q.Del("pool_mode")
	u.RawQuery = q.Encode()
	return u.String(), mode == "transaction", nil
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

// WritePool is the pool writes go through: on SQLite its one connection, which
// the group committer shares between batches. Only tools that write rows
// without the services use it (the benchmark's bulk loader); anything else
// writes through the services, whose transactions keep the state machine.
func (db *DB) WritePool() *sql.DB { return db.write }

// Dialect reports which backend db talks to.
func (db *DB) Dialect() Dialect { return db.dialect }

// Close closes every connection.
func (db *DB) Close() error {
	if db.group != nil {
		db.group.close()
	}
	if db.dialect == Postgres {
		db.pgGroup.shutdown()
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

// Reset deletes every row but keeps the schema and restarts nothing else; the
// sandbox's "reset all data".
func (db *DB) Reset(ctx context.Context) error {
	defer db.merchants.forget("")
	return db.update(ctx, opaygate.SystemClock{}, func(tx *Tx) error {
		for _, t := range []string{"callbacks", "order_events", "card_debit_agreements", "card_tokens", "orders", "invoices",
			"products", "payouts", "balance_entries", "balances", "merchant_audit", "merchants", "request_signatures",
			"request_log"} {
			if _, err := tx.exec(ctx, "DELETE FROM "+t); err != nil {
				return err
			}
		}
		return nil
	})
}
