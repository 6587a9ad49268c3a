package server_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/simulator"
)

// sandboxOrder is the answer of the customer controls.
type sandboxOrder struct {
	opay.CashierStatusData
	PayMethod  string
	NextAction *opay.NextAction
}

func (e *env) act(t *testing.T, route string, body any, code string) (sandboxOrder, result) {
	t.Helper()
	r := must(t, e.call(t, e.A, "/_sandbox/orders/"+route, body), code)
	return data[sandboxOrder](t, r), r
}

// cashierIn creates a checkout order in country whose customer has not chosen yet.
func (e *env) cashierIn(t *testing.T, country, ref string, amount int64) string {
	t.Helper()
	_, orderNo := e.cashierOrder(t, e.A, ref, amount, func(b map[string]any) {
		if country == "NG" {
			b["country"], b["amount"] = "NG", map[string]any{"total": amount, "currency": "NGN"}
		}
	})
	return orderNo
}

// TestSandboxCustomerCheckout: every method of the hosted checkout is paid, and failed with a
// code of OPay's table, with one JSON request each: the customer chooses the method and the
// sandbox plays every step that follows, with one callback naming the method.
func TestSandboxCustomerCheckout(t *testing.T) {
	e := newTestServer(t)
	for _, tc := range []struct {
		name, country, method string
		amount                int64
		customer              map[string]any
	}{
		{"BankCard", "EG", "BankCard", 1000, nil},
		{"VALU", "EG", "VALU", 60000, nil},
		{"VALUSixMonths", "EG", "VALU", 60000, map[string]any{"months": 6}},
		{"BankInstallment", "EG", "BankInstallment", 100000, nil},
		{"MWALLET", "EG", "MWALLET", 1000, nil},
		{"VodafoneCash", "EG", "VodafoneCash", 1000, nil},
		{"Shahry", "EG", "Shahry", 1000, nil},
		{"ReferenceCodeEG", "EG", "ReferenceCode", 1000, nil},
		{"BankCardNG", "NG", "BankCard", 1000, nil},
		{"BankCardNGPinOTP", "NG", "BankCard", 1000, map[string]any{"cardNumber": "5060 9900 0001 0106"}},
		{"OpayWalletNg", "NG", "OpayWalletNg", 1000, nil},
		{"BankTransfer", "NG", "BankTransfer", 1000, nil},
		{"BankUssd", "NG", "BankUssd", 1000, nil},
		{"ReferenceCodeNG", "NG", "ReferenceCode", 1000, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, fail := range []string{"", "51"} {
				orderNo := e.cashierIn(t, tc.country, fmt.Sprintf("cust-%s-%s", tc.name, fail), tc.amount)
				body := map[string]any{"orderNo": orderNo, "payMethod": tc.method, "failureCode": fail}
				for k, v := range tc.customer {
					body[k] = v
				}
				st, _ := e.act(t, "pay", body, opay.CodeSuccess)
				want, wantCB := "SUCCESS", "SUCCESS/"+tc.method
				if fail != "" {
					want, wantCB = "FAIL", "FAIL/"+tc.method
				}
				if st.Status != want || st.FailureCode != fail || st.PayMethod != tc.method || st.NextAction != nil {
					t.Errorf("failureCode %q: %+v", fail, st)
				}
				if fail == "51" && st.FailureReason != "Insufficient funds" {
					t.Errorf("reason %q", st.FailureReason)
				}
				if cbs := e.instruments(t, orderNo); len(cbs) != 1 || cbs[0] != wantCB {
					t.Errorf("failureCode %q: callbacks %v", fail, cbs)
				}
			}
		})
	}
	// What the customer typed decides as on the page: the test card of 57.
	orderNo := e.cashierIn(t, "EG", "cust-card57", 1000)
	if st, _ := e.act(t, "pay", map[string]any{"orderNo": orderNo, "payMethod": "BankCard", "cardNumber": "4000000000200057"}, opay.CodeSuccess); st.Status != "FAIL" || st.FailureCode != "57" {
		t.Errorf("card 57: %+v", st)
	}
	// The same network answers the API afterwards: a decline armed for one request is gone.
	orderNo = e.cashierIn(t, "EG", "cust-after", 1000)
	if st, _ := e.act(t, "pay", map[string]any{"orderNo": orderNo, "payMethod": "BankCard"}, opay.CodeSuccess); st.Status != "SUCCESS" {
		t.Errorf("after a decline: %+v", st)
	}
	if strings.Contains(e.logs.String(), "4111111111111111") || strings.Contains(e.logs.String(), "4000000000200057") {
		t.Error("a card number is in the log")
	}
}

