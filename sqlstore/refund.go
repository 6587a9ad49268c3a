package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/opaygate/opaygate"
)

// RefundService stores refunds. The refundable amount is enforced by the
// order row: orders.refunded is the sum of the order's refunds that are not
// FAIL, and it only grows by a conditional update in the transaction that
// inserts the refund, with the order row locked.
type RefundService struct {
	db     *DB
	deps   Deps
	orders *OrderService
}

var _ opaygate.RefundService = (*RefundService)(nil)

const refundColumns = `id, refund_no, merchant_id, reference, order_id, order_no, order_reference, country,
	currency, amount, status, refund_way, reason, bank_code, bank_account_no, callback_url, due_at,
	created_at, updated_at`

func scanRefund(row interface{ Scan(...any) error }) (*opaygate.Refund, error) {
	var r opaygate.Refund
	var due, created, updated int64
	if err := row.Scan(&r.ID, &r.RefundNo, &r.MerchantID, &r.Reference, &r.OrderID, &r.OrderNo,
		&r.OrderReference, &r.Country, &r.Currency, &r.Amount, &r.Status, &r.Way, &r.Reason,
		&r.BankCode, &r.BankAccountNo, &r.CallbackURL, &due, &created, &updated); err != nil {
		return nil, err
	}
	r.DueAt, r.CreatedAt, r.UpdatedAt = fromMS(due), fromMS(created), fromMS(updated)
	return &r, nil
}

func errRefundNotFound() error { return opaygate.Errorf(opaygate.ENOTFOUND, "refund not found.") }

