package server_test

import (
	"encoding/json"

	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/opaygate/opaygate/opay"
)

// del removes a member in with.
var del = json.RawMessage(nil)

// with returns base marshalled with the member at a dotted path set to a raw JSON value, or
// removed when raw is del. base is not modified.
func with(base map[string]any, path string, raw json.RawMessage) []byte {
	m := clone(base)
	keys := strings.Split(path, ".")
	cur := m
	for _, k := range keys[:len(keys)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
		}
		cur[k] = next
		cur = next
	}
	if raw == nil {
		delete(cur, keys[len(keys)-1])
	} else {
		cur[keys[len(keys)-1]] = raw
	}
	b, _ := json.Marshal(m)
	return b
}

func clone(m map[string]any) map[string]any {
	out := maps.Clone(m)
	for k, v := range out {
		if sub, ok := v.(map[string]any); ok {
			out[k] = clone(sub)
		}
	}
	return out
}

func cashierBase() map[string]any {
	return map[string]any{
		"reference": "H-1", "country": "EG",
		"amount":    map[string]any{"total": 10000, "currency": "EGP"},
		"returnUrl": "https://merchant.example/return",
		"product":   map[string]any{"name": "Cup", "description": "a cup"},
	}
}

func valuBase() map[string]any {
	return map[string]any{
		"reference": "H-2", "country": "EG", "payMethod": "VALU", "valUAccountNumber": "01012345678",
		"amount":  map[string]any{"total": 10000, "currency": "EGP"},
		"product": map[string]any{"name": "Phone"},
	}
}

