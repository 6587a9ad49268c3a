package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/opaygate/opaygate"
)

// openTestPostgres opens a fresh schema of the test PostgreSQL with the kv
// table of openTestSQLite, or skips (sqlstoretest would import this package).
func openTestPostgres(t *testing.T) *DB {
	t.Helper()
	base := os.Getenv("OPAYGATE_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("postgres: %v", err)
		}
		t.Skipf("SKIP: PostgreSQL not reachable: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err == nil {
			admin.Exec("DROP SCHEMA " + schema + " CASCADE")
			admin.Close()
		}
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.write.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return db
}

func eachKV(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, openTestSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, openTestPostgres(t)) })
}

func kvKeys(t *testing.T, db *DB) []string {
	t.Helper()
	keys, err := QueryStrings(db, `SELECT k FROM kv ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestExecLater: a statement queued with execLater is written with its
// transaction, and its failure fails the transaction, wherever it surfaces:
// at the commit, or at a later read whose error the caller drops. Nothing of
// a failed transaction is written, and the connection serves the next one.
func TestExecLater(t *testing.T) {
	eachKV(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		clock := opaygate.SystemClock{}
		if err := db.update(ctx, clock, func(tx *Tx) error {
			return tx.execLater(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, "a", 1)
		}); err != nil {
			t.Fatal(err)
		}
		t.Run("FailsAtCommit", func(t *testing.T) {
			err := db.update(ctx, clock, func(tx *Tx) error {
				if _, err := tx.exec(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, "b", 2); err != nil {
					return err
				}
				if err := tx.execLater(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, "a", 3); err != nil {
					return err // SQLite runs it at once
				}
				return nil
			})
			if !isUniqueViolation(err) {
				t.Fatalf("update = %v, want the queued insert's unique violation", err)
			}
		})
		t.Run("FailsAtNextRead", func(t *testing.T) {
			var readErr error
			err := db.update(ctx, clock, func(tx *Tx) error {
				if err := tx.execLater(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, "a", 4); err != nil {
					return nil // SQLite: it failed at once, and nothing else was written
				}
				var n int
				readErr = tx.queryRow(ctx, `SELECT COUNT(*) FROM kv`).Scan(&n)
				_, _ = tx.exec(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, "c", 5)
				return nil // and drops it
			})
			if db.dialect == Postgres && !isUniqueViolation(readErr) {
				t.Fatalf("read = %v, want the queued insert's unique violation", readErr)
			}
			if db.dialect == Postgres && err == nil {
				t.Fatal("update committed a transaction whose queued statement failed")
			}
		})
		t.Run("ConditionalCommitThen", func(t *testing.T) {
			want := errors.New("kept")
			err := db.update(ctx, clock, func(tx *Tx) error {
				if err := tx.execLater(ctx, `UPDATE kv SET v = ? WHERE k = ?`, 10, "a"); err != nil {
					return err
				}
				return commitThen(want)
			})
			if !errors.Is(err, want) {
				t.Fatalf("update = %v, want %v", err, want)
			}
		})
		want := []string{"a"}
		if got := kvKeys(t, db); len(got) != len(want) || got[0] != "a" {
			t.Fatalf("rows %v, want %v", got, want)
		}
		var v int
		if err := db.readRow(ctx, `SELECT v FROM kv WHERE k = ?`, "a").Scan(&v); err != nil || v != 10 {
			t.Fatalf("a = %d %v, want 10: commitThen commits the queued update", v, err)
		}
	})
}

// TestPostgresRoundTrips: BEGIN goes with the first statement, queued
// statements with the next one or with COMMIT, and a transaction that sent
// nothing costs nothing.
func TestPostgresRoundTrips(t *testing.T) {
	db := openTestPostgres(t)
	ctx := context.Background()
	clock := opaygate.SystemClock{}
	trips := func(fn func(tx *Tx) error) int64 {
		t.Helper()
		before := db.PostgresRoundTrips()
		if err := db.update(ctx, clock, fn); err != nil {
			t.Fatal(err)
		}
		return db.PostgresRoundTrips() - before
	}
	if n := trips(func(tx *Tx) error { return nil }); n != 0 {
		t.Errorf("empty transaction: %d round trips, want 0", n)
	}
	if n := trips(func(tx *Tx) error {
		tx.execLater(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, "x", 1)
		return tx.execLater(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, "y", 1)
	}); n != 1 {
		t.Errorf("queued inserts only: %d round trips, want 1", n)
	}
	if n := trips(func(tx *Tx) error {
		var v int
		if err := tx.queryRow(ctx, `SELECT v FROM kv WHERE k = ?`+db.forUpdate(), "x").Scan(&v); err != nil {
			return err
		}
		tx.execLater(ctx, `UPDATE kv SET v = v + 1 WHERE k = ?`, "x")
		res, err := tx.exec(ctx, `UPDATE kv SET v = v + 1 WHERE k = ? AND v = ?`, "y", 1)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Errorf("rows affected %d, want 1", n)
		}
		return tx.execLater(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, "z", 1)
	}); n != 3 {
		t.Errorf("lock, queued update, checked update, queued insert: %d round trips, want 3", n)
	}
	var sum int
	if err := db.readRow(ctx, `SELECT SUM(v) FROM kv`).Scan(&sum); err != nil || sum != 5 {
		t.Fatalf("sum %d %v, want 5", sum, err)
	}
}

// TestCancelledTransaction: on PostgreSQL a transaction whose request goes
// away mid-way leaves nothing behind, not even on the one connection the next
// one reuses. (SQLite's statements ignore cancellation, since a batch is
// shared: there the first transaction may commit, and the next must too.)
func TestCancelledTransaction(t *testing.T) {
	eachKV(t, func(t *testing.T, db *DB) {
		db.SetMaxConns(1)
		clock := opaygate.SystemClock{}
		ctx, cancel := context.WithCancel(context.Background())
		err := db.update(ctx, clock, func(tx *Tx) error {
			if _, err := tx.exec(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, "gone", 1); err != nil {
				return err
			}
			if err := tx.execLater(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, "gone too", 1); err != nil {
				return err
			}
			cancel()
			var n int
			return tx.queryRow(ctx, `SELECT COUNT(*) FROM kv`).Scan(&n)
		})
		if db.dialect == Postgres && err == nil {
			t.Fatal("a cancelled transaction committed")
		}
		bg := context.Background()
		if err := db.update(bg, clock, func(tx *Tx) error {
			return tx.execLater(bg, `INSERT INTO kv (k, v) VALUES (?, ?)`, "next", 1)
		}); err != nil {
			t.Fatal(err)
		}
		want := "next"
		if got := kvKeys(t, db); db.dialect == Postgres && (len(got) != 1 || got[0] != want) {
			t.Fatalf("rows %v, want [%s]", got, want)
		}
	})
}

// TestNoFlushWait: the request log's transactions commit without waiting for
// the WAL flush on PostgreSQL, that transaction alone: the setting must not
// outlive it on the pooled connection (nor, behind PgBouncer, reach another
// client's transaction).
func TestNoFlushWait(t *testing.T) {
	db := openTestPostgres(t)
	ctx := context.Background()
	db.write.SetMaxOpenConns(1) // the next transaction gets the same connection
	var inside, after string
	if err := db.update(ctx, opaygate.SystemClock{}, func(tx *Tx) error {
		if err := tx.noFlushWait(ctx); err != nil {
			return err
		}
		if err := tx.execLater(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, "log", 1); err != nil {
			return err
		}
		return tx.queryRow(ctx, `SHOW synchronous_commit`).Scan(&inside)
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.update(ctx, opaygate.SystemClock{}, func(tx *Tx) error {
		return tx.queryRow(ctx, `SHOW synchronous_commit`).Scan(&after)
	}); err != nil {
		t.Fatal(err)
	}
	if inside != "off" || after != "on" {
		t.Fatalf("synchronous_commit inside the log's transaction %q, in the next one %q; want off, on", inside, after)
	}
	if got := kvKeys(t, db); len(got) != 1 || got[0] != "log" {
		t.Fatalf("rows %v, want the log's row committed", got)
	}
}

// TestPgIDs: sequence values are drawn idBlock at a time, one round trip per
// block, and every value handed out is unique however many transactions draw
// at once, including ones that roll back.
func TestPgIDs(t *testing.T) {
	db := openTestPostgres(t)
	ctx := context.Background()
	if _, err := db.write.Exec(`CREATE SEQUENCE things_seq`); err != nil {
		t.Fatal(err)
	}
	draw := func(rollback bool) (int64, error) {
		var v int64
		err := db.update(ctx, opaygate.SystemClock{}, func(tx *Tx) error {
			var err error
			if v, err = tx.nextSeq(ctx, "things"); err != nil {
				return err
			}
			if rollback {
				return errors.New("rolled back")
			}
			return tx.execLater(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, fmt.Sprint("k", v), v)
		})
		return v, err
	}
	before := db.PostgresRoundTrips()
	for range 2 * idBlock {
		if _, err := draw(false); err != nil {
			t.Fatal(err)
		}
	}
	if n := db.PostgresRoundTrips() - before; n != 2*idBlock+2 {
		t.Errorf("%d transactions that draw a value: %d round trips, want %d (one each, and one per block of %d)",
			2*idBlock, n, 2*idBlock+2, idBlock)
	}
	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 50 {
				v, err := draw(i%7 == w%7)
				if err != nil && err.Error() != "rolled back" {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[v] {
					t.Errorf("value %d handed out twice", v)
				}
				seen[v] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// TestExecOne: an update that must change one row changes it, and one that
// changes none fails its transaction, on PostgreSQL at the next round trip or
// at COMMIT, never committing what the transaction wrote besides.
func TestExecOne(t *testing.T) {
	eachKV(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		clock := opaygate.SystemClock{}
		if err := db.update(ctx, clock, func(tx *Tx) error {
			if err := tx.execLater(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, "a", 1); err != nil {
				return err
			}
			return tx.execOne(ctx, "bump a", `UPDATE kv SET v = v + 1 WHERE k = ? AND v = ?`, "a", 1)
		}); err != nil {
			t.Fatal(err)
		}
		err := db.update(ctx, clock, func(tx *Tx) error {
			if err := tx.execLater(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, "b", 1); err != nil {
				return err
			}
			if err := tx.execOne(ctx, "bump a from 1", `UPDATE kv SET v = v + 1 WHERE k = ? AND v = ?`, "a", 1); err != nil {
				return err // SQLite: at once
			}
			return tx.execLater(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, "c", 1)
		})
		if !errors.Is(err, errNotOneRow) || !strings.Contains(err.Error(), "bump a from 1") {
			t.Fatalf("update that changed no row: %v, want errNotOneRow named by what it did", err)
		}
		if got := kvKeys(t, db); len(got) != 1 || got[0] != "a" {
			t.Fatalf("rows %v, want only a: the failed transaction wrote nothing", got)
		}
		var v int
		if err := db.readRow(ctx, `SELECT v FROM kv WHERE k = ?`, "a").Scan(&v); err != nil || v != 2 {
			t.Fatalf("a = %d %v, want 2", v, err)
		}
	})
}

// TestInsertOne: an insert that a conflict leaves out fails its transaction with the caller's
// error, named by what it did, and nothing of the transaction is written; on PostgreSQL a
// transaction of such inserts and queued statements is one round trip, BEGIN to COMMIT.
func TestInsertOne(t *testing.T) {
	taken := errors.New("key taken")
	eachKV(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		clock := opaygate.SystemClock{}
		insert := func(k string, then string) error {
			return db.update(ctx, clock, func(tx *Tx) error {
				if err := tx.insertOne(ctx, "insert "+k, `INSERT INTO kv (k, v) VALUES (?, ?)`,
					uniqueKey{columns: "k", name: "kv_pkey"}, taken, k, 1); err != nil {
					return err
				}
				return tx.execLater(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, then, 2)
			})
		}
		before := db.PostgresRoundTrips()
		if err := insert("a", "a2"); err != nil {
			t.Fatal(err)
		}
		if n := db.PostgresRoundTrips() - before; db.Dialect() == Postgres && n != 1 {
			t.Errorf("insert and queued insert: %d round trips, want 1", n)
		}
		err := insert("a", "b2")
		if !errors.Is(err, taken) || !strings.Contains(err.Error(), "insert a") {
			t.Fatalf("insert of a taken key: %v, want the caller's error named by what it did", err)
		}
		if got := kvKeys(t, db); len(got) != 2 || got[0] != "a" || got[1] != "a2" {
			t.Fatalf("rows %v, want a and a2: the failed transaction wrote nothing", got)
		}
		if err := insert("b", "b2"); err != nil {
			t.Fatalf("the next transaction after a taken key: %v", err)
		}
		if db.Dialect() == Postgres {
			// Only the named constraint's violation is taken; any other stays what it is.
			err := db.update(ctx, clock, func(tx *Tx) error {
				return tx.insertOne(ctx, "insert b", `INSERT INTO kv (k, v) VALUES (?, ?)`,
					uniqueKey{columns: "k", name: "another_key"}, taken, "b", 1)
			})
			if err == nil || errors.Is(err, taken) {
				t.Fatalf("violation of another constraint: %v, want it as it is", err)
			}
		}
	})
}
