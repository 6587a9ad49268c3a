package server_test

import (
	"fmt"
	"testing"

	"github.com/opaygate/opaygate/opay"
)

// wrongOTP returns a well-formed OTP that is neither the real one nor the sandbox's.
func wrongOTP(real string) string {
	for _, c := range []string{"000000", "000001", "000002"} {
		if c != real && c != "123456" {
			return c
		}
	}
	panic("unreachable")
}

func otpBody(orderNo, otp string) string {
	return `{"country":"EG","otp":"` + otp + `","orderNo":"` + orderNo + `"}`
}

func TestValUFlow(t *testing.T) {
	e := newTestServer(t)
	status := func(t *testing.T, orderNo string) opay.CashierStatusData {
		t.Helper()
		r := must(t, e.call(t, e.A, pathStatus, `{"orderNo":"`+orderNo+`","country":"EG"}`), opay.CodeSuccess)
		return data[opay.CashierStatusData](t, r)
	}

	t.Run("Success", func(t *testing.T) {
		d := e.valu(t, e.A, "valu-ok", 60000, "01012345678")
		if d.Status != "PENDING" || len(d.NextAction.Plans) != 6 {
			t.Fatalf("create %+v", d)
		}
		r := must(t, e.call(t, e.A, pathMonth, `{"country":"EG","months":12,"orderNo":"`+d.OrderNo+`"}`), opay.CodeSuccess)
		if a := data[opay.ActionData](t, r); a.NextAction == nil || a.NextAction.ActionType != "INPUT_OTP" || a.Status != "PENDING" {
			t.Errorf("month %s", r.Raw)
		}
		otp := e.sandboxOTP(t, d.OrderNo)
		r = must(t, e.call(t, e.A, pathOTP, otpBody(d.OrderNo, otp)), opay.CodeSuccess)
		if o := data[opay.InputOTPData](t, r); o.Status != "SUCCESS" || o.Amount.Total != 60000 {
			t.Errorf("otp %s", r.Raw)
		}
		if st := status(t, d.OrderNo); st.Status != "SUCCESS" || st.FailureCode != "" {
			t.Errorf("status %+v", st)
		}
		r = must(t, e.call(t, e.A, pathClose, `{"orderNo":"`+d.OrderNo+`","country":"EG"}`), opay.CodeOrderState)
		if r.Message != "order status does not allow this action: paid orders must be refunded" {
			t.Errorf("message %q", r.Message)
		}
		must(t, e.call(t, e.A, pathOTP, otpBody(d.OrderNo, otp)), opay.CodeOrderState)
	})
	t.Run("MonthsNotOffered", func(t *testing.T) {
		d := e.valu(t, e.A, "valu-months", 60000, "01012345678")
		r := must(t, e.call(t, e.A, pathMonth, `{"months":5,"orderNo":"`+d.OrderNo+`"}`), opay.CodeInvalidParams)
		checkContains(t, r.Detail, "months must be one of the offered plans")
		// OTP before a plan is chosen.
		must(t, e.call(t, e.A, pathOTP, otpBody(d.OrderNo, "123456")), opay.CodeOrderState)
	})
	t.Run("WrongOTPs", func(t *testing.T) {
		orderNo := e.toOTP(t, e.A, "valu-wrong", 60000)
		wrong := wrongOTP(e.sandboxOTP(t, orderNo))
		for left := 4; left >= 0; left-- {
			r := must(t, e.call(t, e.A, pathOTP, otpBody(orderNo, wrong)), opay.CodeOTPInvalid)
			if want := fmt.Sprintf("invalid otp, %d attempts left", left); r.Message != want {
				t.Errorf("message %q, want %q", r.Message, want)
			}
		}
		st := status(t, orderNo)
		if st.Status != "FAIL" || st.FailureCode != "OTP_ATTEMPTS_EXCEEDED" || st.FailureReason == "" {
			t.Errorf("status %+v", st)
		}
		must(t, e.call(t, e.A, pathOTP, otpBody(orderNo, e.sandboxOTP(t, orderNo))), opay.CodeOrderState)
	})
	t.Run("OTPExpiryAndResend", func(t *testing.T) {
		orderNo := e.toOTP(t, e.A, "valu-expiry", 60000)
		first := e.sandboxOTP(t, orderNo)
		e.advance(t, `{"minutes":6}`)
		r := must(t, e.call(t, e.A, pathOTP, otpBody(orderNo, first)), opay.CodeOTPExpired)
		if r.Message != "otp expired, request a new one" {
			t.Errorf("message %q", r.Message)
		}
		r = must(t, e.call(t, e.A, pathResendOTP, `{"orderNo":"`+orderNo+`"}`), opay.CodeSuccess)
		if a := data[opay.ActionData](t, r); a.NextAction == nil || a.NextAction.ActionType != "INPUT_OTP" {
			t.Errorf("resend %s", r.Raw)
		}
		second := e.sandboxOTP(t, orderNo)
		if second != first {
			// The old code no longer works once a new one was sent.
			must(t, e.call(t, e.A, pathOTP, otpBody(orderNo, first)), opay.CodeOTPInvalid)
		}
		r = must(t, e.call(t, e.A, pathOTP, otpBody(orderNo, second)), opay.CodeSuccess)
		if s := data[opay.InputOTPData](t, r).Status; s != "SUCCESS" {
			t.Errorf("status %s", s)
		}
	})
	t.Run("SandboxOTP", func(t *testing.T) {
		orderNo := e.toOTP(t, e.A, "valu-sandbox", 60000)
		r := must(t, e.call(t, e.A, pathOTP, `{"otp":"123456","reference":"valu-sandbox"}`), opay.CodeSuccess)
		if d := data[opay.InputOTPData](t, r); d.Status != "SUCCESS" || d.OrderNo != orderNo {
			t.Errorf("otp %s", r.Raw)
		}
	})
	t.Run("AmountTriggers", func(t *testing.T) {
		for amount, reason := range map[int64]string{
			5: "Do not honour", 13: "Invalid Amount", 51: "Insufficient funds",
			54: "Expired card", 57: "Transaction not permitted to cardholder", 62: "Restricted card",
		} {
			orderNo := e.toOTP(t, e.A, fmt.Sprintf("valu-trigger-%d", amount), amount)
			r := must(t, e.call(t, e.A, pathOTP, otpBody(orderNo, "123456")), opay.CodeSuccess)
			d := data[opay.InputOTPData](t, r)
			if want := fmt.Sprintf("%02d", amount); d.Status != "FAIL" || d.FailureCode != want || d.FailureReason != reason {
				t.Errorf("amount %d: %s", amount, r.Raw)
			}
			checkShape(t, r, envelope("{reference:s,orderNo:s,status:s,amount:"+amountShape+",vat:"+amountShape+",failureCode:s,failureReason:s}"))
		}
	})
	t.Run("NoCredit", func(t *testing.T) {
		r := must(t, e.call(t, e.A, pathPaymentCreate, valuRequest("valu-51", 60000, "01000000051")), opay.CodeSuccess)
		d := data[opay.PaymentCreateData](t, r)
		if d.Status != "FAIL" || d.FailureCode != "51" || d.FailureReason != "Insufficient funds" || d.NextAction != nil {
			t.Errorf("create %s", r.Raw)
		}
	})
	t.Run("DuplicateReference", func(t *testing.T) {
		d := e.valu(t, e.A, "valu-dup", 60000, "01012345678")
		r := must(t, e.call(t, e.A, pathPaymentCreate, valuRequest("valu-dup", 100, "01012345678")), opay.CodeDuplicate)
		if r.Message != "the payment reference already exists." || string(r.Data) != "null" {
			t.Errorf("answer %s", r.Raw)
		}
		if got, want := r.Header.Get(opay.HeaderDetail), "reference valu-dup is already used by "+d.OrderNo+" (PENDING)"; got != want {
			t.Errorf("detail %q, want %q", got, want)
		}
		// References are per merchant.
		e.valu(t, e.B, "valu-dup", 60000, "01012345678")
	})
	t.Run("CountryMismatch", func(t *testing.T) {
		d := e.valu(t, e.A, "valu-country", 60000, "01012345678")
		must(t, e.call(t, e.A, pathStatus, `{"orderNo":"`+d.OrderNo+`","country":"NG"}`), opay.CodeNotFound)
		must(t, e.call(t, e.A, pathMonth, `{"country":"NG","months":6,"orderNo":"`+d.OrderNo+`"}`), opay.CodeNotFound)
	})
}

