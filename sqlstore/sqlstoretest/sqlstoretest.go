// Package sqlstoretest gives tests a fresh, migrated database on either
// backend: a SQLite file in a temporary directory, or a new schema in the
// PostgreSQL named by OPAYGATE_TEST_POSTGRES (default: the local server).
//
// PostgreSQL tests never skip under CI: when CI is set and PostgreSQL cannot
// be reached, the test fails. Outside CI they skip with a message saying so.
// It is for tests only and imports sqlstore and nothing else of ours.
package sqlstoretest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate/sqlstore"
)

// DefaultPostgresURL is the local PostgreSQL that development machines and CI
// run (trust authentication, database test).
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Backends are the names Open accepts, for tests that run on each.
var Backends = []sqlstore.Dialect{sqlstore.SQLite, sqlstore.Postgres}

// Open returns a migrated, empty database on the given backend, closed and
// dropped when the test ends.
func Open(tb testing.TB, dialect sqlstore.Dialect) *sqlstore.DB {
	tb.Helper()
	u := URL(tb, dialect)
	db, err := sqlstore.Open(context.Background(), u)
	if err != nil {
		tb.Fatalf("open %s: %v", dialect, err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate %s: %v", dialect, err)
	}
	return db
}

// URL returns the URL of a fresh, unmigrated database on the backend, for
// tests that open it themselves (several nodes, the binary).
func URL(tb testing.TB, dialect sqlstore.Dialect) string {
	tb.Helper()
	if dialect == sqlstore.SQLite {
		return filepath.Join(tb.TempDir(), "opaygate.db")
	}
	base := PostgresURL(tb)
	schema := "t_" + randomHex(8)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("postgres: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("postgres: create schema: %v", err)
	}
	tb.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// PostgresURL returns the URL of the test PostgreSQL server, skipping the
// test when it is unreachable outside CI and failing it under CI.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("OPAYGATE_TEST_POSTGRES")
	if u == "" {
		u = DefaultPostgresURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", u)
	if err == nil {
		err = db.PingContext(ctx)
		db.Close()
	}
	if err != nil {
		if UnderCI() {
			tb.Fatalf("PostgreSQL is required under CI but %s is unreachable: %v", redact(u), err)
		}
		tb.Skipf("SKIP: PostgreSQL not reachable at %s (set OPAYGATE_TEST_POSTGRES); PostgreSQL tests skipped outside CI", redact(u))
	}
	return u
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// UnderCI reports whether the tests run under CI, where every dependency must
// be present: CI set to anything but "", "0" or "false".
func UnderCI() bool {
	switch strings.ToLower(os.Getenv("CI")) {
	case "", "0", "false", "no":
		return false
	}
	return true
}
