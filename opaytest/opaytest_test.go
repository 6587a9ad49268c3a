package opaytest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/opaytest"
)

// shop is a merchant's code under test, as a merchant would write it: it only knows an
// *opay.Client.
type shop struct {
	opay *opay.Client
}

// checkout starts a hosted checkout for a cart and returns where to send the customer.
func (s *shop) checkout(ctx context.Context, orderID string, total int64) (*opay.CashierCreateData, error) {
	return s.opay.CreateCashier(ctx, opay.CashierCreateRequest{
		Reference: orderID, Country: "EG", Amount: opay.Amount{Total: total, Currency: "EGP"},
		ReturnURL: "https://shop.example.com/thanks", Product: opay.Product{Name: "Cart " + orderID},
	})
}

// paid reports whether the order was paid, and whether that is final.
func (s *shop) paid(ctx context.Context, orderID string) (paid, final bool, err error) {
	d, err := s.opay.CashierStatus(ctx, opay.CashierStatusRequest{Reference: orderID, Country: "EG"})
	if err != nil {
		return false, false, err
	}
	st := opay.OrderStatus(d.Status)
	return st == opay.StatusSuccess, st.Final(), nil
}

func must[T any](v T, err error) func(testing.TB) T {
	return func(tb testing.TB) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

func TestFullCheckout(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	s, ctx := &shop{opay: gw.Client()}, context.Background()

	d := must(s.checkout(ctx, "cart-1", 150000))(t)
	if paid, final, _ := s.paid(ctx, "cart-1"); paid || final {
		t.Fatal("paid before the customer did anything")
	}
	pay := must(gw.PayWithValU(d.OrderNo, opaytest.ValUAccount, 12))(t)
	if pay.Status != opay.StatusSuccess || pay.Reference != "cart-1" {
		t.Fatalf("payment %+v", pay)
	}
	if paid, final, err := s.paid(ctx, "cart-1"); !paid || !final || err != nil {
		t.Errorf("shop sees paid=%v final=%v err=%v", paid, final, err)
	}
}

// Every test gets its own gateway: the same reference in parallel tests never collides.
func TestParallelGatewaysAreIsolated(t *testing.T) {
	seen := make(chan string, 4)
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			gw := opaytest.New(t)
			s, ctx := &shop{opay: gw.Client()}, context.Background()
			d := must(s.checkout(ctx, "same-reference", 1000))(t)
			seen <- gw.Merchant.ID + d.OrderNo
			if i%2 == 0 {
				gw.Advance(time.Hour) // moves this gateway's clock only
				if _, final, _ := s.paid(ctx, "same-reference"); !final {
					t.Error("the order did not expire")
				}
			} else if _, final, _ := s.paid(ctx, "same-reference"); final {
				t.Error("another test's clock closed this order")
			}
		})
	}
	t.Cleanup(func() {
		close(seen)
		ids := map[string]bool{}
		for id := range seen {
			if ids[id] {
				t.Errorf("two gateways share %s", id)
			}
			ids[id] = true
		}
	})
}

func TestAdvanceClosesExpiredOrdersForGood(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	s, ctx := &shop{opay: gw.Client()}, context.Background()
	must(s.checkout(ctx, "slow", 1000))(t)
	start := gw.Now()

	gw.Advance(29 * time.Minute)
	if _, final, _ := s.paid(ctx, "slow"); final {
		t.Fatal("closed a minute early")
	}
	gw.Advance(time.Minute)
	if d := gw.Now().Sub(start); d < 30*time.Minute || d > 31*time.Minute {
		t.Errorf("clock moved %v", d)
	}
	d := must(gw.Client().CashierStatus(ctx, opay.CashierStatusRequest{Reference: "slow", Country: "EG"}))(t)
	if d.Status != opay.StatusClose || d.FailureCode != "ORDER_EXPIRED" {
		t.Fatalf("after 30 minutes: %+v", d)
	}
	if _, err := gw.PayWithValU("slow", opaytest.ValUAccount, 6); !isCode(err, opaygate.EORDERSTATE) {
		t.Errorf("paying an expired order: %v", err)
	}
}