// CreateRefund refunds part or all of a SUCCESS order; see opaygate.RefundService.
func (s *RefundService) CreateRefund(ctx context.Context, r *opaygate.Refund, original opaygate.OrderKey) error {
	if r.MerchantID == "" || r.Reference == "" || r.Amount <= 0 {
		return opaygate.Invalid("merchant, reference and a positive amount are required")
	}
	switch r.Way {
	case "", opaygate.RefundWayOriginal, opaygate.RefundWayBankAccount:
	default:
		return opaygate.Invalid("refundWay must be Original or BankAccount")
	}
	asked := r.Way
	return s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		now := tx.now
		o, err := s.orders.lockOrder(ctx, tx, r.MerchantID, original)
		if err != nil {
			return err
		}
		if r.Way, err = refundWay(o, asked); err != nil {
			return err
		}
		if r.Way == opaygate.RefundWayBankAccount && (r.BankCode == "" || r.BankAccountNo == "") {
			return opaygate.Invalid("bankCode and bankAccountNo are required when refundWay is BankAccount")
		}
		o.ApplyExpiry(now)
		if o.Status != opaygate.StatusSuccess {
			return errOrderState("only SUCCESS orders can be refunded (order is %s)", o.Status)
		}
		if o.VoidState != "" {
			return errOrderState("the order was voided; a voided order cannot be refunded")
		}
		if r.Currency != "" && r.Currency != o.Currency {
			return opaygate.Invalid("amount.currency must be %s, the order's currency", o.Currency)
		}
		r.OrderID, r.OrderNo, r.OrderReference = o.ID, o.OrderNo, o.Reference
		r.Country, r.Currency = o.Country, o.Currency
		r.Status = opaygate.RefundPending
		r.DueAt = time.Time{}
		if s.deps.Settler != nil {
			if d := s.deps.Settler.SettleDelay(); d > 0 {
				r.DueAt = now.Add(d)
			}
		}
		r.CreatedAt, r.UpdatedAt = now, now
		// The reference is checked before the amount, so that a client
		// retrying a refund that went through learns it did.
		if err := s.insertRefund(ctx, tx, r); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE orders SET refunded = refunded + ?, updated_at = ?
			WHERE id = ? AND status = ? AND refunded + ? <= amount`,
			r.Amount, ms(now), o.ID, opaygate.StatusSuccess, r.Amount)
		if err != nil {
			return fmt.Errorf("reserve refund amount: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return opaygate.Errorf(opaygate.EREFUNDEXCEEDS, "refund amount exceeds the refundable amount")
		}
		// The refund is taken from cash now, without checking it (METHODS.md §10.4).
		return tx.addEntries(ctx, entry{r.MerchantID, r.Currency, opaygate.AccountCash, -r.Amount,
			opaygate.EntryRefund, r.RefundNo, time.Time{}})
	})
}

// refundWay is the way a refund of o takes: the one OPay's table fixes for o's method (NG,
// METHODS.md §8.14), which a request may repeat but not contradict; else the one asked,
// Original by default.
func refundWay(o *opaygate.Order, asked string) (string, error) {
	fixed := opaygate.RefundWayFor(o.Country, o.PayMethod)
	switch {
	case fixed == "" && asked == "":
		return opaygate.RefundWayOriginal, nil
	case fixed == "" || asked == "" || asked == fixed:
		return cmp.Or(asked, fixed), nil
	}
	return "", opaygate.Invalid("refundWay must be %s for %s", fixed, o.PayMethod)
}

// insertRefund writes a new refund; a reference the merchant already used for
// a refund answers EDUPLICATE with that refund.
func (s *RefundService) insertRefund(ctx context.Context, tx *Tx, r *opaygate.Refund) error {
	var err error
	if r.ID, r.RefundNo, err = tx.nextNumber(ctx, "refunds", r.CreatedAt); err != nil {
		return err
	}
	res, err := tx.exec(ctx, `INSERT INTO refunds (`+refundColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (merchant_id, reference) DO NOTHING`,
		r.ID, r.RefundNo, r.MerchantID, r.Reference, r.OrderID, r.OrderNo, r.OrderReference, r.Country,
		r.Currency, r.Amount, r.Status, r.Way, r.Reason, r.BankCode, r.BankAccountNo, r.CallbackURL,
		ms(r.DueAt), ms(r.CreatedAt), ms(r.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert refund: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	existing, err := scanRefund(tx.queryRow(ctx, `SELECT `+refundColumns+` FROM refunds
		WHERE merchant_id = ? AND reference = ?`, r.MerchantID, r.Reference))
	if err != nil {
		return fmt.Errorf("find duplicate refund: %w", err)
	}
	existing.ApplyDue(r.CreatedAt)
	return &opaygate.Error{Code: opaygate.EDUPLICATE,
		Message: "the payment reference(merchant order number) already exists.",
		Existing: &opaygate.Existing{Reference: existing.Reference, No: existing.RefundNo,
			Status: string(existing.Status)}}
}

// FindRefund returns the merchant's refund, shown SUCCESS once its sandbox
// delay has passed even if the completer has not run yet.
func (s *RefundService) FindRefund(ctx context.Context, merchantID string, key opaygate.RefundKey) (*opaygate.Refund, error) {
	// By refundNo the merchant is checked after the read, not in the query (see orderWhere).
	where, args := "merchant_id = ? AND reference = ?", []any{merchantID, key.Reference}
	switch {
	case key.RefundNo != "":
		where, args = "refund_no = ?", []any{key.RefundNo}
	case key.Reference == "":
		return nil, opaygate.Invalid("reference is required")
	}
	r, err := scanRefund(s.db.read.QueryRowContext(ctx, s.db.rebind(`SELECT `+refundColumns+
		` FROM refunds WHERE `+where), args...))
	if errors.Is(err, sql.ErrNoRows) || err == nil && r.MerchantID != merchantID {
		return nil, errRefundNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find refund: %w", err)
	}
	if key.Country != "" && key.Country != r.Country {
		return nil, errRefundNotFound()
	}
	r.ApplyDue(s.deps.Clock.Now())
	return r, nil
}

// ListRefunds returns the refunds of the merchant's order, oldest first.
func (s *RefundService) ListRefunds(ctx context.Context, merchantID string, original opaygate.OrderKey) ([]*opaygate.Refund, error) {
	o, err := s.orders.FindOrder(ctx, merchantID, original)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, s.db.rebind(`SELECT `+refundColumns+
		` FROM refunds WHERE order_id = ? ORDER BY created_at, id`), o.ID)
	if err != nil {
		return nil, fmt.Errorf("list refunds: %w", err)
	}
	defer rows.Close()
	now := s.deps.Clock.Now()
	var list []*opaygate.Refund
	for rows.Next() {
		r, err := scanRefund(rows)
		if err != nil {
			return nil, fmt.Errorf("list refunds: %w", err)
		}
		r.ApplyDue(now)
		list = append(list, r)
	}
	return list, rows.Err()
}

// CompleteRefunds moves due PENDING refunds to SUCCESS with their callbacks.
// On PostgreSQL refunds another node is completing are skipped, never waited
// for or done twice; the orders are then locked in id order, so two nodes
// completing refunds of the same orders cannot deadlock.
func (s *RefundService) CompleteRefunds(ctx context.Context, limit int) (int, error) {
	var n int
	err := s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		n = 0
		now := tx.now
		due, err := queryAll(ctx, tx, scanRefund, `SELECT `+refundColumns+` FROM refunds
			WHERE status = ? AND due_at > 0 AND due_at <= ? ORDER BY due_at, id LIMIT ?`+s.db.skipLocked(),
			opaygate.RefundPending, ms(now), limit)
		if err != nil {
			return fmt.Errorf("find due refunds: %w", err)
		}
		slices.SortFunc(due, func(a, b *opaygate.Refund) int {
			return cmp.Or(cmp.Compare(a.OrderID, b.OrderID), cmp.Compare(a.ID, b.ID))
		})
		for _, r := range due {
			if err := s.succeed(ctx, tx, r, now); err != nil {
				return err
			}
			n++
		}
		// Voids complete as refunds do (void.go): they are reversals too.
		voids, err := s.completeVoids(ctx, tx, limit)
		n += voids
		return err
	})
	return n, err
}

// succeed moves one locked refund to SUCCESS and writes its callback: the
// order as it is (SUCCESS) with refunded true, addressed to the refund's
// callbackUrl when it had one.
func (s *RefundService) succeed(ctx context.Context, tx *Tx, r *opaygate.Refund, now time.Time) error {
	o, err := scanOrder(tx.queryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = ?`+s.db.forUpdate(), r.OrderID))
	if err != nil {
		return fmt.Errorf("lock refunded order: %w", err)
	}
	res, err := tx.exec(ctx, `UPDATE refunds SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
		opaygate.RefundSuccess, ms(now), r.ID, opaygate.RefundPending)
	if err != nil {
		return fmt.Errorf("complete refund %s: %w", r.RefundNo, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("complete refund %s: status changed concurrently", r.RefundNo)
	}
	r.Status, r.UpdatedAt = opaygate.RefundSuccess, now
	if r.CallbackURL != "" {
		o.CallbackURL = r.CallbackURL
	}
	if err := s.orders.enqueueCallback(ctx, tx, o, r, now); err != nil {
		return err
	}
	return nil
}
