package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opaygate/opaygate"
)

// Asking the acquirer for a payment's decision. The network is never called
// with a transaction open: on SQLite a transaction is a group-commit batch
// shared by every writer of the moment, so one slow answer would stall them
// all, and a batch run again would ask again; on PostgreSQL the order's row
// would stay locked for as long as the network took. Instead:
//
//  1. the customer's action marks the order in flight (beginAuthorization:
//     step AUTHORIZING, authorizing_at) in its own transaction, and commits;
//  2. authorize asks the acquirer, no transaction open;
//  3. finishAuthorized records the answer in a second transaction, only if
//     the order is still in flight (its conditional update says so), with its
//     event, ledger entries and callback; the sweeper's finishAuthorization
//     does the same for an order it reads under lock.
//
// If the answer never arrives (the call failed, the process died), the order
// stays in flight, and the sweeper asks again once it is authorizeStale
// (resumeAuthorizations). The acquirer is idempotent per orderNo, so asking
// twice charges once, and the conditional update records one outcome.

// authorizeStale is how long an authorization may stay in flight before the
// sweeper takes it for lost and asks the network again. It is far above the
// seconds a network answer takes, so the sweeper rarely races a live request;
// when it does, both get the same answer and the first to record it wins.
const authorizeStale = time.Minute

// authorizeTimeout bounds one question to the acquirer from the sweeper,
// whose context has no deadline; requests are bounded by their own.
const authorizeTimeout = 15 * time.Second

// beginAuthorization marks o, locked in tx, in flight. Its status stays as it
// is until the acquirer's answer is recorded, so its timeline shows one move.
func (s *OrderService) beginAuthorization(ctx context.Context, tx *Tx, o *opaygate.Order) error {
	err := tx.execOne(ctx, "begin authorization "+o.OrderNo, `UPDATE orders SET step = ?, authorizing_at = ?,
		updated_at = ? WHERE id = ? AND status = ? AND step = ?`,
		opaygate.StepAuthorizing, ms(tx.now), ms(tx.now), o.ID, o.Status, o.Step)
	if err != nil {
		return err
	}
	o.Step, o.UpdatedAt = opaygate.StepAuthorizing, tx.now
	return nil
}

// authorize finishes an action that left o in flight: it asks the acquirer
// and records the answer. An order the action moved elsewhere (declined
// before the network, waiting for 3-D Secure) is returned as it is. When the
// network fails, the order stays in flight for the sweeper: the payment may
// have gone through, and only the network can tell.
func (s *OrderService) authorize(ctx context.Context, o *opaygate.Order) (*opaygate.Order, error) {
	if o.Step != opaygate.StepAuthorizing {
		return o, nil
	}
	d, err := s.deps.Acquirer.Authorize(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("authorize %s: %w", o.OrderNo, err)
	}
	// The decision is taken: record it even if the client has gone away.
	return s.finishAuthorized(context.WithoutCancel(ctx), o, d)
}

