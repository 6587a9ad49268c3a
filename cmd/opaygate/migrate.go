package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/sqlstore"
)

const migrateUsage = `Usage: opaygate migrate [flags]

Applies the database migrations that are not applied yet, in order, and
prints their names. Running it again does nothing. serve does this at
start-up unless --no-migrate is given.

Examples:

	opaygate migrate --db ./opaygate.db
	opaygate migrate --db 'postgres://opaygate@localhost/opaygate?sslmode=disable'
`

func (c *CLI) migrate(ctx context.Context, args []string) error {
	fs := c.newFlagSet("migrate", migrateUsage)
	dsn := dbFromEnv(c.Getenv)
	registerDBFlag(fs, &dsn)
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}
	if err := checkDB(dsn, false); err != nil {
		return err
	}
	db, err := openDB(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	for _, name := range applied {
		fmt.Fprintf(c.Stdout, "applied %s\n", name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "%s is up to date (%d migration(s) applied now)\n", describeDB(dsn), len(applied))
	return nil
}

// openStore opens and migrates an existing database for an administrative
// command. A SQLite file that does not exist is refused rather than created:
// a mistyped --db would otherwise answer "no merchants" from a new, empty
// file. merchant add, the first step of a deployment, uses createStore.
func openStore(ctx context.Context, dsn string) (*sqlstore.DB, *sqlstore.Services, error) {
	if err := checkDB(dsn, true); err != nil {
		return nil, nil, err
	}
	return migratedStore(ctx, dsn)
}

// createStore is openStore that creates a missing SQLite file, and says so.
func (c *CLI) createStore(ctx context.Context, dsn string) (*sqlstore.DB, *sqlstore.Services, error) {
	if err := checkDB(dsn, false); err != nil {
		return nil, nil, err
	}
	path, isFile := sqlitePath(dsn)
	_, statErr := os.Stat(path)
	db, svcs, err := migratedStore(ctx, dsn)
	if err == nil && isFile && errors.Is(statErr, fs.ErrNotExist) {
		fmt.Fprintf(c.Stderr, "created a new database: %s\n", describeDB(dsn))
	}
	return db, svcs, err
}

// migratedStore opens and migrates the database. Migrating here too means
// `merchant add` works on a fresh database, which is the first thing a live
// deployment does.
func migratedStore(ctx context.Context, dsn string) (*sqlstore.DB, *sqlstore.Services, error) {
	db, err := openDB(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("%s: %w", describeDB(dsn), err)
	}
	// The administration commands touch merchants and products, never a payment: no
	// network and no methods.
	svcs := sqlstore.NewServices(db, sqlstore.Deps{Clock: opaygate.SystemClock{}})
	return db, svcs, nil
}

// openDB opens dsn; its errors name the database, since the driver's own
// ("unable to open database file (14)") name neither it nor the cause.
func openDB(ctx context.Context, dsn string) (*sqlstore.DB, error) {
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", describeDB(dsn), err)
	}
	return db, nil
}

// sqlitePath is the file a --db value names, and whether it names one (not
// PostgreSQL, not an in-memory database).
func sqlitePath(dsn string) (string, bool) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return "", false
	}
	path := strings.TrimPrefix(dsn, "sqlite:")
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.Contains(path, "mode=memory") {
		return "", false
	}
	return path, true
}

// checkDB finds what would make a SQLite --db fail, before the driver gives
// its cryptic answer: a missing directory, a directory instead of a file,
// and, when mustExist, a missing file. Errors name the path and the cause.
func checkDB(dsn string, mustExist bool) error {
	if strings.TrimSpace(dsn) == "" {
		return errors.New("--db is empty: give a SQLite file, sqlite:PATH or postgres://…")
	}
	path, ok := sqlitePath(dsn)
	if !ok {
		return nil
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return fmt.Errorf("--db %s is a directory, not a SQLite file", path)
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("--db %s: %v", path, causeOf(err))
	}
	dir := filepath.Dir(path)
	di, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("--db %s: directory %s does not exist", path, dir)
	case err != nil:
		return fmt.Errorf("--db %s: directory %s: %v", path, dir, causeOf(err))
	case !di.IsDir():
		return fmt.Errorf("--db %s: %s is not a directory", path, dir)
	case mustExist:
		abs, _ := filepath.Abs(path)
		return fmt.Errorf("--db %s: no such database file (%s); check the path, or create the database with 'opaygate migrate --db %s'",
			path, abs, path)
	}
	return nil
}

// causeOf is the reason of a file error without the path, which the caller
// names already.
func causeOf(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
