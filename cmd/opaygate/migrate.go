package main

import (
	"context"
	"fmt"

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
	db, err := sqlstore.Open(ctx, dsn)
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

// openStore opens and migrates the database for an administrative command.
// Migrating here too means `merchant add` works on a fresh database, which
// is the first thing a live deployment does.
func openStore(ctx context.Context, dsn string) (*sqlstore.DB, *sqlstore.Services, error) {
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	// The administration commands touch merchants and products, never a payment: no
	// network and no methods.
	svcs := sqlstore.NewServices(db, sqlstore.Deps{Clock: opaygate.SystemClock{}})
	return db, svcs, nil
}
