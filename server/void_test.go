package server_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

const (
	pathVoid     = "/api/v1/international/payment/void"
	pathReversal = "/api/v1/international/transaction/reversal/status"
	voidShape    = "{reference:s,orderNo:s,country:s,amount:" + amountShape + ",orderStatus:s,isVoided:b}"
)

// cardPaid is an EG card payment without 3-D Secure, approved at once.
func (e *env) cardPaid(t *testing.T, ref string, amount int64) string {
	t.Helper()
	d := e.cardPayment(t, cardRequest(ref, amount, apiPAN, false, nil))
	if d.Status != "SUCCESS" {
		t.Fatalf("card payment %+v", d)
	}
	return d.OrderNo
}

// TestVoid: a card payment voided the same day: initiated (isVoided false), the same answer
// again, no refund any more; completed after the refund delay with one more callback
// (refunded); reversal/status follows it.
func TestVoid(t *testing.T) {
	e := newRefundServer(t)
	ctx := context.Background()
	no := e.cardPaid(t, "void-1", 60000)
	if st := e.orderStatus(t, e.A, no); st.IsVoided != nil {
		t.Fatalf("isVoided before any void: %+v", st)
	}
	r := must(t, e.call(t, e.A, pathVoid, map[string]string{"orderNo": no, "country": "EG"}), opay.CodeSuccess)
	checkShape(t, r, envelope(voidShape))
	d := data[opay.PaymentVoidData](t, r)
	if d.OrderStatus != "SUCCESS" || d.IsVoided || d.Reference != "void-1" || d.Amount.Total != 60000 {
		t.Fatalf("void %+v", d)
	}
	if st := e.orderStatus(t, e.A, no); st.Status != "SUCCESS" || st.IsVoided == nil || *st.IsVoided {
		t.Fatalf("status after the void: %+v", st)
	}
	// Again: the same answer, by reference this time.
	again := data[opay.PaymentVoidData](t, must(t, e.call(t, e.A, pathVoid, map[string]string{"reference": "void-1", "country": "EG"}), opay.CodeSuccess))
	if again != d {
		t.Errorf("second void %+v, first %+v", again, d)
	}
	r = must(t, e.call(t, e.A, pathRefundCreate, refundBody("void-rf", no, 100)), opay.CodeOrderState)
	if !strings.Contains(r.Message, "voided") {
		t.Errorf("refund of a voided order: %s", r.Raw)
	}
	rev := data[opay.ReversalStatusData](t, must(t, e.call(t, e.A, pathReversal, map[string]string{"reference": "void-1"}), opay.CodeSuccess))
	if rev.Status != "PENDING" || len(rev.ReversalNo) != 18 || rev.OrderNo != no || rev.Amount.Total != 60000 {
		t.Fatalf("reversal %+v", rev)
	}

	e.clock.Advance(6 * time.Second)
	if n, err := e.svc.Refunds.CompleteRefunds(ctx, 100); err != nil || n != 1 {
		t.Fatalf("completed %d, %v", n, err)
	}
	if st := e.orderStatus(t, e.A, no); st.Status != "SUCCESS" || st.IsVoided == nil || !*st.IsVoided {
		t.Fatalf("status after completion: %+v", st)
	}
	rev = data[opay.ReversalStatusData](t, must(t, e.call(t, e.A, pathReversal, map[string]string{"reversalNo": rev.ReversalNo}), opay.CodeSuccess))
	if rev.Status != "SUCCESS" {
		t.Errorf("reversal after completion %+v", rev)
	}
	list, err := e.svc.Callbacks.ListCallbacks(ctx, opaygate.CallbackFilter{OrderNo: no})
	if err != nil || len(list) != 2 {
		t.Fatalf("callbacks %+v %v", list, err)
	}
	refunded := 0
	for _, c := range list {
		if c.Status == opaygate.StatusSuccess && c.Refunded {
			refunded++
		}
	}
	if refunded != 1 {
		t.Errorf("callbacks %+v: want one SUCCESS refunded", list)
	}
	if d := data[opay.PaymentVoidData](t, must(t, e.call(t, e.A, pathVoid, map[string]string{"orderNo": no, "country": "EG"}), opay.CodeSuccess)); !d.IsVoided {
		t.Errorf("a completed void answers %+v", d)
	}
	if n, _ := e.svc.Refunds.CompleteRefunds(ctx, 100); n != 0 {
		t.Errorf("completed %d more", n)
	}
	must(t, e.call(t, e.A, pathReversal, map[string]string{"reversalNo": "999999999999999999"}), opay.CodeNotFound)
	must(t, e.call(t, e.B, pathReversal, map[string]string{"reference": "void-1"}), opay.CodeNotFound)
	must(t, e.call(t, e.A, pathReversal, map[string]string{}), opay.CodeInvalidParams)
}

