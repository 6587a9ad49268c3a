package sqlstore

import (
	"context"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestMigrateRebuildKeepsRows: migration 022 rebuilds SQLite's callbacks table with foreign
// keys off. A database from before it keeps every callback and every delivery attempt (which
// refer to callbacks and would go with a DROP TABLE under foreign keys), and its successful
// payments get their ledger entries from 021.
func TestMigrateRebuildKeepsRows(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.createMigrations(ctx); err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(migrations, "migrations/sqlite/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		if base >= "021" {
			break
		}
		if _, err := db.migrate(ctx, name, base); err != nil {
			t.Fatalf("%s: %v", base, err)
		}
	}
	for _, q := range []string{
		`INSERT INTO merchants (id, name, private_key, public_key, status, countries, functions, created_at, updated_at)
			VALUES ('m1', 'M', 'k', 'p', 'active', 'EG', 'cashier', 1, 1)`,
		`INSERT INTO orders (id, order_no, merchant_id, reference, country, currency, amount, vat, pay_method, channel,
			status, step, product_name, product_description, return_url, callback_url, cancel_url, user_id, user_name,
			user_email, user_mobile, token, expire_at, created_at, updated_at)
			VALUES (1, 'o1', 'm1', 'r1', 'EG', 'EGP', 60000, 0, 'VALU', 'API', 'SUCCESS', '', 'p', 'd', '', '', '', '',
			'', '', '', 't', 0, 1, 1)`,
		`INSERT INTO callbacks (id, merchant_id, order_id, target_url, status, refunded, amount, currency, reference,
			order_no, country, instrument_type, channel, failure_reason, event_time, state, next_attempt_at, created_at,
			updated_at) VALUES (7, 'm1', 1, 'http://x', 'SUCCESS', 0, 60000, 'EGP', 'r1', 'o1', 'EG', 'VALU', 'API', '',
			1, 'pending', 1, 1, 1)`,
		`INSERT INTO callback_attempts (callback_id, at) VALUES (7, 1), (7, 2)`,
	} {
		if _, err := db.write.Exec(q); err != nil {
			t.Fatalf("%s: %v", strings.Fields(q)[2], err)
		}
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) < 2 || applied[0] != "021_ledger.sql" || applied[1] != "022_payouts.sql" { // and any later
		t.Fatalf("applied %v", applied)
	}
	count := func(q string) int {
		var n int
		if err := db.write.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	if n := count(`SELECT COUNT(*) FROM callback_attempts WHERE callback_id = 7`); n != 2 {
		t.Errorf("%d delivery attempts after the rebuild, want 2", n)
	}
	if n := count(`SELECT COUNT(*) FROM callbacks WHERE id = 7 AND order_id = 1 AND payout_id IS NULL`); n != 1 {
		t.Error("the callback did not survive the rebuild")
	}
	if n := count(`SELECT COUNT(*) FROM balance_entries WHERE ref = 'o1'`); n != 3 {
		t.Errorf("%d ledger entries for the old payment, want 3 (paid and settled)", n)
	}
	var fk int
	if err := db.write.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign keys are %d after the migration (%v), want on", fk, err)
	}
	// The cascade still works on the rebuilt table.
	if _, err := db.write.Exec(`DELETE FROM callbacks WHERE id = 7`); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT COUNT(*) FROM callback_attempts`); n != 0 {
		t.Errorf("deleting the callback left %d attempts", n)
	}
}
