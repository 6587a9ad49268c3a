package opay_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/opaytest"
)

// TestE2E_CardPIN: an NG card whose issuer asks for the PIN and the OTP, through the SDK.
func TestE2E_CardPIN(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()

	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(receiver.Close)
	req := cardRequest(gw, "pin-ok", "5060990000010106", false)
	req.CallbackURL = receiver.URL
	d := must(c.CreatePayment(ctx, req))(t)
	if d.Status != opay.StatusPending || d.NextAction == nil || d.NextAction.ActionType != opay.ActionPIN {
		t.Fatalf("payment/create = %+v", d)
	}
	_, err := c.InputPIN(ctx, opay.InputPINRequest{OrderNo: d.OrderNo, PIN: "9999"})
	wantCode(t, err, opay.CodeOTPInvalid, opay.ErrInvalidOTP)
	p := must(c.InputPIN(ctx, opay.InputPINRequest{OrderNo: d.OrderNo, PIN: "1234"}))(t)
	if p.Status != opay.StatusPending || p.NextAction == nil || p.NextAction.ActionType != opay.ActionOTP {
		t.Fatalf("input-pin = %+v", p)
	}
	o := must(c.InputOTP(ctx, opay.InputOTPRequest{OrderNo: d.OrderNo, OTP: "123456"}))(t)
	if o.Status != opay.StatusSuccess {
		t.Errorf("input-otp = %+v", o)
	}
	if cbs := callbacksOf(gw, d.Reference); len(cbs) != 1 || !cbs[0].Delivered() || cbs[0].Notification.Status != opay.StatusSuccess ||
		cbs[0].Notification.InstrumentType != opay.PayMethodBankCard {
		t.Errorf("callbacks %+v", cbs)
	}

	t.Run("ErrInvalidRequest", func(t *testing.T) {
		d := must(c.CreatePayment(ctx, cardRequest(gw, "pin-bad", "5060990000010106", false)))(t)
		_, err := c.InputPIN(ctx, opay.InputPINRequest{Reference: d.Reference, PIN: "12"})
		wantCode(t, err, opay.CodeInvalidParams, opay.ErrInvalidRequest)
	})
}

// TestE2E_BankInstallment: the plans, then a payment on one, waiting for 3-D Secure.
func TestE2E_BankInstallment(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()

	banks := must(c.BankInstallments(ctx, opay.BankInstallmentRequest{Country: "EG", Currency: "EGP",
		Amount: &opay.Amount{Total: 1_000_000, Currency: "EGP"}}))(t)
	if len(banks) == 0 || len(banks[0].Plans) == 0 {
		t.Fatalf("getBankInstallment = %+v", banks)
	}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(receiver.Close)
	req := cardRequest(gw, "bi-ok", opaytest.ApprovedCard, false)
	req.CallbackURL = receiver.URL
	req.Country, req.PayMethod, req.Amount = "EG", opay.PayMethodBankInstallment, opay.Amount{Total: 1_000_000, Currency: "EGP"}
	req.BankInstallment = &opay.BankInstallment{BankCode: banks[0].BankCode, Months: opay.Int64String(banks[0].Plans[0].Months)}
	d := must(c.CreatePayment(ctx, req))(t)
	if d.Status != opay.StatusPending || d.NextAction == nil || d.NextAction.ActionType != opay.ActionRedirect3DS {
		t.Fatalf("payment/create = %+v", d)
	}
	pay := must(gw.PayWithCard(d.OrderNo, ""))(t)
	if pay.Status != opay.StatusSuccess {
		t.Errorf("after 3-D Secure: %+v", pay)
	}
	if cbs := callbacksOf(gw, d.Reference); len(cbs) != 1 || !cbs[0].Delivered() || cbs[0].Notification.Status != opay.StatusSuccess ||
		cbs[0].Notification.InstrumentType != opay.PayMethodBankInstallment {
		t.Errorf("callbacks %+v", cbs)
	}
}

// TestE2E_BankTransfer: the virtual account's members reach the SDK's NextAction.
func TestE2E_BankTransfer(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	d := must(c.CreatePayment(ctx, opay.PaymentCreateRequest{Reference: "trf", Country: "NG", PayMethod: opay.PayMethodBankTransfer,
		Amount: opay.Amount{Total: 50000, Currency: "NGN"}, Product: opay.Product{Name: "Rice"},
		CustomerName: "Ada Obi", UserPhone: "+2348031234567"}))(t)
	n := d.NextAction
	if d.Status != opay.StatusPending || n == nil || n.ActionType != opay.ActionTransferAccount || len(n.TransferAccountNumber) != 10 ||
		n.TransferBankName != "OPay Sandbox Bank" || n.TransferAccountName == "" || n.ExpiredTimestamp == 0 {
		t.Fatalf("payment/create = %+v %+v", d, n)
	}
}

