package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/opaygate/opaygate"
)

// PayoutService creates and finishes payouts (METHODS.md §10); see opaygate.PayoutService.
// The cash a payout takes and gives back are ledger entries of the same transactions
// (ledger.go), and its notification goes to the callbacks outbox in the transaction that
// finishes it.
type PayoutService struct {
	db   *DB
	deps Deps
}

const payoutColumns = `id, order_no, merchant_id, reference, payout_type, country, currency, amount, fee, language,
	remark, notify_url, meta, status, error_code, error_msg, due_at, created_at, updated_at`

func scanPayout(row interface{ Scan(...any) error }) (*opaygate.Payout, error) {
	var p opaygate.Payout
	var meta string
	var due, created, updated int64
	if err := row.Scan(&p.ID, &p.OrderNo, &p.MerchantID, &p.Reference, &p.PayoutType, &p.Country, &p.Currency,
		&p.Amount, &p.Fee, &p.Language, &p.Remark, &p.NotifyURL, &meta, &p.Status, &p.ErrorCode, &p.ErrorMsg,
		&due, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(meta), &p.Payee); err != nil {
		return nil, fmt.Errorf("payout %s: payee: %w", p.OrderNo, err)
	}
	p.DueAt, p.CreatedAt, p.UpdatedAt = fromMS(due), fromMS(created), fromMS(updated)
	return &p, nil
}

func errPayoutNotFound() error {
	return opaygate.Errorf(opaygate.ENOTFOUND, "Transaction does not exist")
}

// CreatePayout stores a payout and takes its money from the merchant's cash; see
// opaygate.PayoutService. The cash account's row is locked first, so payouts of one merchant
// and currency take turns and two cannot both spend the last of it; payments, refunds and
// other merchants' payouts never wait on that lock.
func (s *PayoutService) CreatePayout(ctx context.Context, p *opaygate.Payout) error {
	if p.MerchantID == "" || p.Reference == "" || p.Amount <= 0 || p.Currency == "" {
		return opaygate.Invalid("merchant, merchantOrderNo, currency and a positive amount are required")
	}
	if p.Amount > opaygate.MaxAmount {
		return opaygate.Invalid("amount must be at most %d minor units", opaygate.MaxAmount)
	}
	meta, err := json.Marshal(p.Payee)
	if err != nil {
		return fmt.Errorf("encode payee: %w", err)
	}
	return s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		now := tx.now
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM payouts WHERE merchant_id = ? AND reference = ?`,
			p.MerchantID, p.Reference).Scan(&n); err != nil {
			return fmt.Errorf("find payout: %w", err)
		} else if n > 0 {
			return opaygate.Errorf(opaygate.EDUPLICATE, "merchantOrderNo %s is already used by another payout", p.Reference)
		}
		if err := tx.queryRow(ctx, `SELECT payout_fee FROM merchants WHERE id = ?`, p.MerchantID).Scan(&p.Fee); err != nil {
			return fmt.Errorf("find payout fee: %w", err)
		}
		if p.Fee < 0 || p.Fee > opaygate.MaxAmount {
			// amount + fee must not overflow, nor a fee pay the merchant.
			return fmt.Errorf("merchant %s has a payout fee of %d, outside 0..%d", p.MerchantID, p.Fee, opaygate.MaxAmount)
		}
		cash, err := tx.cash(ctx, p.MerchantID, p.Currency)
		if err != nil {
			return err
		}
		if cash < p.Amount+p.Fee {
			return opaygate.Errorf(opaygate.EBALANCE, "the %s cash is %s; the payout needs %s (amount %d + fee %d)",
				p.Currency, opaygate.FormatAmount(cash, p.Currency), opaygate.FormatAmount(p.Amount+p.Fee, p.Currency),
				p.Amount, p.Fee)
		}
		if p.ID, p.OrderNo, err = tx.nextNumber(ctx, "payouts", now); err != nil {
			return err
		}
		p.Status, p.ErrorCode, p.ErrorMsg = opaygate.PayoutPending, "", ""
		p.DueAt = time.Time{}
		if s.deps.Payouts != nil {
			p.DueAt = now.Add(s.deps.Payouts.PayoutDelay())
		}
		p.CreatedAt, p.UpdatedAt = now, now
		if _, err := tx.exec(ctx, `INSERT INTO payouts (`+payoutColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.OrderNo, p.MerchantID, p.Reference, p.PayoutType, p.Country, p.Currency, p.Amount, p.Fee,
			p.Language, p.Remark, p.NotifyURL, string(meta), p.Status, "", "", ms(p.DueAt), ms(now), ms(now)); err != nil {
			if isUniqueViolation(err) {
				return opaygate.Errorf(opaygate.EDUPLICATE, "merchantOrderNo %s is already used by another payout", p.Reference)
			}
			return fmt.Errorf("insert payout: %w", err)
		}
		return tx.addEntries(ctx, entry{p.MerchantID, p.Currency, opaygate.AccountCash, -(p.Amount + p.Fee),
			opaygate.EntryPayout, p.OrderNo, time.Time{}})
	})
}

// FindPayout returns a merchant's payout by orderNo, else by reference.
func (s *PayoutService) FindPayout(ctx context.Context, merchantID string, key opaygate.PayoutKey) (*opaygate.Payout, error) {
	// By orderNo the merchant is checked after the read, not in the query (see orderWhere).
	where, args := "order_no = ?", []any{key.OrderNo}
	if key.OrderNo == "" {
		where, args = "merchant_id = ? AND reference = ?", []any{merchantID, key.Reference}
	}
	if key.OrderNo == "" && key.Reference == "" {
		return nil, errPayoutNotFound()
	}
	p, err := scanPayout(s.db.readRow(ctx, `SELECT `+payoutColumns+` FROM payouts WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) || err == nil && p.MerchantID != merchantID {
		return nil, errPayoutNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find payout: %w", err)
	}
	return p, nil
}

