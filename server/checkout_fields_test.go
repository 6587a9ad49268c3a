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
// evokeOpay, userClientIP and sn on the API, and what the first three and userInfo change
// on the hosted checkout.

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
	t.Run("ErrSNNotAStringOrNumber", func(t *testing.T) {
		refused(t, "pf-sn-obj", "sn must be a string", func(b map[string]any) { b["sn"] = map[string]any{} })
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

func TestCheckoutDisplayName(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	token, _ := e.cashierOrder(t, e.A, "dn-page", 60000, func(b map[string]any) { b["displayName"] = `Campus "Store" <script>alert(1)</script>` })
	shown := "Campus &#34;Store&#34; &lt;script&gt;alert(1)&lt;/script&gt;"
	c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).
		has(t, `<p class="merchant">`+shown+`</p>`, "<dd>"+shown+"</dd>", "· "+shown+"</title>").
		lacks(t, "Merchant 100000000000001", "<script>alert")
	// The waiting and result pages share the checkout's view.
	c.post(t, "/checkout/mwallet", form(token, "walletAccount", "01012345678"))
	waitingPage(t, c.get(t, "/checkout?orderToken="+token), token).has(t, shown).lacks(t, "Merchant 100000000000001")
	c.follow(t, c.post(t, "/simulate/approve", form(token))).has(t, "Payment successful", shown).
		lacks(t, "Merchant 100000000000001")

	t.Run("WithoutItTheMerchantsName", func(t *testing.T) {
		token, _ := e.cashierOrder(t, e.A, "dn-none", 60000, nil)
		c.get(t, "/checkout?orderToken="+token).has(t, `<p class="merchant">Merchant 100000000000001</p>`)
	})
}

func TestCheckoutPrefill(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	page := func(t *testing.T, ref, mobile string, change func(map[string]any)) payPage {
		t.Helper()
		token, _ := e.cashierOrder(t, e.A, ref, 60000, func(b map[string]any) {
			b["userInfo"] = map[string]any{"userMobile": mobile, "userEmail": "c@example.com"}
			if change != nil {
				change(b)
			}
		})
		return c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK)
	}
	// EG: the wallets, ValU and the reference code take 01 and 9 digits.
	for i, mobile := range []string{"01066668888", "+201066668888", "201066668888", "00201066668888", "+20 106 666 8888"} {
		t.Run("Egypt", func(t *testing.T) {
			page(t, "pre-eg-"+string(rune('a'+i)), mobile, nil).has(t,
				`<input id="mwallet-account" name="walletAccount" value="01066668888" type="tel"`,
				`<input id="vodafonecash-mobile" name="mobile" value="01066668888" type="tel"`,
				`<input id="shahry-mobile" name="mobile" value="01066668888" type="tel"`,
				`<input id="valu-account" name="account" value="01066668888" type="tel"`)
		})
	}
	t.Run("EgyptReferenceCode", func(t *testing.T) {
		// The reference code also takes the email it is sent to.
		page(t, "pre-eg-ref", "+201066668888", func(b map[string]any) { b["payMethod"] = "ReferenceCode" }).
			has(t, `<input id="reference-mobile" name="mobile" value="01066668888" type="tel"`,
				`<input id="reference-email" name="email" value="c@example.com" type="email"`)
	})
	// NG: the bank transfer takes the international form (html/template writes + as &#43;).
	for i, mobile := range []string{"+2348031234567", "2348031234567", "08031234567", "+234 803 123-4567"} {
		t.Run("Nigeria", func(t *testing.T) {
			page(t, "pre-ng-"+string(rune('a'+i)), mobile, ngOrder).has(t,
				`<input id="transfer-mobile" name="mobile" value="&#43;2348031234567" type="tel"`,
				`<input id="reference-mobile" name="mobile" value="&#43;2348031234567" type="tel"`)
		})
	}
	t.Run("NotAMobileNumber", func(t *testing.T) {
		// A value that fits no field fills none: the customer types the number.
		for i, mobile := range []string{"12345", "+1 555", "0106666888", "+20106666888x"} {
			page(t, "pre-none-"+string(rune('a'+i)), mobile, nil).has(t, `<input id="mwallet-account" name="walletAccount" type="tel"`).
				lacks(t, `name="walletAccount" value=`, `name="mobile" value=`, `name="account" value=`)
		}
	})
	t.Run("Hostile", func(t *testing.T) {
		pg := page(t, "pre-evil", `"><script>alert(1)</script>`, func(b map[string]any) {
			b["userInfo"].(map[string]any)["userEmail"] = `"><script>@x.com`
		})
		pg.lacks(t, "<script>alert", `name="walletAccount" value=`, `name="mobile" value=`, `name="email" value=`)
		pg = page(t, "pre-evil-ng", `+234"><script>`, ngOrder)
		pg.lacks(t, "<script>", `name="mobile" value=`)
	})
	t.Run("ReferenceCodeEmail", func(t *testing.T) {
		// The email the customer leaves in the section gets the code, as notify's does.
		token, orderNo := e.cashierOrder(t, e.A, "pre-ref-mail", 2500, func(b map[string]any) {
			b["userInfo"] = map[string]any{"userEmail": "c@example.com"}
		})
		back := e.srv.URL + "/checkout?orderToken=" + token
		c.post(t, "/checkout/referencecode", form(token, "email", "not an email")).redirectsTo(t, back+"&error=reference_email")
		c.get(t, back+"&error=reference_email").html(t, http.StatusOK).has(t, `role="alert"`, "name@example.com")
		c.post(t, "/checkout/referencecode", form(token, "mobile", "", "email", " c2@example.com ")).redirectsTo(t, back)
		type message struct{ Channel, To, Text string }
		msgs := data[[]message](t, must(t, e.do(t, "GET", "/_sandbox/messages?orderNo="+orderNo, nil, nil), opay.CodeSuccess))
		if len(msgs) != 1 || msgs[0].Channel != "EMAIL" || msgs[0].To != "c2@example.com" {
			t.Errorf("messages %+v", msgs)
		}
	})
	t.Run("TheCustomerMayChangeIt", func(t *testing.T) {
		// The pre-filled number is a value like any other: the form sends what the customer left.
		token, _ := e.cashierOrder(t, e.A, "pre-change", 60000, func(b map[string]any) {
			b["userInfo"] = map[string]any{"userMobile": "+201066668888"}
		})
		waitingPage(t, c.follow(t, c.post(t, "/checkout/mwallet", form(token, "walletAccount", "01012345678"))), token).
			has(t, `id="wallet">01012345678</bdi>`)
	})
}

