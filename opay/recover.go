package opay

import (
	"context"
	"errors"
	"fmt"
)

// A create whose request was lost in transit is retried with the same reference (see
// RetryPolicy). When the retry answers 02004, the lost attempt did arrive, and what the caller
// wants is the object it created. A 02004 answer carries no data (OPay's ValU page prints it
// so), so the object is read back by its reference: cashier/status for an order,
// refund/query for a refund.

// recoverable reports whether a create answered 02004 after an earlier attempt of its own may
// have reached the server: then the reference is most likely that attempt's. A first attempt
// answering 02004 is the caller's duplicate and is returned as it is.
func recoverable(earlier bool, err error) bool {
	var ae *APIError
	return earlier && errors.As(err, &ae) && ae.Code == CodeDuplicate
}

// recoverOrder fetches the order a create's earlier attempt made. It returns dup itself when the
// order found is not the one asked for (another amount or currency): the reference then belongs
// to an older order of the merchant's.
func (c *Client) recoverOrder(ctx context.Context, ep endpoint, dup error, reference, country string, amount Amount) (*CashierStatusData, error) {
	o, err := c.CashierStatus(ctx, CashierStatusRequest{Reference: reference, Country: country})
	if err != nil {
		return nil, fmt.Errorf("opay: %s: the retry answered 02004 and the existing order could not be read: %w", ep.name, err)
	}
	if o.Amount != amount {
		return nil, dup
	}
	c.logRecovered(ctx, ep, o.OrderNo)
	return o, nil
}

func (c *Client) recoverRefund(ctx context.Context, dup error, req RefundCreateRequest) (*RefundData, error) {
	r, err := c.QueryRefund(ctx, RefundQueryRequest{Country: req.Country, Reference: req.Reference})
	if err != nil {
		return nil, fmt.Errorf("opay: %s: the retry answered 02004 and the existing refund could not be read: %w", epRefundCreate.name, err)
	}
	if r.RefundAmount != req.Amount {
		return nil, dup
	}
	c.logRecovered(ctx, epRefundCreate, r.OrderNo)
	return r, nil
}

func (c *Client) logRecovered(ctx context.Context, ep endpoint, no string) {
	if c.log != nil {
		c.log.InfoContext(ctx, "opay create recovered after a retry answered 02004", "endpoint", ep.name, "order_no", no)
	}
}
