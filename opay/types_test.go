package opay

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestInt64String(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{`5`, 5}, {`"5"`, 5}, {`"0060000"`, 60000}, {`-7`, -7}, {`"-7"`, -7}, {`null`, 0}, {`""`, 0},
		{`9223372036854775807`, 9223372036854775807},
	} {
		var n Int64String
		if err := json.Unmarshal([]byte(tc.in), &n); err != nil || int64(n) != tc.want {
			t.Errorf("%s: %d, %v; want %d", tc.in, n, err, tc.want)
		}
	}
	for _, in := range []string{
		`1.5`, `1e3`, `"1.5"`, `"1e3"`, `"abc"`, `" 5"`, `"5 "`, `true`, `{}`, `[]`, `"-"`, `"+5"`,
		`9223372036854775808`, `99999999999999999999999`, `"0x10"`,
	} {
		var n Int64String
		err := json.Unmarshal([]byte(in), &n)
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			t.Errorf("%s: error %v, want a type error", in, err)
		}
	}
	b, _ := json.Marshal(struct {
		N Int64String `json:"n"`
	}{42})
	if string(b) != `{"n":42}` {
		t.Errorf("marshal %s", b)
	}
}

func TestAmountTolerantTotal(t *testing.T) {
	var a Amount
	if err := json.Unmarshal([]byte(`{"currency":"EGP","total":"60000"}`), &a); err != nil || a != (Amount{60000, "EGP"}) {
		t.Errorf("string total: %+v %v", a, err)
	}
	b, _ := json.Marshal(a)
	if string(b) != `{"total":60000,"currency":"EGP"}` {
		t.Errorf("marshal %s", b)
	}
	var req CashierCreateRequest
	err := json.Unmarshal([]byte(`{"amount":{"total":1.5}}`), &req)
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Field != "amount.total" {
		t.Errorf("fraction: %v (field %q), want a type error on amount.total", err, te.Field)
	}
	err = json.Unmarshal([]byte(`{"amount":"100"}`), &req)
	if !errors.As(err, &te) || te.Field != "amount" {
		t.Errorf("string amount: %v, want a type error on amount", err)
	}
}

func TestDecimal(t *testing.T) {
	for in, want := range map[string]Decimal{`2.5`: "2.5", `"2.5"`: "2.5", `0`: "0", `null`: "", `"abc"`: "abc"} {
		var d Decimal
		if err := json.Unmarshal([]byte(in), &d); err != nil || d != want {
			t.Errorf("%s: %q %v", in, d, err)
		}
	}
	for _, in := range []string{`true`, `{}`, `[]`} {
		var d Decimal
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("%s accepted", in)
		}
	}
	b, _ := json.Marshal(ServiceFee{Currency: "EGP", FeeRate: "2.5", FixedFee: 100})
	if string(b) != `{"currency":"EGP","feeRate":2.5,"fixedFee":100}` {
		t.Errorf("marshal %s", b)
	}
}

func TestInvoiceStatsShape(t *testing.T) {
	one := InvoiceStats{{Count: 2, Amount: Amount{300, "EGP"}}}
	b, _ := json.Marshal(one)
	if string(b) != `{"count":2,"amount":{"total":300,"currency":"EGP"}}` {
		t.Errorf("one currency: %s", b)
	}
	two := InvoiceStats{{1, Amount{1, "EGP"}}, {2, Amount{2, "NGN"}}}
	b, _ = json.Marshal(two)
	if string(b) != `[{"count":1,"amount":{"total":1,"currency":"EGP"}},{"count":2,"amount":{"total":2,"currency":"NGN"}}]` {
		t.Errorf("two currencies: %s", b)
	}
	for _, in := range []string{`{"count":2,"amount":{"total":300,"currency":"EGP"}}`, `[{"count":2,"amount":{"total":300,"currency":"EGP"}}]`} {
		var s InvoiceStats
		if err := json.Unmarshal([]byte(in), &s); err != nil || len(s) != 1 || s[0].Count != 2 {
			t.Errorf("%s: %+v %v", in, s, err)
		}
	}
}

