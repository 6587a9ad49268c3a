package opay_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/opaytest"
)

// The examples that print run against an in-process gateway (package opaytest), which is what a
// merchant's own tests would use; in production only the client's options change.

func ExampleNewClient() {
	c := opay.NewClient(os.Getenv("OPAY_MERCHANT_ID"), os.Getenv("OPAY_PRIVATE_KEY"),
		opay.WithBaseURL(opay.ProductionURL), // or a gateway such as http://127.0.0.1:8080
		opay.WithPublicKey(os.Getenv("OPAY_PUBLIC_KEY")),
		opay.WithTimeout(10*time.Second),
		opay.WithRetry(opay.RetryPolicy{MaxAttempts: 4, BaseDelay: 200 * time.Millisecond, MaxDelay: 2 * time.Second}),
		opay.WithLogger(slog.Default()),
	)
	_ = c
}

// A hosted checkout: create the order, send the customer to CashierURL, then learn the result
// from the callback or by asking.
func ExampleClient_CreateCashier() {
	gw, err := opaytest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer gw.Close()
	c, ctx := gw.Client(), context.Background()

	order, err := c.CreateCashier(ctx, opay.CashierCreateRequest{
		Reference: "cart-1001",
		Country:   "EG",
		Amount:    opay.Amount{Total: 25000, Currency: "EGP"}, // 250.00 EGP
		ReturnURL: "https://shop.example.com/thanks",
		Product:   opay.Product{Name: "Sneakers"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created:", order.Status)

	// Here the customer pays on order.CashierURL; in a test, opaytest plays the customer.
	if _, err := gw.PayWithValU(order.OrderNo, opaytest.ValUAccount, 6); err != nil {
		log.Fatal(err)
	}

	st, err := c.CashierStatus(ctx, opay.CashierStatusRequest{Reference: "cart-1001", Country: "EG"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("now:", st.Status, "final:", opay.OrderStatus(st.Status).Final())
	// Output:
	// created: INITIAL
	// now: SUCCESS final: true
}

// A ValU installment payment driven from the merchant's own pages: offer the plans, take the
// customer's choice, then the OTP the customer received by text message.
func ExampleClient_CreatePayment() {
	gw, err := opaytest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer gw.Close()
	c, ctx := gw.Client(), context.Background()

	p, err := c.CreatePayment(ctx, opay.PaymentCreateRequest{
		Reference:         "phone-77",
		Country:           "EG",
		PayMethod:         opay.PayMethodValU,
		Amount:            opay.Amount{Total: 60000, Currency: "EGP"},
		Product:           opay.Product{Name: "Phone"},
		ValUAccountNumber: "01012345678",
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, plan := range p.NextAction.Plans[:2] {
		fmt.Printf("%d months: %d a month, fee %d\n", plan.Months, plan.EMI.Total, plan.Fee.Total)
	}

	if _, err := c.InputInstallmentMonth(ctx, opay.InputInstallmentMonthRequest{OrderNo: p.OrderNo, Months: 6}); err != nil {
		log.Fatal(err)
	}
	otp := gw.LastOTP(p.OrderNo) // what the customer types in
	done, err := c.InputOTP(ctx, opay.InputOTPRequest{OrderNo: p.OrderNo, OTP: otp})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(done.Status)
	// Output:
	// 6 months: 11400 a month, fee 1800
	// 7 months: 9900 a month, fee 1800
	// SUCCESS
}

// An e-invoice ("Pay by Link"): the customer pays on InvoiceLink.
func ExampleClient_CreateInvoice() {
	gw, err := opaytest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer gw.Close()
	c, ctx := gw.Client(), context.Background()

	inv, err := c.CreateInvoice(ctx, opay.CreateInvoiceRequest{
		Country:    "EG",
		Name:       "Consulting, May",
		Amount:     opay.Amount{Total: 120000, Currency: "EGP"},
		Customer:   opay.InvoiceCustomer{CustomerName: "Nadia", CustomerEmail: "nadia@example.com"},
		DueTime:    opay.Int64String(time.Now().Add(14 * 24 * time.Hour).Unix()),
		ServiceFee: &opay.ServiceFee{FeeRate: "1.5"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(inv.Status, inv.Amount.Total, inv.TotalServiceFee.Total)

	if _, err := gw.PayInvoice(inv.InvoiceNo); err != nil {
		log.Fatal(err)
	}
	inv, err = c.InvoiceDetails(ctx, opay.InvoiceNoRequest{InvoiceNo: inv.InvoiceNo})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(inv.Status)
	// Output:
	// Unpaid 120000 1800
	// Paid
}

// Errors from OPay are *APIError values; errors.Is compares them with the sentinels.
func ExampleAPIError() {
	gw, err := opaytest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer gw.Close()

	_, err = gw.Client().CashierStatus(context.Background(), opay.CashierStatusRequest{Reference: "nope", Country: "EG"})
	var apiErr *opay.APIError
	switch {
	case errors.Is(err, opay.ErrNotFound):
		errors.As(err, &apiErr)
		fmt.Println("not found:", apiErr.Code, apiErr.Message)
	case errors.As(err, &apiErr):
		fmt.Println("refused:", apiErr.Code)
	case err != nil:
		fmt.Println("transport failure, outcome unknown:", err)
	}
	// Output:
	// not found: 02006 payment not found.
}

// Verifying a callback by hand; CallbackHandler does this for you.
func ExampleParseCallback() {
	body := []byte(`{"payload":{"amount":"60000","channel":"Web","country":"EG","currency":"EGP",` +
		`"displayedFailure":"","fee":"0","feeCurrency":"EGP","instrumentType":"VALU",` +
		`"reference":"04123390","refunded":false,"status":"SUCCESS",` +
		`"timestamp":"2026-11-20T10:00:00Z","token":"261120000000000001","transactionId":"261120000000000001",` +
		`"updated_at":"2026-11-20T10:00:00Z"},` +
		`"sha512":"3913a7310b89a4ddfcb7f0d35cf76a9c21c174c14d63d168fbdf0670f6c2fcc216722954da98cb1398fcf6bc0e7cd237dcce6c148cd3ffa61e5edbb29478e211",` +
		`"type":"transaction-status"}`)

	n, err := opay.ParseCallback(body, "OPAYPRV16357783346230.07653446106051542")
	if err != nil {
		fmt.Println("rejected:", err)
		return
	}
	fmt.Println(n.Reference, n.Status, n.Amount.Total, n.Amount.Currency)

	_, err = opay.ParseCallback(body, "OPAYPRV-someone-else")
	fmt.Println(errors.Is(err, opay.ErrCallbackSignature))
	// Output:
	// 04123390 SUCCESS 60000 EGP
	// true
}

func ExampleCallbackHandler() {
	privateKey := os.Getenv("OPAY_PRIVATE_KEY")
	http.Handle("POST /opay/callback", opay.CallbackHandler(privateKey,
		func(ctx context.Context, n *opay.Notification) error {
			// Callbacks arrive at least once: make this idempotent on n.OrderNo and n.Status.
			// An error answers 500, and the gateway sends the callback again later.
			log.Printf("order %s (%s) is %s", n.Reference, n.OrderNo, n.Status)
			return nil
		}))
}
