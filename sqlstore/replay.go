package sqlstore

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/opaygate/opaygate"
)

// ReplayService remembers accepted timestamped signatures in request_signatures, shared by
// every node on the database (see opaygate.ReplayGuard).
type ReplayService struct {
	db *DB
}

var _ opaygate.ReplayGuard = (*ReplayService)(nil)

// NewReplayService returns the replay guard on db.
func NewReplayService(db *DB) *ReplayService { return &ReplayService{db: db} }

// Seen inserts the signature's hash and reports a replay when it was there already. The
// primary key decides, in one statement: two nodes inserting the same row at once cannot both
// succeed, which a read followed by a write could.
func (s *ReplayService) Seen(ctx context.Context, merchantID string, sigHash []byte, expires time.Time) (bool, error) {
	var seen bool
	err := s.db.update(ctx, opaygate.SystemClock{}, func(tx *Tx) error {
		res, err := tx.exec(ctx, `INSERT INTO request_signatures (merchant_id, sig_hash, expires_at)
			VALUES (?, ?, ?) ON CONFLICT (merchant_id, sig_hash) DO NOTHING`,
			merchantID, hex.EncodeToString(sigHash), ms(expires))
		if err != nil {
			return fmt.Errorf("remember signature: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("remember signature: %w", err)
		}
		seen = n == 0
		return nil
	})
	return seen, err
}

// ForgetExpired deletes at most limit signatures whose window has passed and returns how many
// it deleted. It reads the wall clock, as the timestamp check does: the sandbox's movable clock
// must not forget a signature whose request is still inside the window. On PostgreSQL rows
// another node is deleting are skipped, so every node may run it.
func (s *ReplayService) ForgetExpired(ctx context.Context, limit int) (int, error) {
	var n int64
	err := s.db.update(ctx, opaygate.SystemClock{}, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM request_signatures WHERE (merchant_id, sig_hash) IN (
			SELECT merchant_id, sig_hash FROM request_signatures WHERE expires_at < ?
			ORDER BY expires_at LIMIT ?`+s.db.skipLocked()+`)`, ms(time.Now()), limit)
		if err != nil {
			return fmt.Errorf("forget signatures: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
