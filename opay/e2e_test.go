package opay_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/opaytest"
)

// These tests drive the real gateway (server, SQLite storage, simulated network) through the
// SDK: every endpoint, and every error code a merchant can provoke.

func cashierRequest(ref string, total int64) opay.CashierCreateRequest {
	return opay.CashierCreateRequest{
		Reference: ref, Country: "EG",
		Amount:    opay.Amount{Total: total, Currency: "EGP"},
		ReturnURL: "https://shop.example.com/return", CallbackURL: "https://shop.example.com/callback",
		Product: opay.Product{Name: "Sneakers", Description: "size 42"},
	}
}

func valuRequest(ref string, total int64) opay.PaymentCreateRequest {
	return opay.PaymentCreateRequest{
		Reference: ref, Country: "EG", PayMethod: opay.PayMethodValU,
		Amount:            opay.Amount{Total: total, Currency: "EGP"},
		Product:           opay.Product{Name: "Phone"},
		ReturnURL:         "https://shop.example.com/return",
		ValUAccountNumber: opaytest.ValUAccount,
	}
}

func invoiceRequest(gw *opaytest.Gateway, total int64) opay.CreateInvoiceRequest {
	return opay.CreateInvoiceRequest{
		Amount:   opay.Amount{Total: total, Currency: "EGP"},
		Country:  "EG",
		Customer: opay.InvoiceCustomer{CustomerName: "Mona", CustomerMobile: "+201088889999"},
		DueTime:  opay.Int64String(gw.Now().Add(48 * time.Hour).Unix()),
		Name:     "Order 42",
	}
}

// wantCode fails unless err is an *APIError with code, matching sentinel through errors.Is.
func wantCode(t *testing.T, err error, code string, sentinel error) *opay.APIError {
	t.Helper()
	var ae *opay.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v (%T), want an *APIError %s", err, err, code)
	}
	if ae.Code != code {
		t.Fatalf("code = %s (%s), want %s", ae.Code, ae.Message, code)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("errors.Is(%v, %v) = false", err, sentinel)
	}
	if ae.RequestID == "" {
		t.Errorf("no request id on %v", err)
	}
	return ae
}

// must returns v, or fails the test given to the returned function when err is not nil:
// d := must(c.CreateCashier(ctx, req))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(tb testing.TB) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

func TestE2E_ValUPayment(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()

	p := must(c.CreatePayment(ctx, valuRequest("valu-1", 60000)))(t)
	if p.Status != opay.StatusPending || p.NextAction == nil || p.NextAction.ActionType != opay.ActionInstallmentMonth {
		t.Fatalf("payment/create = %+v", p)
	}
	// OPay's own example: 600.00 EGP over 6 months is 114.00 a month, fee 18.00.
	if pl := p.NextAction.Plans[0]; pl.Months != 6 || pl.EMI != (opay.Amount{Total: 11400, Currency: "EGP"}) || pl.Fee != (opay.Amount{Total: 1800, Currency: "EGP"}) {
		t.Errorf("first plan = %+v", pl)
	}
	a := must(c.InputInstallmentMonth(ctx, opay.InputInstallmentMonthRequest{OrderNo: p.OrderNo, Months: 6}))(t)
	if a.NextAction == nil || a.NextAction.ActionType != opay.ActionOTP {
		t.Fatalf("input-installment-month = %+v", a)
	}
	first := gw.LastOTP(p.OrderNo)
	r := must(c.ResendOTP(ctx, opay.ResendOTPRequest{OrderNo: p.OrderNo, Country: "EG"}))(t)
	if r.Status != opay.StatusPending || gw.LastOTP(p.OrderNo) == "" {
		t.Fatalf("resend-otp = %+v", r)
	}
	if first == gw.LastOTP(p.OrderNo) {
		t.Log("the resent OTP happens to equal the first")
	}
	o := must(c.InputOTP(ctx, opay.InputOTPRequest{Reference: "valu-1", OTP: gw.LastOTP(p.OrderNo)}))(t)
	if o.Status != opay.StatusSuccess || o.OrderNo != p.OrderNo {
		t.Fatalf("input-otp = %+v", o)
	}
	s := must(c.CashierStatus(ctx, opay.CashierStatusRequest{OrderNo: p.OrderNo, Country: "EG"}))(t)
	if st := opay.OrderStatus(s.Status); st != opay.StatusSuccess || !st.Final() || s.Amount.Total != 60000 || s.CreateTime == 0 {
		t.Errorf("cashier/status = %+v", s)
	}
}

