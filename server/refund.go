package server

import (
	"context"

	"github.com/opaygate/opaygate"
)

// Refunds (spec 4.3) are a later issue. Until then both routes authenticate and answer 02002,
// the code a merchant without the refund function gets, so clients see a stable contract.
// The issue that implements them replaces these bodies: decode opay.RefundCreateRequest /
// opay.RefundQueryRequest, validate, one service call, answer opay.RefundData.

var errRefundNotYet = opaygate.Errorf(opaygate.ENOTCONFIGURED, "merchant not configured with this function.")

func (s *Server) refundCreate(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	return nil, errRefundNotYet
}

func (s *Server) refundQuery(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	return nil, errRefundNotYet
}
