package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// invoiceBody is a valid createSingleInvoice request for merchant A's catalog, changed by
// change (which may be nil).
func invoiceBody(e *env, change func(map[string]any)) []byte {
	m := map[string]any{
		"amount":      map[string]any{"currency": "EGP", "total": 10000},
		"country":     "EG",
		"customer":    map[string]any{"customerEmail": "ali@example.com", "customerMobile": "+201066668888", "customerName": "Ali"},
		"description": "March",
		"dueTime":     e.clock.Now().Add(72 * time.Hour).Unix(),
		"name":        "Rent",
	}
	if change != nil {
		change(m)
	}
	b, _ := json.Marshal(m)
	return b
}

func createInvoice(t testing.TB, e *env, m *opaygate.Merchant, body []byte) opay.InvoiceData {
	t.Helper()
	return data[opay.InvoiceData](t, must(t, e.call(t, m, pathInvoiceCreate, body), opay.CodeSuccess))
}

func TestInvoiceCreate(t *testing.T) {
	e := newTestServer(t)

	t.Run("Defaults", func(t *testing.T) {
		inv := createInvoice(t, e, e.A, invoiceBody(e, nil))
		if inv.Lang != "EN" || inv.NotifyMethod != "BOTH" || inv.Status != "Unpaid" || inv.TotalServiceFee != (opay.Amount{Currency: "EGP"}) ||
			inv.Amount.Total != 10000 || len(inv.Products) != 0 || inv.Customer.Mobile != "+201066668888" {
			t.Errorf("invoice %+v", inv)
		}
	})
	t.Run("RelationProducts", func(t *testing.T) {
		inv := createInvoice(t, e, e.A, invoiceBody(e, func(m map[string]any) {
			delete(m, "amount")
			m["relationProduct"] = true
			m["productList"] = []any{map[string]any{"merchantProductNo": "SKU-1", "quantity": "2"}, map[string]any{"merchantProductNo": "SKU-2", "quantity": 1}}
			m["serviceFee"] = map[string]any{"feeRate": 1.25, "fixedFee": "50"}
			m["lang"], m["notifyMethod"] = "AR", "EMAIL"
		}))
		// 2×15000 + 2550 = 32550; fee ⌈32550 × 1.25 %⌉ + 50 = ⌈406.875⌉ + 50 = 457.
		if inv.Amount.Total != 32550 || inv.TotalServiceFee.Total != 457 || len(inv.Products) != 2 ||
			inv.Products[0].Quantity != 2 || inv.Products[0].Price.Total != 15000 || inv.Lang != "AR" || inv.NotifyMethod != "EMAIL" {
			t.Errorf("invoice %+v", inv)
		}
	})
	t.Run("FeeRates", func(t *testing.T) {
		for rate, fee := range map[string]int64{`"2.5"`: 250, `2.50`: 250, `0`: 0, `"100"`: 10000, `"0.01"`: 1, `"7."`: 700} {
			inv := createInvoice(t, e, e.A, invoiceBody(e, func(m map[string]any) {
				m["serviceFee"] = map[string]any{"currency": "EGP", "feeRate": json.RawMessage(rate)}
			}))
			if inv.TotalServiceFee != (opay.Amount{Total: fee, Currency: "EGP"}) {
				t.Errorf("feeRate %s: fee %+v, want %d", rate, inv.TotalServiceFee, fee)
			}
		}
	})
	t.Run("Nigeria", func(t *testing.T) {
		inv := createInvoice(t, e, e.A, invoiceBody(e, func(m map[string]any) {
			m["country"] = "NG"
			m["amount"] = map[string]any{"currency": "NGN", "total": "500000"}
			m["customer"] = map[string]any{"customerName": "Ada", "customerMobile": "+2348031234567"}
			m["notifyMethod"] = "SMS"
		}))
		if inv.Amount != (opay.Amount{Total: 500000, Currency: "NGN"}) || inv.Country != "NG" {
			t.Errorf("invoice %+v", inv)
		}
	})

	for _, tc := range []struct {
		name, want string
		change     func(map[string]any)
	}{
		{"ProductsRequired", "Products is required.", func(m map[string]any) { m["relationProduct"] = true }},
		{"ProductsRequiredEmptyList", "Products is required.", func(m map[string]any) { m["relationProduct"], m["productList"] = true, []any{} }},
		{"MergeProducts", "Please merge the same products.", func(m map[string]any) {
			m["relationProduct"] = true
			m["productList"] = []any{map[string]any{"merchantProductNo": "SKU-1", "quantity": 1}, map[string]any{"merchantProductNo": "SKU-1", "quantity": 2}}
		}},
		{"UnknownProduct", "Merchant Product ID does not exist, please create it in merchant dashboard first.", func(m map[string]any) {
			m["relationProduct"] = true
			m["productList"] = []any{map[string]any{"merchantProductNo": "NOPE", "quantity": 1}}
		}},
		{"OtherMerchantsProduct", "Merchant Product ID does not exist, please create it in merchant dashboard first.", func(m map[string]any) {
			m["relationProduct"] = true
			m["productList"] = []any{map[string]any{"merchantProductNo": "1000000570", "quantity": 1}}
		}},
		{"AmountNotProducts", "amount.total must equal", func(m map[string]any) {
			m["relationProduct"] = true
			m["productList"] = []any{map[string]any{"merchantProductNo": "SKU-2", "quantity": 1}}
		}},
		{"MobileCharacters", "Invalid characters in mobile number.", func(m map[string]any) {
			m["customer"].(map[string]any)["customerMobile"] = "+20 1066668888"
		}},
		{"MobileDashes", "Invalid characters in mobile number.", func(m map[string]any) {
			m["customer"].(map[string]any)["customerMobile"] = "010-6666-8888"
		}},
		{"MobileNational", "Mobile number format should be like this +201088889999", func(m map[string]any) {
			m["customer"].(map[string]any)["customerMobile"] = "01066668888"
		}},
		{"MobileTooLong", "Mobile number format should be like this +201088889999", func(m map[string]any) {
			m["customer"].(map[string]any)["customerMobile"] = "+2010666688881"
		}},
		{"MobileOtherCountry", "Mobile number format should be like this +201088889999", func(m map[string]any) {
			m["customer"].(map[string]any)["customerMobile"] = "+2348031234567"
		}},
		{"AmountZero", "Invoice amount can not be 0", func(m map[string]any) { m["amount"] = map[string]any{"currency": "EGP", "total": 0} }},
		{"AmountMissing", "Invoice amount can not be 0", func(m map[string]any) { delete(m, "amount") }},
		{"AmountCurrency", "amount.currency must be EGP", func(m map[string]any) { m["amount"] = map[string]any{"currency": "NGN", "total": 100} }},
		{"DuePast", "dueTime must be in the future", func(m map[string]any) { m["dueTime"] = e.clock.Now().Add(-time.Minute).Unix() }},
		{"DueMissing", "dueTime is required", func(m map[string]any) { delete(m, "dueTime") }},
		{"NameMissing", "name is required", func(m map[string]any) { delete(m, "name") }},
		{"CustomerNameMissing", "customer.customerName is required", func(m map[string]any) { delete(m["customer"].(map[string]any), "customerName") }},
		{"SMSWithoutMobile", "customer.customerMobile is required", func(m map[string]any) {
			m["notifyMethod"] = "SMS"
			delete(m["customer"].(map[string]any), "customerMobile")
		}},
		{"NoContact", "customer.customerMobile or customer.customerEmail is required", func(m map[string]any) {
			m["customer"] = map[string]any{"customerName": "Ali"}
		}},
		{"CountryMissing", "country is required", func(m map[string]any) { delete(m, "country") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := must(t, e.call(t, e.A, pathInvoiceCreate, invoiceBody(e, tc.change)), opay.CodeInvalidParams)
			// OPay's six invoice sentences are the whole message; anything else is the
			// generic message with the problem in the detail.
			if r.Message != tc.want && (r.Message != "request params not valid." || !contains(r.Detail, tc.want)) {
				t.Errorf("message %q detail %q, want %q", r.Message, r.Detail, tc.want)
			}
			checkNoLeak(t, r.Message)
			checkNoLeak(t, r.Detail)
		})
	}
}

