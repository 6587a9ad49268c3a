package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/opay"
)

// debitRequest is a CardDebit payment/create as a client's JSON, with change applied: the
// card of cardRequest without enable3DS (CardDebit always asks for 3-D Secure) and an
// agreement that ends in a year, by the sandbox clock.
func (e *env) debitRequest(ref string, amount int64, agreementID string, change func(map[string]any)) map[string]any {
	body := cardRequest(ref, amount, apiPAN, false, nil)
	body["payMethod"] = "CardDebit"
	delete(body["bankcard"].(map[string]any), "enable3DS")
	body["bankDebit"] = map[string]any{"agreementDuration": e.clock.Now().AddDate(1, 0, 0).Format("2006-01-02"),
		"agreementId": agreementID, "storeCard": false}
	if change != nil {
		change(body)
	}
	return body
}

// bankDebit is a request's bankDebit object, to change.
func bankDebit(b map[string]any) map[string]any { return b["bankDebit"].(map[string]any) }

// threeDSToken is the order token of a REDIRECT_3DS redirectUrl.
func (e *env) threeDSToken(t *testing.T, d opay.PaymentCreateData) string {
	t.Helper()
	if d.NextAction == nil || !strings.HasPrefix(d.NextAction.RedirectURL, e.srv.URL+"/3ds?orderToken=") {
		t.Fatalf("no 3-D Secure redirect: %+v", d)
	}
	return strings.TrimPrefix(d.NextAction.RedirectURL, e.srv.URL+"/3ds?orderToken=")
}

