package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// newRefundServer is newTestServer with the refund and callback services wired, and sandbox
// refunds that succeed 5 s (of the sandbox clock) after they are created.
func newRefundServer(t testing.TB) *env { return newTestServer(t, withRefunds(5*time.Second)) }

// paid takes a new VALU order of amount to SUCCESS through the API and returns its orderNo.
func (e *env) paid(t testing.TB, m *opaygate.Merchant, ref string, amount int64) string {
	t.Helper()
	no := e.toOTP(t, m, ref, amount)
	r := must(t, e.call(t, m, pathOTP, map[string]any{"country": "EG", "otp": "123456", "orderNo": no}), opay.CodeSuccess)
	if d := data[opay.InputOTPData](t, r); d.Status != "SUCCESS" {
		t.Fatalf("order %s is %s", no, d.Status)
	}
	return no
}

func refundBody(ref, originalOrderNo string, total int64) map[string]any {
	return map[string]any{
		"reference": ref, "originalOrderNo": originalOrderNo, "country": "EG", "refundWay": "Original",
		"amount": map[string]any{"total": total, "currency": "EGP"}, "refundReason": "customer asked",
	}
}

func TestRefundCreate(t *testing.T) {
	e := newRefundServer(t)
	no := e.paid(t, e.A, "paid-1", 60000)

	r := must(t, e.call(t, e.A, pathRefundCreate, refundBody("rf-1", no, 20000)), opay.CodeSuccess)
	d := data[opay.RefundData](t, r)
	if len(d.OrderNo) != 18 || d.OrderNo == no {
		t.Fatalf("refund orderNo %q", d.OrderNo)
	}
	want := fmt.Sprintf(`{"reference":"rf-1","originalReference":"paid-1","orderNo":"%s","originalOrderNo":"%s",`+
		`"refundAmount":{"total":20000,"currency":"EGP"},"country":"EG","orderStatus":"PENDING"}`, d.OrderNo, no)
	if string(r.Data) != want {
		t.Errorf("data\n got %s\nwant %s", r.Data, want)
	}

	t.Run("ByOriginalReference", func(t *testing.T) {
		body := refundBody("rf-2", "", 30000)
		delete(body, "originalOrderNo")
		body["originalReference"] = "paid-1"
		body["amount"] = map[string]any{"total": "30000", "currency": "EGP"} // a digit string is accepted
		d := data[opay.RefundData](t, must(t, e.call(t, e.A, pathRefundCreate, body), opay.CodeSuccess))
		if d.OriginalOrderNo != no || d.RefundAmount.Total != 30000 {
			t.Fatalf("data %+v", d)
		}
	})
	t.Run("ErrRefundExceeds", func(t *testing.T) {
		r := must(t, e.call(t, e.A, pathRefundCreate, refundBody("rf-3", no, 10001)), opay.CodeRefundExceeds)
		if r.Message != "refund amount exceeds the refundable amount" || string(r.Data) != "null" {
			t.Fatalf("answer %s", r.Raw)
		}
		must(t, e.call(t, e.A, pathRefundCreate, refundBody("rf-3", no, 10000)), opay.CodeSuccess)
	})
	t.Run("ErrDuplicateReference", func(t *testing.T) {
		other := e.paid(t, e.A, "paid-2", 5000)
		r := must(t, e.call(t, e.A, pathRefundCreate, refundBody("rf-1", other, 100)), opay.CodeDuplicate)
		if want := "reference rf-1 is already used by " + d.OrderNo + " (PENDING)"; string(r.Data) != "null" || r.Header.Get(opay.HeaderDetail) != want {
			t.Fatalf("duplicate %s, detail %q, want data null and %q", r.Raw, r.Header.Get(opay.HeaderDetail), want)
		}
	})
	t.Run("ErrOrderState", func(t *testing.T) {
		pending := e.toOTP(t, e.A, "pending-1", 1000)
		r := must(t, e.call(t, e.A, pathRefundCreate, refundBody("rf-4", pending, 100)), opay.CodeOrderState)
		if r.Message != "order status does not allow this action: only SUCCESS orders can be refunded (order is PENDING)" {
			t.Errorf("message %q", r.Message)
		}
		must(t, e.call(t, e.A, pathClose, map[string]any{"orderNo": pending, "country": "EG"}), opay.CodeSuccess)
		must(t, e.call(t, e.A, pathRefundCreate, refundBody("rf-4", pending, 100)), opay.CodeOrderState)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		r := must(t, e.call(t, e.B, pathRefundCreate, refundBody("rf-5", no, 100)), opay.CodeNotFound)
		if r.Message != "payment not found." {
			t.Errorf("message %q", r.Message)
		}
		body := refundBody("rf-5", no, 100)
		body["country"], body["amount"] = "NG", map[string]any{"total": 100, "currency": "NGN"}
		must(t, e.call(t, e.A, pathRefundCreate, body), opay.CodeNotFound)
	})
	t.Run("ErrNotConfigured", func(t *testing.T) {
		m := newMerchant(t, e, func(m *opaygate.Merchant) { m.Functions = []opaygate.Function{opaygate.FuncValU} })
		must(t, e.call(t, m, pathRefundCreate, refundBody("rf-6", no, 100)), opay.CodeNotConfigured)
		must(t, e.call(t, m, pathRefundQuery, map[string]any{"reference": "rf-1", "country": "EG"}), opay.CodeNotConfigured)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		tests := []struct {
			name   string
			change func(map[string]any)
			want   string
		}{
			{"NoReference", func(b map[string]any) { delete(b, "reference") }, "reference is required"},
			{"NoOriginal", func(b map[string]any) { delete(b, "originalOrderNo") }, "originalReference or originalOrderNo is required"},
			{"NoCountry", func(b map[string]any) { delete(b, "country") }, "country is required"},
			{"ZeroAmount", func(b map[string]any) { b["amount"] = map[string]any{"total": 0, "currency": "EGP"} },
				"amount.total must be a positive integer of at most 10^13"},
			{"WrongCurrency", func(b map[string]any) { b["amount"] = map[string]any{"total": 5, "currency": "NGN"} },
				"amount.currency must be EGP for this country"},
			{"FractionalAmount", func(b map[string]any) { b["amount"] = map[string]any{"total": 1.5, "currency": "EGP"} },
				"amount.total must be a positive integer"},
			{"UnknownWay", func(b map[string]any) { b["refundWay"] = "Cash" }, "refundWay must be Original or BankAccount"},
			{"BankAccountWithoutCode", func(b map[string]any) { b["refundWay"] = "BankAccount"; b["bankAccountNo"] = "123" },
				"bankCode is required"},
			{"BankAccountWithoutNumber", func(b map[string]any) { b["refundWay"] = "BankAccount"; b["bankCode"] = "NBE" },
				"bankAccountNo is required"},
			{"BadCallbackURL", func(b map[string]any) { b["callbackUrl"] = "ftp://x" }, "callbackUrl must be an absolute http or https URL"},
			{"ReferenceWithSpace", func(b map[string]any) { b["reference"] = "a b" }, "reference must not contain whitespace or control characters"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				body := refundBody("rf-bad", no, 100)
				tt.change(body)
				r := must(t, e.call(t, e.A, pathRefundCreate, body), opay.CodeInvalidParams)
				if r.Message != "request params not valid." || r.Detail != tt.want {
					t.Errorf("message %q detail %q, want %q", r.Message, r.Detail, tt.want)
				}
			})
		}
	})
	t.Run("BankAccount", func(t *testing.T) {
		body := refundBody("rf-bank", e.paid(t, e.A, "paid-bank", 100), 1)
		body["refundWay"], body["bankCode"], body["bankAccountNo"] = "BankAccount", "NBE", "EG38 0019 0005 0000 0000 2631 8000 2"
		must(t, e.call(t, e.A, pathRefundCreate, body), opay.CodeSuccess)
	})
}

