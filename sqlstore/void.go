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

// VoidService voids card payments before they settle (METHODS.md §12). A void is initiated
// in one transaction (the void row, the order's void_state, conditionally on the order being
// SUCCESS and not voided), and completed with the refunds, by CompleteRefunds: the void row,
// the order's voided flag and its callback (refunded) in one transaction.
type VoidService struct {
	db     *DB
	deps   Deps
	orders *OrderService
}

var _ opaygate.VoidService = (*VoidService)(nil)

const voidColumns = `id, reversal_no, merchant_id, order_id, order_no, reference, country, currency, amount,
	status, due_at, created_at, updated_at`

func scanVoid(row interface{ Scan(...any) error }) (*opaygate.Void, error) {
	var v opaygate.Void
	var due, created, updated int64
	if err := row.Scan(&v.ID, &v.ReversalNo, &v.MerchantID, &v.OrderID, &v.OrderNo, &v.Reference, &v.Country,
		&v.Currency, &v.Amount, &v.Status, &due, &created, &updated); err != nil {
		return nil, err
	}
	if due > 0 {
		v.DueAt = fromMS(due)
	}
	v.CreatedAt, v.UpdatedAt = fromMS(created), fromMS(updated)
	return &v, nil
}

func errNotVoidable(format string, args ...any) error {
	return errOrderState("order cannot be voided: "+format, args...)
}

// VoidOrder initiates a void; see opaygate.VoidService.
func (s *VoidService) VoidOrder(ctx context.Context, merchantID string, key opaygate.OrderKey) (*opaygate.Order, *opaygate.Void, error) {
	var o *opaygate.Order
	var v *opaygate.Void
	err := s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		now := tx.now
		var err error
		if o, err = s.orders.lockOrder(ctx, tx, merchantID, key); err != nil {
			return err
		}
		if o.VoidState != "" {
			// Voided before: the same answer again.
			v, err = scanVoid(tx.queryRow(ctx, `SELECT `+voidColumns+` FROM voids WHERE order_id = ?`, o.ID))
			if err != nil {
				return fmt.Errorf("find void: %w", err)
			}
			return nil
		}
		o.ApplyExpiry(now)
		if o.Status != opaygate.StatusSuccess {
			return errNotVoidable("it is %s, not SUCCESS", o.Status)
		}
		m, err := s.orders.method(o.PayMethod)
		if err != nil {
			return err
		}
		if vm, ok := m.(opaygate.Voidable); !ok || !vm.Voidable() {
			return errNotVoidable("payMethod %s is not a card payment", o.PayMethod)
		}
		var refunds int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM refunds WHERE order_id = ? AND status <> ?`,
			o.ID, opaygate.RefundFail).Scan(&refunds); err != nil {
			return fmt.Errorf("count refunds: %w", err)
		}
		if refunds > 0 {
			return errNotVoidable("it has a refund")
		}
		var paidAt sql.NullInt64
		if err := tx.queryRow(ctx, `SELECT MAX(at) FROM order_events WHERE order_id = ? AND to_status = ?`,
			o.ID, opaygate.StatusSuccess).Scan(&paidAt); err != nil {
			return fmt.Errorf("find payment time: %w", err)
		}
		if paidAt.Valid && now.Sub(fromMS(paidAt.Int64)) > opaygate.VoidWindow {
			return errNotVoidable("it was paid more than %s ago and has settled", opaygate.VoidWindow)
		}
		v = &opaygate.Void{MerchantID: o.MerchantID, OrderID: o.ID, OrderNo: o.OrderNo, Reference: o.Reference,
			Country: o.Country, Currency: o.Currency, Amount: o.Amount, Status: opaygate.VoidPending,
			CreatedAt: now, UpdatedAt: now}
		if s.deps.Settler != nil {
			if d := s.deps.Settler.SettleDelay(); d > 0 {
				v.DueAt = now.Add(d)
			}
		}
		if v.ID, v.ReversalNo, err = tx.nextNumber(ctx, "refunds", now); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO voids (`+voidColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.ID, v.ReversalNo, v.MerchantID, v.OrderID, v.OrderNo, v.Reference, v.Country, v.Currency, v.Amount,
			v.Status, ms(v.DueAt), ms(now), ms(now)); err != nil {
			return fmt.Errorf("insert void: %w", err)
		}
		res, err := tx.exec(ctx, `UPDATE orders SET void_state = ?, updated_at = ?
			WHERE id = ? AND status = ? AND void_state = '' AND refunded = 0`,
			opaygate.VoidPending, ms(now), o.ID, opaygate.StatusSuccess)
		if err != nil {
			return fmt.Errorf("void order: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("void order %s: order changed concurrently", o.OrderNo)
		}
		o.VoidState = opaygate.VoidPending
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return o, v, nil
}