// TestResponseFieldOrder pins the member order of the responses to OPay's examples.
func TestResponseFieldOrder(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{CashierStatusData{Reference: "r", OrderNo: "1", Status: "CLOSE", VAT: Amount{0, "EGP"}, Amount: Amount{5, "EGP"}, CreateTime: 7, FailureCode: "ORDER_CLOSED", FailureReason: "closed by merchant", IsVoided: new(true)},
			`{"reference":"r","orderNo":"1","status":"CLOSE","vat":{"total":0,"currency":"EGP"},"amount":{"total":5,"currency":"EGP"},"createTime":7,"failureCode":"ORDER_CLOSED","failureReason":"closed by merchant","isVoided":true}`},
		{CashierStatusData{Reference: "r", OrderNo: "1", Status: "INITIAL"},
			`{"reference":"r","orderNo":"1","status":"INITIAL","vat":{"total":0,"currency":""},"amount":{"total":0,"currency":""},"createTime":0}`},
		{PaymentCloseData{Reference: "r", OrderNo: "1", Country: "EG", Amount: Amount{5, "EGP"}, OrderStatus: "CLOSE"},
			`{"reference":"r","orderNo":"1","country":"EG","amount":{"total":5,"currency":"EGP"},"orderStatus":"CLOSE"}`},
		{PaymentCreateData{Reference: "r", OrderNo: "1", NextAction: &NextAction{ActionType: ActionInstallmentMonth, Plans: []Plan{{6, Amount{0, "EGP"}, Amount{1800, "EGP"}, Amount{11400, "EGP"}}}}, Status: "PENDING"},
			`{"reference":"r","orderNo":"1","nextAction":{"actionType":"INPUT_INSTALLMENT_MONTH","plans":[{"months":6,"downPayment":{"total":0,"currency":"EGP"},"fee":{"total":1800,"currency":"EGP"},"emi":{"total":11400,"currency":"EGP"}}]},"status":"PENDING","amount":{"total":0,"currency":""},"vat":{"total":0,"currency":""}}`},
		{RefundData{Reference: "rf", OriginalReference: "r", OrderNo: "2", OriginalOrderNo: "1", RefundAmount: Amount{5, "EGP"}, Country: "EG", OrderStatus: "PENDING"},
			`{"reference":"rf","originalReference":"r","orderNo":"2","originalOrderNo":"1","refundAmount":{"total":5,"currency":"EGP"},"country":"EG","orderStatus":"PENDING"}`},
		{InputOTPData{Reference: "r", OrderNo: "1", Status: "SUCCESS", Amount: Amount{5, "EGP"}, VAT: Amount{0, "EGP"}},
			`{"reference":"r","orderNo":"1","status":"SUCCESS","amount":{"total":5,"currency":"EGP"},"vat":{"total":0,"currency":"EGP"}}`},
	} {
		b, err := json.Marshal(tc.v)
		if err != nil || string(b) != tc.want {
			t.Errorf("%T:\n got %s\nwant %s", tc.v, b, tc.want)
		}
	}
}

// TestRequestsOmitOptional checks that the SDK does not send optional fields it was not given.
func TestRequestsOmitOptional(t *testing.T) {
	b, _ := json.Marshal(PaymentCreateRequest{Amount: Amount{100, "EGP"}, Country: "EG", PayMethod: PayMethodValU, Product: Product{Name: "n"}, Reference: "r", ValUAccountNumber: "01012345678"})
	want := `{"amount":{"total":100,"currency":"EGP"},"country":"EG","payMethod":"VALU","product":{"name":"n"},"reference":"r","valUAccountNumber":"01012345678"}`
	if string(b) != want {
		t.Errorf("payment/create:\n got %s\nwant %s", b, want)
	}
	b, _ = json.Marshal(CreateInvoiceRequest{Country: "EG", Customer: InvoiceCustomer{CustomerName: "a"}, DueTime: 9, Name: "n", RelationProduct: true,
		ProductList: []InvoiceItem{{"p", 2}}})
	want = `{"country":"EG","customer":{"customerName":"a"},"dueTime":9,"name":"n","productList":[{"merchantProductNo":"p","quantity":2}],"relationProduct":true}`
	if string(b) != want {
		t.Errorf("createSingleInvoice:\n got %s\nwant %s", b, want)
	}
}

func TestBoolString(t *testing.T) {
	for in, want := range map[string]bool{`true`: true, `"true"`: true, `false`: false, `"false"`: false, `""`: false, `null`: false} {
		var v BoolString
		if err := json.Unmarshal([]byte(in), &v); err != nil || bool(v) != want {
			t.Errorf("%s: %v, %v; want %v", in, v, err, want)
		}
	}
	for _, in := range []string{`1`, `0`, `"yes"`, `"TRUE"`, `"1"`, `{}`, `[]`} {
		var req CashierCreateRequest
		err := json.Unmarshal([]byte(`{"evokeOpay":`+in+`}`), &req)
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) || te.Field != "evokeOpay" {
			t.Errorf("%s: error %v, want a type error on evokeOpay", in, err)
		}
	}
	b, _ := json.Marshal(CashierCreateRequest{EvokeOpay: true})
	if !strings.Contains(string(b), `"evokeOpay":true`) {
		t.Errorf("marshal %s", b)
	}
}

// A nextAction of a type the SDK does not know yet (OPay adds actions) decodes without error:
// the client keeps its actionType, the members it knows, and the order's other fields.
func TestNextActionUnknownType(t *testing.T) {
	body := `{"reference":"r-1","orderNo":"2611","nextAction":{"actionType":"SHOW_BARCODE","barcode":"123",` +
		`"expiredTimestamp":1795891310889,"qrCode":"x"},"status":"PENDING","amount":{"total":100,"currency":"EGP"},` +
		`"vat":{"total":0,"currency":"EGP"}}`
	var d PaymentCreateData
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	if d.NextAction == nil || d.NextAction.ActionType != "SHOW_BARCODE" || d.NextAction.ExpiredTimestamp != 1795891310889 ||
		d.NextAction.QRCode != "x" || d.Status != "PENDING" || d.Amount.Total != 100 {
		t.Errorf("decoded %+v %+v", d, d.NextAction)
	}
}
