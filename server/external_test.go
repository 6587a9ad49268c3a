package server_test

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// externalRequest is a payment/create of a method whose customer pays outside the API.
func externalRequest(method, ref string, amount int64, change func(*opay.PaymentCreateRequest)) opay.PaymentCreateRequest {
	req := opay.PaymentCreateRequest{Reference: ref, Country: "EG", PayMethod: method,
		Amount: opay.Amount{Total: amount, Currency: "EGP"}, Product: opay.Product{Name: "Tea"},
		CallbackURL: "https://merchant.example/cb"}
	switch method {
	case opay.PayMethodMWallet:
		req.WalletAccount = "01012345678"
	case opay.PayMethodBankUSSD, opay.PayMethodOpayQR:
		req.Country, req.Amount.Currency = "NG", "NGN"
		req.BankCode, req.UserPhone = "033", "+2348031234567"
	}
	if change != nil {
		change(&req)
	}
	return req
}

// TestExternalMethods: each method whose customer pays outside the API waits with its
// nextAction, and the sandbox's controls pay, decline or expire it through one state machine
// with one callback naming the method.
func TestExternalMethods(t *testing.T) {
	e := newTestServer(t)
	a := amountShape
	for _, tc := range []struct {
		method, shape string
		check         func(t *testing.T, d opay.PaymentCreateData)
	}{
		{opay.PayMethodMWallet, "{actionType:s,qrCode:s,walletAccount:s,expiredTimestamp:n}", func(t *testing.T, d opay.PaymentCreateData) {
			if n := d.NextAction; n.ActionType != "SCAN_QR_CODE" || n.WalletAccount != "01012345678" || n.QRCode == "" {
				t.Errorf("nextAction %+v", n)
			}
		}},
		{opay.PayMethodOpayQR, "{actionType:s,qrCode:s,expiredTimestamp:n}", func(t *testing.T, d opay.PaymentCreateData) {
			if n := d.NextAction; n.ActionType != "SCAN_QR_CODE" || n.QRCode == "" {
				t.Errorf("nextAction %+v", n)
			}
		}},
		{opay.PayMethodBankUSSD, "{actionType:s,USSD:s}", func(t *testing.T, d opay.PaymentCreateData) {
			// OPay's form: *<bank prefix>*000*<digits>#; UBA (033) is *919#.
			if n := d.NextAction; n.ActionType != "SHOW_USSD" || !regexp.MustCompile(`^\*919\*000\*\d{4}#$`).MatchString(n.USSD) ||
				n.USSD[len(n.USSD)-5:len(n.USSD)-1] != d.OrderNo[len(d.OrderNo)-4:] {
				t.Errorf("nextAction %+v for %s", n, d.OrderNo)
			}
		}},
	} {
		t.Run(tc.method, func(t *testing.T) {
			create := func(t *testing.T, ref string, amount int64, change func(*opay.PaymentCreateRequest)) opay.PaymentCreateData {
				t.Helper()
				r := must(t, e.call(t, e.A, pathPaymentCreate, externalRequest(tc.method, ref, amount, change)), opay.CodeSuccess)
				checkShape(t, r, envelope("{reference:s,orderNo:s,nextAction:"+tc.shape+",status:s,amount:"+a+",vat:"+a+"}"))
				return data[opay.PaymentCreateData](t, r)
			}
			control := func(t *testing.T, route string, body any, code string) opay.CashierStatusData {
				t.Helper()
				return data[opay.CashierStatusData](t, must(t, e.call(t, e.A, "/_sandbox/orders/"+route, body), code))
			}
			callbacks := func(t *testing.T, orderNo string) []string {
				t.Helper()
				list, err := e.svc.Callbacks.ListCallbacks(context.Background(), opaygate.CallbackFilter{OrderNo: orderNo})
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, c := range list {
					out = append(out, string(c.Status)+"/"+c.InstrumentType)
				}
				return out
			}

			d := create(t, tc.method+"-pay", 1000, nil)
			if d.Status != "PENDING" {
				t.Fatalf("created %+v", d)
			}
			tc.check(t, d)
			country := "EG"
			if tc.method != opay.PayMethodMWallet {
				country = "NG"
			}
			r := must(t, e.call(t, e.A, pathStatus, map[string]string{"orderNo": d.OrderNo, "country": country}), opay.CodeSuccess)
			if st := data[opay.CashierStatusData](t, r); st.Status != "PENDING" {
				t.Errorf("status %+v", st)
			}
			if st := control(t, "pay", map[string]string{"orderNo": d.OrderNo}, opay.CodeSuccess); st.Status != "SUCCESS" {
				t.Errorf("paid: %+v", st)
			}
			if cbs := callbacks(t, d.OrderNo); len(cbs) != 1 || cbs[0] != "SUCCESS/"+tc.method {
				t.Errorf("callbacks %v", cbs)
			}
			// Paying twice finds the order final.
			control(t, "pay", map[string]string{"orderNo": d.OrderNo}, opay.CodeOrderState)

			d = create(t, tc.method+"-decline", 1000, nil)
			st := control(t, "decline", map[string]string{"merchantId": e.A.ID, "reference": tc.method + "-decline", "failureCode": "51"}, opay.CodeSuccess)
			if st.Status != "FAIL" || st.FailureCode != "51" || st.FailureReason != "Insufficient funds" {
				t.Errorf("declined: %+v", st)
			}
			control(t, "decline", map[string]string{"orderNo": d.OrderNo, "failureCode": "99"}, opay.CodeInvalidParams)

			d = create(t, tc.method+"-expire", 1000, nil)
			if st := control(t, "expire", map[string]string{"orderNo": d.OrderNo}, opay.CodeSuccess); st.Status != "CLOSE" || st.FailureCode != "ORDER_EXPIRED" {
				t.Errorf("expired: %+v", st)
			}
			if cbs := callbacks(t, d.OrderNo); len(cbs) != 1 || cbs[0] != "CLOSE/"+tc.method {
				t.Errorf("callbacks %v", cbs)
			}

			// The amount triggers decide the outcome once the customer did the step.
			d = create(t, tc.method+"-trigger", 54, nil)
			if st := control(t, "pay", map[string]string{"orderNo": d.OrderNo}, opay.CodeSuccess); st.Status != "FAIL" || st.FailureCode != "54" {
				t.Errorf("amount 54: %+v", st)
			}

			// The merchant can close an order waiting for the customer.
			d = create(t, tc.method+"-close", 1000, nil)
			r = must(t, e.call(t, e.A, pathClose, map[string]string{"orderNo": d.OrderNo, "country": country}), opay.CodeSuccess)
			if c := data[opay.PaymentCloseData](t, r); c.OrderStatus != "CLOSE" {
				t.Errorf("close %+v", c)
			}
			control(t, "pay", map[string]string{"orderNo": d.OrderNo}, opay.CodeOrderState)
		})
	}

	t.Run("IdentifierRule", func(t *testing.T) {
		// A wallet account ending in 00 and a decline code declines with that code.
		r := must(t, e.call(t, e.A, pathPaymentCreate, externalRequest(opay.PayMethodMWallet, "mw-id", 1000,
			func(r *opay.PaymentCreateRequest) { r.WalletAccount = "01000000057" })), opay.CodeSuccess)
		d := data[opay.PaymentCreateData](t, r)
		st := data[opay.CashierStatusData](t, must(t, e.call(t, e.A, "/_sandbox/orders/pay", map[string]string{"orderNo": d.OrderNo}), opay.CodeSuccess))
		if st.Status != "FAIL" || st.FailureCode != "57" {
			t.Errorf("wallet 01000000057: %+v", st)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		for name, tc := range map[string]struct {
			req          opay.PaymentCreateRequest
			code, detail string
		}{
			"BadWallet": {externalRequest(opay.PayMethodMWallet, "bad-1", 100, func(r *opay.PaymentCreateRequest) { r.WalletAccount = "0101234" }),
				opay.CodeInvalidParams, "walletAccount must be 01 followed by 9 digits"},
			"USSDBankUnknown": {externalRequest(opay.PayMethodBankUSSD, "bad-2", 100, func(r *opay.PaymentCreateRequest) { r.BankCode = "999" }),
				opay.CodeInvalidParams, "bankCode not supported for USSD"},
			"USSDNoBank": {externalRequest(opay.PayMethodBankUSSD, "bad-3", 100, func(r *opay.PaymentCreateRequest) { r.BankCode = "" }),
				opay.CodeInvalidParams, "bankCode is required for payMethod BankUssd"},
			"BadPhone": {externalRequest(opay.PayMethodOpayQR, "bad-4", 100, func(r *opay.PaymentCreateRequest) { r.UserPhone = "0803" }),
				opay.CodeInvalidParams, "userPhone must be + and 8 to 15 digits"},
			"MWalletInNigeria": {externalRequest(opay.PayMethodMWallet, "bad-5", 100, func(r *opay.PaymentCreateRequest) {
				r.Country, r.Amount.Currency = "NG", "NGN"
			}), opay.CodePayMethod, ""},
		} {
			t.Run(name, func(t *testing.T) {
				r := must(t, e.call(t, e.A, pathPaymentCreate, tc.req), tc.code)
				if tc.detail != "" && r.Detail != tc.detail {
					t.Errorf("detail %q, want %q", r.Detail, tc.detail)
				}
			})
		}
		// The hosted checkout offers OpayWalletNg, not OpayWalletNgQR; the hosted-only methods
		// are refused by payment/create (METHODS.md §8.0).
		must(t, e.call(t, e.A, pathCashierCreate, `{"reference":"cc-qr","country":"NG","amount":{"total":100,"currency":"NGN"},`+
			`"returnUrl":"https://m.example/r","product":{"name":"n"},"payMethod":"OpayWalletNgQR"}`), opay.CodePayMethod)
		for _, pm := range []string{opay.PayMethodVodafoneCash, opay.PayMethodShahry, opay.PayMethodOpayWallet} {
			req := externalRequest(opay.PayMethodMWallet, "hosted-"+pm, 100, func(r *opay.PaymentCreateRequest) { r.PayMethod = pm })
			if pm == opay.PayMethodOpayWallet {
				req.Country, req.Amount.Currency = "NG", "NGN"
			}
			must(t, e.call(t, e.A, pathPaymentCreate, req), opay.CodePayMethod)
		}
		// A payment waiting for an API step is not the network's to complete.
		v := e.valu(t, e.A, "valu-ext", 60000, "01012345678")
		must(t, e.call(t, e.A, "/_sandbox/orders/pay", map[string]string{"orderNo": v.OrderNo}), opay.CodeOrderState)
		must(t, e.call(t, e.A, "/_sandbox/orders/pay", map[string]string{"orderNo": "261128999999999999"}), opay.CodeNotFound)
	})
}

// TestExternalMethodsLive: a live gateway has no network for them: 02002.
func TestExternalMethodsLive(t *testing.T) {
	e := newTestServer(t, withLive())
	r := must(t, e.call(t, e.A, pathPaymentCreate, externalRequest(opay.PayMethodMWallet, "live-1", 1000, nil)), opay.CodeNotConfigured)
	if r.Detail != "payMethod MWALLET has no network connector in live mode" {
		t.Errorf("detail %q", r.Detail)
	}
	// And there are no sandbox controls.
	if r := e.do(t, "POST", "/_sandbox/orders/pay", []byte(`{"orderNo":"1"}`), nil); r.HTTP != 404 {
		t.Errorf("/_sandbox/orders/pay in live mode: %d", r.HTTP)
	}
}

// TestExternalPayRacesClose: 50 sandbox payments against 50 merchant closes of one order:
// exactly one wins, every answer agrees with the final state, one callback.
func TestExternalPayRacesClose(t *testing.T) {
	e := newTestServer(t)
	d := data[opay.PaymentCreateData](t, must(t, e.call(t, e.A, pathPaymentCreate,
		externalRequest(opay.PayMethodMWallet, "race-ext", 1000, nil)), opay.CodeSuccess))
	e.payRacesClose(t, d.OrderNo, "EG", map[string]string{"orderNo": d.OrderNo})
}

// payRacesClose sends 50 /_sandbox/orders/pay with pay against 50 payment/close of the order,
// all at once, and checks that exactly one side won, that every answer agrees with the final
// state, and that there is one callback.
func (e *env) payRacesClose(t *testing.T, orderNo, country string, pay any) {
	t.Helper()
	const n = 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	answers := map[string]int{}
	start := make(chan struct{})
	for i := range 2 * n {
		wg.Go(func() {
			<-start
			path, body := "/_sandbox/orders/pay", pay
			if i%2 == 1 {
				path, body = pathClose, map[string]string{"orderNo": orderNo, "country": country}
			}
			r := e.call(t, e.A, path, body)
			mu.Lock()
			answers[fmt.Sprintf("%s %s", path, r.Code)]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	final := e.statusIn(t, orderNo, country)
	paid, closed := answers["/_sandbox/orders/pay 00000"], answers[pathClose+" 00000"]
	switch final.Status {
	case "SUCCESS":
		if paid != 1 || closed != 0 {
			t.Errorf("SUCCESS, answers %v", answers)
		}
	case "CLOSE":
		// Every close of a CLOSE order answers 00000; no payment may.
		if paid != 0 || closed != n {
			t.Errorf("CLOSE, answers %v", answers)
		}
	default:
		t.Fatalf("final %s, answers %v", final.Status, answers)
	}
	if got := e.callbackStatuses(t, orderNo); len(got) != 1 || got[0] != final.Status {
		t.Errorf("callbacks %v, final %s", got, final.Status)
	}
}

// TestSandboxMessages: what the sandbox "sent" an order's customer — the wallet's
// request-to-pay, OTPs — newest first.
func TestSandboxMessages(t *testing.T) {
	e := newTestServer(t)
	d := data[opay.PaymentCreateData](t, must(t, e.call(t, e.A, pathPaymentCreate,
		externalRequest(opay.PayMethodMWallet, "msg-1", 2500, nil)), opay.CodeSuccess))
	type message struct{ Channel, To, Text, At string }
	get := func(query string) []message {
		t.Helper()
		return data[[]message](t, must(t, e.do(t, "GET", "/_sandbox/messages?"+query, nil, nil), opay.CodeSuccess))
	}
	got := get("orderNo=" + d.OrderNo)
	if len(got) != 1 || got[0].Channel != "WALLET" || got[0].To != "01012345678" ||
		got[0].Text != "Request to pay EGP 25.00 for Tea" || got[0].At == "" {
		t.Fatalf("messages %+v", got)
	}
	// A ValU payment's OTP is an SMS to the account, listed before the older message.
	v := e.valu(t, e.A, "msg-valu", 60000, "01012345678")
	must(t, e.call(t, e.A, pathMonth, map[string]any{"orderNo": v.OrderNo, "months": 6}), opay.CodeSuccess)
	must(t, e.call(t, e.A, pathResendOTP, map[string]any{"orderNo": v.OrderNo}), opay.CodeSuccess)
	otp := e.sandboxOTP(t, v.OrderNo)
	got = get("merchantId=" + e.A.ID + "&reference=msg-valu")
	if len(got) != 2 || got[0].Channel != "SMS" || got[0].To != "01012345678" || got[0].Text != "Your OPay verification code is "+otp {
		t.Fatalf("messages %+v", got)
	}
	must(t, e.do(t, "GET", "/_sandbox/messages?orderNo=261128999999999999", nil, nil), opay.CodeNotFound)
	must(t, e.do(t, "GET", "/_sandbox/messages", nil, nil), opay.CodeInvalidParams)
}