func TestE2E_CashierCheckout(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		client *opay.Client
	}{
		{"PublicKey", gw.Client()},
		{"Signature", opay.NewClient(gw.Merchant.ID, gw.Merchant.PrivateKey, opay.WithBaseURL(gw.URL))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.client
			d := must(c.CreateCashier(ctx, cashierRequest("cashier-"+tt.name, 25000)))(t)
			if d.Status != opay.StatusInitial || !strings.HasPrefix(d.CashierURL, gw.URL+"/checkout?orderToken=") {
				t.Fatalf("cashier/create = %+v", d)
			}
			pay := must(gw.PayWithValU(d.OrderNo, opaytest.ValUAccount, 12))(t)
			if pay.Status != opay.StatusSuccess {
				t.Fatalf("customer paid: %+v", pay)
			}
			s := must(c.CashierStatus(ctx, opay.CashierStatusRequest{Reference: d.Reference, Country: "EG"}))(t)
			if s.Status != opay.StatusSuccess {
				t.Errorf("cashier/status = %+v", s)
			}
		})
	}
}

func TestE2E_ClosePayment(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	d := must(c.CreateCashier(ctx, cashierRequest("to-close", 1000)))(t)
	for range 2 { // closing a closed order again answers the same
		cl := must(c.ClosePayment(ctx, opay.PaymentCloseRequest{OrderNo: d.OrderNo, Country: "EG"}))(t)
		if cl.OrderStatus != opay.StatusClose || cl.Country != "EG" || cl.Amount.Total != 1000 {
			t.Fatalf("payment/close = %+v", cl)
		}
	}
	s := must(c.CashierStatus(ctx, opay.CashierStatusRequest{OrderNo: d.OrderNo, Country: "EG"}))(t)
	if s.Status != opay.StatusClose || s.FailureCode != "ORDER_CLOSED" {
		t.Errorf("cashier/status = %+v", s)
	}
}

func TestE2E_Expiry(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	req := cashierRequest("expiring", 1000)
	req.ExpireAt = 5
	d := must(c.CreateCashier(ctx, req))(t)
	gw.Advance(4 * time.Minute)
	if s := must(c.CashierStatus(ctx, opay.CashierStatusRequest{OrderNo: d.OrderNo, Country: "EG"}))(t); s.Status != opay.StatusInitial {
		t.Fatalf("after 4 of 5 minutes: %+v", s)
	}
	gw.Advance(time.Minute)
	s := must(c.CashierStatus(ctx, opay.CashierStatusRequest{OrderNo: d.OrderNo, Country: "EG"}))(t)
	if s.Status != opay.StatusClose || s.FailureCode != "ORDER_EXPIRED" {
		t.Fatalf("after 5 minutes: %+v", s)
	}
	if _, err := gw.PayWithValU(d.OrderNo, opaytest.ValUAccount, 6); err == nil {
		t.Error("the customer paid an expired order")
	}
}

func TestE2E_Invoices(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	if _, err := gw.AddProduct(opaytest.Product{MerchantProductNo: "sku-1", Name: "Mug",
		Price: opay.Amount{Total: 2500, Currency: "EGP"}}); err != nil {
		t.Fatal(err)
	}
	req := invoiceRequest(gw, 0)
	req.Amount = opay.Amount{}
	req.RelationProduct = true
	req.ProductList = []opay.InvoiceItem{{MerchantProductNo: "sku-1", Quantity: 2}}
	req.ServiceFee = &opay.ServiceFee{FeeRate: "2.5", FixedFee: 100}
	inv := must(c.CreateInvoice(ctx, req))(t)
	if inv.Status != opay.InvoiceUnpaid || inv.Amount.Total != 5000 || inv.TotalServiceFee != (opay.Amount{Total: 225, Currency: "EGP"}) ||
		len(inv.Products) != 1 || !strings.HasPrefix(inv.InvoiceLink, gw.URL+"?vid=") {
		t.Fatalf("createSingleInvoice = %+v", inv)
	}
	got := must(c.InvoiceDetails(ctx, opay.InvoiceNoRequest{InvoiceNo: inv.InvoiceNo}))(t)
	if got.InvoiceNo != inv.InvoiceNo || got.Products[0].Name != "Mug" {
		t.Errorf("getInvoiceDetails = %+v", got)
	}

	pay := must(gw.PayInvoice(inv.InvoiceNo))(t)
	if pay.Status != opay.StatusSuccess || !strings.HasPrefix(pay.Reference, "INV"+inv.InvoiceNo) {
		t.Fatalf("customer paid the invoice: %+v", pay)
	}
	if got := must(c.InvoiceDetails(ctx, opay.InvoiceNoRequest{InvoiceNo: inv.InvoiceNo}))(t); got.Status != opay.InvoicePaid {
		t.Errorf("after payment: %s", got.Status)
	}
	// The order that paid it is the merchant's, with the fee on top.
	s := must(c.CashierStatus(ctx, opay.CashierStatusRequest{Reference: pay.Reference, Country: "EG"}))(t)
	if s.Amount.Total != 5225 {
		t.Errorf("invoice order amount = %d, want 5225", s.Amount.Total)
	}

	other := must(c.CreateInvoice(ctx, invoiceRequest(gw, 700)))(t)
	for range 2 { // cancelling a cancelled invoice again succeeds
		if err := c.CancelInvoice(ctx, opay.InvoiceNoRequest{InvoiceNo: other.InvoiceNo}); err != nil {
			t.Fatal(err)
		}
	}

	now := gw.Now().Unix()
	st := must(c.InvoiceStatistics(ctx, opay.InvoiceStatisticsRequest{
		StartCreateTime: opay.Int64String(now - 3600), EndCreateTime: opay.Int64String(now + 60)}))(t)
	if st.Paid[0].Count != 1 || st.Paid[0].Amount.Total != 5000 || st.Cancelled[0].Count != 1 ||
		st.Unpaid[0].Count != 0 || st.Total[0].Count != 2 {
		t.Errorf("getInvoicesStatistics = %+v", st)
	}
}

