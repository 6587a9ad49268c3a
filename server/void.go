package server

import (
	"context"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// Voids (METHODS.md §12): payment/void initiates the reversal of a card payment before it
// settles; transaction/reversal/status reads it. The merchant function is void; without a
// void service the routes answer 02002.

// isVoided is cashier/status's isVoided: absent until a void was initiated, false until it
// completes, then true.
func isVoided(o *opaygate.Order) *bool {
	if o.VoidState == "" {
		return nil
	}
	v := o.Voided
	return &v
}

func (s *Server) voidsFor(m *opaygate.Merchant, country string) error {
	if s.svc.Voids == nil {
		return opaygate.Errorf(opaygate.ENOTCONFIGURED, "this gateway does not void payments")
	}
	return m.Check(opaygate.FuncVoid, country)
}

// paymentVoid initiates a void; a second one answers the same. An order that cannot be voided
// is 02010 "order cannot be voided: …", the reason in the message itself.
func (s *Server) paymentVoid(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.PaymentVoidRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	key, err := orderKey(m, req.OrderNo, req.Reference, req.Country, true)
	if err != nil {
		return nil, err
	}
	if err := s.voidsFor(m, req.Country); err != nil {
		return nil, err
	}
	o, _, err := s.svc.Voids.VoidOrder(ctx, m.ID, key)
	if opaygate.ErrorCode(err) == opaygate.EORDERSTATE {
		return nil, &wireError{code: opay.CodeOrderState, message: opaygate.ErrorMessage(err)}
	} else if err != nil {
		return nil, err
	}
	return opay.PaymentVoidData{Reference: o.Reference, OrderNo: o.OrderNo, Country: o.Country, Amount: amountOf(o),
		OrderStatus: string(o.Status), IsVoided: o.Voided}, nil
}

// reversalStatus reads a void by its reversalNo, else by its order's reference.
func (s *Server) reversalStatus(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.ReversalStatusRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.ReversalNo == "" && req.Reference == "" {
		return nil, invalid("reference or reversalNo is required")
	}
	if err := s.voidsFor(m, ""); err != nil {
		return nil, err
	}
	v, err := s.svc.Voids.FindVoid(ctx, m.ID, opaygate.VoidKey{ReversalNo: req.ReversalNo, Reference: req.Reference})
	if err != nil {
		return nil, err
	}
	return opay.ReversalStatusData{Reference: v.Reference, ReversalNo: v.ReversalNo, OrderNo: v.OrderNo,
		Status: string(v.Status), Amount: opay.Amount{Total: v.Amount, Currency: v.Currency}}, nil
}