func errVoidNotFound() error { return opaygate.Errorf(opaygate.ENOTFOUND, "reversal not found.") }

// FindVoid returns a merchant's void by reversalNo, else by its order's reference.
func (s *VoidService) FindVoid(ctx context.Context, merchantID string, key opaygate.VoidKey) (*opaygate.Void, error) {
	where, arg := "reversal_no = ?", key.ReversalNo
	if key.ReversalNo == "" {
		where, arg = "reference = ?", key.Reference
	}
	if arg == "" {
		return nil, errVoidNotFound()
	}
	v, err := scanVoid(s.db.readRow(ctx, `SELECT `+voidColumns+` FROM voids WHERE `+where+` AND merchant_id = ?`,
		arg, merchantID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errVoidNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find void: %w", err)
	}
	return v, nil
}

// completeVoids completes up to limit due voids in tx, as CompleteRefunds completes refunds:
// voids another node is completing are skipped; orders are locked in id order.
func (s *RefundService) completeVoids(ctx context.Context, tx *Tx, limit int) (int, error) {
	now := tx.now
	due, err := queryAll(ctx, tx, scanVoid, `SELECT `+voidColumns+` FROM voids
		WHERE status = ? AND due_at > 0 AND due_at <= ? ORDER BY due_at, id LIMIT ?`+s.db.skipLocked(),
		opaygate.VoidPending, ms(now), limit)
	if err != nil {
		return 0, fmt.Errorf("find due voids: %w", err)
	}
	slices.SortFunc(due, func(a, b *opaygate.Void) int { return cmp.Compare(a.OrderID, b.OrderID) })
	for _, v := range due {
		if err := s.completeVoid(ctx, tx, v, now); err != nil {
			return 0, err
		}
	}
	return len(due), nil
}

// completeVoid moves one void to SUCCESS, marks its order voided and writes the order's
// callback with refunded true: the money went back to the cardholder.
func (s *RefundService) completeVoid(ctx context.Context, tx *Tx, v *opaygate.Void, now time.Time) error {
	o, err := scanOrder(tx.queryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = ?`+s.db.forUpdate(), v.OrderID))
	if err != nil {
		return fmt.Errorf("lock voided order: %w", err)
	}
	res, err := tx.exec(ctx, `UPDATE voids SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
		opaygate.VoidSuccess, ms(now), v.ID, opaygate.VoidPending)
	if err != nil {
		return fmt.Errorf("complete void %s: %w", v.ReversalNo, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("complete void %s: status changed concurrently", v.ReversalNo)
	}
	if _, err := tx.exec(ctx, `UPDATE orders SET voided = ?, void_state = ?, updated_at = ? WHERE id = ?`,
		true, opaygate.VoidSuccess, ms(now), o.ID); err != nil {
		return fmt.Errorf("mark order voided: %w", err)
	}
	o.Voided, o.VoidState = true, opaygate.VoidSuccess
	v.Status, v.UpdatedAt = opaygate.VoidSuccess, now
	if err := tx.reversed(ctx, o, v.ReversalNo); err != nil {
		return err
	}
	return s.orders.enqueue(ctx, tx, o, nil, true, now)
}