// finishAuthorized records d on inflight, the order as this process put it in flight
// (beginAuthorization), and returns the order. Nothing moves an order in flight but an answer
// of the acquirer, so the order needs no second read: the move's conditional update (on the
// status and step inflight has) is the check. When another answer was recorded first (a
// sweeper's, after authorizeStale) the update changes no row and the transaction fails having
// written nothing. With nothing read, the transaction is one round trip on PostgreSQL and may
// share its commit: on PostgreSQL it first takes the order's row lock without waiting
// (NOWAIT), so that a shared commit never waits for another transaction's lock, and when the
// lock is taken (a sweeper's claim, an action being refused as errAuthorizing) it records the
// answer through finishAuthorization, which waits for it alone. An invoice's order goes
// through finishAuthorization too: its success asks whether the invoice is payable.
//
// Whatever the failure, the order then says whether an answer was recorded (another's, or
// this one's when the connection failed after its commit): a final order is answered as it
// is; an order still in flight gets the error, and the sweeper finishes it.
func (s *OrderService) finishAuthorized(ctx context.Context, inflight *opaygate.Order, d opaygate.Decision) (*opaygate.Order, error) {
	if inflight.InvoiceID != 0 {
		return s.finishAuthorization(ctx, inflight.ID, d)
	}
	var o *opaygate.Order
	err := s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		// update may run this again (a re-run batch): each attempt starts from the order in flight.
		cur := *inflight
		o = &cur
		// The order's lock and conditional update, and the rows of its outcome (event, ledger
		// entries, callback): the commit may be shared. (A card kept for later payments is
		// inserted at once, and that transaction commits alone.)
		tx.shareCommit()
		if s.db.dialect == Postgres {
			if err := tx.execLater(ctx, `SELECT id FROM orders WHERE id = ? FOR UPDATE NOWAIT`, o.ID); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, o, d)
	})
	if err == nil {
		return o, nil
	}
	if now, ferr := s.findOrder(ctx, "id = ?", inflight.ID); ferr == nil && now.Step != opaygate.StepAuthorizing {
		return now, nil
	}
	if lockTaken(err) {
		return s.finishAuthorization(ctx, inflight.ID, d)
	}
	return nil, err
}

// record moves o, in flight, to the outcome the acquirer decided.
func (s *OrderService) record(ctx context.Context, tx *Tx, o *opaygate.Order, d opaygate.Decision) error {
	if d.Approved {
		return s.moveOrder(ctx, tx, o, opaygate.StatusSuccess, opaygate.StepNone, "", "")
	}
	return s.moveOrder(ctx, tx, o, opaygate.StatusFail, opaygate.StepNone, d.Code, d.Reason)
}

// lockTaken reports whether err is PostgreSQL's refusal of a NOWAIT lock another transaction
// holds.
func lockTaken(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == pgLockNotAvailable
}

// finishAuthorization records the acquirer's decision on an order still in
// flight and returns the order. Whoever records first wins (the request, or a
// sweeper after a crash); a later caller finds the order moved on and gets it
// as it is.
func (s *OrderService) finishAuthorization(ctx context.Context, id int64, d opaygate.Decision) (*opaygate.Order, error) {
	var o *opaygate.Order
	err := s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		var err error
		o, err = scanOrder(tx.queryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = ?`+s.db.forUpdate(), id))
		if err != nil {
			return fmt.Errorf("lock authorized order: %w", err)
		}
		if o.Step != opaygate.StepAuthorizing {
			return nil
		}
		return s.record(ctx, tx, o, d)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// resumeAuthorizations finishes up to limit authorizations in flight for
// longer than authorizeStale. One short transaction claims them (on
// PostgreSQL skipping rows another node is claiming) by restarting their
// clock, so other sweepers leave them alone for another authorizeStale; then
// each is asked of the acquirer and recorded, with no transaction open. It
// returns how many it finished; an order whose network call failed stays in
// flight for a later sweep.
func (s *OrderService) resumeAuthorizations(ctx context.Context, limit int) (int, error) {
	var due []*opaygate.Order
	err := s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		var err error
		due, err = queryAll(ctx, tx, scanOrder, `SELECT `+orderColumns+` FROM orders
			WHERE step = ? AND authorizing_at <= ? ORDER BY authorizing_at LIMIT ?`+s.db.skipLocked(),
			opaygate.StepAuthorizing, ms(tx.now.Add(-authorizeStale)), limit)
		if err != nil {
			return fmt.Errorf("find stale authorizations: %w", err)
		}
		for _, o := range due {
			if _, err := tx.exec(ctx, `UPDATE orders SET authorizing_at = ? WHERE id = ? AND step = ?`,
				ms(tx.now), o.ID, opaygate.StepAuthorizing); err != nil {
				return fmt.Errorf("claim authorization %s: %w", o.OrderNo, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, o := range due {
		actx, cancel := context.WithTimeout(ctx, authorizeTimeout)
		d, err := s.deps.Acquirer.Authorize(actx, o)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("authorize %s: %w", o.OrderNo, err))
			continue
		}
		if _, err := s.finishAuthorization(ctx, o.ID, d); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