// TestCardDebit: a payment that opens a debit agreement waits at the 3-D Secure page, then the
// acquirer decides, and one callback names CardDebit; the agreement's id is the merchant's
// once.
func TestCardDebit(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	ctx := context.Background()

	r := must(t, e.call(t, e.A, pathPaymentCreate, e.debitRequest("cd-ok", 60000, "gym-ada-1", func(b map[string]any) {
		bankDebit(b)["storeCard"] = true
		b["userInfo"] = map[string]any{"userId": "ada-1", "userName": "Ada Obi"}
	})), opay.CodeSuccess)
	checkShape(t, r, envelope("{reference:s,orderNo:s,nextAction:{actionType:s,redirectUrl:s},status:s,amount:"+amountShape+",vat:"+amountShape+"}"))
	d := data[opay.PaymentCreateData](t, r)
	if d.Status != "PENDING" || d.NextAction.ActionType != "REDIRECT_3DS" || d.Reference != "cd-ok" || d.Amount.Total != 60000 {
		t.Fatalf("payment/create %+v %+v", d, d.NextAction)
	}
	o, err := e.svc.Orders.FindOrderByNo(ctx, d.OrderNo)
	if err != nil || o.PayMethod != "CardDebit" || o.Channel != "API" || o.CardBIN != "411111" || o.CardLast4 != "0814" ||
		o.MethodData["agreementId"] != "gym-ada-1" || o.MethodData["agreementDuration"] != e.clock.Now().AddDate(1, 0, 0).Format("2006-01-02") ||
		o.MethodData["storeCard"] != "true" {
		t.Fatalf("order %+v %v", o, err)
	}
	if a, err := e.svc.Orders.FindAgreement(ctx, e.A.ID, "gym-ada-1"); err != nil || a.OrderNo != d.OrderNo || !a.StoreCard || a.CardLast4 != "0814" {
		t.Fatalf("agreement %+v %v", a, err)
	}
	if st := e.control(t, "otp", map[string]string{"orderNo": d.OrderNo}, opay.CodeOrderState); st.Status != "" {
		t.Errorf("an order on 3-D Secure takes no OTP: %+v", st)
	}
	c.get(t, d.NextAction.RedirectURL).html(t, http.StatusOK).has(t, "Confirm your payment", "EGP 600.00", "•••• 0814")
	c.post(t, "/3ds/confirm", form(e.threeDSToken(t, d))).redirectsTo(t, "https://merchant.example/return?ref=cd-ok")
	if st := e.orderStatus(t, e.A, d.OrderNo); st.Status != "SUCCESS" {
		t.Errorf("status %+v", st)
	}
	if cbs := e.instruments(t, d.OrderNo); len(cbs) != 1 || cbs[0] != "SUCCESS/CardDebit" {
		t.Errorf("callbacks %v", cbs)
	}

	t.Run("ErrDuplicateAgreement", func(t *testing.T) {
		r := must(t, e.call(t, e.A, pathPaymentCreate, e.debitRequest("cd-again", 60000, "gym-ada-1", nil)), opay.CodeDuplicate)
		if string(r.Data) != "null" || r.Message != opay.MessageDuplicate ||
			r.Detail != "bankDebit.agreementId gym-ada-1 is already used by order "+d.OrderNo {
			t.Errorf("duplicate agreement: %s, detail %q", r.Raw, r.Detail)
		}
		// The refused payment left nothing: its reference is free.
		must(t, e.call(t, e.A, pathStatus, map[string]string{"reference": "cd-again", "country": "EG"}), opay.CodeNotFound)
		// Another merchant's ids are its own.
		must(t, e.call(t, e.B, pathPaymentCreate, e.debitRequest("cd-again", 60000, "gym-ada-1", nil)), opay.CodeSuccess)
	})
	t.Run("AmountTrigger", func(t *testing.T) {
		d := data[opay.PaymentCreateData](t, must(t, e.call(t, e.A, pathPaymentCreate, e.debitRequest("cd-51", 51, "gym-51", nil)), opay.CodeSuccess))
		c.post(t, "/3ds/confirm", form(e.threeDSToken(t, d))).redirectsTo(t, "https://merchant.example/return?ref=cd-51")
		if st := e.orderStatus(t, e.A, d.OrderNo); st.Status != "FAIL" || st.FailureCode != "51" {
			t.Errorf("status %+v", st)
		}
		if cbs := e.instruments(t, d.OrderNo); len(cbs) != 1 || cbs[0] != "FAIL/CardDebit" {
			t.Errorf("callbacks %v", cbs)
		}
	})
	t.Run("ThreeDSCancelled", func(t *testing.T) {
		d := data[opay.PaymentCreateData](t, must(t, e.call(t, e.A, pathPaymentCreate, e.debitRequest("cd-no", 60000, "gym-no", nil)), opay.CodeSuccess))
		c.post(t, "/3ds/cancel", form(e.threeDSToken(t, d))).redirectsTo(t, "https://merchant.example/return?ref=cd-no")
		if st := e.orderStatus(t, e.A, d.OrderNo); st.Status != "FAIL" || st.FailureCode != "05" {
			t.Errorf("status %+v", st)
		}
		if cbs := e.instruments(t, d.OrderNo); len(cbs) != 1 || cbs[0] != "FAIL/CardDebit" {
			t.Errorf("callbacks %v", cbs)
		}
		// A failed order's agreementId stays used.
		must(t, e.call(t, e.A, pathPaymentCreate, e.debitRequest("cd-no-2", 60000, "gym-no", nil)), opay.CodeDuplicate)
	})
	t.Run("ExpiredCard", func(t *testing.T) {
		r := must(t, e.call(t, e.A, pathPaymentCreate, e.debitRequest("cd-exp", 60000, "gym-exp", func(b map[string]any) {
			b["bankcard"].(map[string]any)["expiryYear"] = e.clock.Now().AddDate(-1, 0, 0).Format("06")
		})), opay.CodeSuccess)
		checkShape(t, r, envelope("{reference:s,orderNo:s,status:s,amount:"+amountShape+",vat:"+amountShape+",failureCode:s,failureReason:s}"))
		if d := data[opay.PaymentCreateData](t, r); d.Status != "FAIL" || d.FailureCode != "54" || d.FailureReason != "Expired card" {
			t.Errorf("expired card %+v", d)
		}
		if cbs := e.instruments(t, data[opay.PaymentCreateData](t, r).OrderNo); len(cbs) != 1 || cbs[0] != "FAIL/CardDebit" {
			t.Errorf("callbacks %v", cbs)
		}
		// Recorded with its order all the same: the id is used.
		must(t, e.call(t, e.A, pathPaymentCreate, e.debitRequest("cd-exp-2", 60000, "gym-exp", nil)), opay.CodeDuplicate)
	})
	t.Run("DurationByTheSandboxClock", func(t *testing.T) {
		tomorrow := e.clock.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
		e.clock.Advance(48 * time.Hour)
		r := must(t, e.call(t, e.A, pathPaymentCreate, e.debitRequest("cd-late", 60000, "gym-late", func(b map[string]any) {
			bankDebit(b)["agreementDuration"] = tomorrow
		})), opay.CodeInvalidParams)
		if r.Detail != "bankDebit.agreementDuration must be a date in the future" {
			t.Errorf("detail %q", r.Detail)
		}
		// Refused before anything is stored: the id is still free.
		must(t, e.call(t, e.A, pathPaymentCreate, e.debitRequest("cd-late", 60000, "gym-late", nil)), opay.CodeSuccess)
	})
}