func isCode(err error, code string) bool {
	var e *opaygate.Error
	return errors.As(err, &e) && e.Code == code
}

func TestPayInvoice(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	must(gw.AddProduct(opaytest.Product{MerchantProductNo: "tee", Name: "T-shirt",
		Price: opay.Amount{Total: 30000, Currency: "EGP"}}))(t)
	inv := must(c.CreateInvoice(ctx, opay.CreateInvoiceRequest{
		Country: "EG", Name: "Team shirts", RelationProduct: true,
		Customer:    opay.InvoiceCustomer{CustomerName: "Omar", CustomerEmail: "omar@example.com"},
		DueTime:     opay.Int64String(gw.Now().Add(7 * 24 * time.Hour).Unix()),
		ProductList: []opay.InvoiceItem{{MerchantProductNo: "tee", Quantity: 3}},
	}))(t)

	pay := must(gw.PayInvoice(inv.InvoiceNo))(t)
	if pay.Status != opay.StatusSuccess {
		t.Fatalf("payment %+v", pay)
	}
	got := must(c.InvoiceDetails(ctx, opay.InvoiceNoRequest{InvoiceNo: inv.InvoiceNo}))(t)
	if got.Status != opay.InvoicePaid || got.Amount.Total != 90000 {
		t.Errorf("invoice %+v", got)
	}
	if _, err := gw.PayInvoice(inv.InvoiceNo); !isCode(err, opaygate.EINVOICESTATE) {
		t.Errorf("paying twice: %v", err)
	}
}

func TestPayInvoice_ExpiredAndNigerian(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	req := opay.CreateInvoiceRequest{Country: "EG", Name: "Late", Amount: opay.Amount{Total: 500, Currency: "EGP"},
		Customer: opay.InvoiceCustomer{CustomerName: "A", CustomerMobile: "+201088889999"},
		DueTime:  opay.Int64String(gw.Now().Add(time.Hour).Unix())}
	late := must(c.CreateInvoice(ctx, req))(t)
	gw.Advance(2 * time.Hour)
	if _, err := gw.PayInvoice(late.InvoiceNo); !isCode(err, opaygate.EINVOICESTATE) {
		t.Errorf("paying an expired invoice: %v", err)
	}
	req.Country, req.Amount.Currency, req.Customer.CustomerMobile = "NG", "NGN", "+2348031234567"
	req.DueTime = opay.Int64String(gw.Now().Add(time.Hour).Unix())
	ng := must(c.CreateInvoice(ctx, req))(t)
	if _, err := gw.PayInvoice(ng.InvoiceNo); !isCode(err, opaygate.EPAYMETHOD) {
		t.Errorf("paying an NG invoice with ValU: %v", err)
	}
}

func TestAbandon(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	s, ctx := &shop{opay: gw.Client()}, context.Background()
	req := opay.CashierCreateRequest{Reference: "walked-away", Country: "EG", ExpireAt: 90,
		Amount: opay.Amount{Total: 1000, Currency: "EGP"}, ReturnURL: "https://shop.example.com/r",
		Product: opay.Product{Name: "x"}}
	must(s.opay.CreateCashier(ctx, req))(t)
	start := gw.Now()
	pay := must(gw.Abandon("walked-away"))(t)
	if pay.Status != opay.StatusClose || pay.FailureCode != "ORDER_EXPIRED" {
		t.Errorf("abandoned: %+v", pay)
	}
	if d := gw.Now().Sub(start); d < 89*time.Minute || d > 91*time.Minute {
		t.Errorf("the clock moved %v, want the order's 90 minutes", d)
	}
	if _, err := gw.Abandon("walked-away"); !isCode(err, opaygate.EORDERSTATE) {
		t.Errorf("abandoning a closed order: %v", err)
	}
	if _, err := gw.Abandon("no-such-order"); !isCode(err, opaygate.ENOTFOUND) {
		t.Errorf("abandoning a missing order: %v", err)
	}
}

