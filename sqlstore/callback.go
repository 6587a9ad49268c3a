package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opaygate/opaygate"
)

// CallbackService is the outbox of callbacks. Rows are written by the order
// and refund transactions (OrderService.enqueueCallback); this service leases
// them to delivery workers, records what happened, and lists and re-sends
// them.
type CallbackService struct {
	db         *DB
	clock      opaygate.Clock
	onCallback func() // Deps.OnCallback
}

var _ opaygate.CallbackService = (*CallbackService)(nil)

const callbackColumns = `id, merchant_id, order_id, refund_id, target_url, status, refunded, amount, currency,
	reference, order_no, country, instrument_type, channel, failure_reason, event_time, state, attempts,
	next_attempt_at, first_attempt_at, lease_until, lease_owner, created_at, updated_at,
	version, notify_id, failure_code, refund_reference, refund_order_no, refund_amount, voided, payout_id, fee, remark`

func scanCallback(row interface{ Scan(...any) error }) (*opaygate.Callback, error) {
	var c opaygate.Callback
	var orderID, refundID, payoutID sql.NullInt64
	var event, next, first, lease, created, updated int64
	if err := row.Scan(&c.ID, &c.MerchantID, &orderID, &refundID, &c.TargetURL, &c.Status, &c.Refunded,
		&c.Amount, &c.Currency, &c.Reference, &c.OrderNo, &c.Country, &c.InstrumentType, &c.Channel,
		&c.FailureReason, &event, &c.State, &c.Attempts, &next, &first, &lease, &c.LeaseToken,
		&created, &updated, &c.Version, &c.NotifyID, &c.FailureCode, &c.RefundReference, &c.RefundOrderNo,
		&c.RefundAmount, &c.Voided, &payoutID, &c.Fee, &c.Remark); err != nil {
		return nil, err
	}
	c.OrderID, c.RefundID, c.PayoutID = orderID.Int64, refundID.Int64, payoutID.Int64
	c.EventTime, c.NextAttemptAt, c.FirstAttemptAt = fromMS(event), fromMS(next), fromMS(first)
	c.LeaseUntil, c.CreatedAt, c.UpdatedAt = fromMS(lease), fromMS(created), fromMS(updated)
	return &c, nil
}

func errCallbackNotFound() error { return opaygate.Errorf(opaygate.ENOTFOUND, "callback not found.") }

