package server_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// TestRealClients: bodies shaped like those public merchant integrations send to OPay's
// cashier/create, which must work with only the base URL changed (METHODS.md §8.y).
func TestRealClients(t *testing.T) {
	e := newTestServer(t)
	ctx := context.Background()
	find := func(t *testing.T, orderNo string) *opaygate.Order {
		t.Helper()
		o, err := e.svc.Orders.FindOrder(ctx, e.A.ID, opaygate.OrderKey{OrderNo: orderNo})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	create := func(t *testing.T, body string) result {
		t.Helper()
		return must(t, e.do(t, "POST", pathCashierCreate, []byte(body),
			map[string]string{"MerchantId": e.A.ID, "Authorization": "Bearer " + e.A.PublicKey}), opay.CodeSuccess)
	}

	t.Run("ProductListWithoutProduct", func(t *testing.T) {
		// No product at all: a list with a numeric productId, a price as a string and a line
		// without quantity, plus the page fields OPay clients send (TestCashierCreatePageFields).
		r := create(t, `{"reference":"rc-list","country":"EG","amount":{"total":35000,"currency":"EGP"},`+
			`"returnUrl":"https://shop.example/return","callbackUrl":"https://shop.example/cb",`+
			`"productList":[{"productId":17,"name":"School fees","description":"First term","price":"30000","quantity":1,"imageUrl":"https://shop.example/fees.png"},`+
			`{"productId":"acc-2","name":"Hostel"}],`+
			`"sn":"x1","displayName":"Campus Store","evokeOpay":true,"customerVisitSource":"WEB","userClientIP":"203.0.113.9",`+
			`"userInfo":{"userEmail":"student@example.com","userId":"42","userMobile":"+201066668888","userName":"Student"}}`)
		d := data[opay.CashierCreateData](t, r)
		checkShape(t, r, envelope("{reference:s,orderNo:s,cashierUrl:s,status:s,amount:"+amountShape+",vat:"+amountShape+"}"))
		o := find(t, d.OrderNo)
		want := []opaygate.OrderProduct{
			{ID: "17", Name: "School fees", Description: "First term", Price: 30000, Quantity: 1, ImageURL: "https://shop.example/fees.png"},
			{ID: "acc-2", Name: "Hostel", Quantity: 1},
		}
		if o.ProductName != "School fees" || len(o.Products) != 2 || o.Products[0] != want[0] || o.Products[1] != want[1] {
			t.Errorf("stored product %q, list %+v", o.ProductName, o.Products)
		}
		token := d.CashierURL[strings.Index(d.CashierURL, "orderToken=")+len("orderToken="):]
		e.customer().get(t, "/checkout?orderToken="+token).html(t, 200).
			has(t, "<bdi>School fees</bdi> × 1", "<bdi>Hostel</bdi> × 1", "EGP 300.00")
	})
	t.Run("ProductAndProductList", func(t *testing.T) {
		r := create(t, `{"reference":"rc-both","country":"EG","amount":{"total":500,"currency":"EGP"},"returnUrl":"https://shop.example/r",`+
			`"product":{"name":"Order 77","description":"two things"},"productList":[{"name":"Mug","quantity":"2","price":250}]}`)
		o := find(t, data[opay.CashierCreateData](t, r).OrderNo)
		if o.ProductName != "Order 77" || len(o.Products) != 1 || o.Products[0].Quantity != 2 || o.Products[0].Price != 250 {
			t.Errorf("order %q %+v", o.ProductName, o.Products)
		}
	})
	t.Run("NeitherProductNorList", func(t *testing.T) {
		r := must(t, e.call(t, e.A, pathCashierCreate, `{"reference":"rc-none","country":"EG","amount":{"total":500,"currency":"EGP"},"returnUrl":"https://shop.example/r","productList":[]}`), opay.CodeInvalidParams)
		if r.Message != "request params not valid." || r.Detail != "product or productList is required" {
			t.Errorf("answer %s, detail %q", r.Raw, r.Detail)
		}
	})

	base := `{"country":"EG","amount":{"total":500,"currency":"EGP"},"returnUrl":"https://shop.example/r","product":{"name":"n"},`
	for _, tc := range []struct {
		name     string
		expireAt func(now time.Time) string
		minutes  int
		warning  string
	}{
		{"ExpireAtMinutes", func(time.Time) string { return "45" }, 45, ""},
		{"ExpireAtZeroIsDefault", func(time.Time) string { return "0" }, 30, ""},
		{"ExpireAtSecondsAsMinutesClamped", func(time.Time) string { return "1800" }, 1440, "expireAt 1800 read as minutes and clamped to 1440"},
		{"ExpireAtEpochMillisDeadline", func(now time.Time) string { return strconv.FormatInt(now.UnixMilli()+300000, 10) }, 5,
			"read as a deadline in epoch milliseconds: 5 minutes from now"},
		{"ExpireAtEpochSecondsDeadline", func(now time.Time) string { return `"` + strconv.FormatInt(now.Add(time.Hour).Unix(), 10) + `"` }, 60,
			"read as a deadline in epoch seconds: 60 minutes from now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := e.clock.Now()
			r := create(t, base+`"reference":"rc-`+tc.name+`","expireAt":`+tc.expireAt(now)+`}`)
			o := find(t, data[opay.CashierCreateData](t, r).OrderNo)
			if got := o.ExpireAt.Sub(o.CreatedAt); got != time.Duration(tc.minutes)*time.Minute {
				t.Errorf("lifetime %v, want %d minutes", got, tc.minutes)
			}
			if got := r.Header.Get(opay.HeaderWarning); !strings.Contains(got, tc.warning) || (tc.warning == "") != (got == "") {
				t.Errorf("warning %q, want %q", got, tc.warning)
			}
		})
	}
	t.Run("ExpireAtDeadlineInThePast", func(t *testing.T) {
		past := strconv.FormatInt(e.clock.Now().Add(-time.Minute).UnixMilli(), 10)
		r := must(t, e.call(t, e.A, pathCashierCreate, base+`"reference":"rc-past","expireAt":`+past+`}`), opay.CodeInvalidParams)
		if !strings.Contains(r.Detail, "expireAt is in the past") || r.Header.Get(opay.HeaderWarning) != "" {
			t.Errorf("detail %q, warning %q", r.Detail, r.Header.Get(opay.HeaderWarning))
		}
	})
	t.Run("OtherPayMethodsNotYet", func(t *testing.T) {
		// OPay's other methods are refused until the gateway implements them
		// (docs/CONTRACT.md); the answer is OPay's 02003.
		for _, pm := range []string{"BankTransfer", "COD", "OpayWalletNg", "BankAccount"} {
			r := must(t, e.call(t, e.A, pathCashierCreate, base+`"reference":"rc-pm-`+pm+`","payMethod":"`+pm+`"}`), opay.CodePayMethod)
			if r.Message != "payMethod not support." {
				t.Errorf("%s: %s", pm, r.Raw)
			}
		}
	})
	t.Run("TrailingCommaAsPrinted", func(t *testing.T) {
		// The invoice pages print {"invoiceNo":"20459544",}: a client that copies it gets a
		// detail that says what is wrong.
		body := "{\n   \"invoiceNo\":\"20459544\",\n}"
		r := must(t, e.call(t, e.A, pathInvoice, body), opay.CodeInvalidParams)
		if r.Message != "request params not valid." || r.Detail != "request body has a trailing comma at byte 27, before }: JSON allows none" {
			t.Errorf("answer %s, detail %q", r.Raw, r.Detail)
		}
	})
}

func TestTrailingCommaDetail(t *testing.T) {
	e := newTestServer(t)
	for body, want := range map[string]string{
		`{"invoiceNo":"1",}`:                    "trailing comma at byte 16, before }",
		`{"productList":[{"name":"a"},],"x":1}`: "trailing comma at byte 28, before ]",
		`{"a":1,,"b":2}`:                        "not valid JSON at byte",
		`{"a":1 "b":2}`:                         "not valid JSON at byte",
	} {
		r := must(t, e.call(t, e.A, pathInvoice, body), opay.CodeInvalidParams)
		if !strings.Contains(r.Detail, want) {
			t.Errorf("%s: detail %q, want %q", body, r.Detail, want)
		}
	}
}