// TestCardDebitInvalid: each refusal is 02001 with the contract's message, data null and the
// problem in X-Opaygate-Detail; none stores an order or an agreement.
func TestCardDebitInvalid(t *testing.T) {
	e := newTestServer(t)
	today := e.clock.Now().UTC().Format("2006-01-02")
	for name, tc := range map[string]struct {
		change func(map[string]any)
		detail string
	}{
		"NoCard":         {func(b map[string]any) { delete(b, "bankcard") }, "bankcard is required for payMethod CardDebit"},
		"BadCardNumber":  {func(b map[string]any) { b["bankcard"].(map[string]any)["cardNumber"] = "4111119076350815" }, "bankcard.cardNumber is not a valid card number (Luhn check)"},
		"NoCVV":          {func(b map[string]any) { delete(b["bankcard"].(map[string]any), "cvv") }, "bankcard.cvv is required"},
		"NoReturnURL":    {func(b map[string]any) { delete(b, "returnUrl") }, "returnUrl is required for payMethod CardDebit (3-D Secure)"},
		"NoBankDebit":    {func(b map[string]any) { delete(b, "bankDebit") }, "bankDebit is required for payMethod CardDebit"},
		"NoDuration":     {func(b map[string]any) { delete(bankDebit(b), "agreementDuration") }, "bankDebit.agreementDuration is required"},
		"DurationFormat": {func(b map[string]any) { bankDebit(b)["agreementDuration"] = "2030/12/31" }, "bankDebit.agreementDuration must be a date, YYYY-MM-DD"},
		"DurationNumber": {func(b map[string]any) { bankDebit(b)["agreementDuration"] = 20301231 }, "bankDebit.agreementDuration must be a string"},
		"DurationToday":  {func(b map[string]any) { bankDebit(b)["agreementDuration"] = today }, "bankDebit.agreementDuration must be a date in the future"},
		"NoID":           {func(b map[string]any) { delete(bankDebit(b), "agreementId") }, "bankDebit.agreementId is required"},
		"LongID":         {func(b map[string]any) { bankDebit(b)["agreementId"] = strings.Repeat("x", 65) }, "bankDebit.agreementId must be at most 64 characters"},
		"UnprintableID":  {func(b map[string]any) { bankDebit(b)["agreementId"] = "gym\tada" }, "bankDebit.agreementId must be printable characters"},
		"StoreCardText":  {func(b map[string]any) { bankDebit(b)["storeCard"] = "yes" }, "bankDebit.storeCard must be a boolean"},
		"StoreCardNoUser": {func(b map[string]any) { bankDebit(b)["storeCard"] = true },
			"userInfo.userId is required with bankDebit.storeCard"},
	} {
		t.Run("Err"+name, func(t *testing.T) {
			r := must(t, e.call(t, e.A, pathPaymentCreate, e.debitRequest("cd-bad", 60000, "gym-bad", tc.change)), opay.CodeInvalidParams)
			if r.Message != "request parameters not valid." || string(r.Data) != "null" || r.Detail != tc.detail {
				t.Errorf("answer %s, detail %q; want %q", r.Raw, r.Detail, tc.detail)
			}
		})
	}
	must(t, e.call(t, e.A, pathStatus, map[string]string{"reference": "cd-bad", "country": "EG"}), opay.CodeNotFound)
	if _, err := e.svc.Orders.FindAgreement(context.Background(), e.A.ID, "gym-bad"); opaygate.ErrorCode(err) != opaygate.ENOTFOUND {
		t.Errorf("a refused request recorded its agreement: %v", err)
	}

	t.Run("ErrNotConfigured", func(t *testing.T) {
		m := newMerchant(t, e, func(m *opaygate.Merchant) {
			m.Functions = []opaygate.Function{opaygate.FuncBankCard, opaygate.FuncBankInstallment}
		})
		must(t, e.call(t, m, pathPaymentCreate, e.debitRequest("cd-nc", 60000, "gym-nc", nil)), opay.CodeNotConfigured)
	})
	t.Run("ErrOutsideEG", func(t *testing.T) {
		must(t, e.call(t, e.A, pathPaymentCreate, e.debitRequest("cd-ng", 60000, "gym-ng", func(b map[string]any) {
			b["country"], b["amount"] = "NG", map[string]any{"total": 60000, "currency": "NGN"}
		})), opay.CodePayMethod)
	})
	t.Run("ErrCaseSensitive", func(t *testing.T) {
		must(t, e.call(t, e.A, pathPaymentCreate, e.debitRequest("cd-case", 60000, "gym-case", func(b map[string]any) {
			b["payMethod"] = "carddebit"
		})), opay.CodePayMethod)
	})
	t.Run("ErrNotOnTheCheckout", func(t *testing.T) {
		must(t, e.call(t, e.A, pathCashierCreate, map[string]any{"reference": "cd-page", "country": "EG",
			"amount": map[string]any{"total": 60000, "currency": "EGP"}, "returnUrl": "https://merchant.example/r",
			"product": map[string]any{"name": "Gym"}, "payMethod": "CardDebit"}), opay.CodePayMethod)
	})
}

