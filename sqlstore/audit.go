package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opaygate/opaygate"
)

// MerchantChange is one row of a merchant's audit trail: a security setting changed.
type MerchantChange struct {
	Setting  string // "payout_public_key"
	Old, New string // what identifies the value without being a secret; "" for none
	By       string // "cli", "dashboard", "sandbox"; "" when the caller did not say
	At       time.Time
}

// auditPayoutKey records, in tx, that merchant id's payout key becomes key (normalized PEM,
// or "" for none), by the keys' fingerprints. Setting the key it already has records nothing.
func auditPayoutKey(ctx context.Context, tx *Tx, id, key, by string, at time.Time) error {
	var old string
	err := tx.queryRow(ctx, `SELECT payout_public_key FROM merchants WHERE id = ?`+tx.db.forUpdate(), id).Scan(&old)
	if errors.Is(err, sql.ErrNoRows) {
		return opaygate.Errorf(opaygate.ENOTFOUND, "merchant not found.")
	} else if err != nil {
		return fmt.Errorf("audit payout key: %w", err)
	}
	if old == key {
		return nil
	}
	_, err = tx.exec(ctx, `INSERT INTO merchant_audit (merchant_id, setting, old_value, new_value, changed_by, at)
		VALUES (?, ?, ?, ?, ?, ?)`, id, "payout_public_key", fingerprintOf(old), fingerprintOf(key), by, ms(at))
	if err != nil {
		return fmt.Errorf("audit payout key: %w", err)
	}
	return nil
}

// fingerprintOf is a stored payout key's fingerprint; a key stored before the rules (it
// cannot be parsed) is recorded as such rather than failing the change that replaces it.
func fingerprintOf(key string) string {
	if key == "" {
		return ""
	}
	pub, err := opaygate.ParsePayoutKey(key)
	if err != nil {
		return "(unreadable key)"
	}
	return opaygate.PayoutKeyFingerprint(pub)
}

// Audit returns merchant id's audit trail, oldest first.
func (s *MerchantService) Audit(ctx context.Context, id string) ([]MerchantChange, error) {
	rows, err := s.db.readRows(ctx, `SELECT setting, old_value, new_value, changed_by, at
		FROM merchant_audit WHERE merchant_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("merchant audit: %w", err)
	}
	defer rows.Close()
	var out []MerchantChange
	for rows.Next() {
		var c MerchantChange
		var at int64
		if err := rows.Scan(&c.Setting, &c.Old, &c.New, &c.By, &at); err != nil {
			return nil, fmt.Errorf("merchant audit: %w", err)
		}
		c.At = fromMS(at)
		out = append(out, c)
	}
	return out, rows.Err()
}