func TestInvoiceCancel(t *testing.T) {
	e := newTestServer(t)
	cancel := func(t *testing.T, no, code, data string) {
		t.Helper()
		r := must(t, e.call(t, e.A, pathCancelInvoice, `{"invoiceNo":"`+no+`"}`), code)
		if string(r.Data) != data {
			t.Errorf("data %s, want %s", r.Data, data)
		}
	}
	details := func(t *testing.T, no string) opay.InvoiceData {
		t.Helper()
		return data[opay.InvoiceData](t, must(t, e.call(t, e.A, pathInvoice, `{"invoiceNo":"`+no+`"}`), opay.CodeSuccess))
	}

	t.Run("UnpaidThenAgain", func(t *testing.T) {
		inv := createInvoice(t, e, e.A, invoiceBody(e, nil))
		cancel(t, inv.InvoiceNo, opay.CodeSuccess, `"true"`)
		cancel(t, inv.InvoiceNo, opay.CodeSuccess, `"true"`)
		if d := details(t, inv.InvoiceNo); d.Status != "Cancelled" {
			t.Errorf("status %s", d.Status)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		inv := createInvoice(t, e, e.A, invoiceBody(e, func(m map[string]any) { m["dueTime"] = e.clock.Now().Add(90 * time.Second).Unix() }))
		e.advance(t, `{"minutes":2}`)
		if d := details(t, inv.InvoiceNo); d.Status != "Expired" {
			t.Errorf("status %s", d.Status)
		}
		cancel(t, inv.InvoiceNo, opay.CodeInvoiceState, `"false"`)
	})
	t.Run("Paid", func(t *testing.T) {
		inv := createInvoice(t, e, e.A, invoiceBody(e, nil))
		payInvoice(t, e, e.A, inv.InvoiceNo)
		if d := details(t, inv.InvoiceNo); d.Status != "Paid" {
			t.Fatalf("status %s", d.Status)
		}
		r := must(t, e.call(t, e.A, pathCancelInvoice, `{"invoiceNo":"`+inv.InvoiceNo+`"}`), opay.CodeInvoiceState)
		if string(r.Data) != `"false"` || !contains(r.Message, "invoice status does not allow this action: ") {
			t.Errorf("answer %s", r.Raw)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		cancel(t, "99999999", opay.CodeNotFound, "null")
	})
}

// payInvoice pays an invoice as its hosted page would: an order, then ValU with the sandbox OTP.
func payInvoice(t testing.TB, e *env, m *opaygate.Merchant, invoiceNo string) {
	t.Helper()
	// A panic in the store would end the whole test binary; make it this test's failure.
	defer func() {
		if v := recover(); v != nil {
			t.Fatalf("paying invoice %s panicked in the store: %v", invoiceNo, v)
		}
	}()
	ctx := context.Background()
	inv, err := e.svc.Invoices.FindInvoice(ctx, m.ID, invoiceNo)
	if err != nil {
		t.Fatal(err)
	}
	o, err := e.svc.Invoices.PayInvoice(ctx, inv.ID, "https://m.example/r")
	if err != nil {
		t.Fatal(err)
	}
	key := opaygate.OrderKey{OrderNo: o.OrderNo}
	if _, err := e.svc.Orders.StartPayment(ctx, m.ID, key, opaygate.PayMethodValU, "01012345678"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Orders.SelectPlan(ctx, m.ID, key, 6); err != nil {
		t.Fatal(err)
	}
	if o, err = e.svc.Orders.SubmitOTP(ctx, m.ID, key, "123456"); err != nil || o.Status != opaygate.StatusSuccess {
		t.Fatalf("pay: %v %+v", err, o)
	}
}

func TestInvoiceStatistics(t *testing.T) {
	e := newTestServer(t)
	start := e.clock.Now().Add(-time.Minute).Unix()
	stats := func(t *testing.T, from, to int64) (opay.InvoiceStatisticsData, result) {
		t.Helper()
		r := must(t, e.call(t, e.A, pathInvoiceStats, fmt.Sprintf(`{"startCreateTime":%d,"endCreateTime":"%d"}`, from, to)), opay.CodeSuccess)
		return data[opay.InvoiceStatisticsData](t, r), r
	}

	t.Run("Empty", func(t *testing.T) {
		d, r := stats(t, start, start+60)
		zero := opay.InvoiceStats{{Count: 0, Amount: opay.Amount{Total: 0, Currency: "EGP"}}}
		for _, got := range []opay.InvoiceStats{d.Paid, d.Unpaid, d.Cancelled, d.Expired, d.Total} {
			if fmt.Sprint(got) != fmt.Sprint(zero) {
				t.Errorf("entry %+v in %s", got, r.Raw)
			}
		}
	})

	amounts := map[string]int64{"paid": 1000, "unpaid": 2000, "cancelled": 3000, "expired": 4000}
	for name, total := range amounts {
		inv := createInvoice(t, e, e.A, invoiceBody(e, func(m map[string]any) {
			m["amount"] = map[string]any{"currency": "EGP", "total": total}
			if name == "expired" {
				m["dueTime"] = e.clock.Now().Add(30 * time.Second).Unix()
			}
		}))
		switch name {
		case "paid":
			// A subtest, so that a failure to pay still lets the counts below be checked.
			t.Run("Pay", func(t *testing.T) { payInvoice(t, e, e.A, inv.InvoiceNo) })
		case "cancelled":
			must(t, e.call(t, e.A, pathCancelInvoice, `{"invoiceNo":"`+inv.InvoiceNo+`"}`), opay.CodeSuccess)
		}
	}
	// Merchant B's invoices never count for A.
	createInvoice(t, e, e.B, invoiceBody(e, nil))
	e.advance(t, `{"minutes":1}`)
	end := e.clock.Now().Unix()

	t.Run("OneCurrency", func(t *testing.T) {
		d, r := stats(t, start, end)
		checkShape(t, r, envelope(fmt.Sprintf("{paid:%[1]s,unpaid:%[1]s,cancelled:%[1]s,expired:%[1]s,total:%[1]s}", "{count:n,amount:"+amountShape+"}")))
		for name, got := range map[string]opay.InvoiceStats{"paid": d.Paid, "unpaid": d.Unpaid, "cancelled": d.Cancelled, "expired": d.Expired} {
			if len(got) != 1 || got[0].Count != 1 || got[0].Amount != (opay.Amount{Total: amounts[name], Currency: "EGP"}) {
				t.Errorf("%s: %+v", name, got)
			}
		}
		if len(d.Total) != 1 || d.Total[0].Count != 4 || d.Total[0].Amount.Total != 10000 {
			t.Errorf("total %+v", d.Total)
		}
	})
	t.Run("SeveralCurrencies", func(t *testing.T) {
		createInvoice(t, e, e.A, invoiceBody(e, func(m map[string]any) {
			m["country"] = "NG"
			m["amount"] = map[string]any{"currency": "NGN", "total": 70000}
			m["customer"] = map[string]any{"customerName": "Ada", "customerEmail": "ada@example.com"}
		}))
		d, r := stats(t, start, e.clock.Now().Unix())
		entry := "{count:n,amount:" + amountShape + "}"
		two := "[" + entry + "," + entry + "]"
		checkShape(t, r, envelope(fmt.Sprintf("{paid:%[1]s,unpaid:%[1]s,cancelled:%[1]s,expired:%[1]s,total:%[1]s}", two)))
		if len(d.Unpaid) != 2 || len(d.Total) != 2 {
			t.Fatalf("stats %s", r.Data)
		}
		if d.Unpaid[1] != (opay.InvoiceStat{Count: 1, Amount: opay.Amount{Total: 70000, Currency: "NGN"}}) ||
			d.Total[0].Amount.Total != 10000 || d.Total[1].Amount.Total != 70000 {
			t.Errorf("stats %s", r.Data)
		}
	})
}