func TestCashierFlow(t *testing.T) {
	e := newTestServer(t)
	create := func(t *testing.T, ref, extra string) opay.CashierCreateData {
		t.Helper()
		body := `{"amount":{"currency":"EGP","total":25000},"country":"EG","product":{"name":"Shoes"},` +
			`"reference":"` + ref + `","returnUrl":"https://m.example/r"` + extra + `}`
		return data[opay.CashierCreateData](t, must(t, e.call(t, e.A, pathCashierCreate, body), opay.CodeSuccess))
	}
	status := func(t *testing.T, ref string) opay.CashierStatusData {
		t.Helper()
		return data[opay.CashierStatusData](t, must(t, e.call(t, e.A, pathStatus, `{"reference":"`+ref+`","country":"EG"}`), opay.CodeSuccess))
	}

	t.Run("CreateStatusCloseClose", func(t *testing.T) {
		d := create(t, "cash-1", "")
		if st := status(t, "cash-1"); st.Status != "INITIAL" || st.OrderNo != d.OrderNo || st.FailureCode != "" {
			t.Errorf("status %+v", st)
		}
		first := must(t, e.call(t, e.A, pathClose, `{"reference":"cash-1","country":"EG"}`), opay.CodeSuccess)
		again := must(t, e.call(t, e.A, pathClose, `{"reference":"cash-1","country":"EG"}`), opay.CodeSuccess)
		if string(first.Data) != string(again.Data) || data[opay.PaymentCloseData](t, first).OrderStatus != "CLOSE" {
			t.Errorf("close %s, again %s", first.Data, again.Data)
		}
		st := status(t, "cash-1")
		if st.Status != "CLOSE" || st.FailureCode != "ORDER_CLOSED" || st.FailureReason != "closed by merchant" {
			t.Errorf("status %+v", st)
		}
	})
	t.Run("ExpiryOnRead", func(t *testing.T) {
		create(t, "cash-exp", `,"expireAt":1`)
		if st := status(t, "cash-exp"); st.Status != "INITIAL" {
			t.Fatalf("status %+v", st)
		}
		e.advance(t, `{"seconds":61}`)
		st := status(t, "cash-exp")
		if st.Status != "CLOSE" || st.FailureCode != "ORDER_EXPIRED" || st.FailureReason != "order expired" {
			t.Errorf("status %+v", st)
		}
		r := must(t, e.call(t, e.A, pathClose, `{"reference":"cash-exp","country":"EG"}`), opay.CodeSuccess)
		if c := data[opay.PaymentCloseData](t, r); c.OrderStatus != "CLOSE" {
			t.Errorf("close %+v", c)
		}
	})
	t.Run("DefaultExpiry30Minutes", func(t *testing.T) {
		create(t, "cash-30", "")
		e.advance(t, `{"minutes":29}`)
		if st := status(t, "cash-30"); st.Status != "INITIAL" {
			t.Errorf("after 29 minutes %+v", st)
		}
		e.advance(t, `{"minutes":1}`)
		if st := status(t, "cash-30"); st.Status != "CLOSE" {
			t.Errorf("after 30 minutes %+v", st)
		}
	})
}

