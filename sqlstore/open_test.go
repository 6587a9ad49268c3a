package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opaygate/opaygate/sqlstore"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

// pool_mode=transaction (a pooler such as PgBouncer in transaction mode)
// sends no startup parameters: the timeouts are the role's. Without it
// opaygate sets its own.
func TestOpenPoolMode(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrUnknownPoolMode", func(t *testing.T) {
		_, err := sqlstore.Open(ctx, "postgres://postgres@127.0.0.1:1/x?pool_mode=statement")
		if err == nil || !strings.Contains(err.Error(), "pool_mode") {
			t.Fatalf("Open = %v, want an error naming pool_mode", err)
		}
	})
	url := sqlstoretest.URL(t, sqlstore.Postgres)
	for _, tc := range []struct {
		name, param string
		own         bool // whether opaygate sets its 5 s statement timeout
	}{
		{"Direct", "", true},
		{"Session", "&pool_mode=session", true},
		{"Transaction", "&pool_mode=transaction", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := sqlstore.Open(ctx, url+tc.param)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			got, err := sqlstore.QueryStrings(db, "SHOW statement_timeout")
			if err != nil || len(got) != 1 || (got[0] == "5s") != tc.own {
				t.Errorf("statement_timeout = %v, %v; opaygate's own 5s: %v", got, err, tc.own)
			}
		})
	}
}

// PostgresStats reads PostgreSQL's counters, which only grow; SQLite has none.
func TestPostgresStats(t *testing.T) {
	ctx := context.Background()
	if _, err := sqlstoretest.Open(t, sqlstore.SQLite).PostgresStats(ctx); err == nil {
		t.Error("SQLite reports PostgreSQL's counters")
	}
	db := sqlstoretest.Open(t, sqlstore.Postgres)
	first, err := db.PostgresStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first.Commits <= 0 || first.WALSyncs < 0 || first.WALWrites < 0 {
		t.Fatalf("counters %+v", first)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	later, err := db.PostgresStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := later.Sub(first); d.Commits < 0 || d.WALSyncs < 0 || d.WALWrites < 0 {
		t.Errorf("counters went back: %+v", d)
	}
}

// SQLite's readers map the file; the writer, whose reads were not measured to gain, does not.
func TestSQLiteReadersMapTheFile(t *testing.T) {
	db, err := sqlstore.Open(context.Background(), t.TempDir()+"/m.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := sqlstore.QueryStrings(db, "PRAGMA mmap_size")
	if err != nil || len(got) != 1 || got[0] != "268435456" {
		t.Errorf("a reader's mmap_size = %v, %v; want 268435456", got, err)
	}
	var w string
	if err := db.WritePool().QueryRow("PRAGMA mmap_size").Scan(&w); err != nil || w != "0" {
		t.Errorf("the writer's mmap_size = %q, %v; want 0", w, err)
	}
}