func TestCheckoutEvokeOpay(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	token, orderNo := e.cashierOrder(t, e.A, "evoke", 500000, func(b map[string]any) {
		ngOrder(b)
		b["evokeOpay"] = "true"
	})
	checkout := "/checkout?orderToken=" + token
	// The page opens on the OPay wallet alone, with a plain link to the other methods.
	c.get(t, checkout).html(t, http.StatusOK).
		has(t, `action="checkout/opaywallet"`, `<a id="other-methods" href="checkout?orderToken=`+token+`&amp;methods=all">Other ways to pay</a>`).
		lacks(t, `action="checkout/card"`, `action="checkout/banktransfer"`, `action="checkout/ussd"`)
	all := c.get(t, checkout+"&methods=all").html(t, http.StatusOK)
	all.inOrder(t, `action="checkout/card"`, `action="checkout/opaywallet"`, `action="checkout/banktransfer"`)
	all.lacks(t, `id="other-methods"`)
	// Another method's form that comes back refused shows every method again, with its error.
	c.post(t, "/checkout/banktransfer", form(token, "mobile", "123")).redirectsTo(t, e.srv.URL+checkout+"&error=transfer_mobile")
	c.get(t, checkout+"&error=transfer_mobile").has(t, `role="alert"`, `action="checkout/banktransfer"`, `action="checkout/card"`)
	// The wallet's own button takes the customer to its step, as without evokeOpay.
	c.post(t, "/checkout/opaywallet", form(token)).redirectsTo(t, e.srv.URL+checkout)
	waitingPage(t, c.get(t, checkout), token).has(t, "Pay in the OPay app")
	if st := e.statusIn(t, orderNo, "NG"); st.Status != "PENDING" {
		t.Errorf("status %+v", st)
	}

	t.Run("NotOfferedShowsEveryMethod", func(t *testing.T) {
		// EG has no OPay wallet; a NG order limited to another method neither.
		token, _ := e.cashierOrder(t, e.A, "evoke-eg", 60000, func(b map[string]any) { b["evokeOpay"] = true })
		c.get(t, "/checkout?orderToken="+token).has(t, `action="checkout/card"`, `action="checkout/mwallet"`).lacks(t, `id="other-methods"`)
		token, _ = e.cashierOrder(t, e.A, "evoke-ng-card", 500000, func(b map[string]any) {
			ngOrder(b)
			b["evokeOpay"], b["payMethod"] = true, "BankCard"
		})
		c.get(t, "/checkout?orderToken="+token).has(t, `action="checkout/card"`).lacks(t, `action="checkout/opaywallet"`, `id="other-methods"`)
	})
	t.Run("OnlyTheWallet", func(t *testing.T) {
		token, _ := e.cashierOrder(t, e.A, "evoke-only", 500000, func(b map[string]any) {
			ngOrder(b)
			b["evokeOpay"], b["payMethod"] = true, "OpayWalletNg"
		})
		c.get(t, "/checkout?orderToken="+token).has(t, `action="checkout/opaywallet"`).lacks(t, `id="other-methods"`)
	})
	t.Run("FalseShowsEveryMethod", func(t *testing.T) {
		token, _ := e.cashierOrder(t, e.A, "evoke-false", 500000, func(b map[string]any) {
			ngOrder(b)
			b["evokeOpay"] = "false"
		})
		c.get(t, "/checkout?orderToken="+token).has(t, `action="checkout/card"`, `action="checkout/opaywallet"`).lacks(t, `id="other-methods"`)
	})
}