// Every code of the contract that a merchant's request can provoke, through the SDK.
func TestE2E_ErrorCodes(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()

	paid := must(c.CreatePayment(ctx, valuRequest("paid", 1000)))(t)
	must(gw.PayWithValU(paid.OrderNo, "", 0))(t)
	paidInvoice := must(c.CreateInvoice(ctx, invoiceRequest(gw, 1000)))(t)
	must(gw.PayInvoice(paidInvoice.InvoiceNo))(t)

	t.Run("ErrAuthentication", func(t *testing.T) {
		bad := opay.NewClient(gw.Merchant.ID, "OPAYPRV-wrong", opay.WithBaseURL(gw.URL))
		_, err := bad.CashierStatus(ctx, opay.CashierStatusRequest{Reference: "paid", Country: "EG"})
		wantCode(t, err, opay.CodeAuthFailed, opay.ErrAuthentication)
		wrongPublic := gw.Client(opay.WithPublicKey("OPAYPUB-wrong"))
		_, err = wrongPublic.CreateCashier(ctx, cashierRequest("never", 1000))
		wantCode(t, err, opay.CodeAuthFailed, opay.ErrAuthentication)
	})
	t.Run("ErrInvalidRequest", func(t *testing.T) {
		req := cashierRequest("no-amount", 0)
		_, err := c.CreateCashier(ctx, req)
		ae := wantCode(t, err, opay.CodeInvalidParams, opay.ErrInvalidRequest)
		if ae.Message != opay.MessageInvalidParams || !strings.Contains(ae.Detail, "amount") {
			t.Errorf("message %q, detail %q: the detail does not name the field", ae.Message, ae.Detail)
		}
	})
	t.Run("ErrNotConfigured", func(t *testing.T) {
		egOnly := opaytest.New(t, opaytest.WithMerchant(opaytest.Merchant{Countries: []string{"EG"}, Functions: []string{"cashier"}}))
		ec := egOnly.Client()
		_, err := ec.CreateInvoice(ctx, invoiceRequest(egOnly, 1000))
		wantCode(t, err, opay.CodeNotConfigured, opay.ErrNotConfigured)
		_, err = ec.CreateRefund(ctx, opay.RefundCreateRequest{Reference: "refund-1", OriginalReference: "paid",
			Country: "EG", Amount: opay.Amount{Total: 100, Currency: "EGP"}, RefundWay: "Original"})
		wantCode(t, err, opay.CodeNotConfigured, opay.ErrNotConfigured)
		_, err = ec.QueryRefund(ctx, opay.RefundQueryRequest{Reference: "refund-1", Country: "EG"})
		wantCode(t, err, opay.CodeNotConfigured, opay.ErrNotConfigured)
		_, err = ec.CreatePayment(ctx, valuRequest("no-valu", 1000))
		wantCode(t, err, opay.CodeNotConfigured, opay.ErrNotConfigured)
		ng := cashierRequest("ng", 1000)
		ng.Country, ng.Amount.Currency = "NG", "NGN"
		_, err = ec.CreateCashier(ctx, ng)
		wantCode(t, err, opay.CodeNotConfigured, opay.ErrNotConfigured)
	})
	t.Run("ErrPayMethod", func(t *testing.T) {
		req := valuRequest("paymethod", 1000)
		req.PayMethod = "BitCoin"
		_, err := c.CreatePayment(ctx, req)
		wantCode(t, err, opay.CodePayMethod, opay.ErrPayMethod)
	})
	t.Run("ErrDuplicateReference", func(t *testing.T) {
		_, err := c.CreatePayment(ctx, valuRequest("paid", 1000))
		ae := wantCode(t, err, opay.CodeDuplicate, opay.ErrDuplicateReference)
		if ae.Message != opay.MessageDuplicate || !strings.Contains(ae.Detail, paid.OrderNo) || !strings.Contains(ae.Detail, "SUCCESS") {
			t.Errorf("02004 = %q (%q), want OPay's message and the existing order %s in the detail", ae.Message, ae.Detail, paid.OrderNo)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := c.CashierStatus(ctx, opay.CashierStatusRequest{Reference: "nope", Country: "EG"})
		wantCode(t, err, opay.CodeNotFound, opay.ErrNotFound)
		_, err = c.InvoiceDetails(ctx, opay.InvoiceNoRequest{InvoiceNo: "99999999"})
		wantCode(t, err, opay.CodeNotFound, opay.ErrNotFound)
		// Another merchant's order is as missing as a missing one.
		_, err = opaytest.New(t).Client().CashierStatus(ctx, opay.CashierStatusRequest{OrderNo: paid.OrderNo, Country: "EG"})
		wantCode(t, err, opay.CodeNotFound, opay.ErrNotFound)
	})
	t.Run("ErrMerchantUnavailable", func(t *testing.T) {
		off := opaytest.New(t, opaytest.WithMerchant(opaytest.Merchant{Disabled: true}))
		_, err := off.Client().CashierStatus(ctx, opay.CashierStatusRequest{Reference: "x", Country: "EG"})
		wantCode(t, err, opay.CodeMerchantDisabled, opay.ErrMerchantUnavailable)
	})
	t.Run("ErrOrderState", func(t *testing.T) {
		_, err := c.ClosePayment(ctx, opay.PaymentCloseRequest{OrderNo: paid.OrderNo, Country: "EG"})
		wantCode(t, err, opay.CodeOrderState, opay.ErrOrderState)
		_, err = c.InputOTP(ctx, opay.InputOTPRequest{OrderNo: paid.OrderNo, OTP: "123456"})
		wantCode(t, err, opay.CodeOrderState, opay.ErrOrderState)
	})
	t.Run("ErrInvalidOTP", func(t *testing.T) {
		p := must(c.CreatePayment(ctx, valuRequest("wrong-otp", 1000)))(t)
		must(c.InputInstallmentMonth(ctx, opay.InputInstallmentMonthRequest{OrderNo: p.OrderNo, Months: 6}))(t)
		otp := "000000"
		if otp == gw.LastOTP(p.OrderNo) {
			otp = "000001"
		}
		_, err := c.InputOTP(ctx, opay.InputOTPRequest{OrderNo: p.OrderNo, OTP: otp})
		ae := wantCode(t, err, opay.CodeOTPInvalid, opay.ErrInvalidOTP)
		if !strings.Contains(ae.Message, "4 attempts left") {
			t.Errorf("message %q", ae.Message)
		}
	})
	t.Run("ErrOTPExpired", func(t *testing.T) {
		p := must(c.CreatePayment(ctx, valuRequest("old-otp", 1000)))(t)
		must(c.InputInstallmentMonth(ctx, opay.InputInstallmentMonthRequest{OrderNo: p.OrderNo, Months: 6}))(t)
		gw.Advance(6 * time.Minute)
		_, err := c.InputOTP(ctx, opay.InputOTPRequest{OrderNo: p.OrderNo, OTP: gw.LastOTP(p.OrderNo)})
		wantCode(t, err, opay.CodeOTPExpired, opay.ErrOTPExpired)
	})
	t.Run("ErrInvoiceState", func(t *testing.T) {
		err := c.CancelInvoice(ctx, opay.InvoiceNoRequest{InvoiceNo: paidInvoice.InvoiceNo})
		wantCode(t, err, opay.CodeInvoiceState, opay.ErrInvoiceState)
	})
}

// A declined payment is an answer, not an error: the amount triggers of the sandbox.
func TestE2E_Declines(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()

	p := must(c.CreatePayment(ctx, valuRequest("trigger-51", 51)))(t)
	pay := must(gw.PayWithValU(p.OrderNo, "", 6))(t)
	if pay.Status != opay.StatusFail || pay.FailureCode != "51" || pay.FailureReason != "Insufficient funds" {
		t.Errorf("amount 51: %+v", pay)
	}
	req := valuRequest("no-credit", 1000)
	req.ValUAccountNumber = opaytest.NoCreditAccount
	d := must(c.CreatePayment(ctx, req))(t)
	if d.Status != opay.StatusFail || d.FailureCode != "51" || d.NextAction != nil {
		t.Errorf("account without credit: %+v", d)
	}
}