// TestSandboxCustomerSteps: one step at a time, for orders of either channel; each refuses an
// order waiting for something else with 02010.
func TestSandboxCustomerSteps(t *testing.T) {
	e := newTestServer(t)
	t.Run("ValUOverTheAPI", func(t *testing.T) {
		d := e.valu(t, e.A, "steps-valu", 60000, "01012345678")
		// The plan and the OTP are the merchant's calls: pay does not make them, and says
		// which routes stand in for them.
		_, r := e.act(t, "pay", map[string]any{"orderNo": d.OrderNo}, opay.CodeOrderState)
		if !strings.Contains(r.Detail, "INPUT_INSTALLMENT_MONTH") || !strings.Contains(r.Detail, "/_sandbox/orders/plan") {
			t.Errorf("detail %q", r.Detail)
		}
		e.act(t, "otp", map[string]any{"orderNo": d.OrderNo}, opay.CodeOrderState)
		e.act(t, "plan", map[string]any{"orderNo": d.OrderNo, "months": 99}, opay.CodeInvalidParams)
		st, _ := e.act(t, "plan", map[string]any{"orderNo": d.OrderNo, "months": 6}, opay.CodeSuccess)
		if st.Status != "PENDING" || st.NextAction == nil || st.NextAction.ActionType != "INPUT_OTP" {
			t.Fatalf("plan: %+v", st)
		}
		e.act(t, "otp", map[string]any{"orderNo": d.OrderNo, "otp": "000000"}, opay.CodeOTPInvalid)
		if st, _ = e.act(t, "otp", map[string]any{"orderNo": d.OrderNo, "failureCode": "62"}, opay.CodeSuccess); st.Status != "FAIL" || st.FailureCode != "62" {
			t.Errorf("otp with failureCode 62: %+v", st)
		}
	})
	t.Run("CardPINOverTheAPI", func(t *testing.T) {
		d := e.create(t, ngRequest(opay.PayMethodBankCard, "steps-pin", 1000, func(r *opay.PaymentCreateRequest) {
			r.BankCard = &opay.BankCard{CardNumber: "5060990000010106", CardHolderName: "Ada Obi", CVV: "123",
				ExpiryMonth: "12", ExpiryYear: fmt.Sprint(e.clock.Now().Year()%100 + 3)}
		}), "")
		if d.NextAction == nil || d.NextAction.ActionType != "INPUT_PIN" {
			t.Fatalf("created %+v", d)
		}
		e.act(t, "pin", map[string]any{"orderNo": d.OrderNo, "pin": "12a4"}, opay.CodeInvalidParams)
		e.act(t, "pin", map[string]any{"orderNo": d.OrderNo, "pin": "9999"}, opay.CodeOTPInvalid)
		if st, _ := e.act(t, "pin", map[string]any{"orderNo": d.OrderNo}, opay.CodeSuccess); st.NextAction == nil || st.NextAction.ActionType != "INPUT_OTP" {
			t.Fatalf("pin: %+v", st)
		}
		if st, _ := e.act(t, "otp", map[string]any{"orderNo": d.OrderNo}, opay.CodeSuccess); st.Status != "SUCCESS" {
			t.Errorf("otp: %+v", st)
		}
	})
	t.Run("BankAccountOTP", func(t *testing.T) {
		d := e.create(t, ngRequest(opay.PayMethodBankAccount, "steps-acct", 1000, nil), "")
		if st, _ := e.act(t, "otp", map[string]any{"orderNo": d.OrderNo, "otp": e.sandboxOTP(t, d.OrderNo)}, opay.CodeSuccess); st.Status != "SUCCESS" {
			t.Errorf("otp: %+v", st)
		}
	})
	t.Run("ThreeDS", func(t *testing.T) {
		// 3-D Secure is the customer's own page: pay confirms it, 3ds too, cancel is its
		// cancel button.
		for route, want := range map[string]string{"pay": "SUCCESS", "3ds": "SUCCESS", "cancel": "FAIL"} {
			d := e.cardPayment(t, cardRequest("steps-3ds-"+route, 60000, apiPAN, true, nil))
			st, _ := e.act(t, route, map[string]any{"orderNo": d.OrderNo}, opay.CodeSuccess)
			if st.Status != want || (route == "cancel" && st.FailureCode != "05") {
				t.Errorf("%s: %+v", route, st)
			}
		}
		d := e.cardPayment(t, cardRequest("steps-3ds-fail", 60000, apiPAN, true, nil))
		if st, _ := e.act(t, "3ds", map[string]any{"orderNo": d.OrderNo, "failureCode": "54"}, opay.CodeSuccess); st.Status != "FAIL" || st.FailureCode != "54" || st.FailureReason != "Expired card" {
			t.Errorf("3ds with failureCode 54: %+v", st)
		}
	})
	t.Run("StartThenPayTheCode", func(t *testing.T) {
		orderNo := e.cashierIn(t, "NG", "steps-start", 1500)
		st, _ := e.act(t, "start", map[string]any{"orderNo": orderNo, "payMethod": "BankTransfer"}, opay.CodeSuccess)
		if st.Status != "PENDING" || st.NextAction == nil || st.NextAction.ActionType != "TRANSFER_ACCOUNT" {
			t.Fatalf("start: %+v", st)
		}
		e.act(t, "start", map[string]any{"orderNo": orderNo, "payMethod": "BankTransfer"}, opay.CodeOrderState)
		// The bank knows the account, not the order.
		st, _ = e.act(t, "pay", map[string]any{"transferAccountNumber": st.NextAction.TransferAccountNumber, "amount": 1000}, opay.CodeSuccess)
		if st.Status != "FAIL" || st.FailureCode != "13" {
			t.Errorf("a transfer of another amount: %+v", st)
		}
	})
	t.Run("CancelAndAbandon", func(t *testing.T) {
		orderNo := e.cashierIn(t, "EG", "steps-cancel", 1000)
		if st, _ := e.act(t, "cancel", map[string]any{"orderNo": orderNo}, opay.CodeSuccess); st.Status != "CLOSE" || st.FailureCode != "ORDER_CANCELLED" {
			t.Errorf("cancel: %+v", st)
		}
		e.act(t, "cancel", map[string]any{"orderNo": orderNo}, opay.CodeOrderState)
		orderNo = e.cashierIn(t, "EG", "steps-abandon", 1000)
		before := e.clock.Now()
		if st, _ := e.act(t, "abandon", map[string]any{"orderNo": orderNo}, opay.CodeSuccess); st.Status != "CLOSE" || st.FailureCode != "ORDER_EXPIRED" {
			t.Errorf("abandon: %+v", st)
		}
		if moved := e.clock.Now().Sub(before); moved.Minutes() < 29 {
			t.Errorf("the clock moved %v", moved)
		}
		if cbs := e.callbackStatuses(t, orderNo); len(cbs) != 1 || cbs[0] != "CLOSE" {
			t.Errorf("callbacks %v", cbs)
		}
		e.act(t, "pay", map[string]any{"orderNo": orderNo, "payMethod": "BankCard"}, opay.CodeOrderState)
	})
	t.Run("Refused", func(t *testing.T) {
		orderNo := e.cashierIn(t, "EG", "steps-refused", 1000)
		for name, tc := range map[string]struct {
			route  string
			body   map[string]any
			code   string
			detail string
		}{
			"NoMethod":      {"pay", map[string]any{"orderNo": orderNo}, opay.CodeInvalidParams, "payMethod is required: the order's customer has not chosen a method yet"},
			"NotInEgypt":    {"pay", map[string]any{"orderNo": orderNo, "payMethod": "BankUssd"}, opay.CodePayMethod, "payMethod BankUssd is not offered on the EG checkout"},
			"APIOnly":       {"pay", map[string]any{"orderNo": orderNo, "payMethod": "CardDebit"}, opay.CodePayMethod, ""},
			"BadWallet":     {"pay", map[string]any{"orderNo": orderNo, "payMethod": "MWALLET", "walletAccount": "0101"}, opay.CodeInvalidParams, "MWALLET: Enter the mobile number of your wallet: 01 and 9 more digits."},
			"BadCode":       {"pay", map[string]any{"orderNo": orderNo, "payMethod": "MWALLET", "failureCode": "99"}, opay.CodeInvalidParams, "failureCode must be one of 05, 13, 51, 54, 57, 62"},
			"AmountNotOurs": {"pay", map[string]any{"orderNo": orderNo, "payMethod": "MWALLET", "amount": 5}, opay.CodeInvalidParams, "amount applies to BankTransfer orders only"},
			"NoOrder":       {"pay", map[string]any{"orderNo": "261128999999999999"}, opay.CodeNotFound, ""},
			"NoFinder":      {"otp", map[string]any{"otp": "123456"}, opay.CodeInvalidParams, ""},
			"NotAtPlan":     {"plan", map[string]any{"orderNo": orderNo}, opay.CodeOrderState, "order is not waiting for INPUT_INSTALLMENT_MONTH (it is INITIAL)"},
		} {
			t.Run(name, func(t *testing.T) {
				_, r := e.act(t, tc.route, tc.body, tc.code)
				if tc.detail != "" && r.Detail != tc.detail {
					t.Errorf("detail %q, want %q", r.Detail, tc.detail)
				}
			})
		}
		// Nothing refused moved the order.
		if st := e.orderStatus(t, e.A, orderNo); st.Status != "INITIAL" {
			t.Errorf("status %+v", st)
		}
	})
}

