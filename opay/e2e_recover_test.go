package opay_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/opaytest"
)

// lossyProxy forwards to the gateway but loses the answer of the first request to each path in
// drop: the gateway did the work, the client never hears of it.
func lossyProxy(t *testing.T, gw *opaytest.Gateway, drop ...string) (url string, seen func(path string) int) {
	var mu sync.Mutex
	counts := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, gw.URL+r.URL.Path, bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("proxy: %v", err)
			return
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		mu.Lock()
		counts[r.URL.Path]++
		n := counts[r.URL.Path]
		mu.Unlock()
		for _, p := range drop {
			if p == r.URL.Path && n == 1 {
				conn, _, _ := w.(http.Hijacker).Hijack()
				conn.Close()
				return
			}
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(answer)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func(path string) int { mu.Lock(); defer mu.Unlock(); return counts[path] }
}

// The real gateway creates the object, the answer is lost, the client retries, the gateway says
// 02004, and the client returns the object the first attempt created.
func TestE2E_CreatesRecoverTheOriginalAfterALostAnswer(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	url, seen := lossyProxy(t, gw, opay.PathCashierCreate, opay.PathPaymentCreate, opay.PathRefundCreate)
	c := gw.Client(opay.WithBaseURL(url), opay.WithHTTPClient(&http.Client{}), opay.WithRetry(fastRetry))
	ctx := context.Background()

	d := must(c.CreateCashier(ctx, cashierRequest("lost-1", 1234)))(t)
	direct := must(gw.Client().CashierStatus(ctx, opay.CashierStatusRequest{Reference: "lost-1", Country: "EG"}))(t)
	if d.OrderNo != direct.OrderNo || d.Status != opay.StatusInitial || d.Amount.Total != 1234 {
		t.Errorf("cashier/create recovered %+v, the gateway has %+v", d, direct)
	}
	if n := seen(opay.PathCashierCreate); n != 2 {
		t.Errorf("cashier/create reached the gateway %d times, want 2", n)
	}

	p := must(c.CreatePayment(ctx, valuRequest("lost-2", 5000)))(t)
	if p.Status != opay.StatusPending || p.NextAction != nil {
		t.Errorf("payment/create recovered %+v (NextAction cannot be recovered)", p)
	}
	must(gw.PayWithValU(p.OrderNo, "", 6))(t)

	r := must(c.CreateRefund(ctx, refundRequest("lost-refund", "lost-2", 500)))(t)
	q := must(gw.Client().QueryRefund(ctx, opay.RefundQueryRequest{Reference: "lost-refund", Country: "EG"}))(t)
	if r.OrderNo != q.OrderNo || r.RefundAmount.Total != 500 {
		t.Errorf("refund/create recovered %+v, the gateway has %+v", r, q)
	}
}