// CompletePayouts finishes due payouts with the network's answers. The network is asked with
// no transaction open (it is a payment network: a call may take seconds); each answer is then
// recorded in a transaction of its own, only if the payout is still PENDING, so a payout two
// nodes picked at once is finished once (the network must answer one payout the same way
// twice, as connectors answer an orderNo).
func (s *PayoutService) CompletePayouts(ctx context.Context, limit int) (int, error) {
	if s.deps.Payouts == nil {
		return 0, nil
	}
	rows, err := s.db.readRows(ctx, `SELECT `+payoutColumns+` FROM payouts
		WHERE status = ? AND due_at > 0 AND due_at <= ? ORDER BY due_at, id LIMIT ?`,
		opaygate.PayoutPending, ms(s.deps.Clock.Now()), limit)
	if err != nil {
		return 0, fmt.Errorf("find due payouts: %w", err)
	}
	var due []*opaygate.Payout
	for rows.Next() {
		p, err := scanPayout(rows)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("find due payouts: %w", err)
		}
		due = append(due, p)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return 0, fmt.Errorf("find due payouts: %w", err)
	}
	n := 0
	for _, p := range due {
		r := s.deps.Payouts.Pay(p)
		switch _, err := s.FinishPayout(ctx, p.OrderNo, r); opaygate.ErrorCode(err) {
		case "":
			n++
		case opaygate.EORDERSTATE:
			// Another node finished it meanwhile.
		default:
			return n, err
		}
	}
	return n, nil
}

// FinishPayout moves a PENDING payout to its result; see opaygate.PayoutService.
func (s *PayoutService) FinishPayout(ctx context.Context, orderNo string, r opaygate.PayoutResult) (*opaygate.Payout, error) {
	var p *opaygate.Payout
	err := s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		var err error
		p, err = scanPayout(tx.queryRow(ctx, `SELECT `+payoutColumns+` FROM payouts WHERE order_no = ?`+s.db.forUpdate(), orderNo))
		if errors.Is(err, sql.ErrNoRows) {
			return errPayoutNotFound()
		} else if err != nil {
			return fmt.Errorf("find payout: %w", err)
		}
		if p.Status != opaygate.PayoutPending {
			return errOrderState("the payout is %s", p.Status)
		}
		return s.finish(ctx, tx, p, r)
	})
	return p, err
}

// finish moves p from PENDING to r's status with a conditional update, gives a failed
// payout's money back to the cash, and writes the notification: all in tx.
func (s *PayoutService) finish(ctx context.Context, tx *Tx, p *opaygate.Payout, r opaygate.PayoutResult) error {
	to, code, msg := opaygate.PayoutSuccess, "", ""
	if !r.Success {
		to, code, msg = opaygate.PayoutFail, cmp.Or(r.ErrorCode, "05"), cmp.Or(r.ErrorMsg, "Transaction failed")
	}
	res, err := tx.exec(ctx, `UPDATE payouts SET status = ?, error_code = ?, error_msg = ?, updated_at = ?
		WHERE id = ? AND status = ?`, to, code, msg, ms(tx.now), p.ID, opaygate.PayoutPending)
	if err != nil {
		return fmt.Errorf("finish payout %s: %w", p.OrderNo, err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return fmt.Errorf("finish payout %s: status changed concurrently", p.OrderNo)
	}
	p.Status, p.ErrorCode, p.ErrorMsg, p.UpdatedAt = to, code, msg, tx.now
	if to == opaygate.PayoutFail {
		if err := tx.addEntries(ctx, entry{p.MerchantID, p.Currency, opaygate.AccountCash, p.Amount + p.Fee,
			opaygate.EntryPayoutFail, p.OrderNo, time.Time{}}); err != nil {
			return err
		}
	}
	if p.NotifyURL == "" {
		return nil
	}
	// Payout notifications are always v1 (METHODS.md §10.3), whatever the merchant's
	// callback version.
	if err := tx.execLater(ctx, `INSERT INTO callbacks (merchant_id, payout_id, target_url, status, refunded, amount,
		currency, reference, order_no, country, instrument_type, channel, failure_code, failure_reason, event_time,
		state, next_attempt_at, created_at, updated_at, version, fee, remark)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)`,
		p.MerchantID, p.ID, p.NotifyURL, p.Status, false, p.Amount, p.Currency, p.Reference, p.OrderNo, p.Country,
		p.PayoutType, "Web", p.ErrorCode, p.ErrorMsg, ms(tx.now), ms(tx.now), ms(tx.now), ms(tx.now),
		opaygate.CallbackV1, p.Fee, p.Remark); err != nil {
		return fmt.Errorf("enqueue payout notification: %w", err)
	}
	tx.afterCommit(s.deps.OnCallback)
	return nil
}
