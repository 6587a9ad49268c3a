package server

import (
	"context"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// Bounds of a refund's bank fields, in characters.
const (
	maxBankCode    = 32
	maxBankAccount = 42 // an IBAN's 34 characters, spaced in fours
)

// errNoRefunds is what a gateway built without a refund service answers: the code a merchant
// without the refund function gets.
var errNoRefunds = opaygate.Errorf(opaygate.ENOTCONFIGURED, "merchant not configured with this function.")

// refundCreate refunds part or all of a SUCCESS order (spec 4.3). The refundable amount is the
// service's to enforce, atomically; this handler checks the request's own shape.
func (s *Server) refundCreate(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	if err := s.refundsFor(m); err != nil {
		return nil, err
	}
	var req opay.RefundCreateRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	r, key, err := newRefund(req)
	if err != nil {
		return nil, err
	}
	if err := s.checkCallbackURL(req.CallbackURL); err != nil {
		return nil, err
	}
	if err := m.Check(opaygate.FuncRefund, req.Country); err != nil {
		return nil, err
	}
	r.MerchantID = m.ID
	if err := s.svc.Refunds.CreateRefund(ctx, r, key); err != nil {
		return nil, err
	}
	return refundData(r), nil
}

// refundQuery reports a refund by its reference (or, a gateway extension, its orderNo).
func (s *Server) refundQuery(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	if err := s.refundsFor(m); err != nil {
		return nil, err
	}
	var req opay.RefundQueryRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	key := opaygate.RefundKey{RefundNo: req.OrderNo, Reference: req.Reference, Country: req.Country}
	switch {
	case req.OrderNo != "":
		if err := opaygate.CheckReference("orderNo", req.OrderNo); err != nil {
			return nil, err
		}
		key.Reference = ""
	default:
		if err := opaygate.CheckReference("reference", req.Reference); err != nil {
			return nil, err
		}
	}
	if _, err := country("country", req.Country); err != nil {
		return nil, err
	}
	r, err := s.svc.Refunds.FindRefund(ctx, m.ID, key)
	if err != nil {
		return nil, err
	}
	return refundData(r), nil
}

// refundsFor refuses, before anything else is looked at, a merchant without the refund
// function, and every merchant when the gateway has no refund service.
func (s *Server) refundsFor(m *opaygate.Merchant) error {
	if s.svc.Refunds == nil {
		return errNoRefunds
	}
	return m.Check(opaygate.FuncRefund, "")
}

// newRefund validates refund/create and returns the refund and how it names the order.
func newRefund(req opay.RefundCreateRequest) (*opaygate.Refund, opaygate.OrderKey, error) {
	var key opaygate.OrderKey
	if err := opaygate.CheckReference("reference", req.Reference); err != nil {
		return nil, key, err
	}
	key = opaygate.OrderKey{OrderNo: req.OriginalOrderNo, Reference: req.OriginalReference, Country: req.Country}
	switch {
	case req.OriginalOrderNo == "" && req.OriginalReference == "":
		return nil, key, invalid("originalReference or originalOrderNo is required")
	case req.OriginalOrderNo != "":
		if err := opaygate.CheckReference("originalOrderNo", req.OriginalOrderNo); err != nil {
			return nil, key, err
		}
		key.Reference = ""
	default:
		if err := opaygate.CheckReference("originalReference", req.OriginalReference); err != nil {
			return nil, key, err
		}
	}
	currency, err := country("country", req.Country)
	if err != nil {
		return nil, key, err
	}
	if err := amount("amount", req.Amount, currency); err != nil {
		return nil, key, err
	}
	// A missing refundWay stays "" here: storage gives it the way OPay's table fixes for the
	// order's method (NG, METHODS.md §8.14), else Original.
	way := req.RefundWay
	switch way {
	case "":
	case opaygate.RefundWayOriginal:
	case opaygate.RefundWayBankAccount:
	default:
		return nil, key, invalid("refundWay must be Original or BankAccount")
	}
	bank := way == opaygate.RefundWayBankAccount
	if err := opaygate.CheckText("bankCode", req.BankCode, maxBankCode, bank); err != nil {
		return nil, key, err
	}
	if err := opaygate.CheckText("bankAccountNo", req.BankAccountNo, maxBankAccount, bank); err != nil {
		return nil, key, err
	}
	if err := opaygate.CheckURL("callbackUrl", req.CallbackURL, false); err != nil {
		return nil, key, err
	}
	if err := opaygate.CheckTextLines("refundReason", req.RefundReason, opaygate.MaxTextLength, false, true); err != nil {
		return nil, key, err
	}
	r := &opaygate.Refund{
		Reference: req.Reference, Country: req.Country, Currency: currency, Amount: req.Amount.Total,
		Way: way, Reason: req.RefundReason, CallbackURL: req.CallbackURL,
	}
	if way != opaygate.RefundWayOriginal {
		// Without a refundWay the order's method may fix BankAccount: keep the account.
		r.BankCode, r.BankAccountNo = req.BankCode, req.BankAccountNo
	}
	return r, key, nil
}

// refundData is the answer of refund/create and refund/query, fields in the spec's order.
func refundData(r *opaygate.Refund) opay.RefundData {
	return opay.RefundData{
		Reference:         r.Reference,
		OriginalReference: r.OrderReference,
		OrderNo:           r.RefundNo,
		OriginalOrderNo:   r.OrderNo,
		RefundAmount:      opay.Amount{Total: r.Amount, Currency: r.Currency},
		Country:           r.Country,
		OrderStatus:       string(r.Status),
	}
}