func TestRefundQuery(t *testing.T) {
	e := newRefundServer(t)
	no := e.paid(t, e.A, "paid-1", 60000)
	created := must(t, e.call(t, e.A, pathRefundCreate, refundBody("rf-1", no, 1000)), opay.CodeSuccess)

	r := must(t, e.call(t, e.A, pathRefundQuery, map[string]any{"reference": "rf-1", "country": "EG"}), opay.CodeSuccess)
	if string(r.Data) != string(created.Data) {
		t.Fatalf("query %s, create %s", r.Data, created.Data)
	}
	e.advance(t, `{"seconds":5}`)
	d := data[opay.RefundData](t, must(t, e.call(t, e.A, pathRefundQuery, map[string]any{"reference": "rf-1", "country": "EG"}), opay.CodeSuccess))
	if d.OrderStatus != "SUCCESS" {
		t.Fatalf("after the sandbox delay the refund is %s", d.OrderStatus)
	}
	byNo := data[opay.RefundData](t, must(t, e.call(t, e.A, pathRefundQuery, map[string]any{"orderNo": d.OrderNo, "country": "EG"}), opay.CodeSuccess))
	if byNo != d {
		t.Errorf("by orderNo %+v, by reference %+v", byNo, d)
	}
	for name, tc := range map[string]struct {
		m    *opaygate.Merchant
		body map[string]any
		code string
		msg  string
	}{
		"Unknown":      {e.A, map[string]any{"reference": "nope", "country": "EG"}, opay.CodeNotFound, "refund not found."},
		"OtherCountry": {e.A, map[string]any{"reference": "rf-1", "country": "NG"}, opay.CodeNotFound, "refund not found."},
		"OtherMerchant": {e.B, map[string]any{"reference": "rf-1", "country": "EG"}, opay.CodeNotFound,
			"refund not found."},
		"NoReference": {e.A, map[string]any{"country": "EG"}, opay.CodeInvalidParams,
			"request params not valid.|reference is required"},
		"NoCountry": {e.A, map[string]any{"reference": "rf-1"}, opay.CodeInvalidParams,
			"request params not valid.|country is required"},
	} {
		t.Run(name, func(t *testing.T) {
			r := must(t, e.call(t, tc.m, pathRefundQuery, tc.body), tc.code)
			msg, detail, _ := strings.Cut(tc.msg, "|")
			if r.Message != msg || (detail != "" && r.Detail != detail) {
				t.Errorf("message %q detail %q, want %q", r.Message, r.Detail, tc.msg)
			}
		})
	}
}