// TestScoping checks that another merchant's objects are "not found" on every route that names
// one, and that trying leaves them untouched.
func TestScoping(t *testing.T) {
	e := newTestServer(t)
	orderNo := e.toOTP(t, e.A, "scope-1", 60000)
	byNo := `{"orderNo":"` + orderNo + `","country":"EG"}`
	byRef := `{"reference":"scope-1","country":"EG"}`
	for _, tc := range []struct{ path, body string }{
		{pathStatus, byNo}, {pathStatus, byRef}, {pathClose, byNo}, {pathClose, byRef},
		{pathOTP, otpBody(orderNo, "123456")}, {pathResendOTP, byNo},
		{pathMonth, `{"months":6,"orderNo":"` + orderNo + `"}`},
	} {
		r := must(t, e.call(t, e.B, tc.path, tc.body), opay.CodeNotFound)
		if r.Message != "payment not found." {
			t.Errorf("%s: message %q", tc.path, r.Message)
		}
	}
	r := must(t, e.call(t, e.A, pathStatus, byNo), opay.CodeSuccess)
	if st := data[opay.CashierStatusData](t, r); st.Status != "PENDING" {
		t.Errorf("A's order after B's attempts: %+v", st)
	}

	inv := createInvoice(t, e, e.A, invoiceBody(e, nil))
	for _, p := range []string{pathInvoice, pathCancelInvoice} {
		r := must(t, e.call(t, e.B, p, `{"invoiceNo":"`+inv.InvoiceNo+`"}`), opay.CodeNotFound)
		if r.Message != "invoice not found." {
			t.Errorf("%s: message %q", p, r.Message)
		}
	}
	if d := data[opay.InvoiceData](t, must(t, e.call(t, e.A, pathInvoice, `{"invoiceNo":"`+inv.InvoiceNo+`"}`), opay.CodeSuccess)); d.Status != "Unpaid" {
		t.Errorf("A's invoice after B's attempts: %s", d.Status)
	}
}

