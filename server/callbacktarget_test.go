package server_test

import (
	"strings"
	"testing"

	"github.com/opaygate/opaygate/notify"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/server"
)

// internalCallbackURLs are callback targets that only an internal network can answer.
var internalCallbackURLs = []string{
	"http://127.0.0.1:8080/cb",
	"http://10.0.0.5/cb",
	"http://169.254.169.254/latest/meta-data/",
	"http://[::1]:9000/cb",
	"http://localhost/cb",
}

// Live mode refuses an internal callbackUrl when the order or refund is created, with 02001
// and the reason in the detail header, instead of accepting it and retrying the refused
// delivery for 72 h. Each endpoint that takes a callbackUrl is checked.
func TestLive_RefusesInternalCallbackURL(t *testing.T) {
	e := newTestServer(t, withLive(), withRefunds(0))
	paid := e.paid(t, e.A, "paid-1", 60000)
	for i, target := range internalCallbackURLs {
		ref := "ref-" + string(rune('a'+i))
		cashier := map[string]any{
			"reference": ref, "country": "EG", "amount": map[string]any{"total": 1000, "currency": "EGP"},
			"returnUrl": "https://merchant.example/return", "callbackUrl": target, "product": map[string]any{"name": "Fridge"},
		}
		payment := valuRequest(ref, 60000, "01012345678")
		payment.CallbackURL = target
		refund := refundBody(ref, paid, 100)
		refund["callbackUrl"] = target
		for _, c := range []struct {
			path    string
			body    any
			message string
		}{
			{pathCashierCreate, cashier, opay.MessageInvalidParams},
			{pathPaymentCreate, payment, opay.MessageInvalidParameters},
			{pathRefundCreate, refund, opay.MessageInvalidParams},
		} {
			r := must(t, e.call(t, e.A, c.path, c.body), opay.CodeInvalidParams)
			if r.Message != c.message || !strings.HasPrefix(r.Detail, "callbackUrl must not name an internal address: target ") {
				t.Errorf("%s %s: message %q, detail %q", c.path, target, r.Message, r.Detail)
			}
		}
	}
	// A public target is accepted, and nothing was stored for the refused ones.
	must(t, e.call(t, e.A, pathRefundCreate, refundBody("ref-public", paid, 100)), opay.CodeSuccess)
	must(t, e.call(t, e.A, pathStatus, map[string]string{"reference": "ref-a", "country": "EG"}), opay.CodeNotFound)
}

// The sandbox on a developer's machine accepts local receivers, as before.
func TestSandbox_AcceptsLocalCallbackURL(t *testing.T) {
	e := newTestServer(t)
	for i, target := range internalCallbackURLs {
		e.cashierOrder(t, e.A, "local-"+string(rune('a'+i)), 1000, func(b map[string]any) { b["callbackUrl"] = target })
	}
}

// A sandbox reachable from the network checks targets against its allow-list at create time:
// a listed receiver is accepted, anything else internal is 02001.
func TestExposedSandbox_CallbackAllowList(t *testing.T) {
	allow, err := notify.ParseTargets("127.0.0.1:8080,10.0.0.5:443")
	if err != nil {
		t.Fatal(err)
	}
	e := newTestServer(t, withServerConfig(func(c *server.Config) { c.CallbackTargets = &notify.Guard{Allow: allow} }))
	for _, target := range []string{"http://127.0.0.1:8080/cb", "https://10.0.0.5/cb", "https://merchant.example/cb"} {
		e.cashierOrder(t, e.A, "ok-"+target, 1000, func(b map[string]any) { b["callbackUrl"] = target })
	}
	for _, target := range []string{"http://127.0.0.1:6379/", "http://10.0.0.5/cb", "http://169.254.169.254/", "http://[::1]:8080/cb", "http://localhost:8080/cb"} {
		body := map[string]any{
			"reference": "no-" + target, "country": "EG", "amount": map[string]any{"total": 1000, "currency": "EGP"},
			"returnUrl": "https://merchant.example/return", "callbackUrl": target, "product": map[string]any{"name": "Fridge"},
		}
		r := must(t, e.call(t, e.A, pathCashierCreate, body), opay.CodeInvalidParams)
		if !strings.Contains(r.Detail, "callbacks may not reach") {
			t.Errorf("%s: detail %q", target, r.Detail)
		}
	}
}