// ClaimCallbacks leases due callbacks to the caller. One short transaction
// picks them and sets their lease. On PostgreSQL the pick is FOR UPDATE SKIP
// LOCKED, so workers on several nodes each get different rows and never wait
// for one another; SQLite serializes writers, which gives the same guarantee
// for the one worker it supports per database.
func (s *CallbackService) ClaimCallbacks(ctx context.Context, limit int, lease time.Duration, skip ...int64) ([]*opaygate.Callback, error) {
	if limit <= 0 {
		return nil, nil
	}
	skipping := ""
	args := []any{opaygate.CallbackPending, 0, 0}
	if len(skip) > 0 {
		skipping = " AND id NOT IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(skip)), ", ") + ")"
		for _, id := range skip {
			args = append(args, id)
		}
	}
	args = append(args, limit)
	var claimed []*opaygate.Callback
	err := s.db.update(ctx, s.clock, func(tx *Tx) error {
		now := tx.now
		args[1], args[2] = ms(now), ms(now)
		var err error
		claimed, err = queryAll(ctx, tx, scanCallback, `SELECT `+callbackColumns+` FROM callbacks
			WHERE state = ? AND next_attempt_at <= ? AND lease_until <= ?`+skipping+`
			ORDER BY next_attempt_at, id LIMIT ?`+s.db.skipLocked(), args...)
		if err != nil {
			return fmt.Errorf("claim callbacks: %w", err)
		}
		until := now.Add(lease)
		for _, c := range claimed {
			c.LeaseUntil, c.LeaseToken = until, randomHex(8)
			if _, err := tx.exec(ctx, `UPDATE callbacks SET lease_until = ?, lease_owner = ?, updated_at = ? WHERE id = ?`,
				ms(c.LeaseUntil), c.LeaseToken, ms(now), c.ID); err != nil {
				return fmt.Errorf("lease callback %d: %w", c.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return claimed, nil
}

// RecordAttempt stores an attempt and moves the callback; see
// opaygate.CallbackService.
func (s *CallbackService) RecordAttempt(ctx context.Context, c *opaygate.Callback, a opaygate.CallbackAttempt, sched opaygate.RetrySchedule) (*opaygate.Callback, error) {
	var out *opaygate.Callback
	err := s.db.update(ctx, s.clock, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `INSERT INTO callback_attempts (callback_id, at, http_status, error, duration_ms)
			VALUES (?, ?, ?, ?, ?)`, c.ID, ms(a.At), a.HTTPStatus, a.Error, a.Duration.Milliseconds()); err != nil {
			return fmt.Errorf("record callback attempt: %w", err)
		}
		cur, err := scanCallback(tx.queryRow(ctx, `SELECT `+callbackColumns+` FROM callbacks WHERE id = ?`+s.db.forUpdate(), c.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return errCallbackNotFound()
		} else if err != nil {
			return fmt.Errorf("record callback attempt: %w", err)
		}
		out = cur
		now := tx.now
		if cur.LeaseToken == "" && cur.State == opaygate.CallbackPending && c.LeaseToken != "" {
			// Re-sent by hand while we were delivering: the new round
			// starts now that our delivery is over.
			_, err := tx.exec(ctx, `UPDATE callbacks SET lease_until = 0, updated_at = ? WHERE id = ? AND lease_owner = ''`,
				ms(now), c.ID)
			if err != nil {
				return fmt.Errorf("release callback %d: %w", c.ID, err)
			}
			return nil
		}
		if cur.State != opaygate.CallbackPending || cur.LeaseToken != c.LeaseToken || c.LeaseToken == "" {
			// Someone else holds it now (our lease ran out and another
			// worker claimed it): the attempt is history, the state is theirs.
			return nil
		}
		first := cur.FirstAttemptAt
		if first.IsZero() {
			first = a.At
		}
		attempts := cur.Attempts + 1
		state, next := opaygate.CallbackPending, time.Time{}
		if a.Acknowledged() {
			state = opaygate.CallbackDelivered
		} else if n, dead := sched.Next(attempts, first, a.At); dead {
			state = opaygate.CallbackDead
		} else {
			next = n
		}
		nextMS := ms(next)
		if next.IsZero() {
			nextMS = ms(cur.NextAttemptAt)
		}
		if _, err := tx.exec(ctx, `UPDATE callbacks SET state = ?, attempts = ?, next_attempt_at = ?,
			first_attempt_at = ?, lease_until = 0, lease_owner = '', updated_at = ? WHERE id = ?`,
			state, attempts, nextMS, ms(first), ms(now), c.ID); err != nil {
			return fmt.Errorf("record callback attempt: %w", err)
		}
		cur.State, cur.Attempts, cur.NextAttemptAt, cur.FirstAttemptAt = state, attempts, fromMS(nextMS), first
		cur.LeaseUntil, cur.LeaseToken, cur.UpdatedAt = time.Time{}, "", now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RenewLease extends a claim in flight; see opaygate.CallbackService. The
// claim is matched by its lease's end as well as its token: a re-send clears
// the token but keeps the lease, and the running delivery must keep holding
// it then, while a claim by another worker always moves the lease's end (it
// is only possible once the old one has passed).
func (s *CallbackService) RenewLease(ctx context.Context, c *opaygate.Callback, lease time.Duration) (bool, error) {
	if c.LeaseToken == "" {
		return false, nil
	}
	var until time.Time
	var kept bool
	err := s.db.update(ctx, s.clock, func(tx *Tx) error {
		until = tx.now.Add(lease)
		res, err := tx.exec(ctx, `UPDATE callbacks SET lease_until = ? WHERE id = ? AND state = ? AND lease_until = ?
			AND (lease_owner = ? OR lease_owner = '')`,
			ms(until), c.ID, opaygate.CallbackPending, ms(c.LeaseUntil), c.LeaseToken)
		if err != nil {
			return fmt.Errorf("renew callback lease %d: %w", c.ID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("renew callback lease %d: %w", c.ID, err)
		}
		kept = n == 1
		return nil
	})
	if err != nil || !kept {
		return false, err
	}
	c.LeaseUntil = until
	return true, nil
}

// ResendCallback makes a callback due now as a fresh round. A callback that
// a worker is delivering right now keeps its lease but loses its claim: the
// re-send cannot start a second concurrent delivery, the running one cannot
// record its outcome over the new round, and the new round starts as soon as
// the running delivery ends.
func (s *CallbackService) ResendCallback(ctx context.Context, id int64) (*opaygate.Callback, error) {
	err := s.db.update(ctx, s.clock, func(tx *Tx) error {
		now := tx.now
		res, err := tx.exec(ctx, `UPDATE callbacks SET state = ?, attempts = 0, first_attempt_at = 0,
			next_attempt_at = ?, lease_owner = '', updated_at = ? WHERE id = ?`,
			opaygate.CallbackPending, ms(now), ms(now), id)
		if err != nil {
			return fmt.Errorf("resend callback: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errCallbackNotFound()
		}
		tx.afterCommit(s.onCallback)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.FindCallback(ctx, id)
}

// FindCallback returns a callback with its history.
func (s *CallbackService) FindCallback(ctx context.Context, id int64) (*opaygate.Callback, error) {
	c, err := scanCallback(s.db.read.QueryRowContext(ctx, s.db.rebind(`SELECT `+callbackColumns+
		` FROM callbacks WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errCallbackNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find callback: %w", err)
	}
	if err := s.attachHistory(ctx, []*opaygate.Callback{c}); err != nil {
		return nil, err
	}
	return c, nil
}

// ListCallbacks returns callbacks matching f, newest first, with their history.
func (s *CallbackService) ListCallbacks(ctx context.Context, f opaygate.CallbackFilter) ([]*opaygate.Callback, error) {
	var where []string
	var args []any
	if f.MerchantID != "" {
		where, args = append(where, "merchant_id = ?"), append(args, f.MerchantID)
	}
	if f.OrderNo != "" {
		where, args = append(where, "order_no = ?"), append(args, f.OrderNo)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, f.State)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.read.QueryContext(ctx, s.db.rebind(`SELECT `+callbackColumns+` FROM callbacks`+cond+
		` ORDER BY id DESC LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list callbacks: %w", err)
	}
	defer rows.Close()
	var list []*opaygate.Callback
	for rows.Next() {
		c, err := scanCallback(rows)
		if err != nil {
			return nil, fmt.Errorf("list callbacks: %w", err)
		}
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list callbacks: %w", err)
	}
	if err := s.attachHistory(ctx, list); err != nil {
		return nil, err
	}
	return list, nil
}

// attachHistory reads the attempts of the listed callbacks in one query.
func (s *CallbackService) attachHistory(ctx context.Context, list []*opaygate.Callback) error {
	if len(list) == 0 {
		return nil
	}
	byID := make(map[int64]*opaygate.Callback, len(list))
	ids := make([]any, 0, len(list))
	for _, c := range list {
		byID[c.ID] = c
		ids = append(ids, c.ID)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	rows, err := s.db.read.QueryContext(ctx, s.db.rebind(`SELECT callback_id, at, http_status, error, duration_ms
		FROM callback_attempts WHERE callback_id IN (`+marks+`) ORDER BY id`), ids...)
	if err != nil {
		return fmt.Errorf("callback attempts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a opaygate.CallbackAttempt
		var at, dur int64
		if err := rows.Scan(&a.CallbackID, &at, &a.HTTPStatus, &a.Error, &dur); err != nil {
			return fmt.Errorf("callback attempts: %w", err)
		}
		a.At, a.Duration = fromMS(at), time.Duration(dur)*time.Millisecond
		c := byID[a.CallbackID]
		c.History = append(c.History, &a)
	}
	return rows.Err()
}