// TestVoidRefused: what cannot be voided answers 02010 with the reason in the message.
func TestVoidRefused(t *testing.T) {
	e := newRefundServer(t)
	void := func(no string, wantIn string) {
		t.Helper()
		r := must(t, e.call(t, e.A, pathVoid, map[string]string{"orderNo": no, "country": "EG"}), opay.CodeOrderState)
		if !strings.HasPrefix(r.Message, "order cannot be voided: ") || !strings.Contains(r.Message, wantIn) {
			t.Errorf("message %q, want %q", r.Message, wantIn)
		}
	}
	void(e.paid(t, e.A, "void-valu", 60000), "payMethod VALU is not a card payment")
	declined := e.cardPayment(t, cardRequest("void-51", 60000, "4000000000000051", false, nil))
	void(declined.OrderNo, "it is FAIL")
	refunded := e.cardPaid(t, "void-rf", 60000)
	must(t, e.call(t, e.A, pathRefundCreate, refundBody("void-rf-1", refunded, 100)), opay.CodeSuccess)
	void(refunded, "it has a refund")
	late := e.cardPaid(t, "void-late", 60000)
	e.clock.Advance(opaygate.VoidWindow + time.Minute)
	void(late, "has settled")
	must(t, e.call(t, e.A, pathVoid, map[string]string{"orderNo": "261128999999999999", "country": "EG"}), opay.CodeNotFound)

	fns := []opaygate.Function{opaygate.FuncBankCard}
	if _, err := e.svc.Merchants.UpdateMerchant(context.Background(), e.B.ID, opaygate.MerchantUpdate{Functions: fns}); err != nil {
		t.Fatal(err)
	}
	must(t, e.call(t, e.B, pathVoid, map[string]string{"orderNo": late, "country": "EG"}), opay.CodeNotConfigured)
}

// TestVoidRacesRefunds: 50 voids and 50 refunds of the whole amount race on one order: never
// more than the amount goes back — either the void or one refund wins, and the others agree.
func TestVoidRacesRefunds(t *testing.T) {
	e := newRefundServer(t)
	no := e.cardPaid(t, "race-void", 60000)
	const n = 50
	var mu sync.Mutex
	codes := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			r := e.call(t, e.A, pathVoid, map[string]string{"orderNo": no, "country": "EG"})
			mu.Lock()
			codes["void "+r.Code]++
			mu.Unlock()
		})
		wg.Go(func() {
			<-start
			r := e.call(t, e.A, pathRefundCreate, refundBody("race-rf-"+string(rune('a'+i%26))+string(rune('a'+i/26)), no, 60000))
			mu.Lock()
			codes["refund "+r.Code]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	st := e.orderStatus(t, e.A, no)
	switch {
	case st.IsVoided != nil: // the void won
		if codes["void 00000"] != n || codes["refund "+opay.CodeOrderState] != n {
			t.Fatalf("void won, answers %v", codes)
		}
	default: // a refund won
		if codes["refund 00000"] != 1 || codes["void "+opay.CodeOrderState] != n {
			t.Fatalf("a refund won, answers %v", codes)
		}
	}
}
