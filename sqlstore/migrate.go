package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"
)

//go:embed migrations
var migrations embed.FS

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

// foreignKeysOff marks a SQLite migration that must run with foreign keys off: one that
// rebuilds a table other tables refer to (SQLite's way to change a column's constraints), whose
// DROP TABLE would otherwise cascade to the referring rows. foreign_key_check runs before it
// commits, so it cannot leave a dangling reference behind.
const foreignKeysOff = "-- opaygate:foreign-keys-off"

func (db *DB) migrate(ctx context.Context, path, name string) (_ bool, err error) {
	script, err := migrations.ReadFile(path)
	if err != nil {
		return false, err
	}
	// One connection for the whole migration: a PRAGMA holds for its connection only.
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	fkOff := db.dialect == SQLite && strings.HasPrefix(string(script), foreignKeysOff)
	if fkOff {
		// A no-op inside a transaction, so it is set before BEGIN.
		if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
			return false, err
		}
		defer func() {
			if _, onErr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`); onErr != nil && err == nil {
				err = onErr
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
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
	if fkOff {
		rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
		if err != nil {
			return false, err
		}
		dangling := rows.Next()
		rows.Close()
		if dangling {
			return false, fmt.Errorf("the migration would leave rows referring to rows that do not exist")
		}
	}
	if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO migrations (name, applied_at) VALUES (?, ?)`),
		name, time.Now().UnixMilli()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}
