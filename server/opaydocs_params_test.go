package server_test

import (
	"encoding/json"
	"testing"

	"github.com/opaygate/opaygate/opay"
)

// paramCase is one request built from a page's parameter table (or, where the page prints no
// table, its request example) and the answer it must get.
type paramCase struct {
	name   string
	path   string
	body   string
	code   string // the answer's code
	detail string // for 02001: what X-Opaygate-Detail must contain, naming the field
}

// run sends the case for merchant A and checks the answer: a refused request says the page's
// exact 02001 message with data null, and the header names the field.
func (c paramCase) run(t *testing.T, e *env) result {
	t.Helper()
	r := must(t, e.call(t, e.A, c.path, c.body), c.code)
	if c.code != opay.CodeInvalidParams {
		return r
	}
	want := "request params not valid."
	if c.path == pathPaymentCreate || c.path == pathMonth || c.path == pathOTP {
		want = "request parameters not valid." // the ValU page's spelling (line 745)
	}
	if r.Message != want || string(r.Data) != "null" {
		t.Errorf("answer %s, want message %q and data null", r.Raw, want)
	}
	if !contains(r.Detail, c.detail) {
		t.Errorf("X-Opaygate-Detail %q does not name %q", r.Detail, c.detail)
	}
	return r
}

// TestOPayDocsParameters checks every request parameter the pages document: a required one
// missing (or of the wrong JSON type) is refused with the page's 02001 message and the field
// named in X-Opaygate-Detail; an optional one may be left out.
func TestOPayDocsParameters(t *testing.T) {
	t.Parallel()
	e := newTestServer(t)

	// query-payment-status.txt lines 52–55 and opay-cancel-payment.txt lines 43–46: reference
	// "required (if no orderNo provide)", orderNo "required (if no reference provide)",
	// country required; all Strings.
	for _, page := range []struct{ name, path string }{{"QueryPaymentStatus", pathStatus}, {"CancelPayment", pathClose}} {
		path := page.path
		t.Run(page.name, func(t *testing.T) {
			t.Parallel()
			ref := "params-" + page.name // one order per endpoint
			d := data[opay.CashierCreateData](t, must(t, e.call(t, e.A, pathCashierCreate, map[string]any{
				"amount": map[string]any{"currency": "EGP", "total": 400}, "country": "EG", "product": map[string]any{"name": "docs"},
				"reference": ref, "returnUrl": "https://merchant.example/return",
			}), opay.CodeSuccess))
			for _, c := range []paramCase{
				{name: "NeitherReferenceNorOrderNo", body: `{"country":"EG"}`, code: opay.CodeInvalidParams, detail: "orderNo or reference is required"},
				{name: "CountryMissing", body: `{"reference":"` + ref + `"}`, code: opay.CodeInvalidParams, detail: "country is required"},
				{name: "CountryEmpty", body: `{"reference":"` + ref + `","country":""}`, code: opay.CodeInvalidParams, detail: "country is required"},
				{name: "ReferenceNotString", body: `{"reference":96315454,"country":"EG"}`, code: opay.CodeInvalidParams, detail: "reference must be a string"},
				{name: "OrderNoNotString", body: `{"orderNo":` + d.OrderNo + `,"country":"EG"}`, code: opay.CodeInvalidParams, detail: "orderNo must be a string"},
				{name: "CountryNotString", body: `{"reference":"` + ref + `","country":1}`, code: opay.CodeInvalidParams, detail: "country must be a string"},
				// Closing a closed order again answers the same, so every accepted form can be
				// tried on one order, close included.
				{name: "ReferenceOnly", body: `{"reference":"` + ref + `","country":"EG"}`, code: opay.CodeSuccess},
				{name: "OrderNoOnly", body: `{"orderNo":"` + d.OrderNo + `","country":"EG"}`, code: opay.CodeSuccess},
				{name: "OrderNoWinsOverReference", body: `{"reference":"no-such-ref","orderNo":"` + d.OrderNo + `","country":"EG"}`, code: opay.CodeSuccess},
			} {
				c.path = path
				t.Run(c.name, func(t *testing.T) {
					r := c.run(t, e)
					if c.code != opay.CodeSuccess {
						return
					}
					var got struct{ Reference, OrderNo string }
					if err := json.Unmarshal(r.Data, &got); err != nil || got.Reference != ref || got.OrderNo != d.OrderNo {
						t.Errorf("answer %s, want order %s (%s)", r.Raw, d.OrderNo, ref)
					}
				})
			}
		})
	}

	// get-invoice-details.txt lines 43–44: invoiceNo String required. cancel-e-invoice.txt
	// prints no table (line 18 announces one); its request example has the same one member.
	for _, page := range []struct{ name, path string }{{"GetInvoiceDetails", pathInvoice}, {"CancelEInvoice", pathCancelInvoice}} {
		path := page.path
		t.Run(page.name, func(t *testing.T) {
			t.Parallel()
			inv := createInvoice(t, e, e.A, invoiceBody(e, nil))
			for _, c := range []paramCase{
				{name: "InvoiceNoMissing", body: `{}`, code: opay.CodeInvalidParams, detail: "invoiceNo is required"},
				{name: "InvoiceNoEmpty", body: `{"invoiceNo":""}`, code: opay.CodeInvalidParams, detail: "invoiceNo is required"},
				{name: "InvoiceNoNotString", body: `{"invoiceNo":` + inv.InvoiceNo + `}`, code: opay.CodeInvalidParams, detail: "invoiceNo must be a string"},
				// Both pages print their request example with a trailing comma (get-invoice-details
				// line 34, cancel-e-invoice line 15): not JSON, so refused.
				{name: "PagesRequestExampleAsPrinted", body: "{\n\"invoiceNo\":\"" + inv.InvoiceNo + "\",\n}", code: opay.CodeInvalidParams, detail: "request body has a trailing comma"},
				{name: "InvoiceNo", body: `{"invoiceNo":"` + inv.InvoiceNo + `"}`, code: opay.CodeSuccess},
			} {
				c.path = path
				t.Run(c.name, func(t *testing.T) { c.run(t, e) })
			}
		})
	}

	// opay-valu-installment.txt prints no request table for its three endpoints (lines 40, 342
	// and 548 announce one); the request examples (lines 23–38, 336–340, 542–546) and spec
	// section 4.2 name the parameters. Every sample client leaves product.description out.
	t.Run("ValUCreate", func(t *testing.T) {
		t.Parallel()
		valu := func(change func(map[string]any)) string {
			m := map[string]any{
				"amount": map[string]any{"currency": "EGP", "total": 60000}, "callbackUrl": "https://your-call-back-url.com",
				"country": "EG", "payMethod": "VALU", "product": map[string]any{"description": "dd", "name": "name"},
				"reference": "params-valu", "returnUrl": "https://your-return-url.com", "valUAccountNumber": "01066668888",
			}
			change(m)
			b, _ := json.Marshal(m)
			return string(b)
		}
		for _, c := range []paramCase{
			{name: "AmountMissing", body: valu(func(m map[string]any) { delete(m, "amount") }), detail: "amount.total"},
			{name: "AmountTotalMissing", body: valu(func(m map[string]any) { m["amount"] = map[string]any{"currency": "EGP"} }), detail: "amount.total"},
			{name: "AmountCurrencyMissing", body: valu(func(m map[string]any) { m["amount"] = map[string]any{"total": 60000} }), detail: "amount.currency is required"},
			{name: "CountryMissing", body: valu(func(m map[string]any) { delete(m, "country") }), detail: "country is required"},
			{name: "PayMethodMissing", body: valu(func(m map[string]any) { delete(m, "payMethod") }), detail: "payMethod is required"},
			{name: "ProductMissing", body: valu(func(m map[string]any) { delete(m, "product") }), detail: "product or productList is required"},
			{name: "ProductNameMissing", body: valu(func(m map[string]any) { m["product"] = map[string]any{"description": "dd"} }), detail: "product.name is required"},
			{name: "ReferenceMissing", body: valu(func(m map[string]any) { delete(m, "reference") }), detail: "reference is required"},
			{name: "ValUAccountNumberMissing", body: valu(func(m map[string]any) { delete(m, "valUAccountNumber") }), detail: "valUAccountNumber"},
			{name: "ValUAccountNumberNotString", body: valu(func(m map[string]any) { m["valUAccountNumber"] = 1066668888 }), detail: "valUAccountNumber must be a string"},
			{name: "ProductDescriptionOptional", body: valu(func(m map[string]any) { m["product"] = map[string]any{"name": "name"} }), code: opay.CodeSuccess},
		} {
			c.path = pathPaymentCreate
			if c.code == "" {
				c.code = opay.CodeInvalidParams
			}
			t.Run(c.name, func(t *testing.T) { c.run(t, e) })
		}
	})
	t.Run("ValUInputInstallmentMonth", func(t *testing.T) {
		t.Parallel()
		byNo := e.valu(t, e.A, "params-month-1", 60000, "01066668888").OrderNo
		e.valu(t, e.A, "params-month-2", 60000, "01066668888")
		for _, c := range []paramCase{
			{name: "MonthsMissing", body: `{"country":"EG","orderNo":"` + byNo + `"}`, code: opay.CodeInvalidParams, detail: "months"},
			{name: "MonthsNotOffered", body: `{"country":"EG","months":5,"orderNo":"` + byNo + `"}`, code: opay.CodeInvalidParams, detail: "months must be one of the offered plans"},
			{name: "OrderNoMissing", body: `{"country":"EG","months":6}`, code: opay.CodeInvalidParams, detail: "orderNo or reference is required"},
			{name: "OrderNoNotString", body: `{"country":"EG","months":6,"orderNo":` + byNo + `}`, code: opay.CodeInvalidParams, detail: "orderNo must be a string"},
			// country is optional on the action endpoints (spec 4.1); the order can be named by
			// reference instead of orderNo.
			{name: "CountryOptional", body: `{"months":6,"orderNo":"` + byNo + `"}`, code: opay.CodeSuccess},
			{name: "ByReference", body: `{"country":"EG","months":"7","reference":"params-month-2"}`, code: opay.CodeSuccess},
		} {
			c.path = pathMonth
			t.Run(c.name, func(t *testing.T) { c.run(t, e) })
		}
	})
	t.Run("ValUInputOTP", func(t *testing.T) {
		t.Parallel()
		byNo := e.toOTP(t, e.A, "params-otp-1", 60000)
		e.toOTP(t, e.A, "params-otp-2", 60000)
		for _, c := range []paramCase{
			{name: "OTPMissing", body: `{"country":"EG","orderNo":"` + byNo + `"}`, code: opay.CodeInvalidParams, detail: "otp is required"},
			{name: "OTPNotString", body: `{"country":"EG","otp":123456,"orderNo":"` + byNo + `"}`, code: opay.CodeInvalidParams, detail: "otp must be a string"},
			{name: "OrderNoMissing", body: `{"country":"EG","otp":"123456"}`, code: opay.CodeInvalidParams, detail: "orderNo or reference is required"},
			{name: "CountryOptional", body: `{"otp":"123456","orderNo":"` + byNo + `"}`, code: opay.CodeSuccess},
			{name: "ByReference", body: `{"country":"EG","otp":"123456","reference":"params-otp-2"}`, code: opay.CodeSuccess},
		} {
			c.path = pathOTP
			t.Run(c.name, func(t *testing.T) { c.run(t, e) })
		}
	})
}