// A server-to-server ValU payment: the merchant's code drives the API, the test plays the
// customer's phone.
func TestValUOverTheAPI(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	p := must(c.CreatePayment(ctx, opay.PaymentCreateRequest{Reference: "s2s", Country: "EG",
		PayMethod: opay.PayMethodValU, Amount: opay.Amount{Total: 60000, Currency: "EGP"},
		Product: opay.Product{Name: "Phone"}, ValUAccountNumber: opaytest.ValUAccount}))(t)
	must(c.InputInstallmentMonth(ctx, opay.InputInstallmentMonthRequest{OrderNo: p.OrderNo, Months: 9}))(t)
	otp := gw.LastOTP(p.OrderNo)
	if len(otp) != 6 {
		t.Fatalf("LastOTP = %q", otp)
	}
	o := must(c.InputOTP(ctx, opay.InputOTPRequest{OrderNo: p.OrderNo, OTP: otp}))(t)
	if o.Status != opay.StatusSuccess {
		t.Errorf("input-otp: %+v", o)
	}
	if gw.LastOTP("000000000000000000") != "" {
		t.Error("an OTP for an order that does not exist")
	}
}

// PayWithValU continues a payment/create order wherever it stands.
func TestPayWithValU_ContinuesAPIPayments(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	create := func(ref string) *opay.PaymentCreateData {
		return must(c.CreatePayment(ctx, opay.PaymentCreateRequest{Reference: ref, Country: "EG",
			PayMethod: opay.PayMethodValU, Amount: opay.Amount{Total: 5000, Currency: "EGP"},
			Product: opay.Product{Name: "x"}, ValUAccountNumber: opaytest.ValUAccount}))(t)
	}
	create("at-plan")
	if pay := must(gw.PayWithValU("at-plan", "", 0))(t); pay.Status != opay.StatusSuccess {
		t.Errorf("from the plan step: %+v", pay)
	}
	p := create("at-otp")
	must(c.InputInstallmentMonth(ctx, opay.InputInstallmentMonthRequest{OrderNo: p.OrderNo, Months: 6}))(t)
	if pay := must(gw.PayWithValU(p.OrderNo, "", 0))(t); pay.Status != opay.StatusSuccess {
		t.Errorf("from the otp step: %+v", pay)
	}
	if _, err := gw.PayWithValU(p.OrderNo, "", 0); !isCode(err, opaygate.EORDERSTATE) {
		t.Errorf("paying a paid order: %v", err)
	}
}

func TestPayWithValU_Declines(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	s, ctx := &shop{opay: gw.Client()}, context.Background()
	d := must(s.checkout(ctx, "broke", 1000))(t)
	pay := must(gw.PayWithValU(d.OrderNo, opaytest.NoCreditAccount, 6))(t)
	if pay.Status != opay.StatusFail || pay.FailureCode != "51" {
		t.Errorf("no credit: %+v", pay)
	}
	d = must(s.checkout(ctx, "trigger", 5))(t)
	pay = must(gw.PayWithValU(d.OrderNo, opaytest.ValUAccount, 6))(t)
	if pay.Status != opay.StatusFail || pay.FailureCode != "05" || pay.FailureReason != "Do not honour" {
		t.Errorf("amount trigger 5: %+v", pay)
	}
}

func TestWithMerchant(t *testing.T) {
	t.Parallel()
	m := opaytest.Merchant{ID: "281821110129700", PrivateKey: "OPAYPRVfixed", PublicKey: "OPAYPUBfixed"}
	gw := opaytest.New(t, opaytest.WithMerchant(m))
	if gw.Merchant.ID != m.ID || gw.Merchant.PrivateKey != m.PrivateKey || gw.Merchant.PublicKey != m.PublicKey {
		t.Fatalf("merchant %+v", gw.Merchant)
	}
	c := opay.NewClient(m.ID, m.PrivateKey, opay.WithBaseURL(gw.URL), opay.WithPublicKey(m.PublicKey))
	if _, err := (&shop{opay: c}).checkout(context.Background(), "fixed", 1000); err != nil {
		t.Fatal(err)
	}
}

func TestStartOutsideATest(t *testing.T) {
	gw, err := opaytest.Start()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&shop{opay: gw.Client()}).checkout(context.Background(), "x", 1000); err != nil {
		t.Fatal(err)
	}
	if err := gw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gw.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := http.Get(gw.URL + "/healthz"); err == nil {
		t.Error("still serving after Close")
	}
}

