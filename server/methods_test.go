package server_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

const (
	pathPIN             = "/api/v1/payment/action/input-pin"
	pathBankInstallment = "/api/v1/international/payment/getBankInstallment"
)

// ngRequest is a payment/create in Nigeria of method, with change applied.
func ngRequest(method, ref string, amount int64, change func(*opay.PaymentCreateRequest)) opay.PaymentCreateRequest {
	req := opay.PaymentCreateRequest{Reference: ref, Country: "NG", PayMethod: method,
		Amount: opay.Amount{Total: amount, Currency: "NGN"}, Product: opay.Product{Name: "Rice"},
		CallbackURL: "https://merchant.example/cb", CustomerName: "Ada Obi", UserPhone: "+2348031234567"}
	switch method {
	case opay.PayMethodReferenceCode:
		req.MerchantName = "Ada's Shop"
	case opay.PayMethodBankAccount:
		req.BankAccountNumber, req.BankCode, req.BVN = "0123456789", "058", "12345678901"
		req.DobDay, req.DobMonth, req.DobYear = 14, 2, 1990
	}
	if change != nil {
		change(&req)
	}
	return req
}

// instruments lists an order's callbacks as status/instrumentType.
func (e *env) instruments(t *testing.T, orderNo string) []string {
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

func (e *env) create(t *testing.T, req opay.PaymentCreateRequest, shape string) opay.PaymentCreateData {
	t.Helper()
	r := must(t, e.call(t, e.A, pathPaymentCreate, req), opay.CodeSuccess)
	if shape != "" {
		checkShape(t, r, envelope("{reference:s,orderNo:s,nextAction:"+shape+",status:s,amount:"+amountShape+",vat:"+amountShape+"}"))
	}
	return data[opay.PaymentCreateData](t, r)
}

func (e *env) control(t *testing.T, route string, body any, code string) opay.CashierStatusData {
	t.Helper()
	return data[opay.CashierStatusData](t, must(t, e.call(t, e.A, "/_sandbox/orders/"+route, body), code))
}

// TestReferenceCode: a 10-digit code, paid by the kiosk that knows only the code; declined,
// expired; notify's checks.
func TestReferenceCode(t *testing.T) {
	e := newTestServer(t)
	shape := "{actionType:s,referenceCode:s,expiredTimestamp:n}"
	for _, country := range []string{"EG", "NG"} {
		t.Run(country, func(t *testing.T) {
			req := ngRequest(opay.PayMethodReferenceCode, "ref-"+country, 1000, nil)
			if country == "EG" {
				req.Country, req.Amount.Currency, req.UserPhone = "EG", "EGP", ""
			}
			d := e.create(t, req, shape)
			if n := d.NextAction; d.Status != "PENDING" || n.ActionType != "SHOW_REFERENCE_CODE" ||
				!regexp.MustCompile(`^\d{10}$`).MatchString(n.ReferenceCode) || n.ExpiredTimestamp == 0 {
				t.Fatalf("created %+v %+v", d, n)
			}
			st := e.control(t, "pay", map[string]string{"referenceCode": d.NextAction.ReferenceCode}, opay.CodeSuccess)
			if st.Status != "SUCCESS" || st.OrderNo != d.OrderNo {
				t.Errorf("paid: %+v", st)
			}
			if cbs := e.instruments(t, d.OrderNo); len(cbs) != 1 || cbs[0] != "SUCCESS/ReferenceCode" {
				t.Errorf("callbacks %v", cbs)
			}
			// The code of a final order pays nothing.
			e.control(t, "pay", map[string]string{"referenceCode": d.NextAction.ReferenceCode}, opay.CodeOrderState)
		})
	}
	t.Run("Declined", func(t *testing.T) {
		d := e.create(t, ngRequest(opay.PayMethodReferenceCode, "ref-decl", 1000, nil), shape)
		st := e.control(t, "decline", map[string]string{"referenceCode": d.NextAction.ReferenceCode, "failureCode": "05"}, opay.CodeSuccess)
		if st.Status != "FAIL" || st.FailureCode != "05" {
			t.Errorf("declined %+v", st)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		d := e.create(t, ngRequest(opay.PayMethodReferenceCode, "ref-exp", 1000, nil), shape)
		e.advance(t, `{"minutes":31}`)
		e.control(t, "pay", map[string]string{"referenceCode": d.NextAction.ReferenceCode}, opay.CodeOrderState)
		if cbs := e.instruments(t, d.OrderNo); len(cbs) != 1 || cbs[0] != "CLOSE/ReferenceCode" {
			t.Errorf("callbacks %v", cbs)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e.control(t, "pay", map[string]string{"referenceCode": "0000000000"}, opay.CodeNotFound)
	})
	for name, tc := range map[string]struct {
		change func(*opay.PaymentCreateRequest)
		detail string
	}{
		"NoMerchantName": {func(r *opay.PaymentCreateRequest) { r.MerchantName = "" }, "merchantName is required"},
		"EmailWithoutAddress": {func(r *opay.PaymentCreateRequest) { r.Notify = &opay.Notify{NotifyMethod: "EMAIL"} },
			"notify.notifyUserEmail is required"},
		"SMSWithoutMobile": {func(r *opay.PaymentCreateRequest) { r.Notify = &opay.Notify{NotifyMethod: "SMS"} },
			"notify.notifyUserMobile is required with notifyMethod SMS"},
		"BadLanguage": {func(r *opay.PaymentCreateRequest) {
			r.Notify = &opay.Notify{NotifyMethod: "SMS", NotifyUserMobile: "+2348031234567", NotifyLanguage: "French"}
		}, "notify.notifyLanguage must be English or Arabic"},
	} {
		t.Run("Err"+name, func(t *testing.T) {
			r := must(t, e.call(t, e.A, pathPaymentCreate, ngRequest(opay.PayMethodReferenceCode, "ref-"+name, 1000, tc.change)), opay.CodeInvalidParams)
			if r.Detail != tc.detail {
				t.Errorf("detail %q, want %q", r.Detail, tc.detail)
			}
		})
	}
	t.Run("NotifyBoth", func(t *testing.T) {
		e.create(t, ngRequest(opay.PayMethodReferenceCode, "ref-both", 1000, func(r *opay.PaymentCreateRequest) {
			r.Notify = &opay.Notify{NotifyMethod: "BOTH", NotifyUserEmail: "ada@example.com", NotifyUserMobile: "+2348031234567", NotifyLanguage: "English"}
		}), shape)
	})
}

// TestBankTransfer: the virtual account, paid with the exact amount by its number; another
// amount fails with 13; the refund goes to a bank account.
func TestBankTransfer(t *testing.T) {
	e := newTestServer(t, withRefunds(0))
	shape := "{actionType:s,transferAccountNumber:s,transferAccountName:s,transferBankName:s,expiredTimestamp:n}"
	d := e.create(t, ngRequest(opay.PayMethodBankTransfer, "trf-pay", 150000, nil), shape)
	n := d.NextAction
	if d.Status != "PENDING" || n.ActionType != "TRANSFER_ACCOUNT" || !regexp.MustCompile(`^\d{10}$`).MatchString(n.TransferAccountNumber) ||
		n.TransferAccountName != "OPay-"+e.A.Name || n.TransferBankName != "OPay Sandbox Bank" {
		t.Fatalf("created %+v %+v", d, n)
	}
	st := e.control(t, "pay", map[string]any{"transferAccountNumber": n.TransferAccountNumber, "amount": 150000}, opay.CodeSuccess)
	if st.Status != "SUCCESS" {
		t.Errorf("paid %+v", st)
	}
	if cbs := e.instruments(t, d.OrderNo); len(cbs) != 1 || cbs[0] != "SUCCESS/BankTransfer" {
		t.Errorf("callbacks %v", cbs)
	}

	t.Run("AmountMismatch", func(t *testing.T) {
		d := e.create(t, ngRequest(opay.PayMethodBankTransfer, "trf-13", 150000, nil), shape)
		st := e.control(t, "pay", map[string]any{"transferAccountNumber": d.NextAction.TransferAccountNumber, "amount": 140000}, opay.CodeSuccess)
		if st.Status != "FAIL" || st.FailureCode != "13" || st.FailureReason != "Invalid Amount" {
			t.Errorf("other amount: %+v", st)
		}
		if cbs := e.instruments(t, d.OrderNo); len(cbs) != 1 || cbs[0] != "FAIL/BankTransfer" {
			t.Errorf("callbacks %v", cbs)
		}
	})
	t.Run("IdentifierRule", func(t *testing.T) {
		d := e.create(t, ngRequest(opay.PayMethodBankTransfer, "trf-id", 150000, func(r *opay.PaymentCreateRequest) { r.UserPhone = "+2348030000051" }), shape)
		if st := e.control(t, "pay", map[string]string{"orderNo": d.OrderNo}, opay.CodeSuccess); st.Status != "FAIL" || st.FailureCode != "51" {
			t.Errorf("phone ending 0051: %+v", st)
		}
	})
	t.Run("ErrAmountOnOtherMethod", func(t *testing.T) {
		d := e.create(t, ngRequest(opay.PayMethodReferenceCode, "trf-ref", 1000, nil), "")
		e.control(t, "pay", map[string]any{"orderNo": d.OrderNo, "amount": 5}, opay.CodeInvalidParams)
	})
	t.Run("ErrMissingFields", func(t *testing.T) {
		r := must(t, e.call(t, e.A, pathPaymentCreate, ngRequest(opay.PayMethodBankTransfer, "trf-bad", 1000,
			func(r *opay.PaymentCreateRequest) { r.UserPhone = "" })), opay.CodeInvalidParams)
		if r.Detail != "userPhone is required for payMethod BankTransfer" {
			t.Errorf("detail %q", r.Detail)
		}
		must(t, e.call(t, e.A, pathPaymentCreate, ngRequest(opay.PayMethodBankTransfer, "trf-bad2", 1000,
			func(r *opay.PaymentCreateRequest) { r.CustomerName = "" })), opay.CodeInvalidParams)
	})
	t.Run("RefundWay", func(t *testing.T) {
		refund := func(ref, way string) result {
			return e.call(t, e.A, pathRefundCreate, map[string]any{"reference": ref, "originalOrderNo": d.OrderNo, "country": "NG",
				"amount": map[string]any{"total": 1000, "currency": "NGN"}, "refundWay": way, "bankCode": "058", "bankAccountNo": "0123456789"})
		}
		r := must(t, refund("trf-rf-1", "Original"), opay.CodeInvalidParams)
		if r.Detail != "refundWay must be BankAccount for BankTransfer" {
			t.Errorf("detail %q", r.Detail)
		}
		if r := refund("trf-rf-2", ""); r.Code != opay.CodeSuccess {
			t.Fatalf("%s %s %s", r.Code, r.Message, r.Detail)
		}
		must(t, refund("trf-rf-3", "BankAccount"), opay.CodeSuccess)
		// The table's way still needs the bank account.
		must(t, e.call(t, e.A, pathRefundCreate, map[string]any{"reference": "trf-rf-4", "originalOrderNo": d.OrderNo, "country": "NG",
			"amount": map[string]any{"total": 1000, "currency": "NGN"}}), opay.CodeInvalidParams)
	})
}

// TestBankTransferPayRacesClose: 50 pay controls by transfer account against 50 closes.
func TestBankTransferPayRacesClose(t *testing.T) {
	e := newTestServer(t)
	d := e.create(t, ngRequest(opay.PayMethodBankTransfer, "trf-race", 1000, nil), "")
	e.payRacesClose(t, d.OrderNo, "NG", map[string]any{"transferAccountNumber": d.NextAction.TransferAccountNumber, "amount": 1000})
}

// TestBankAccount: an OTP sent at creation, then input-otp decides; the identifier rule on
// the account number; the fifth wrong OTP fails the order; the BVN is not kept.
func TestBankAccount(t *testing.T) {
	e := newTestServer(t)
	d := e.create(t, ngRequest(opay.PayMethodBankAccount, "ba-ok", 1000, nil), "{actionType:s}")
	if d.Status != "PENDING" || d.NextAction.ActionType != "INPUT_OTP" {
		t.Fatalf("created %+v", d)
	}
	o, err := e.svc.Orders.FindOrderByNo(context.Background(), d.OrderNo)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range o.MethodData {
		if regexp.MustCompile(`12345678901|8901`).MatchString(v) {
			t.Errorf("method data %s keeps the BVN", k)
		}
	}
	r := must(t, e.call(t, e.A, pathOTP, map[string]string{"orderNo": d.OrderNo, "otp": e.sandboxOTP(t, d.OrderNo)}), opay.CodeSuccess)
	if st := data[opay.InputOTPData](t, r); st.Status != "SUCCESS" {
		t.Errorf("otp: %+v", st)
	}
	if cbs := e.instruments(t, d.OrderNo); len(cbs) != 1 || cbs[0] != "SUCCESS/BankAccount" {
		t.Errorf("callbacks %v", cbs)
	}

	t.Run("IdentifierRule", func(t *testing.T) {
		d := e.create(t, ngRequest(opay.PayMethodBankAccount, "ba-62", 1000, func(r *opay.PaymentCreateRequest) { r.BankAccountNumber = "0123450062" }), "")
		r := must(t, e.call(t, e.A, pathOTP, map[string]string{"orderNo": d.OrderNo, "otp": "123456"}), opay.CodeSuccess)
		if st := data[opay.InputOTPData](t, r); st.Status != "FAIL" || st.FailureCode != "62" {
			t.Errorf("account ending 0062: %+v", st)
		}
	})
	t.Run("WrongOTPs", func(t *testing.T) {
		d := e.create(t, ngRequest(opay.PayMethodBankAccount, "ba-wrong", 1000, nil), "")
		wrong := "000000"
		if e.sandboxOTP(t, d.OrderNo) == wrong {
			wrong = "000001"
		}
		for range opaygate.OTPMaxAttempts {
			must(t, e.call(t, e.A, pathOTP, map[string]string{"orderNo": d.OrderNo, "otp": wrong}), opay.CodeOTPInvalid)
		}
		if cbs := e.instruments(t, d.OrderNo); len(cbs) != 1 || cbs[0] != "FAIL/BankAccount" {
			t.Errorf("callbacks %v", cbs)
		}
	})
	for name, tc := range map[string]struct {
		change func(*opay.PaymentCreateRequest)
		detail string
	}{
		"ShortAccount": {func(r *opay.PaymentCreateRequest) { r.BankAccountNumber = "12345" }, "bankAccountNumber must be 10 digits"},
		"BankCode":     {func(r *opay.PaymentCreateRequest) { r.BankCode = "05" }, "bankCode must be 3 to 6 digits"},
		"BVN":          {func(r *opay.PaymentCreateRequest) { r.BVN = "123" }, "bvn must be 11 digits"},
		"NoDate":       {func(r *opay.PaymentCreateRequest) { r.DobDay = 0 }, "dobDay, dobMonth and dobYear are required for payMethod BankAccount"},
		"NotADate":     {func(r *opay.PaymentCreateRequest) { r.DobDay, r.DobMonth = 30, 2 }, "dobDay, dobMonth and dobYear must be a real date in the past"},
		"Future":       {func(r *opay.PaymentCreateRequest) { r.DobYear = 2999 }, "dobDay, dobMonth and dobYear must be a real date in the past"},
		"NoPhone":      {func(r *opay.PaymentCreateRequest) { r.UserPhone = "" }, "userPhone is required for payMethod BankAccount"},
	} {
		t.Run("Err"+name, func(t *testing.T) {
			r := must(t, e.call(t, e.A, pathPaymentCreate, ngRequest(opay.PayMethodBankAccount, "ba-"+name, 1000, tc.change)), opay.CodeInvalidParams)
			if r.Detail != tc.detail {
				t.Errorf("detail %q, want %q", r.Detail, tc.detail)
			}
		})
	}
	t.Run("DateAsStrings", func(t *testing.T) {
		body := `{"reference":"ba-str","country":"NG","payMethod":"BankAccount","amount":{"total":1000,"currency":"NGN"},` +
			`"product":{"name":"n"},"bankAccountNumber":"0123456789","bankCode":"058","bvn":"12345678901",` +
			`"dobDay":"05","dobMonth":"11","dobYear":"1985","customerName":"Ada","userPhone":"+2348031234567"}`
		must(t, e.call(t, e.A, pathPaymentCreate, body), opay.CodeSuccess)
	})
}

// ngCard is an NG non-3DS card payment.
func ngCard(ref, number string, amount int64) opay.PaymentCreateRequest {
	return opay.PaymentCreateRequest{Reference: ref, Country: "NG", PayMethod: opay.PayMethodBankCard,
		Amount: opay.Amount{Total: amount, Currency: "NGN"}, Product: opay.Product{Name: "Rice"},
		CallbackURL: "https://merchant.example/cb",
		BankCard:    &opay.BankCard{CardNumber: number, CVV: "123", ExpiryMonth: "12", ExpiryYear: "39"}}
}

// TestCardPIN: NG cards whose issuer asks for the PIN, the OTP or both, by BIN.
func TestCardPIN(t *testing.T) {
	e := newTestServer(t)
	pin := func(orderNo, pin, code string) opay.InputPINData {
		t.Helper()
		return data[opay.InputPINData](t, must(t, e.call(t, e.A, pathPIN, map[string]string{"orderNo": orderNo, "pin": pin}), code))
	}
	t.Run("PINThenOTP", func(t *testing.T) {
		d := e.create(t, ngCard("pin-otp", "5060990000000016", 1000), "{actionType:s}")
		if d.NextAction.ActionType != "INPUT_PIN" {
			t.Fatalf("created %+v", d.NextAction)
		}
		// The OTP is not the awaited step yet.
		must(t, e.call(t, e.A, pathOTP, map[string]string{"orderNo": d.OrderNo, "otp": "123456"}), opay.CodeOrderState)
		p := pin(d.OrderNo, "1234", opay.CodeSuccess)
		if p.Status != "PENDING" || p.NextAction == nil || p.NextAction.ActionType != "INPUT_OTP" {
			t.Fatalf("after pin %+v", p)
		}
		r := must(t, e.call(t, e.A, pathOTP, map[string]string{"orderNo": d.OrderNo, "otp": e.sandboxOTP(t, d.OrderNo)}), opay.CodeSuccess)
		if st := data[opay.InputOTPData](t, r); st.Status != "SUCCESS" {
			t.Errorf("otp %+v", st)
		}
		if cbs := e.instruments(t, d.OrderNo); len(cbs) != 1 || cbs[0] != "SUCCESS/BankCard" {
			t.Errorf("callbacks %v", cbs)
		}
	})
	t.Run("PINOnly", func(t *testing.T) {
		d := e.create(t, ngCard("pin-only", "5061000000010103", 1000), "{actionType:s}")
		if p := pin(d.OrderNo, "1234", opay.CodeSuccess); p.Status != "SUCCESS" || p.NextAction != nil {
			t.Errorf("after pin %+v", p)
		}
	})
	t.Run("OTPOnly", func(t *testing.T) {
		d := e.create(t, ngCard("otp-only", "5399830000000016", 1000), "{actionType:s}")
		if d.NextAction.ActionType != "INPUT_OTP" {
			t.Fatalf("created %+v", d.NextAction)
		}
		pin(d.OrderNo, "1234", opay.CodeOrderState)
		r := must(t, e.call(t, e.A, pathOTP, map[string]string{"orderNo": d.OrderNo, "otp": "123456"}), opay.CodeSuccess)
		if st := data[opay.InputOTPData](t, r); st.Status != "SUCCESS" {
			t.Errorf("otp %+v", st)
		}
	})
	t.Run("DeclineRule", func(t *testing.T) {
		d := e.create(t, ngCard("pin-57", "5060990000000057", 1000), "")
		pin(d.OrderNo, "1234", opay.CodeSuccess)
		r := must(t, e.call(t, e.A, pathOTP, map[string]string{"orderNo": d.OrderNo, "otp": "123456"}), opay.CodeSuccess)
		if st := data[opay.InputOTPData](t, r); st.Status != "FAIL" || st.FailureCode != "57" {
			t.Errorf("otp %+v", st)
		}
	})
	t.Run("WrongPINs", func(t *testing.T) {
		d := e.create(t, ngCard("pin-wrong", "5061000000010103", 1000), "")
		for i, left := range []int{2, 1, 0} {
			// Six digits: a four-digit PIN turns up by chance in the log's timestamps and ids.
			r := must(t, e.call(t, e.A, pathPIN, map[string]string{"reference": "pin-wrong", "pin": "482913"}), opay.CodeOTPInvalid)
			if want := fmt.Sprintf("invalid pin, %d attempts left", left); r.Message != want {
				t.Errorf("attempt %d: message %q, want %q", i+1, r.Message, want)
			}
		}
		st := data[opay.CashierStatusData](t, must(t, e.call(t, e.A, pathStatus, map[string]string{"orderNo": d.OrderNo, "country": "NG"}), opay.CodeSuccess))
		if st.Status != "FAIL" || st.FailureCode != "55" || st.FailureReason != "Incorrect PIN" {
			t.Errorf("after three wrong pins %+v", st)
		}
		pin(d.OrderNo, "1234", opay.CodeOrderState)
		if cbs := e.instruments(t, d.OrderNo); len(cbs) != 1 || cbs[0] != "FAIL/BankCard" {
			t.Errorf("callbacks %v", cbs)
		}
		// Nothing of the PIN is logged.
		if contains(e.logs.String(), "482913") {
			t.Error("a PIN reached the log")
		}
	})
	t.Run("Expired", func(t *testing.T) {
		d := e.create(t, ngCard("pin-exp", "5061000000010103", 1000), "")
		e.advance(t, `{"minutes":31}`)
		r := must(t, e.call(t, e.A, pathPIN, map[string]string{"orderNo": d.OrderNo, "pin": "1234"}), opay.CodeOrderState)
		if r.Detail != "order expired" {
			t.Errorf("detail %q", r.Detail)
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		d := e.create(t, ngCard("pin-bad", "5061000000010103", 1000), "")
		for _, p := range []string{"", "123", "1234567", "12a4"} {
			must(t, e.call(t, e.A, pathPIN, map[string]string{"orderNo": d.OrderNo, "pin": p}), opay.CodeInvalidParams)
		}
	})
	t.Run("EGUnchanged", func(t *testing.T) {
		req := ngCard("pin-eg", "5060990000000016", 1000)
		req.Country, req.Amount.Currency = "EG", "EGP"
		if d := e.create(t, req, ""); d.Status != "SUCCESS" {
			t.Errorf("EG card with the PIN BIN: %+v", d)
		}
	})
}

// TestBankInstallment: the plan catalogue, and a payment on one plan, always through 3-D
// Secure.
func TestBankInstallment(t *testing.T) {
	e := newTestServer(t)
	r := must(t, e.call(t, e.A, pathBankInstallment, `{"country":"EG","currency":"EGP"}`), opay.CodeSuccess)
	// Member order as METHODS.md §8.5 prints it.
	if want := `"data":[{"bankCode":"CIB","bankName":"Commercial International Bank","plans":[{"months":6,"feeRate":"0",` +
		`"minAmount":{"total":50000,"currency":"EGP"},"maxAmount":{"total":50000000,"currency":"EGP"}},`; !contains(string(r.Raw), want) {
		t.Errorf("body %s", r.Raw)
	}
	banks := data[[]opay.InstallmentBank](t, r)
	if len(banks) != 3 || banks[0].BankCode != "CIB" || len(banks[1].Plans) != 3 || banks[1].Plans[0].FeeRate != "5" ||
		banks[0].Plans[0].MinAmount.Total != 50000 || banks[0].Plans[0].MaxAmount.Total != 50000000 {
		t.Errorf("catalogue %+v", banks)
	}
	r = must(t, e.call(t, e.A, pathBankInstallment, `{"country":"EG","currency":"EGP","amount":{"total":100,"currency":"EGP"}}`), opay.CodeSuccess)
	if banks := data[[]opay.InstallmentBank](t, r); len(banks) != 0 {
		t.Errorf("plans for 1.00 EGP: %+v", banks)
	}
	must(t, e.call(t, e.A, pathBankInstallment, `{"country":"NG","currency":"NGN"}`), opay.CodePayMethod)

	req := func(ref, bank string, months int64, amount int64) opay.PaymentCreateRequest {
		return opay.PaymentCreateRequest{Reference: ref, Country: "EG", PayMethod: opay.PayMethodBankInstallment,
			Amount: opay.Amount{Total: amount, Currency: "EGP"}, Product: opay.Product{Name: "TV"},
			ReturnURL: "https://merchant.example/r", CallbackURL: "https://merchant.example/cb",
			BankCard:        &opay.BankCard{CardNumber: "4111111111111111", CVV: "123", ExpiryMonth: "12", ExpiryYear: "39"},
			BankInstallment: &opay.BankInstallment{BankCode: bank, Months: opay.Int64String(months)}}
	}
	d := e.create(t, req("bi-ok", "NBE", 18, 1_000_000), "{actionType:s,redirectUrl:s}")
	if d.Status != "PENDING" || d.NextAction.ActionType != "REDIRECT_3DS" {
		t.Fatalf("created %+v", d)
	}
	o, err := e.svc.Orders.FindOrderByNo(context.Background(), d.OrderNo)
	if err != nil || o.MethodData["bankCode"] != "NBE" || o.Months != 18 {
		t.Fatalf("order %+v %v", o, err)
	}
	// The sandbox's customer confirms on the 3-D Secure page.
	if st := e.control(t, "pay", map[string]string{"orderNo": d.OrderNo}, opay.CodeSuccess); st.Status != "SUCCESS" {
		t.Errorf("paid: %+v", st)
	}
	if cbs := e.instruments(t, d.OrderNo); len(cbs) != 1 || cbs[0] != "SUCCESS/BankInstallment" {
		t.Errorf("callbacks %v", cbs)
	}
	t.Run("Cancelled", func(t *testing.T) {
		d := e.create(t, req("bi-no", "CIB", 6, 1_000_000), "")
		o, err := e.svc.Orders.Cancel3DS(context.Background(), e.A.ID, opaygate.OrderKey{OrderNo: d.OrderNo})
		if err != nil || o.Status != opaygate.StatusFail || o.FailureCode != "05" {
			t.Errorf("cancelled %+v %v", o, err)
		}
	})
	for name, tc := range map[string]opay.PaymentCreateRequest{
		"UnknownBank":    req("bi-1", "XYZ", 6, 1_000_000),
		"NoSuchMonths":   req("bi-2", "CIB", 18, 1_000_000),
		"AmountTooSmall": req("bi-3", "CIB", 6, 1_000),
	} {
		t.Run("Err"+name, func(t *testing.T) {
			r := must(t, e.call(t, e.A, pathPaymentCreate, tc), opay.CodeInvalidParams)
			if r.Detail != "bankInstallment.bankCode and months must be a plan for the amount (see getBankInstallment)" {
				t.Errorf("detail %q", r.Detail)
			}
		})
	}
	t.Run("ErrNoReturnURL", func(t *testing.T) {
		r := req("bi-4", "CIB", 6, 1_000_000)
		r.ReturnURL = ""
		must(t, e.call(t, e.A, pathPaymentCreate, r), opay.CodeInvalidParams)
	})
}

// TestNewMethodsLive: in live mode, the sandbox-only methods answer 02002; BankInstallment is
// offered; an NG card cannot take a PIN without a network that checks it.
func TestNewMethodsLive(t *testing.T) {
	e := newTestServer(t, withLive())
	for _, m := range []string{opay.PayMethodReferenceCode, opay.PayMethodBankTransfer, opay.PayMethodBankAccount} {
		must(t, e.call(t, e.A, pathPaymentCreate, ngRequest(m, "live-"+m, 1000, nil)), opay.CodeNotConfigured)
	}
	must(t, e.call(t, e.A, pathBankInstallment, `{"country":"EG","currency":"EGP"}`), opay.CodeSuccess)
}

// TestBankInstallmentMerchantCatalogue: a merchant with its own catalogue lists it, is paid on
// its plans (over the API and on the checkout) and not on the gateway's; another merchant
// keeps the gateway's.
func TestBankInstallmentMerchantCatalogue(t *testing.T) {
	e := newTestServer(t)
	ctx := context.Background()
	own := []opaygate.InstallmentBank{{Code: "HSBC", Name: "HSBC Egypt",
		Plans: []opaygate.InstallmentPlan{{Months: 24, FeeRate: "7.5", Min: 100_000, Max: 5_000_000}}}}
	if _, err := e.svc.Merchants.UpdateMerchant(ctx, e.A.ID, opaygate.MerchantUpdate{InstallmentBanks: &own}); err != nil {
		t.Fatal(err)
	}
	r := must(t, e.call(t, e.A, pathBankInstallment, `{"country":"EG","currency":"EGP"}`), opay.CodeSuccess)
	if want := `"data":[{"bankCode":"HSBC","bankName":"HSBC Egypt","plans":[{"months":24,"feeRate":"7.5",` +
		`"minAmount":{"total":100000,"currency":"EGP"},"maxAmount":{"total":5000000,"currency":"EGP"}}]}]`; !contains(string(r.Raw), want) {
		t.Errorf("body %s", r.Raw)
	}
	if banks := data[[]opay.InstallmentBank](t, must(t, e.call(t, e.B, pathBankInstallment, `{"country":"EG","currency":"EGP"}`),
		opay.CodeSuccess)); len(banks) != 3 {
		t.Errorf("merchant B has %+v, want the gateway's three banks", banks)
	}

	req := func(ref, bank string, months int64) opay.PaymentCreateRequest {
		return opay.PaymentCreateRequest{Reference: ref, Country: "EG", PayMethod: opay.PayMethodBankInstallment,
			Amount: opay.Amount{Total: 1_000_000, Currency: "EGP"}, Product: opay.Product{Name: "TV"},
			ReturnURL: "https://merchant.example/r", CallbackURL: "https://merchant.example/cb",
			BankCard:        &opay.BankCard{CardNumber: "4111111111111111", CVV: "123", ExpiryMonth: "12", ExpiryYear: "39"},
			BankInstallment: &opay.BankInstallment{BankCode: bank, Months: opay.Int64String(months)}}
	}
	if d := e.create(t, req("own-ok", "HSBC", 24), ""); d.Status != "PENDING" {
		t.Errorf("on the merchant's plan: %+v", d)
	}
	must(t, e.call(t, e.A, pathPaymentCreate, req("own-cib", "CIB", 6)), opay.CodeInvalidParams)
	must(t, e.call(t, e.B, pathPaymentCreate, req("b-cib", "CIB", 6)), opay.CodeSuccess)
	must(t, e.call(t, e.B, pathPaymentCreate, req("b-hsbc", "HSBC", 24)), opay.CodeInvalidParams)

	// The checkout lists the merchant's plans and takes them.
	c := e.customer()
	token, orderNo := e.cashierOrder(t, e.A, "own-page", 1_000_000, func(b map[string]any) { b["payMethod"] = "BankInstallment" })
	c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).
		has(t, "Plans of HSBC Egypt", `value="HSBC:24"`, "fee 7.5%").lacks(t, "CIB")
	f := form(token, "plan", "HSBC:24", "cardNumber", "4111111111111111", "expiry", "12/39", "cvv", "123")
	c.post(t, "/checkout/bankinstallment", f).redirectsTo(t, e.srv.URL+"/3ds?orderToken="+token)
	o, err := e.svc.Orders.FindOrderByNo(ctx, orderNo)
	if err != nil || o.MethodData["bankCode"] != "HSBC" || o.Months != 24 {
		t.Fatalf("order %+v %v", o, err)
	}

	// A catalogue that does not check out is refused, naming the problem.
	bad := []opaygate.InstallmentBank{{Code: "X", Name: "X", Plans: []opaygate.InstallmentPlan{{Months: 6, FeeRate: "-1", Min: 1, Max: 2}}}}
	if _, err := e.svc.Merchants.UpdateMerchant(ctx, e.A.ID, opaygate.MerchantUpdate{InstallmentBanks: &bad}); opaygate.ErrorCode(err) != opaygate.EINVALID {
		t.Errorf("bad catalogue: %v", err)
	}
}
