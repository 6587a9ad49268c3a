package sqlstore

import (
	"context"
	"fmt"

	"github.com/opaygate/opaygate"
)

// Card payments, and the customer's own way out of a hosted checkout. Like the
// ValU flow (order_flow.go), every action is one transaction that locks the
// order, applies expiry, and moves it through moveOrder; a payment the
// acquirer decides then finishes outside it (authorize.go). The card itself is
// never written: only its BIN and last four digits are.

// CreateCardOrder stores a server-to-server BankCard payment and takes it as
// far as it goes at once; see opaygate.OrderService.
func (s *OrderService) CreateCardOrder(ctx context.Context, o *opaygate.Order, card opaygate.Card) error {
	if err := card.Check(); err != nil {
		return err
	}
	if err := s.prepareOrder(o, opaygate.ChannelAPI); err != nil {
		return err
	}
	o.PayMethod, o.CardBIN, o.CardLast4 = opaygate.PayMethodBankCard, card.BIN(), card.Last4()
	expireAt := o.ExpireAt
	err := s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		// update may run this again after a serialization failure: start
		// from the order as it was before the first attempt moved it.
		o.Status, o.Step, o.FailureCode, o.FailureReason = opaygate.StatusInitial, opaygate.StepNone, "", ""
		stampNew(o, tx.now, expireAt)
		if err := s.insertOrder(ctx, tx, o); err != nil {
			return err
		}
		return s.payByCard(ctx, tx, o, card)
	})
	if err != nil {
		return err
	}
	done, err := s.authorize(ctx, o)
	if err != nil {
		return err
	}
	*o = *done
	return nil
}

// StartCard pays an INITIAL hosted-checkout order by card.
func (s *OrderService) StartCard(ctx context.Context, merchantID string, key opaygate.OrderKey, card opaygate.Card) (*opaygate.Order, error) {
	if err := card.Check(); err != nil {
		return nil, err
	}
	o, err := s.act(ctx, merchantID, key, func(tx *Tx, o *opaygate.Order) error {
		if o.PayMethod != "" && o.PayMethod != opaygate.PayMethodBankCard {
			return opaygate.Errorf(opaygate.EPAYMETHOD, "payMethod not support.")
		}
		if o.Status != opaygate.StatusInitial {
			return errOrderState("order is %s", o.Status)
		}
		res, err := tx.exec(ctx, `UPDATE orders SET pay_method = ?, card_bin = ?, card_last4 = ? WHERE id = ? AND status = ?`,
			opaygate.PayMethodBankCard, card.BIN(), card.Last4(), o.ID, opaygate.StatusInitial)
		if err != nil {
			return fmt.Errorf("start card: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("start card %s: order changed concurrently", o.OrderNo)
		}
		o.PayMethod, o.CardBIN, o.CardLast4 = opaygate.PayMethodBankCard, card.BIN(), card.Last4()
		return s.payByCard(ctx, tx, o, card)
	})
	if err != nil {
		return nil, err
	}
	return s.authorize(ctx, o)
}

// payByCard moves an INITIAL card order: an expired card fails it with 54
// without asking the acquirer; with 3-D Secure it waits for the customer;
// otherwise it goes in flight, for the acquirer to decide once tx commits.
func (s *OrderService) payByCard(ctx context.Context, tx *Tx, o *opaygate.Order, card opaygate.Card) error {
	switch {
	case card.Expired(tx.now):
		return s.moveOrder(ctx, tx, o, opaygate.StatusFail, opaygate.StepNone, opaygate.CodeExpiredCard, opaygate.ReasonExpiredCard)
	case card.Enable3DS:
		return s.moveOrder(ctx, tx, o, opaygate.StatusPending, opaygate.Step3DS, "", "")
	}
	return s.beginAuthorization(ctx, tx, o)
}

// Confirm3DS completes an order waiting on the 3-D Secure page. A second
// confirmation finds the order final and answers EORDERSTATE: nothing pays
// twice.
func (s *OrderService) Confirm3DS(ctx context.Context, merchantID string, key opaygate.OrderKey) (*opaygate.Order, error) {
	o, err := s.act(ctx, merchantID, key, func(tx *Tx, o *opaygate.Order) error {
		if o.Status != opaygate.StatusPending || o.Step != opaygate.Step3DS {
			return errOrderState("order is not waiting for 3-D Secure")
		}
		return s.beginAuthorization(ctx, tx, o)
	})
	if err != nil {
		return nil, err
	}
	return s.authorize(ctx, o)
}

// Cancel3DS fails an order waiting on the 3-D Secure page with code 05.
func (s *OrderService) Cancel3DS(ctx context.Context, merchantID string, key opaygate.OrderKey) (*opaygate.Order, error) {
	o, err := s.act(ctx, merchantID, key, func(tx *Tx, o *opaygate.Order) error {
		if o.Status != opaygate.StatusPending || o.Step != opaygate.Step3DS {
			return errOrderState("order is not waiting for 3-D Secure")
		}
		return s.moveOrder(ctx, tx, o, opaygate.StatusFail, opaygate.StepNone, opaygate.Code3DSCancelled, opaygate.Reason3DSCancelled)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// CancelOrder closes an open order its customer cancelled on the hosted page.
// It is CLOSE rather than FAIL: nothing was declined, the order will just
// never be paid, as when the merchant closes it.
func (s *OrderService) CancelOrder(ctx context.Context, merchantID string, key opaygate.OrderKey) (*opaygate.Order, error) {
	o, err := s.act(ctx, merchantID, key, func(tx *Tx, o *opaygate.Order) error {
		if o.Status.Final() {
			return errOrderState("order is %s", o.Status)
		}
		return s.moveOrder(ctx, tx, o, opaygate.StatusClose, opaygate.StepNone, opaygate.FailCancelled, "cancelled by customer")
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}
