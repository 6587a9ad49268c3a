package reqlog_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/opaygate/opaygate/reqlog"
)

func TestBody(t *testing.T) {
	for name, c := range map[string]struct{ in, want string }{
		"OrderKept":   {`{"reference":"r-1", "country":"EG","amount":{"total":600,"currency":"EGP"}}`, `{"reference":"r-1","country":"EG","amount":{"total":600,"currency":"EGP"}}`},
		"Duplicates":  {`{"b":1,"a":2,"b":3}`, `{"b":1,"a":2,"b":3}`},
		"CardAndCVV":  {`{"bankcard":{"cardNumber":"4111111111111111","cvv":"123","expiryMonth":"12"}}`, `{"bankcard":{"cardNumber":"411111******1111","cvv":"[redacted]","expiryMonth":"12"}}`},
		"BadLuhnCard": {`{"cardNumber":"4111 1111 1111 1112"}`, `{"cardNumber":"411111******1112"}`},
		"ShortCard":   {`{"cardNumber":"4111"}`, `{"cardNumber":"[redacted]"}`},
		"PANAnywhere": {`{"note":"card 4111-1111-1111-1111 ok","n":4111111111111111,"list":["5060990000010106"]}`, `{"note":"card 411111******1111 ok","n":"411111******1111","list":["506099******0106"]}`},
		"PANAsKey":    {`{"4111111111111111":1}`, `{"411111******1111":1}`},
		"Secrets":     {`{"otp":"123456","PIN":1234,"bvn":"22222222222","Private_Key":"x","sign":"ab","pin":{"a":[1,{"b":2}]},"x":1}`, `{"otp":"[redacted]","PIN":"[redacted]","bvn":"[redacted]","Private_Key":"[redacted]","sign":"[redacted]","pin":"[redacted]","x":1}`},
		"KeyInValue":  {`{"note":"my key OPAYPRV16357783346230.07653446106051542 here"}`, `{"note":"my key OPAYPRV[redacted] here"}`},
		"OwnNumbers":  {`{"orderNo":"261128000000000018","merchantId":"256612345678901"}`, `{"orderNo":"261128000000000018","merchantId":"256612345678901"}`},
		"NotOwnShape": {`{"orderNo":"4111111111111111"}`, `{"orderNo":"411111******1111"}`},
		"LongNames":   {`{"Original_Order_No":261128000000000018,"__o_t_p__":"1"}`, `{"Original_Order_No":261128000000000018,"__o_t_p__":"[redacted]"}`},
		"Scalars":     {`[true,null,1.5e3,"a\"b\n"]`, `[true,null,1.5e3,"a\"b\n"]`},
		"NotJSON":     {`{"otp":"123456",}`, `{"otp":"••••••",}`},
		"NotJSONForm": {`pin=1234&key=OPAYPRV16357783346230.07653446106051542`, `pin=••••&key=OPAYPRV[redacted]`},
		"Unclosed":    {`{"otp":"123456"`, `{"otp":"••••••"`},
		"Empty":       {"  ", ""},
		"Escapes":     {`{"n\u0061me":"x\u0034111111111111111","pin":"\u0031"}`, `{"name":"x411111******1111","pin":"[redacted]"}`},
		"Whitespace":  {"{ \"a\" : [ 1 , 2 ] ,\n\"otp\":\t\"1\" }", `{"a":[1,2],"otp":"[redacted]"}`},
		"SecretArray": {`{"pin":[{"x":"}"},"]"],"b":1}`, `{"pin":"[redacted]","b":1}`},
	} {
		t.Run(name, func(t *testing.T) {
			got, cut := reqlog.Body([]byte(c.in), 1<<10)
			if got != c.want || cut {
				t.Fatalf("got %s (cut %v)\nwant %s", got, cut, c.want)
			}
			if json.Valid([]byte(c.in)) && !json.Valid([]byte(got)) {
				t.Fatalf("valid JSON became %s", got)
			}
		})
	}
	t.Run("Truncated", func(t *testing.T) {
		got, cut := reqlog.Body([]byte(`{"a":"`+strings.Repeat("é", 100)+`"}`), 50)
		if !cut || len(got) > 50 || !strings.HasPrefix(got, `{"a":"éé`) || strings.ContainsRune(got, '\uFFFD') {
			t.Fatalf("got %q (cut %v)", got, cut)
		}
	})
}

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"/api/v1/x/4111111111111111":          "/api/v1/x/411111******1111",
		"4111111111111112":                    "4111111111111112", // fails Luhn: not a card
		"12345678901234567890123":             "12345678901234567890123",
		"a\x00b\xff":                          "a\uFFFDb\uFFFD",
		"opayprv123 and OPAYPRV*****0187828.": "OPAYPRV[redacted] and OPAYPRV[redacted]",
	} {
		if got := reqlog.Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkBody is the redaction of a status request and its answer, what the writer does for
// most requests.
func BenchmarkBody(b *testing.B) {
	req := []byte(`{"reference":"bench-000042","country":"EG"}`)
	resp := []byte(`{"code":"00000","message":"SUCCESSFUL","data":{"reference":"bench-000042","orderNo":"261128000000000042",` +
		`"status":"SUCCESS","amount":{"total":60000,"currency":"EGP"},"vat":{"total":0,"currency":"EGP"},"createTime":1764339200000,` +
		`"payMethod":"VALU","failureCode":"","failureReason":""}}`)
	b.ReportAllocs()
	for b.Loop() {
		reqlog.Body(req, reqlog.DefaultMaxBody)
		reqlog.Body(resp, reqlog.DefaultMaxBody)
	}
}

// FuzzBody: whatever the body, redaction does not panic, keeps JSON valid JSON, and leaves no
// run of 12–19 digits that passes Luhn and no private key.
func FuzzBody(f *testing.F) {
	for _, seed := range []string{`{"bankcard":{"cardNumber":"4111111111111111","cvv":"123"}}`, `{"otp":"1","pin":[1,{"a":"}"}]}`,
		`{"n\u0061me":"x\u0034111111111111111"}`, `[1, 2.5e3, "OPAYPRV1.2", null, true]`, `pin=1234&x=4111-1111-1111-1111`, `{"a":`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, _ := reqlog.Body(body, 1<<20)
		if json.Valid(body) && len(bytes.TrimSpace(body)) > 0 && !json.Valid([]byte(got)) {
			t.Fatalf("valid JSON %q became %q", body, got)
		}
		// Nothing Text would mask is left in any value or name; only the gateway's own numbers
		// may be (their members are exempt).
		var v any
		d := json.NewDecoder(strings.NewReader(got))
		d.UseNumber()
		if d.Decode(&v) != nil {
			v = got
		}
		if x, ok := unmasked(v, ""); ok {
			t.Fatalf("redacted %q still holds %q", got, x)
		}
	})
}

// unmasked finds a string, name or number in v that Text would still change.
func unmasked(v any, member string) (string, bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if reqlog.Text(k) != k {
				return k, true
			}
			if s, ok := unmasked(x, k); ok {
				return s, true
			}
		}
	case []any:
		for _, x := range v {
			if s, ok := unmasked(x, ""); ok {
				return s, true
			}
		}
	case string, json.Number:
		s := fmt.Sprint(v)
		own := regexp.MustCompile(`(?i)^(original_?)?order_?no$|^merchant_?id$`).MatchString(member)
		if reqlog.Text(s) != s && !own {
			return s, true
		}
	}
	return "", false
}
