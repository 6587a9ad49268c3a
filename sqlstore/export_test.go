package sqlstore

import "context"

// QueryStrings runs a one-column query for tests that inspect rows directly.
func QueryStrings(db *DB, q string, args ...any) ([]string, error) {
	rows, err := db.read.QueryContext(context.Background(), db.rebind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// QueryStringsForTest is QueryStrings for the package's internal tests.
var QueryStringsForTest = QueryStrings

// ForgetMerchants empties the merchant cache, so the next read is the database's.
func (db *DB) ForgetMerchants() { db.merchants.forget("") }

// Exec runs a statement for tests that change rows directly (to tamper with them).
func Exec(db *DB, q string, args ...any) error {
	_, err := db.write.ExecContext(context.Background(), db.rebind(q), args...)
	return err
}

// HoldLock runs q (a SELECT … FOR UPDATE) in a transaction of its own and keeps the
// transaction open, with its row locks, until release (PostgreSQL).
func HoldLock(db *DB, q string, args ...any) (release func(), err error) {
	tx, err := db.write.BeginTx(context.Background(), nil)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(db.rebind(q), args...)
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	rows.Close()
	return func() { tx.Rollback() }, nil
}