func TestSandboxAPI(t *testing.T) {
	e := newTestServer(t)
	orderNo := e.toOTP(t, e.A, "sb-1", 60000)
	r := must(t, e.do(t, "GET", "/_sandbox/otp?merchantId="+e.A.ID+"&reference=sb-1", nil, nil), opay.CodeSuccess)
	if d := data[struct{ OrderNo, OTP string }](t, r); d.OrderNo != orderNo || len(d.OTP) != 6 {
		t.Errorf("otp %s", r.Raw)
	}
	checkShape(t, r, envelope("{orderNo:s,otp:s}"))
	must(t, e.do(t, "GET", "/_sandbox/otp?orderNo=260101999999999999", nil, nil), opay.CodeNotFound)
	must(t, e.do(t, "GET", "/_sandbox/otp", nil, nil), opay.CodeInvalidParams)

	before := data[struct{ NowMs int64 }](t, must(t, e.do(t, "GET", "/_sandbox/clock", nil, nil), opay.CodeSuccess)).NowMs
	r = must(t, e.do(t, "POST", "/_sandbox/clock/advance", []byte(`{"seconds":30,"minutes":1}`), nil), opay.CodeSuccess)
	if after := data[struct{ NowMs int64 }](t, r).NowMs; after-before < 90_000 || after-before > 100_000 {
		t.Errorf("advanced %d ms, want 90 s", after-before)
	}
	for _, bad := range []string{`{}`, `{"seconds":-5}`, `{"minutes":"soon"}`, `{"seconds":99999999999}`, `[]`} {
		must(t, e.do(t, "POST", "/_sandbox/clock/advance", []byte(bad), nil), opay.CodeInvalidParams)
	}
	must(t, e.do(t, "GET", "/_sandbox/reset", nil, nil), opay.CodeInvalidParams) // 405

	must(t, e.do(t, "POST", "/_sandbox/reset", nil, nil), opay.CodeSuccess)
	must(t, e.call(t, e.A, pathStatus, `{"reference":"sb-1","country":"EG"}`), opay.CodeNotFound)
	if _, ok := e.net.LastOTP(orderNo); ok {
		t.Error("reset kept the OTP")
	}
}

func checkContains(t testing.TB, s, sub string) {
	t.Helper()
	if !contains(s, sub) {
		t.Errorf("%q does not contain %q", s, sub)
	}
}
