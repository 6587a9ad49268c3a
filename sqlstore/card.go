package sqlstore

import (
	"context"

	"github.com/opaygate/opaygate"
)

// The redirect step (3-D Secure) and the customer's own way out of a hosted
// checkout. Like every action (order_flow.go), each is one transaction that
// locks the order, applies expiry, and moves it through moveOrder; a payment
// the acquirer decides then finishes outside it (authorize.go). How a card
// payment starts is the card method's (package method).

// Confirm3DS completes an order waiting on the 3-D Secure page. A second
// confirmation finds the order final and answers EORDERSTATE: nothing pays
// twice.
func (s *OrderService) Confirm3DS(ctx context.Context, merchantID string, key opaygate.OrderKey) (*opaygate.Order, error) {
	var move opaygate.Move
	o, err := s.act(ctx, merchantID, key, func(tx *Tx, o *opaygate.Order) error {
		if o.Status != opaygate.StatusPending || o.Step != opaygate.Step3DS {
			return errOrderState("order is not waiting for 3-D Secure")
		}
		var err error
		move, err = s.next(ctx, tx, o, opaygate.Step3DS, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.finish(ctx, o, move, "")
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