// TestE2E_BankAccount: the OTP the bank texted, a wrong one first, then SUCCESS and one
// verified callback of the method.
func TestE2E_BankAccount(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(receiver.Close)
	request := func(ref, account string) opay.PaymentCreateRequest {
		return opay.PaymentCreateRequest{Reference: ref, Country: "NG", PayMethod: opay.PayMethodBankAccount,
			Amount: opay.Amount{Total: 250000, Currency: "NGN"}, Product: opay.Product{Name: "Fees"},
			CallbackURL: receiver.URL, CustomerName: "Ada Obi", UserPhone: "+2348031234567",
			BankAccountNumber: account, BankCode: "058", BVN: "12345678901", DobDay: 14, DobMonth: 2, DobYear: 1990}
	}
	d := must(c.CreatePayment(ctx, request("acct-ok", "0123456789")))(t)
	if d.Status != opay.StatusPending || d.NextAction == nil || d.NextAction.ActionType != opay.ActionOTP {
		t.Fatalf("payment/create = %+v", d)
	}
	_, err := c.InputOTP(ctx, opay.InputOTPRequest{OrderNo: d.OrderNo, OTP: "000001"})
	wantCode(t, err, opay.CodeOTPInvalid, opay.ErrInvalidOTP)
	otp := gw.LastOTP(d.OrderNo)
	if o := must(c.InputOTP(ctx, opay.InputOTPRequest{OrderNo: d.OrderNo, OTP: otp}))(t); o.Status != opay.StatusSuccess {
		t.Fatalf("input-otp = %+v", o)
	}
	if cbs := callbacksOf(gw, d.Reference); len(cbs) != 1 || !cbs[0].Delivered() || cbs[0].Notification.Status != opay.StatusSuccess ||
		cbs[0].Notification.InstrumentType != opay.PayMethodBankAccount {
		t.Errorf("callbacks %+v", cbs)
	}

	// The identifier rule: an account ending 0051 is declined with 51 after its OTP.
	d = must(c.CreatePayment(ctx, request("acct-51", "0123450051")))(t)
	o := must(c.InputOTP(ctx, opay.InputOTPRequest{OrderNo: d.OrderNo, OTP: gw.LastOTP(d.OrderNo)}))(t)
	if o.Status != opay.StatusFail || o.FailureCode != "51" {
		t.Errorf("declined account: %+v", o)
	}
	// A BVN of 10 digits is the SDK's ErrInvalidRequest, naming the field.
	bad := request("acct-bvn", "0123456789")
	bad.BVN = "1234567890"
	_, err = c.CreatePayment(ctx, bad)
	wantCode(t, err, opay.CodeInvalidParams, opay.ErrInvalidRequest)
	var apiErr *opay.APIError
	if !errors.As(err, &apiErr) || !strings.Contains(apiErr.Detail, "bvn") {
		t.Errorf("detail of %v", err)
	}
}

// callbacksOf lists the callbacks of a reference.
func callbacksOf(gw *opaytest.Gateway, reference string) []opaytest.Callback {
	var out []opaytest.Callback
	for _, cb := range gw.Callbacks() {
		if cb.Notification != nil && cb.Notification.Reference == reference {
			out = append(out, cb)
		}
	}
	return out
}

// TestE2E_CardDebit: a payment that opens a debit agreement, through the SDK's types: the
// customer follows redirectUrl to the 3-D Secure page and confirms, the order is SUCCESS, and
// one callback, verified by the SDK's handler, names CardDebit. The agreementId is then used.
func TestE2E_CardDebit(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	var mu sync.Mutex
	var got []*opay.Notification
	receiver := httptest.NewServer(opay.CallbackHandler(gw.Merchant.PrivateKey, func(_ context.Context, n *opay.Notification) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, n)
		return nil
	}))
	t.Cleanup(receiver.Close)

	req := cardRequest(gw, "debit-ok", opaytest.ApprovedCard, false)
	req.Country, req.PayMethod, req.Amount = "EG", opay.PayMethodCardDebit, opay.Amount{Total: 60000, Currency: "EGP"}
	req.CallbackURL = receiver.URL
	req.UserInfo = &opay.UserInfo{UserID: "ada-1"}
	req.BankDebit = &opay.BankDebit{AgreementID: "gym-ada-1", AgreementDuration: gw.Now().AddDate(1, 0, 0).Format("2006-01-02"),
		StoreCard: true}
	d := must(c.CreatePayment(ctx, req))(t)
	if d.Status != opay.StatusPending || d.NextAction == nil || d.NextAction.ActionType != opay.ActionRedirect3DS {
		t.Fatalf("payment/create = %+v", d)
	}

	// The customer's browser: the 3-D Secure page, then its confirm button, back to returnUrl.
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page, err := browser.Get(d.NextAction.RedirectURL)
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	u, err := url.Parse(d.NextAction.RedirectURL)
	if err != nil || page.StatusCode != http.StatusOK {
		t.Fatalf("3-D Secure page %s: %d %v", d.NextAction.RedirectURL, page.StatusCode, err)
	}
	confirm, err := browser.PostForm(u.Scheme+"://"+u.Host+"/3ds/confirm", url.Values{"orderToken": {u.Query().Get("orderToken")}})
	if err != nil {
		t.Fatal(err)
	}
	confirm.Body.Close()
	if confirm.StatusCode != http.StatusSeeOther || confirm.Header.Get("Location") != req.ReturnURL {
		t.Fatalf("confirm: %d to %q", confirm.StatusCode, confirm.Header.Get("Location"))
	}

	if st := must(c.CashierStatus(ctx, opay.CashierStatusRequest{OrderNo: d.OrderNo, Country: "EG"}))(t); st.Status != opay.StatusSuccess {
		t.Errorf("status %+v", st)
	}
	gw.Callbacks() // delivers what is due
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].Reference != "debit-ok" || got[0].Status != opay.StatusSuccess ||
		got[0].InstrumentType != opay.PayMethodCardDebit || got[0].Channel != "API" {
		t.Errorf("callbacks received %+v", got)
	}

	t.Run("ErrDuplicateAgreement", func(t *testing.T) {
		req.Reference = "debit-again"
		_, err := c.CreatePayment(ctx, req)
		if ae := wantCode(t, err, opay.CodeDuplicate, opay.ErrDuplicateReference); !strings.Contains(ae.Detail, "gym-ada-1") {
			t.Errorf("detail %q", ae.Detail)
		}
	})
}