// TestSandboxCustomerConstants: the server's sandbox PIN and master OTP are the simulator's.
func TestSandboxCustomerConstants(t *testing.T) {
	if simulator.PIN != "1234" || simulator.MasterOTP != "123456" {
		t.Errorf("the simulator's PIN %q and OTP %q are not server/sandbox_customer.go's", simulator.PIN, simulator.MasterOTP)
	}
}

// TestSandboxPayRacesClose: 10 customers paying one checkout order with ValU — start, plan,
// OTP, each step its own transaction — against 10 merchant closes, the closes a little later
// each round so that they land before, between and after the steps: exactly one side wins,
// every answer agrees with the final state, and there is one callback.
func TestSandboxPayRacesClose(t *testing.T) {
	e := newTestServer(t)
	const n, rounds = 10, 8
	outcomes := map[string]int{}
	for round := range rounds {
		orderNo := e.cashierIn(t, "EG", fmt.Sprintf("race-cust-%d", round), 60000)
		var wg sync.WaitGroup
		var mu sync.Mutex
		answers := map[string]int{}
		start := make(chan struct{})
		for i := range 2 * n {
			wg.Go(func() {
				<-start
				path, body := "/_sandbox/orders/pay", map[string]string{"orderNo": orderNo, "payMethod": "VALU"}
				if i%2 == 1 {
					path, body = pathClose, map[string]string{"orderNo": orderNo, "country": "EG"}
					time.Sleep(time.Duration(round) * 5 * time.Millisecond)
				}
				b := bodyBytes(t, body)
				r, err := e.send("POST", path, b, sign(e.A, b))
				code := "transport error"
				if err == nil {
					code = r.Code
				}
				mu.Lock()
				answers[path+" "+code]++
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		final := e.orderStatus(t, e.A, orderNo)
		outcomes[final.Status]++
		paid, closed := answers["/_sandbox/orders/pay 00000"], answers[pathClose+" 00000"]
		switch final.Status {
		case "SUCCESS":
			if paid != 1 || closed != 0 {
				t.Errorf("round %d: SUCCESS, answers %v", round, answers)
			}
		case "CLOSE":
			if paid != 0 || closed != n {
				t.Errorf("round %d: CLOSE, answers %v", round, answers)
			}
		default:
			t.Fatalf("round %d: final %s, answers %v", round, final.Status, answers)
		}
		for k := range answers {
			if !strings.HasSuffix(k, " 00000") && !strings.HasSuffix(k, " 02010") {
				t.Errorf("round %d: answer %q", round, k)
			}
		}
		if got := e.callbackStatuses(t, orderNo); len(got) != 1 || got[0] != final.Status {
			t.Errorf("round %d: callbacks %v, final %s", round, got, final.Status)
		}
	}
	t.Logf("outcomes %v", outcomes)
}