// Twenty concurrent partial refunds over HTTP whose sum exceeds the order: every answer is
// 00000 or 02013, the accepted ones add up to at most the amount, and refund/query agrees with
// each answer.
func TestRefundConcurrentOverHTTP(t *testing.T) {
	e := newRefundServer(t)
	const amount = 10000
	no := e.paid(t, e.A, "paid-race", amount)
	codes := make([]string, 20)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() {
			codes[i] = e.call(t, e.A, pathRefundCreate, refundBody(fmt.Sprintf("race-%02d", i), no, 900)).Code
		})
	}
	wg.Wait()
	accepted := 0
	for i, code := range codes {
		q := e.call(t, e.A, pathRefundQuery, map[string]any{"reference": fmt.Sprintf("race-%02d", i), "country": "EG"})
		switch code {
		case opay.CodeSuccess:
			accepted++
			must(t, q, opay.CodeSuccess)
		case opay.CodeRefundExceeds:
			must(t, q, opay.CodeNotFound)
		default:
			t.Errorf("refund %d answered %s", i, code)
		}
	}
	if accepted != amount/900 {
		t.Errorf("%d refunds of 900 accepted on an order of %d, want %d", accepted, amount, amount/900)
	}
}

// The sandbox lists callbacks with their attempts and re-sends them.
func TestSandboxCallbacks(t *testing.T) {
	e := newRefundServer(t)
	no := e.paid(t, e.A, "paid-1", 60000)
	must(t, e.call(t, e.A, pathRefundCreate, refundBody("rf-1", no, 1000)), opay.CodeSuccess)
	e.advance(t, `{"seconds":5}`)
	if n, err := e.svc.Refunds.CompleteRefunds(context.Background(), 10); err != nil || n != 1 {
		t.Fatalf("complete: %d %v", n, err)
	}
	// One callback that was tried and failed, so the list has history to show.
	claimed, err := e.svc.Callbacks.ClaimCallbacks(context.Background(), 1, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	if _, err := e.svc.Callbacks.RecordAttempt(context.Background(), claimed[0],
		opaygate.CallbackAttempt{At: e.clock.Now(), HTTPStatus: 500, Error: "HTTP 500", Duration: 7 * time.Millisecond},
		opaygate.SandboxRetrySchedule()); err != nil {
		t.Fatal(err)
	}

	type view struct {
		ID            int64
		OrderNo       string
		Status        string
		Refunded      bool
		TargetURL     string
		State         string
		Attempts      int
		NextAttemptAt string
		Payload       opay.CallbackPayload
		History       []struct {
			HTTPStatus int
			Error      string
			DurationMs int64
		}
	}
	r := must(t, e.do(t, "GET", "/_sandbox/callbacks?merchantId="+e.A.ID+"&orderNo="+no, nil, nil), opay.CodeSuccess)
	list := data[[]view](t, r)
	if len(list) != 2 || !list[0].Refunded || list[1].Refunded || list[1].Status != "SUCCESS" ||
		list[1].TargetURL != "https://merchant.example/callback" || list[1].Payload.Token != no ||
		list[1].Payload.Amount != "60000" {
		t.Fatalf("list %s", r.Data)
	}
	if h := list[1].History; len(h) != 1 || h[0].HTTPStatus != 500 || h[0].DurationMs != 7 || list[1].Attempts != 1 {
		t.Fatalf("history of %d: %+v", list[1].ID, list[1])
	}
	var raw []map[string]json.RawMessage
	json.Unmarshal(r.Data, &raw)
	if _, ok := raw[0]["sha512"]; ok {
		t.Error("the sandbox list shows a signature")
	}

	r = must(t, e.do(t, "POST", "/_sandbox/callbacks/resend", []byte(fmt.Sprintf(`{"id":%d}`, list[1].ID)), nil), opay.CodeSuccess)
	again := data[view](t, r)
	if again.State != "pending" || again.Attempts != 0 || len(again.History) != 1 || again.NextAttemptAt == "" {
		t.Fatalf("resent %s", r.Data)
	}
	must(t, e.do(t, "POST", "/_sandbox/callbacks/resend", []byte(`{"id":999999}`), nil), opay.CodeNotFound)
	must(t, e.do(t, "POST", "/_sandbox/callbacks/resend", []byte(`{"id":0}`), nil), opay.CodeInvalidParams)
	must(t, e.do(t, "GET", "/_sandbox/callbacks?state=lost", nil, nil), opay.CodeInvalidParams)
	if got := data[[]view](t, must(t, e.do(t, "GET", "/_sandbox/callbacks?merchantId="+e.B.ID, nil, nil), opay.CodeSuccess)); len(got) != 0 {
		t.Errorf("merchant B has %d callbacks", len(got))
	}
	if r := e.do(t, "DELETE", "/_sandbox/callbacks", nil, nil); r.HTTP != 405 {
		t.Errorf("DELETE answered %d", r.HTTP)
	}
}
