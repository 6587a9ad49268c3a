package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// cashier/create's remaining fields (METHODS.md §8.y): displayName, customerVisitSource,
// evokeOpay, userClientIP and sn on the API.

func TestCashierCreatePageFields(t *testing.T) {
	e := newTestServer(t)
	ctx := context.Background()
	find := func(t *testing.T, orderNo string) *opaygate.Order {
		t.Helper()
		o, err := e.svc.Orders.FindOrder(ctx, e.A.ID, opaygate.OrderKey{OrderNo: orderNo})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	create := func(t *testing.T, ref string, change func(map[string]any)) *opaygate.Order {
		t.Helper()
		_, orderNo := e.cashierOrder(t, e.A, ref, 60000, change)
		return find(t, orderNo)
	}
	refused := func(t *testing.T, ref, detail string, change func(map[string]any)) {
		t.Helper()
		body := map[string]any{"reference": ref, "country": "EG", "amount": map[string]any{"total": 500, "currency": "EGP"},
			"returnUrl": "https://merchant.example/r", "product": map[string]any{"name": "n"}}
		change(body)
		r := must(t, e.call(t, e.A, pathCashierCreate, body), opay.CodeInvalidParams)
		if r.HTTP != http.StatusOK || r.Detail != detail || r.Message != opay.MessageInvalidParams {
			t.Errorf("answer %d %s, detail %q; want %q", r.HTTP, r.Raw, r.Detail, detail)
		}
	}

	t.Run("Stored", func(t *testing.T) {
		o := create(t, "pf-all", func(b map[string]any) {
			b["displayName"], b["customerVisitSource"], b["evokeOpay"] = "Campus Store", "nativeApp", true
			b["userClientIP"], b["sn"] = "203.0.113.9", "SN-1"
		})
		if o.DisplayName != "Campus Store" || o.VisitSource != "nativeApp" || !o.EvokeOpay || o.ClientIP != "203.0.113.9" {
			t.Errorf("stored %q %q %v %q", o.DisplayName, o.VisitSource, o.EvokeOpay, o.ClientIP)
		}
	})
	t.Run("AtTheLimits", func(t *testing.T) {
		o := create(t, "pf-limits", func(b map[string]any) {
			b["displayName"], b["customerVisitSource"] = strings.Repeat("ش", 64), strings.Repeat("x", 32)
		})
		if len([]rune(o.DisplayName)) != 64 || len(o.VisitSource) != 32 {
			t.Errorf("stored %q %q", o.DisplayName, o.VisitSource)
		}
	})
	t.Run("ErrDisplayNameTooLong", func(t *testing.T) {
		refused(t, "pf-dn", "displayName must be at most 64 characters", func(b map[string]any) { b["displayName"] = strings.Repeat("a", 65) })
	})
	t.Run("ErrDisplayNameNotAString", func(t *testing.T) {
		refused(t, "pf-dn-2", "displayName must be a string", func(b map[string]any) { b["displayName"] = 7 })
	})
	t.Run("ErrDisplayNameControl", func(t *testing.T) {
		refused(t, "pf-dn-3", "displayName must not contain control characters", func(b map[string]any) { b["displayName"] = "a\nb" })
	})
	t.Run("ErrVisitSourceTooLong", func(t *testing.T) {
		refused(t, "pf-vs", "customerVisitSource must be at most 32 characters", func(b map[string]any) {
			b["customerVisitSource"] = strings.Repeat("W", 33)
		})
	})
	for _, tc := range []struct {
		name string
		in   any
		want bool
	}{
		{"EvokeOpayTrue", true, true}, {"EvokeOpayFalse", false, false},
		{"EvokeOpayStringTrue", "true", true}, {"EvokeOpayStringFalse", "false", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if o := create(t, "pf-"+tc.name, func(b map[string]any) { b["evokeOpay"] = tc.in }); o.EvokeOpay != tc.want {
				t.Errorf("evokeOpay %v stored as %v", tc.in, o.EvokeOpay)
			}
		})
	}
	for _, bad := range []any{"yes", "TRUE", 1, map[string]any{}} {
		t.Run("ErrEvokeOpay", func(t *testing.T) {
			refused(t, "pf-evoke-bad", "evokeOpay must be a boolean", func(b map[string]any) { b["evokeOpay"] = bad })
		})
	}
	for i, tc := range []struct{ in, want string }{
		{"not an ip", ""}, {"203.0.113.300", ""}, {"", ""}, {"::ffff:203.0.113.9", "::ffff:203.0.113.9"},
		{"2001:DB8::0001", "2001:db8::1"}, {"fe80::1%<script>", "fe80::1"},
	} {
		t.Run("UserClientIP", func(t *testing.T) {
			o := create(t, "pf-ip-"+string(rune('a'+i)), func(b map[string]any) { b["userClientIP"] = tc.in })
			if o.ClientIP != tc.want {
				t.Errorf("userClientIP %q stored as %q, want %q", tc.in, o.ClientIP, tc.want)
			}
		})
	}
	t.Run("SNIgnored", func(t *testing.T) {
		for i, sn := range []any{"x1", 12345} {
			create(t, "pf-sn-"+string(rune('a'+i)), func(b map[string]any) { b["sn"] = sn })
		}
	})
	t.Run("PaymentCreateUserClientIP", func(t *testing.T) {
		for _, tc := range []struct{ ref, in, want string }{{"pf-pay-1", "198.51.100.7", "198.51.100.7"}, {"pf-pay-2", "bogus", ""}} {
			req := valuRequest(tc.ref, 60000, "01012345678")
			req.UserClientIP = tc.in
			d := data[opay.PaymentCreateData](t, must(t, e.call(t, e.A, pathPaymentCreate, req), opay.CodeSuccess))
			if o := find(t, d.OrderNo); o.ClientIP != tc.want {
				t.Errorf("%q stored as %q, want %q", tc.in, o.ClientIP, tc.want)
			}
		}
	})
}
