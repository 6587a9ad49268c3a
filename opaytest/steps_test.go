package opaytest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/opaytest"
)

// TestChoose: every method of the hosted checkout, chosen on a cashier order and completed
// step by step, ends SUCCESS with one callback of its method; each step says what comes next.
func TestChoose(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	receiver := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(receiver.Close)
	order := func(ref, country string, amount int64) string {
		t.Helper()
		currency := map[string]string{"EG": "EGP", "NG": "NGN"}[country]
		return must(c.CreateCashier(ctx, opay.CashierCreateRequest{Reference: ref, Country: country,
			Amount: opay.Amount{Total: amount, Currency: currency}, ReturnURL: "https://shop.example.com/r",
			CallbackURL: receiver.URL, Product: opay.Product{Name: "Cart " + ref}}))(t).OrderNo
	}
	card := map[string]string{"cardNumber": "4111111111111111", "expiry": "12/39", "cvv": "123"}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	type step func(orderNo string) (*opaytest.Payment, error)
	outside := func(o string) (*opaytest.Payment, error) { return gw.PayOutside(o) }
	otp := func(o string) (*opaytest.Payment, error) { return gw.EnterOTP(o, "") }
	pin := func(o string) (*opaytest.Payment, error) { return gw.EnterPIN(o, "") }
	threeDS := func(o string) (*opaytest.Payment, error) { return gw.Confirm3DS(o) }
	for _, tc := range []struct {
		method, country string
		form            map[string]string
		actions         []string // the nextAction after each step but the last
		steps           []step
	}{
		{"MWALLET", "EG", map[string]string{"walletAccount": "01012345678"}, []string{opay.ActionScanQR}, []step{outside}},
		{"VodafoneCash", "EG", map[string]string{"mobile": "01012345678"}, []string{""}, []step{outside}},
		{"Shahry", "EG", map[string]string{"mobile": "01012345678"}, []string{""}, []step{outside}},
		{"ReferenceCode", "EG", nil, []string{opay.ActionReferenceCode}, []step{outside}},
		{"BankInstallment", "EG", with(card, "plan", "CIB:6"), []string{opay.ActionRedirect3DS}, []step{threeDS}},
		{"OpayWalletNg", "NG", nil, []string{opay.ActionScanQR}, []step{outside}},
		{"BankTransfer", "NG", map[string]string{"mobile": "+2348031234567"}, []string{opay.ActionTransferAccount}, []step{outside}},
		{"BankUssd", "NG", map[string]string{"bankCode": "058"}, []string{opay.ActionShowUSSD}, []step{outside}},
		{"BankAccount", "NG", map[string]string{"bankCode": "058", "accountNumber": "0123456789", "bvn": "12345678901",
			"dob": "1990-02-14", "mobile": "+2348031234567"}, []string{opay.ActionOTP}, []step{otp}},
		{"BankCard", "NG", with(card, "cardNumber", "5060990000010106"), []string{opay.ActionPIN, opay.ActionOTP}, []step{pin, otp}},
		{"BankCard", "EG", card, []string{opay.ActionRedirect3DS}, []step{threeDS}},
	} {
		t.Run(tc.method+"/"+tc.country, func(t *testing.T) {
			orderNo := order("choose-"+tc.method+"-"+tc.country, tc.country, 1_000_000)
			p := must(gw.Choose(orderNo, tc.method, tc.form))(t)
			for i, s := range tc.steps {
				got := ""
				if p.NextAction != nil {
					got = p.NextAction.ActionType
				}
				if p.Status != opay.StatusPending || got != tc.actions[i] {
					t.Fatalf("before step %d: %+v, nextAction %q, want %q", i+1, p, got, tc.actions[i])
				}
				p = must(s(orderNo))(t)
			}
			if p.Status != opay.StatusSuccess || p.NextAction != nil {
				t.Fatalf("after the last step: %+v", p)
			}
			var n int
			for _, cb := range gw.Callbacks() {
				if cb.Notification != nil && cb.Notification.Reference == p.Reference {
					n++
					if cb.Notification.InstrumentType != tc.method || cb.Notification.Status != opay.StatusSuccess {
						t.Errorf("callback %+v", cb.Notification)
					}
				}
			}
			if n != 1 {
				t.Errorf("%d callbacks", n)
			}
		})
	}

	t.Run("ErrRefusedForm", func(t *testing.T) {
		_, err := gw.Choose(order("choose-bad", "EG", 1000), "MWALLET", map[string]string{"walletAccount": "123"})
		if opaygate.ErrorCode(err) != opaygate.EINVALID {
			t.Errorf("a refused form: %v", err)
		}
	})
	t.Run("ErrWrongPIN", func(t *testing.T) {
		orderNo := order("choose-pin", "NG", 1000)
		must(gw.Choose(orderNo, "BankCard", with(card, "cardNumber", "5061000000010103")))(t)
		if _, err := gw.EnterPIN(orderNo, "9999"); opaygate.ErrorCode(err) != opaygate.EOTPINVALID {
			t.Errorf("a wrong PIN: %v", err)
		}
	})
	t.Run("ErrNotOnTheCheckout", func(t *testing.T) {
		if _, err := gw.Choose(order("choose-qr", "NG", 1000), "OpayWalletNgQR", nil); opaygate.ErrorCode(err) != opaygate.EPAYMETHOD {
			t.Errorf("an API-only method: %v", err)
		}
	})
}