// The gateway's /_sandbox/ control API works too, for code that drives it over HTTP.
func TestSandboxControlAPI(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	p := must(c.CreatePayment(ctx, opay.PaymentCreateRequest{Reference: "ctl", Country: "EG",
		PayMethod: opay.PayMethodValU, Amount: opay.Amount{Total: 5000, Currency: "EGP"},
		Product: opay.Product{Name: "x"}, ValUAccountNumber: opaytest.ValUAccount}))(t)
	must(c.InputInstallmentMonth(ctx, opay.InputInstallmentMonthRequest{OrderNo: p.OrderNo, Months: 6}))(t)

	var otp struct{ Data struct{ OTP string } }
	getJSON(t, gw.URL+"/_sandbox/otp?orderNo="+p.OrderNo, &otp)
	if otp.Data.OTP != gw.LastOTP(p.OrderNo) {
		t.Errorf("control API OTP %q, LastOTP %q", otp.Data.OTP, gw.LastOTP(p.OrderNo))
	}
	resp, err := http.Post(gw.URL+"/_sandbox/clock/advance", "application/json", strings.NewReader(`{"minutes":31}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	d := must(c.CashierStatus(ctx, opay.CashierStatusRequest{OrderNo: p.OrderNo, Country: "EG"}))(t)
	if d.Status != opay.StatusClose {
		t.Errorf("after advancing over HTTP: %+v", d)
	}
	resp, err = http.Post(gw.URL+"/_sandbox/reset", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, err = c.CashierStatus(ctx, opay.CashierStatusRequest{OrderNo: p.OrderNo, Country: "EG"})
	if !errors.Is(err, opay.ErrNotFound) {
		t.Errorf("after reset the merchant should exist and the order not: %v", err)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestPayWithCard(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	s, ctx := &shop{opay: gw.Client()}, context.Background()
	for _, tt := range []struct {
		card   string
		status opay.OrderStatus
		code   string
	}{
		{opaytest.ApprovedCard, opay.StatusSuccess, ""},
		{"5555555555554444", opay.StatusSuccess, ""},
		{"4000000000000051", opay.StatusFail, "51"},
		{"4000000000800005", opay.StatusFail, "05"},
	} {
		t.Run(tt.card, func(t *testing.T) {
			d := must(s.checkout(ctx, "card-"+tt.card, 1000))(t)
			pay := must(gw.PayWithCard(d.OrderNo, tt.card))(t)
			if pay.Status != tt.status || pay.FailureCode != tt.code {
				t.Errorf("payment %+v", pay)
			}
		})
	}
	d := must(s.checkout(ctx, "bad-card", 1000))(t)
	if _, err := gw.PayWithCard(d.OrderNo, "4111111111111112"); !isCode(err, opaygate.EINVALID) {
		t.Errorf("a number failing the Luhn check: %v", err)
	}
	valuOnly := must(s.opay.CreateCashier(ctx, opay.CashierCreateRequest{Reference: "valu-only", Country: "EG",
		Amount: opay.Amount{Total: 1000, Currency: "EGP"}, ReturnURL: "https://shop.example.com/r",
		Product: opay.Product{Name: "x"}, PayMethod: opay.PayMethodValU}))(t)
	if _, err := gw.PayWithCard(valuOnly.OrderNo, opaytest.ApprovedCard); !isCode(err, opaygate.EPAYMETHOD) {
		t.Errorf("a card on a ValU-only order: %v", err)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	s, ctx := &shop{opay: gw.Client()}, context.Background()
	must(s.checkout(ctx, "changed-my-mind", 1000))(t)
	pay := must(gw.Cancel("changed-my-mind"))(t)
	if pay.Status != opay.StatusClose || pay.FailureCode != "ORDER_CANCELLED" {
		t.Errorf("cancelled: %+v", pay)
	}
	if _, final, _ := s.paid(ctx, "changed-my-mind"); !final {
		t.Error("the shop does not see the order final")
	}
	if _, err := gw.Cancel("changed-my-mind"); !isCode(err, opaygate.EORDERSTATE) {
		t.Errorf("cancelling twice: %v", err)
	}
}

func TestPayInvoiceWithCard_Nigeria(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	inv := must(c.CreateInvoice(ctx, opay.CreateInvoiceRequest{Country: "NG", Name: "Lagos order",
		Amount:   opay.Amount{Total: 250000, Currency: "NGN"},
		Customer: opay.InvoiceCustomer{CustomerName: "Ada", CustomerMobile: "+2348031234567"},
		DueTime:  opay.Int64String(gw.Now().Add(time.Hour).Unix())}))(t)
	pay := must(gw.PayInvoiceWithCard(inv.InvoiceNo, opaytest.ApprovedCard))(t)
	if pay.Status != opay.StatusSuccess {
		t.Fatalf("payment %+v", pay)
	}
	if got := must(c.InvoiceDetails(ctx, opay.InvoiceNoRequest{InvoiceNo: inv.InvoiceNo}))(t); got.Status != opay.InvoicePaid {
		t.Errorf("invoice %s", got.Status)
	}
}

// The gateway's request log goes where the test says, and holds no key.
func TestWithLogger(t *testing.T) {
	var buf lockedBuffer
	gw := opaytest.New(t, opaytest.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	if _, err := (&shop{opay: gw.Client()}).checkout(context.Background(), "logged", 1000); err != nil {
		t.Fatal(err)
	}
	gw.Close()
	out := buf.String()
	if !strings.Contains(out, "path=/api/v1/international/cashier/create") || !strings.Contains(out, "code=00000") {
		t.Errorf("log:\n%s", out)
	}
	for _, secret := range []string{gw.Merchant.PrivateKey, gw.Merchant.PublicKey} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds a key:\n%s", out)
		}
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// An NG card created over the API that waits for its PIN, its OTP or both is finished by
// PayWithCard, whose steps the callback then reports.
func TestPayWithCard_NigerianPINAndOTP(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	rcv := newReceiver(t, gw)
	c, ctx := gw.Client(), context.Background()
	for _, tt := range []struct {
		card   string
		first  string
		status opay.OrderStatus
		code   string
	}{
		{"5060990000010106", opay.ActionPIN, opay.StatusSuccess, ""}, // PIN, then OTP
		{"5061000000010103", opay.ActionPIN, opay.StatusSuccess, ""}, // PIN only
		{"5399830000000016", opay.ActionOTP, opay.StatusSuccess, ""}, // OTP only
		{"5060990000000057", opay.ActionPIN, opay.StatusFail, "57"},  // the test-card rule after both
	} {
		t.Run(tt.card, func(t *testing.T) {
			d := must(c.CreatePayment(ctx, opay.PaymentCreateRequest{
				Reference: "pin-" + tt.card, Country: "NG", PayMethod: opay.PayMethodBankCard,
				Amount: opay.Amount{Total: 250000, Currency: "NGN"}, Product: opay.Product{Name: "Generator"},
				ReturnURL: "https://shop.example.com/return", CallbackURL: rcv.srv.URL,
				BankCard: &opay.BankCard{CardHolderName: "Ada Obi", CardNumber: tt.card, CVV: "123",
					ExpiryMonth: "12", ExpiryYear: fmt.Sprintf("%02d", (gw.Now().Year()+2)%100)}}))(t)
			if d.NextAction == nil || d.NextAction.ActionType != tt.first {
				t.Fatalf("payment/create = %+v", d)
			}
			pay := must(gw.PayWithCard(d.OrderNo, ""))(t)
			if pay.Status != tt.status || pay.FailureCode != tt.code {
				t.Errorf("payment %+v", pay)
			}
			got := must(c.CashierStatus(ctx, opay.CashierStatusRequest{OrderNo: d.OrderNo, Country: "NG"}))(t)
			if opay.OrderStatus(got.Status) != tt.status {
				t.Errorf("cashier/status says %s", got.Status)
			}
			var notified []opay.OrderStatus
			for _, n := range rcv.notifications() {
				if n.OrderNo == d.OrderNo {
					notified = append(notified, n.Status)
				}
			}
			if len(notified) != 1 || notified[0] != tt.status {
				t.Errorf("the shop was told %v", notified)
			}
		})
	}
}
