package opay_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/opaytest"
)

func refundRequest(ref, original string, total int64) opay.RefundCreateRequest {
	return opay.RefundCreateRequest{
		Reference: ref, OriginalReference: original, Country: "EG", RefundWay: "Original",
		Amount: opay.Amount{Total: total, Currency: "EGP"}, RefundReason: "returned",
	}
}

func TestE2E_Refunds(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	p := must(c.CreatePayment(ctx, valuRequest("to-refund", 10000)))(t)
	must(gw.PayWithValU(p.OrderNo, "", 6))(t)

	r := must(c.CreateRefund(ctx, refundRequest("refund-1", "to-refund", 4000)))(t)
	if r.OriginalOrderNo != p.OrderNo || r.OrderNo == "" || r.RefundAmount.Total != 4000 ||
		r.OriginalReference != "to-refund" || !opay.RefundStatus(r.OrderStatus).Known() {
		t.Fatalf("refund/create = %+v", r)
	}
	q := must(c.QueryRefund(ctx, opay.RefundQueryRequest{Reference: "refund-1", Country: "EG"}))(t)
	if q.OrderNo != r.OrderNo || q.OrderStatus != r.OrderStatus {
		t.Errorf("refund/query = %+v, created %+v", q, r)
	}
	gw.Advance(opaytest.RefundDelay)
	q = must(c.QueryRefund(ctx, opay.RefundQueryRequest{OrderNo: r.OrderNo, Country: "EG"}))(t)
	if st := opay.RefundStatus(q.OrderStatus); st != opay.StatusSuccess || !st.Final() {
		t.Errorf("after the sandbox's delay: %+v", q)
	}

	t.Run("ErrRefundExceeds", func(t *testing.T) {
		_, err := c.CreateRefund(ctx, refundRequest("refund-2", "to-refund", 6001))
		wantCode(t, err, opay.CodeRefundExceeds, opay.ErrRefundExceeds)
		// The rest is refundable.
		must(c.CreateRefund(ctx, refundRequest("refund-3", "to-refund", 6000)))(t)
	})
	t.Run("ErrDuplicateReference", func(t *testing.T) {
		_, err := c.CreateRefund(ctx, refundRequest("refund-1", "to-refund", 1))
		ae := wantCode(t, err, opay.CodeDuplicate, opay.ErrDuplicateReference)
		if !strings.Contains(ae.Detail, r.OrderNo) {
			t.Errorf("02004 detail = %q, want it to name refund %s", ae.Detail, r.OrderNo)
		}
	})
	t.Run("ErrOrderState", func(t *testing.T) {
		d := must(c.CreateCashier(ctx, cashierRequest("unpaid", 1000)))(t)
		_, err := c.CreateRefund(ctx, refundRequest("refund-unpaid", d.Reference, 100))
		wantCode(t, err, opay.CodeOrderState, opay.ErrOrderState)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := c.QueryRefund(ctx, opay.RefundQueryRequest{Reference: "no-such-refund", Country: "EG"})
		wantCode(t, err, opay.CodeNotFound, opay.ErrNotFound)
	})
}

// The refund's success is notified with refunded: true.
func TestE2E_RefundCallback(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	req := valuRequest("notify-refund", 5000)
	req.CallbackURL = "http://127.0.0.1:1/unreachable" // recorded, not acknowledged
	p := must(c.CreatePayment(ctx, req))(t)
	must(gw.PayWithValU(p.OrderNo, "", 6))(t)
	must(c.CreateRefund(ctx, refundRequest("notify-refund-1", "notify-refund", 5000)))(t)
	gw.Advance(opaytest.RefundDelay)
	var refunded bool
	for _, cb := range gw.Callbacks() {
		if cb.Notification.Refunded && cb.Notification.OrderNo == p.OrderNo {
			refunded = true
		}
	}
	if !refunded {
		t.Errorf("no refunded callback among %+v", gw.Callbacks())
	}
}