func invoiceBase() map[string]any {
	return map[string]any{
		"country": "EG", "name": "Invoice", "dueTime": 4102444800, // 2100-01-01
		"amount":   map[string]any{"total": 10000, "currency": "EGP"},
		"customer": map[string]any{"customerName": "Ali", "customerMobile": "+201066668888", "customerEmail": "ali@example.com"},
	}
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

// TestHostileRequests sends malformed and malicious requests, each correctly signed, and
// checks that every one gets the envelope with the expected code and a message that names the
// problem, never HTTP 500, never a panic, and never Go's or the database's own words.
func TestHostileRequests(t *testing.T) {
	e := newTestServer(t)
	c, v, inv := cashierBase(), valuBase(), invoiceBase()
	long := `"` + strings.Repeat("x", 10001) + `"`
	deep := strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100)
	twoMiB := `{"reference":"` + strings.Repeat("x", 2<<20) + `"}`

	cases := []struct {
		name, path string
		body       []byte
		code, want string
		status     int
	}{
		{"TotalBool", pathCashierCreate, with(c, "amount.total", raw(`true`)), opay.CodeInvalidParams, "amount.total must be a positive integer", 0},
		{"TotalExponent", pathCashierCreate, with(c, "amount.total", raw(`1e3`)), opay.CodeInvalidParams, "amount.total", 0},
		{"TotalFraction", pathCashierCreate, with(c, "amount.total", raw(`1.5`)), opay.CodeInvalidParams, "amount.total", 0},
		{"TotalNegative", pathCashierCreate, with(c, "amount.total", raw(`-1`)), opay.CodeInvalidParams, "amount.total", 0},
		{"TotalZero", pathCashierCreate, with(c, "amount.total", raw(`0`)), opay.CodeInvalidParams, "amount.total", 0},
		{"TotalZeroString", pathCashierCreate, with(c, "amount.total", raw(`"0"`)), opay.CodeInvalidParams, "amount.total", 0},
		{"TotalBeyondInt64", pathCashierCreate, with(c, "amount.total", raw(`99999999999999999999999`)), opay.CodeInvalidParams, "amount.total", 0},
		{"TotalAbove10e13", pathCashierCreate, with(c, "amount.total", raw(`10000000000001`)), opay.CodeInvalidParams, "amount.total", 0},
		{"TotalLetters", pathCashierCreate, with(c, "amount.total", raw(`"12a"`)), opay.CodeInvalidParams, "amount.total", 0},
		{"TotalSpacedString", pathCashierCreate, with(c, "amount.total", raw(`" 12"`)), opay.CodeInvalidParams, "amount.total", 0},
		{"AmountNull", pathCashierCreate, with(c, "amount", raw(`null`)), opay.CodeInvalidParams, "amount.total", 0},
		{"AmountArray", pathCashierCreate, with(c, "amount", raw(`[10000,"EGP"]`)), opay.CodeInvalidParams, "amount must be an object", 0},
		{"AmountString", pathCashierCreate, with(c, "amount", raw(`"10000"`)), opay.CodeInvalidParams, "amount must be an object", 0},
		{"CurrencyUnknown", pathCashierCreate, with(c, "amount.currency", raw(`"USD"`)), opay.CodeInvalidParams, "amount.currency", 0},
		{"CurrencyMismatch", pathCashierCreate, with(c, "amount.currency", raw(`"NGN"`)), opay.CodeInvalidParams, "amount.currency must be EGP", 0},
		{"CurrencyMissing", pathCashierCreate, with(c, "amount.currency", del), opay.CodeInvalidParams, "amount.currency is required", 0},
		{"CurrencyNumber", pathCashierCreate, with(c, "amount.currency", raw(`818`)), opay.CodeInvalidParams, "amount.currency must be a string", 0},
		{"ProductString", pathCashierCreate, with(c, "product", raw(`"Cup"`)), opay.CodeInvalidParams, "product must be an object", 0},
		{"ProductNull", pathCashierCreate, with(c, "product", raw(`null`)), opay.CodeInvalidParams, "product or productList is required", 0},
		{"ProductNameMissing", pathCashierCreate, with(c, "product.name", del), opay.CodeInvalidParams, "product.name is required", 0},
		{"ProductNameMissingWithDescription", pathCashierCreate, with(c, "product", raw(`{"description":"d"}`)), opay.CodeInvalidParams, "product.name is required", 0},
		{"ProductListNotArray", pathCashierCreate, with(c, "productList", raw(`{"name":"x"}`)), opay.CodeInvalidParams, "productList must be an array", 0},
		{"ProductListNameMissing", pathCashierCreate, with(c, "productList", raw(`[{"name":"a"},{"price":5}]`)), opay.CodeInvalidParams, "productList[1].name is required", 0},
		{"ProductListQuantityNegative", pathCashierCreate, with(c, "productList", raw(`[{"name":"a","quantity":-2}]`)), opay.CodeInvalidParams, "productList[0].quantity must be a positive integer", 0},
		{"ProductListPriceFraction", pathCashierCreate, with(c, "productList", raw(`[{"name":"a","price":1.5}]`)), opay.CodeInvalidParams, "productList.price must be a positive integer", 0},
		{"ProductNameHuge", pathCashierCreate, with(c, "product.name", raw(long)), opay.CodeInvalidParams, "product.name must be at most", 0},
		{"ProductNameControl", pathCashierCreate, with(c, "product.name", raw(`"a\u0000b"`)), opay.CodeInvalidParams, "product.name must not contain control", 0},
		{"DescriptionHuge", pathCashierCreate, with(c, "product.description", raw(long)), opay.CodeInvalidParams, "product.description", 0},
		{"ReferenceMissing", pathCashierCreate, with(c, "reference", del), opay.CodeInvalidParams, "reference is required", 0},
		{"ReferenceEmpty", pathCashierCreate, with(c, "reference", raw(`""`)), opay.CodeInvalidParams, "reference is required", 0},
		{"ReferenceTooLong", pathCashierCreate, with(c, "reference", raw(`"`+strings.Repeat("r", 65)+`"`)), opay.CodeInvalidParams, "reference must be at most 64", 0},
		{"ReferenceHuge", pathCashierCreate, with(c, "reference", raw(long)), opay.CodeInvalidParams, "reference", 0},
		{"ReferenceSpace", pathCashierCreate, with(c, "reference", raw(`"a b"`)), opay.CodeInvalidParams, "reference must not contain whitespace", 0},
		{"ReferenceControl", pathCashierCreate, with(c, "reference", raw(`"a\u0007b"`)), opay.CodeInvalidParams, "reference must not contain", 0},
		{"ReferenceNumber", pathCashierCreate, with(c, "reference", raw(`123`)), opay.CodeInvalidParams, "reference must be a string", 0},
		{"CountryUnknown", pathCashierCreate, with(c, "country", raw(`"US"`)), opay.CodeInvalidParams, "country must be one of EG, NG", 0},
		{"CountryMissing", pathCashierCreate, with(c, "country", del), opay.CodeInvalidParams, "country is required", 0},
		{"CountryLowercase", pathCashierCreate, with(c, "country", raw(`"eg"`)), opay.CodeInvalidParams, "country", 0},
		{"ReturnURLMissing", pathCashierCreate, with(c, "returnUrl", del), opay.CodeInvalidParams, "returnUrl is required", 0},
		{"ReturnURLRelative", pathCashierCreate, with(c, "returnUrl", raw(`"/back"`)), opay.CodeInvalidParams, "returnUrl must be an absolute", 0},
		{"ReturnURLScript", pathCashierCreate, with(c, "returnUrl", raw(`"javascript:alert(1)"`)), opay.CodeInvalidParams, "returnUrl", 0},
		{"CallbackURLNotHTTP", pathCashierCreate, with(c, "callbackUrl", raw(`"ftp://x.example/"`)), opay.CodeInvalidParams, "callbackUrl", 0},
		{"ExpireAtDeadlineInThePast", pathCashierCreate, with(c, "expireAt", raw(`1000000000`)), opay.CodeInvalidParams, "expireAt is in the past", 0},
		{"ExpireAtBeyondMilliseconds", pathCashierCreate, with(c, "expireAt", raw(`"100000000000000000"`)), opay.CodeInvalidParams, "expireAt 100000000000000000 is beyond any deadline", 0},
		{"ExpireAtNegative", pathCashierCreate, with(c, "expireAt", raw(`"-5"`)), opay.CodeInvalidParams, "expireAt", 0},
		{"ExpireAtWord", pathCashierCreate, with(c, "expireAt", raw(`"soon"`)), opay.CodeInvalidParams, "expireAt must be a positive integer", 0},
		{"UserInfoString", pathCashierCreate, with(c, "userInfo", raw(`"me"`)), opay.CodeInvalidParams, "userInfo must be an object", 0},
		{"UserEmailHuge", pathCashierCreate, with(c, "userInfo", raw(`{"userEmail":`+long+`}`)), opay.CodeInvalidParams, "userInfo.userEmail", 0},
		{"PayMethodUnknown", pathCashierCreate, with(c, "payMethod", raw(`"BITCOIN"`)), opay.CodePayMethod, "payMethod not support.", 0},
		{"NullEverywhere", pathCashierCreate, []byte(`{"reference":null,"country":null,"amount":null,"product":null,"returnUrl":null,"expireAt":null}`), opay.CodeInvalidParams, "reference is required", 0},
		{"DuplicateKey", pathCashierCreate, []byte(`{"reference":"a","reference":"b"}`), opay.CodeInvalidParams, "duplicate key reference", 0},
		{"DuplicateKeyOtherCase", pathStatus, []byte(`{"reference":"a","country":"EG","REFERENCE":"b"}`), opay.CodeInvalidParams, "duplicate key REFERENCE", 0},
		{"DuplicateKeyKelvin", pathStatus, []byte(`{"k":"a","\u212a":"b","reference":"r","country":"EG"}`), opay.CodeInvalidParams, "duplicate key", 0},
		{"DuplicateNestedKey", pathCashierCreate, []byte(`{"amount":{"total":1,"total":100000}}`), opay.CodeInvalidParams, "duplicate key amount.total", 0},
		{"DuplicateKeyInArray", pathInvoiceCreate, []byte(`{"productList":[{"quantity":1},{"quantity":1,"quantity":2}]}`), opay.CodeInvalidParams, "duplicate key productList[1].quantity", 0},

		{"PayMethodMissing", pathPaymentCreate, with(v, "payMethod", del), opay.CodeInvalidParams, "payMethod is required", 0},
		{"PayMethodLowercase", pathPaymentCreate, with(v, "payMethod", raw(`"valu"`)), opay.CodePayMethod, "payMethod not support.", 0},
		{"ValUInNigeria", pathPaymentCreate, with(with2(v, "amount.currency", `"NGN"`), "country", raw(`"NG"`)), opay.CodePayMethod, "payMethod not support.", 0},
		{"ValUAccountShort", pathPaymentCreate, with(v, "valUAccountNumber", raw(`"0101234"`)), opay.CodeInvalidParams, "valUAccountNumber must be 01 followed by 9 digits", 0},
		{"ValUAccountNumber", pathPaymentCreate, with(v, "valUAccountNumber", raw(`1012345678`)), opay.CodeInvalidParams, "valUAccountNumber must be a string", 0},
		{"BankCardWithoutCard", pathPaymentCreate, with(v, "payMethod", raw(`"BankCard"`)), opay.CodeInvalidParams, "bankcard is required", 0},

		{"LookupWithoutKey", pathStatus, []byte(`{"country":"EG","sn":"extra"}`), opay.CodeInvalidParams, "orderNo or reference is required", 0},
		{"LookupWithoutCountry", pathStatus, []byte(`{"reference":"x"}`), opay.CodeInvalidParams, "country is required", 0},
		{"LookupOrderNoHuge", pathClose, []byte(`{"orderNo":` + long + `,"country":"EG"}`), opay.CodeInvalidParams, "orderNo must be at most 64", 0},
		{"LookupOrderNoNumber", pathClose, []byte(`{"orderNo":260101000000000001,"country":"EG"}`), opay.CodeInvalidParams, "orderNo must be a string", 0},
		{"MonthsWord", pathMonth, []byte(`{"reference":"x","months":"six"}`), opay.CodeInvalidParams, "months must be a positive integer", 0},
		{"MonthsZero", pathMonth, []byte(`{"reference":"x","months":0}`), opay.CodeInvalidParams, "months must be a positive integer", 0},
		{"MonthsFraction", pathMonth, []byte(`{"reference":"x","months":6.5}`), opay.CodeInvalidParams, "months must be a positive integer", 0},
		{"MonthsNegative", pathMonth, []byte(`{"reference":"x","months":-6}`), opay.CodeInvalidParams, "months must be a positive integer", 0},
		{"OTPShort", pathOTP, []byte(`{"reference":"x","otp":"12345"}`), opay.CodeInvalidParams, "otp must be 6 digits", 0},
		{"OTPLetters", pathOTP, []byte(`{"reference":"x","otp":"12345a"}`), opay.CodeInvalidParams, "otp must be 6 digits", 0},
		{"OTPNumber", pathOTP, []byte(`{"reference":"x","otp":123456}`), opay.CodeInvalidParams, "otp must be a string", 0},
		{"OTPMissing", pathOTP, []byte(`{"reference":"x"}`), opay.CodeInvalidParams, "otp is required", 0},

		{"InvoiceProductListObject", pathInvoiceCreate, with(inv, "productList", raw(`{}`)), opay.CodeInvalidParams, "productList must be an array", 0},
		{"InvoiceQuantityWord", pathInvoiceCreate, with(inv, "productList", raw(`[{"merchantProductNo":"a","quantity":"x"}]`)), opay.CodeInvalidParams, "productList.quantity must be a positive integer", 0},
		{"InvoiceQuantityZero", pathInvoiceCreate, with(inv, "productList", raw(`[{"merchantProductNo":"a","quantity":0}]`)), opay.CodeInvalidParams, "productList.quantity", 0},
		{"InvoiceFeeRateWord", pathInvoiceCreate, with(inv, "serviceFee", raw(`{"feeRate":"abc"}`)), opay.CodeInvalidParams, "serviceFee.feeRate", 0},
		{"InvoiceFeeRateThreeDecimals", pathInvoiceCreate, with(inv, "serviceFee", raw(`{"feeRate":2.555}`)), opay.CodeInvalidParams, "serviceFee.feeRate", 0},
		{"InvoiceFeeRateAbove100", pathInvoiceCreate, with(inv, "serviceFee", raw(`{"feeRate":"100.01"}`)), opay.CodeInvalidParams, "serviceFee.feeRate", 0},
		{"InvoiceFeeRateExponent", pathInvoiceCreate, with(inv, "serviceFee", raw(`{"feeRate":1e1}`)), opay.CodeInvalidParams, "serviceFee.feeRate", 0},
		{"InvoiceFeeRateBool", pathInvoiceCreate, with(inv, "serviceFee", raw(`{"feeRate":true}`)), opay.CodeInvalidParams, "serviceFee.feeRate must be a number", 0},
		{"InvoiceFixedFeeNegative", pathInvoiceCreate, with(inv, "serviceFee", raw(`{"fixedFee":-1}`)), opay.CodeInvalidParams, "serviceFee.fixedFee", 0},
		{"InvoiceFeeCurrency", pathInvoiceCreate, with(inv, "serviceFee", raw(`{"currency":"NGN"}`)), opay.CodeInvalidParams, "serviceFee.currency", 0},
		{"InvoiceRelationWord", pathInvoiceCreate, with(inv, "relationProduct", raw(`"yes"`)), opay.CodeInvalidParams, "relationProduct must be a boolean", 0},
		{"InvoiceDueTimeMillis", pathInvoiceCreate, with(inv, "dueTime", raw(`4102444800000000`)), opay.CodeInvalidParams, "dueTime must be a timestamp in epoch seconds", 0},
		{"InvoiceLang", pathInvoiceCreate, with(inv, "lang", raw(`"FR"`)), opay.CodeInvalidParams, "lang must be EN or AR", 0},
		{"InvoiceNotify", pathInvoiceCreate, with(inv, "notifyMethod", raw(`"FAX"`)), opay.CodeInvalidParams, "notifyMethod must be BOTH, EMAIL or SMS", 0},
		{"InvoiceEmail", pathInvoiceCreate, with(inv, "customer.customerEmail", raw(`"not an address"`)), opay.CodeInvalidParams, "customer.customerEmail", 0},
		{"InvoiceNameHuge", pathInvoiceCreate, with(inv, "name", raw(long)), opay.CodeInvalidParams, "name must be at most", 0},
		{"InvoiceNoNumber", pathInvoice, []byte(`{"invoiceNo":20464188}`), opay.CodeInvalidParams, "invoiceNo must be a string", 0},
		{"InvoiceNoLetters", pathCancelInvoice, []byte(`{"invoiceNo":"abc"}`), opay.CodeInvalidParams, "invoiceNo must be a string of at most 32 digits", 0},
		{"InvoiceNoMissing", pathInvoice, []byte(`{}`), opay.CodeInvalidParams, "invoiceNo is required", 0},
		{"StatsMissing", pathInvoiceStats, []byte(`{}`), opay.CodeInvalidParams, "startCreateTime is required", 0},
		{"StatsReversed", pathInvoiceStats, []byte(`{"startCreateTime":1700000000,"endCreateTime":1600000000}`), opay.CodeInvalidParams, "startCreateTime must not be after endCreateTime", 0},
		{"StatsTooLong", pathInvoiceStats, []byte(`{"startCreateTime":1600000000,"endCreateTime":1700000000}`), opay.CodeInvalidParams, "366 days", 0},
		{"StatsWord", pathInvoiceStats, []byte(`{"startCreateTime":"yesterday","endCreateTime":1}`), opay.CodeInvalidParams, "startCreateTime must be a positive integer", 0},

		{"BodyEmpty", pathStatus, []byte(``), opay.CodeInvalidParams, "request body is empty", 0},
		{"BodyWhitespace", pathStatus, []byte(" \n\t "), opay.CodeInvalidParams, "request body is empty", 0},
		{"BodyNotJSON", pathStatus, []byte(`reference=x&country=EG`), opay.CodeInvalidParams, "request body is not valid JSON", 0},
		{"BodyTruncated", pathStatus, []byte(`{"reference":"x","country":"E`), opay.CodeInvalidParams, "request body is truncated JSON", 0},
		{"BodyTruncatedObject", pathStatus, []byte(`{"reference":"x"`), opay.CodeInvalidParams, "request body is truncated JSON", 0},
		{"BodyInvalidUTF8", pathStatus, []byte("{\"reference\":\"\xff\xfe\",\"country\":\"EG\"}"), opay.CodeInvalidParams, "request body is not valid UTF-8", 0},
		{"BodyArray", pathStatus, []byte(`[{"reference":"x","country":"EG"}]`), opay.CodeInvalidParams, "request body must be a JSON object", 0},
		{"BodyString", pathStatus, []byte(`"reference"`), opay.CodeInvalidParams, "request body must be a JSON object", 0},
		{"BodyNull", pathStatus, []byte(`null`), opay.CodeInvalidParams, "request body must be a JSON object", 0},
		{"BodyTwoObjects", pathStatus, []byte(`{"reference":"x","country":"EG"} {"a":1}`), opay.CodeInvalidParams, "data after the JSON object", 0},
		{"BodyTrailingComma", pathStatus, []byte(`{"reference":"x",}`), opay.CodeInvalidParams, "request body has a trailing comma at byte 16, before }", 0},
		{"BodyNaN", pathStatus, []byte(`{"reference":NaN}`), opay.CodeInvalidParams, "request body is not valid JSON", 0},
		{"BodyDeep", pathStatus, []byte(deep), opay.CodeInvalidParams, "nests more than", 0},
		{"Body2MiB", pathStatus, []byte(twoMiB), opay.CodeInvalidParams, "larger than 1 MiB", http.StatusRequestEntityTooLarge},
	}
	if len(cases) < 35 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(t, e.A, tc.path, tc.body)
			want := tc.status
			if want == 0 {
				want = http.StatusOK
			}
			if r.HTTP != want {
				t.Errorf("HTTP %d, want %d", r.HTTP, want)
			}
			if r.Code != tc.code || !strings.Contains(r.Message+" "+r.Detail, tc.want) {
				t.Errorf("got %s %q (detail %q), want %s containing %q", r.Code, r.Message, r.Detail, tc.code, tc.want)
			}
			if tc.code == opay.CodeInvalidParams && r.Message != opay.MessageInvalidParams && r.Message != opay.MessageInvalidParameters {
				t.Errorf("message %q is not OPay's 02001 message", r.Message)
			}
			checkNoLeak(t, r.Detail)
			if string(r.Data) != "null" {
				t.Errorf("data %s, want null", r.Data)
			}
			checkNoLeak(t, r.Message)
		})
	}
}

// with2 is with for a string-keyed value, returning a map again for chaining.
func with2(base map[string]any, path, value string) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(with(base, path, raw(value)), &m)
	return m
}

// checkNoLeak fails when a message carries Go's or the database's own words.
func checkNoLeak(t testing.TB, msg string) {
	t.Helper()
	for _, bad := range []string{"json:", "Go struct", "Go value", "sql", "SQL", "sqlite", "reflect", "opaygate.", "opay.", "panic", "runtime",
		"invalid character", "looking for beginning", "unexpected end of JSON"} {
		if strings.Contains(msg, bad) {
			t.Errorf("message %q leaks %q", msg, bad)
		}
	}
}
