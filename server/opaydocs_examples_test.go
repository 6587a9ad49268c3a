package server_test

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/opaygate/opaygate/opay"
)

// TestOPayDocsExamples drives the gateway to the situation of every JSON response example on
// OPay's pages and compares the answer with the example (see checkExample). A failure here
// means an OPay client parsing what the page prints would break against the gateway.
func TestOPayDocsExamples(t *testing.T) {
	t.Parallel()
	e := newTestServer(t)
	// The order pages' error examples print no data member; the gateway answers
	// "data":null (spec section 3), as the invoice pages' error examples print it.
	errorData := map[string][]string{"": {"data"}}
	checkNullData := func(t *testing.T, r result) {
		t.Helper()
		if string(r.Data) != "null" {
			t.Errorf("data %s, want null", r.Data)
		}
	}

	t.Run("QueryPaymentStatus/Initial", func(t *testing.T) {
		t.Parallel()
		// The example is an NG order of 400 still INITIAL; make one with its reference.
		must(t, e.call(t, e.Demo, pathCashierCreate, `{"amount":{"currency":"NGN","total":400},"country":"NG",`+
			`"product":{"name":"docs"},"reference":"1633759282000","returnUrl":"https://merchant.example/return"}`), opay.CodeSuccess)
		r := must(t, e.call(t, e.Demo, pathStatus, `{"reference":"1633759282000","country":"NG"}`), opay.CodeSuccess)
		checkExample(t, docExample{
			file:   "query-payment-status-initial.json",
			values: []string{"code", "message", "data.reference", "data.status", "data.vat", "data.amount"},
		}, r.Raw)
		d := data[opay.CashierStatusData](t, r)
		if !orderNoRE.MatchString(d.OrderNo) {
			t.Errorf("orderNo %q, the example's has 18 digits", d.OrderNo)
		}
		// createTime: epoch milliseconds, as the example's 1633788085000.
		if now := e.clock.Now().UnixMilli(); d.CreateTime > now || d.CreateTime < now-60_000 {
			t.Errorf("createTime %d is not epoch milliseconds near %d", d.CreateTime, now)
		}
	})
	t.Run("QueryPaymentStatus/Error02006", func(t *testing.T) {
		t.Parallel()
		// The page's request example (lines 41–44), for an order that does not exist.
		r := must(t, e.call(t, e.Demo, pathStatus, "{\n    \"reference\": \"96315454\",\n    \"country\":\"NG\"\n}"), opay.CodeNotFound)
		checkExample(t, docExample{file: "query-payment-status-error.json", extra: errorData, values: []string{"code", "message"}}, r.Raw)
		checkNullData(t, r)
	})

	t.Run("CancelPayment/Close", func(t *testing.T) {
		t.Parallel()
		must(t, e.call(t, e.Demo, pathCashierCreate, `{"amount":{"currency":"EGP","total":400},"country":"EG",`+
			`"product":{"name":"docs"},"reference":"56215641","returnUrl":"https://merchant.example/return"}`), opay.CodeSuccess)
		r := must(t, e.call(t, e.Demo, pathClose, "{\n    \"reference\": \"56215641\",\n    \"country\": \"EG\"\n}"), opay.CodeSuccess)
		checkExample(t, docExample{
			file:   "opay-cancel-payment-close.json",
			values: []string{"code", "message", "data.reference", "data.country", "data.amount", "data.orderStatus"},
		}, r.Raw)
	})
	t.Run("CancelPayment/Error02006", func(t *testing.T) {
		t.Parallel()
		// The page's request example (lines 32–35), for an order that does not exist.
		r := must(t, e.call(t, e.Demo, pathClose, "{\n    \"reference\": \"65316571001\",\n    \"country\": \"EG\"\n}"), opay.CodeNotFound)
		checkExample(t, docExample{file: "opay-cancel-payment-error.json", extra: errorData, values: []string{"code", "message"}}, r.Raw)
		checkNullData(t, r)
	})

	t.Run("ValU/CreateAndDuplicate", func(t *testing.T) {
		t.Parallel()
		// The page's request (lines 23–38) with the example answer's reference. Its plans are
		// those of 60000 (fee 3 % = 1800, emi 60000 × 1.14 / 6 = 11400), although its
		// amount.total says 1000: the plans are compared, amount.total is not.
		body := `{"amount":{"currency":"EGP","total":60000},"callbackUrl":"https://your-call-back-url","country":"EG",` +
			`"payMethod":"VALU","product":{"description":"dd","name":"name"},"reference":"104123398",` +
			`"returnUrl":"https://your-return-url","valUAccountNumber":"01066668888"}`
		r := must(t, e.call(t, e.Demo, pathPaymentCreate, body), opay.CodeSuccess)
		checkExample(t, docExample{
			file: "opay-valu-installment-create.json",
			values: []string{"code", "message", "data.reference", "data.nextAction.actionType",
				"data.nextAction.plans[0]", "data.nextAction.plans[1]", "data.status", "data.amount.currency", "data.vat"},
		}, r.Raw)
		if d := data[opay.PaymentCreateData](t, r); !orderNoRE.MatchString(d.OrderNo) {
			t.Errorf("orderNo %q, the example's has 18 digits", d.OrderNo)
		}

		// The page's sample error: the same reference again.
		r = must(t, e.call(t, e.Demo, pathPaymentCreate, body), opay.CodeDuplicate)
		checkExample(t, docExample{file: "opay-valu-installment-error.json", extra: errorData, values: []string{"code", "message"}}, r.Raw)
		checkNullData(t, r)
	})
	t.Run("ValU/InputInstallmentMonthAndOTP", func(t *testing.T) {
		t.Parallel()
		// The examples of steps 2 and 3 print an order of 1000 (and the reference of step 1's
		// example): make that order, for merchant A as step 1's reference is the demo's.
		d := e.valu(t, e.A, "104123398", 1000, "01066668888")
		r := must(t, e.call(t, e.A, pathMonth, `{"country":"EG","months":6,"orderNo":"`+d.OrderNo+`"}`), opay.CodeSuccess)
		checkExample(t, docExample{
			file: "opay-valu-installment-input-installment-month.json",
			// The example omits vat; the page's response table lists it (line 526).
			extra:  map[string][]string{"data": {"vat"}},
			values: []string{"code", "message", "data.reference", "data.nextAction", "data.status", "data.amount"},
		}, r.Raw)
		if a := data[opay.ActionData](t, r); a.VAT != (opay.Amount{Currency: "EGP"}) {
			t.Errorf("vat %+v, want 0 EGP as the table's example", a.VAT)
		}

		// The page's OTP, 123456, is the sandbox's.
		r = must(t, e.call(t, e.A, pathOTP, `{"country":"EG","otp":"123456","orderNo":"`+d.OrderNo+`"}`), opay.CodeSuccess)
		checkExample(t, docExample{
			file: "opay-valu-installment-input-otp.json",
			// The example omits vat; the page's response table lists it (line 726).
			extra:  map[string][]string{"data": {"vat"}},
			values: []string{"code", "message", "data.reference", "data.status", "data.amount"},
		}, r.Raw)
		if o := data[opay.InputOTPData](t, r); o.VAT != (opay.Amount{Currency: "EGP"}) || o.OrderNo != d.OrderNo {
			t.Errorf("otp %+v", o)
		}
	})

	t.Run("GetInvoiceDetails/Unpaid", func(t *testing.T) {
		t.Parallel()
		// The example's invoice: the demo merchant's products 1000000570 ×1 and 1000000571 ×2,
		// its name, description, customer, language and notification method, and a service
		// fee of 21.
		due := e.clock.Now().Add(48 * time.Hour).Unix()
		body := fmt.Sprintf(`{"country":"EG","customer":{"customerEmail":"test@email.com","customerMobile":"+201066668888",`+
			`"customerName":"OPay Test Name"},"description":"test invoice description","dueTime":%d,"lang":"EN",`+
			`"name":"OPay Test Invoice","notifyMethod":"SMS","productList":[{"merchantProductNo":"1000000570","quantity":1},`+
			`{"merchantProductNo":"1000000571","quantity":2}],"relationProduct":true,`+
			`"serviceFee":{"currency":"EGP","feeRate":0,"fixedFee":21}}`, due)
		inv := data[opay.InvoiceData](t, must(t, e.call(t, e.Demo, pathInvoiceCreate, body), opay.CodeSuccess))
		r := must(t, e.call(t, e.Demo, pathInvoice, "{\n    \"invoiceNo\":\""+inv.InvoiceNo+"\"\n}"), opay.CodeSuccess)
		var values []string
		for _, p := range []string{"merchantProductNo", "image", "price.currency", "quantity"} {
			values = append(values, "data.products[0]."+p, "data.products[1]."+p)
		}
		checkExample(t, docExample{
			file: "get-invoice-details-unpaid.json",
			values: append(values, "code", "message", "data.status", "data.invoiceName", "data.description",
				"data.amount.currency", "data.customer", "data.country", "data.merchantId", "data.lang",
				"data.notifyMethod", "data.paymentType", "data.totalServiceFee"),
		}, r.Raw)

		d := data[opay.InvoiceData](t, r)
		if !regexp.MustCompile(`^\d{8,}$`).MatchString(d.InvoiceNo) || d.InvoiceNo != inv.InvoiceNo {
			t.Errorf("invoiceNo %q, the example's is 8 digits", d.InvoiceNo)
		}
		if d.DueDate != due {
			t.Errorf("dueDate %d, want the epoch seconds sent, %d", d.DueDate, due)
		}
		// As in the example (6700 + 2 × 6800 = 20300), the amount is the products'.
		var sum int64
		for _, p := range d.Products {
			sum += p.Price.Total * int64(p.Quantity)
		}
		if d.Amount.Total != sum || sum == 0 {
			t.Errorf("amount %d, the products add up to %d", d.Amount.Total, sum)
		}

		t.Run("InvoiceLinkIsOPaysForm", func(t *testing.T) {
			// The example's link is the host, then ?vid= and 32 hex digits, no path.
			if re := regexp.MustCompile(`^` + regexp.QuoteMeta(e.srv.URL) + `\?vid=[0-9a-f]{32}$`); !re.MatchString(d.InvoiceLink) {
				t.Errorf("invoiceLink %q, want %s?vid=<32 hex> as the example's %q", d.InvoiceLink, e.srv.URL,
					"https://cashier.opaycheckout.com?vid=8d0abb66f8e34ed3bd8daa68bac16eef")
			}
		})
		t.Run("ProductNoIsTheGatewaysOwn", func(t *testing.T) {
			// The example's productNo (10001) is OPay's id, not the merchant's 1000000570.
			for _, p := range d.Products {
				if _, err := strconv.ParseUint(p.ProductNo, 10, 64); err != nil || p.ProductNo == p.MerchantProductNo {
					t.Errorf("product %s: productNo %q, want the gateway's own numeric id", p.MerchantProductNo, p.ProductNo)
				}
			}
		})
	})
	t.Run("GetInvoiceDetails/Error", func(t *testing.T) {
		t.Parallel()
		// The page's sample error, 20000 "Duplicate merchant order number", is a code its
		// error table does not list and that getInvoiceDetails cannot cause: compare its
		// shape only, with the gateway's answer for an invoice that does not exist.
		r := must(t, e.call(t, e.Demo, pathInvoice, `{"invoiceNo":"20459544"}`), opay.CodeNotFound)
		checkExample(t, docExample{file: "get-invoice-details-error.json"}, r.Raw)
		if r.Message != "invoice not found." {
			t.Errorf("message %q", r.Message)
		}
	})

	t.Run("CancelEInvoice/True", func(t *testing.T) {
		t.Parallel()
		inv := createInvoice(t, e, e.Demo, invoiceBody(e, nil))
		r := must(t, e.call(t, e.Demo, pathCancelInvoice, `{"invoiceNo":"`+inv.InvoiceNo+`"}`), opay.CodeSuccess)
		// data is the JSON string "true", not the boolean.
		checkExample(t, docExample{file: "cancel-e-invoice-true.json", values: []string{"code", "message", "data"}}, r.Raw)
	})
	t.Run("CancelEInvoice/False", func(t *testing.T) {
		t.Parallel()
		// The page's table says data is the String "true or false" (line 174). An invoice
		// that can no longer be cancelled answers 02014 with the string "false": the
		// example's shape. This one expires, on a gateway of its own as the clock moves.
		own := newTestServer(t)
		inv := createInvoice(t, own, own.Demo, invoiceBody(own, func(m map[string]any) { m["dueTime"] = own.clock.Now().Add(time.Hour).Unix() }))
		own.advance(t, `{"minutes":61}`)
		r := must(t, own.call(t, own.Demo, pathCancelInvoice, `{"invoiceNo":"`+inv.InvoiceNo+`"}`), opay.CodeInvoiceState)
		checkExample(t, docExample{file: "cancel-e-invoice-true.json"}, r.Raw)
		if string(r.Data) != `"false"` {
			t.Errorf("data %s, want the string \"false\"", r.Data)
		}
	})
	t.Run("CancelEInvoice/Error", func(t *testing.T) {
		t.Parallel()
		// As on get-invoice-details: the sample error's code cannot happen; shape only.
		r := must(t, e.call(t, e.Demo, pathCancelInvoice, `{"invoiceNo":"20459544"}`), opay.CodeNotFound)
		checkExample(t, docExample{file: "cancel-e-invoice-error.json"}, r.Raw)
		if r.Message != "invoice not found." {
			t.Errorf("message %q", r.Message)
		}
	})
}