// TestCardDebitLive: like BankCard and BankInstallment, CardDebit needs no simulated network,
// so a live gateway takes it.
func TestCardDebitLive(t *testing.T) {
	e := newTestServer(t, withLive())
	m, ok := method.Default().Lookup(opay.PayMethodCardDebit)
	if !ok || method.SandboxOnly(m) {
		t.Fatalf("CardDebit: %v, sandbox-only %v", ok, ok && method.SandboxOnly(m))
	}
	d := data[opay.PaymentCreateData](t, must(t, e.call(t, e.A, pathPaymentCreate, e.debitRequest("cd-live", 60000, "gym-live", nil)), opay.CodeSuccess))
	if d.Status != "PENDING" || d.NextAction == nil || d.NextAction.ActionType != "REDIRECT_3DS" {
		t.Errorf("live CardDebit %+v", d)
	}
	must(t, e.call(t, e.A, pathPaymentCreate, e.debitRequest("cd-live-2", 60000, "gym-live", nil)), opay.CodeDuplicate)
}

// The dashboard's order page shows the agreement a CardDebit payment opened, and of its card
// the BIN and last four only.
func TestDashboardCardDebit(t *testing.T) {
	e := newDashEnv(t)
	params, err := method.CardDebit{}.Params(&opay.PaymentCreateRequest{ReturnURL: "https://merchant.example/r",
		BankCard: &opay.BankCard{CardNumber: apiPAN, CVV: apiCVV, ExpiryMonth: "12", ExpiryYear: e.clock.Now().AddDate(3, 0, 0).Format("06")},
		BankDebit: &opay.BankDebit{AgreementID: "gym-ada-1", AgreementDuration: e.clock.Now().AddDate(1, 0, 0).Format("2006-01-02"),
			StoreCard: true},
		UserInfo: &opay.UserInfo{UserID: "ada-1"}})
	if err != nil {
		t.Fatal(err)
	}
	o := &opaygate.Order{MerchantID: e.A.ID, Reference: "cd-dash", Country: "EG", Amount: 60000, ProductName: "Gym",
		PayMethod: opaygate.PayMethodCardDebit, ReturnURL: "https://merchant.example/r"}
	if err := e.svc.Orders.CreatePayment(context.Background(), o, params); err != nil {
		t.Fatal(err)
	}
	page := e.login(t, e.A).mustGet(t, "/dashboard/orders/"+o.OrderNo)
	want := []string{"<dt>Debit agreement</dt><dd class=\"mono\">gym-ada-1</dd>",
		"<dt>Agreement until</dt><dd>" + e.clock.Now().AddDate(1, 0, 0).Format("2006-01-02") + " · the card is to be stored</dd>",
		"411111······0814"}
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("the order page lacks %q", w)
		}
	}
	if strings.Contains(page, apiPAN) || strings.Contains(page, "907635") {
		t.Error("the order page shows the card number")
	}
}
