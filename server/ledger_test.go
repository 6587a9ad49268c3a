package server_test

import (
	"testing"

	"github.com/opaygate/opaygate/opay"
)

type balanceView struct {
	MerchantID string `json:"merchantId"`
	Currency   string `json:"currency"`
	Unsettled  int64  `json:"unsettled"`
	Cash       int64  `json:"cash"`
}

// cash reads a merchant's CASH_ACCOUNT in currency through /_sandbox/balance.
func (e *env) cash(t testing.TB, merchantID, currency string) int64 {
	t.Helper()
	r := must(t, e.do(t, "GET", "/_sandbox/balance?merchantId="+merchantID, nil, nil), opay.CodeSuccess)
	for _, b := range data[[]balanceView](t, r) {
		if b.Currency == currency {
			return b.Cash
		}
	}
	return 0
}

// credit tops up a merchant's cash through /_sandbox/balance/credit.
func (e *env) credit(t testing.TB, merchantID, currency string, amount int64) {
	t.Helper()
	must(t, e.do(t, "POST", "/_sandbox/balance/credit",
		bodyBytes(t, map[string]any{"merchantId": merchantID, "currency": currency, "amount": amount}), nil), opay.CodeSuccess)
}

// TestSandboxBalance: a payment and a refund move the cash the sandbox shows (the sandbox
// settles at once); a credit adds to it, once per reference; bad input names the field.
func TestSandboxBalance(t *testing.T) {
	e := newTestServer(t, withRefunds(0))
	if got := e.cash(t, e.A.ID, "EGP"); got != 0 {
		t.Fatalf("cash before anything: %d", got)
	}
	orderNo := e.paid(t, e.A, "bal-1", 60000)
	if got := e.cash(t, e.A.ID, "EGP"); got != 60000 {
		t.Fatalf("cash after a payment of 60000: %d", got)
	}
	must(t, e.call(t, e.A, pathRefundCreate, refundBody("bal-rf-1", orderNo, 10000)), opay.CodeSuccess)
	if got := e.cash(t, e.A.ID, "EGP"); got != 50000 {
		t.Fatalf("cash after a refund of 10000: %d", got)
	}
	body := func(ref string) []byte {
		return bodyBytes(t, map[string]any{"merchantId": e.A.ID, "currency": "NGN", "amount": "2500", "reference": ref})
	}
	r := must(t, e.do(t, "POST", "/_sandbox/balance/credit", body("top-1"), nil), opay.CodeSuccess)
	if b := data[balanceView](t, r); b.Cash != 2500 || b.Currency != "NGN" || b.MerchantID != e.A.ID {
		t.Fatalf("credit answered %+v", b)
	}
	must(t, e.do(t, "POST", "/_sandbox/balance/credit", body("top-1"), nil), opay.CodeDuplicate)
	for _, c := range []struct{ body, detail string }{
		{`{"merchantId":"` + e.A.ID + `","currency":"USD","amount":1}`, "currency"},
		{`{"merchantId":"` + e.A.ID + `","currency":"EGP","amount":0}`, "amount"},
		// Two of these overflowed the balance's sum: the credit answered 50003 after it was
		// stored, and every read of the merchant's balance 50003 from then on.
		{`{"merchantId":"` + e.A.ID + `","currency":"EGP","amount":9223372036854775807}`, "amount"},
		{`{"merchantId":"` + e.A.ID + `","currency":"EGP","amount":10000000000001}`, "amount"},
		{`{"currency":"EGP","amount":1}`, "merchantId"},
	} {
		r := must(t, e.do(t, "POST", "/_sandbox/balance/credit", []byte(c.body), nil), opay.CodeInvalidParams)
		if !contains(r.Detail, c.detail) {
			t.Errorf("%s: detail %q does not name %s", c.body, r.Detail, c.detail)
		}
	}
	must(t, e.do(t, "POST", "/_sandbox/balance/credit", []byte(`{"merchantId":"nobody","currency":"EGP","amount":1}`), nil),
		opay.CodeNotFound)
	must(t, e.do(t, "GET", "/_sandbox/balance?merchantId=nobody", nil, nil), opay.CodeNotFound)
}
