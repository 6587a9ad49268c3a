package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// FuzzScan: for every body json.Valid accepts, the byte walk (scanValid) says what the token
// reader (scanTokens) says: nothing, or the same problem in the same words.
//
//	go test ./server -run '^$' -fuzz FuzzScan -fuzztime 60s
func FuzzScan(f *testing.F) {
	many := func(dup string) string {
		var b strings.Builder
		b.WriteString(`{"a":{`)
		for i := range 40 {
			fmt.Fprintf(&b, `"k%d":%d,`, i, i)
		}
		b.WriteString(`"` + dup + `":0}}`)
		return b.String()
	}
	for _, body := range []string{
		`{"reference":"a","country":"EG"}`,
		`{"reference":"a","reference":"b"}`,
		`{"reference":"a","REFERENCE":"b"}`,
		`{"k":"a","\u212a":"b"}`,
		`{"s":1,"ſ":2}`,
		`{"\u0072eference":"a","reference":"b"}`,
		`{"a\"b":1,"A\"B":2}`,
		`{"amount":{"total":1,"total":100000}}`,
		`{"productList":[{"quantity":1},{"quantity":1,"quantity":2}]}`,
		`{"x":[[1,2,{"a":1}],[{"b":[{"c":1,"C":2}]}]]}`,
		`{"a":[],"b":{},"c":"","d":null,"e":true,"f":-1.5e3}`,
		` { "a" : [ 1 , "x" , { "y" : { } } ] , "A" : 0 } `,
		`{"":1,"":2}`,
		many("k39"),
		many("K7"),
		many("k40"),
		`{"a":` + strings.Repeat(`[`, 40) + strings.Repeat(`]`, 40) + `}`,
		`{"a":` + strings.Repeat(`{"b":`, 30) + `1` + strings.Repeat(`}`, 30) + `}`,
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) || trimJSONSpace(body)[0] != '{' {
			return
		}
		got, want := scanValid(body), scanTokens(body)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s:\nscanValid  %v\nscanTokens %v", body, got, want)
		}
	})
}

// BenchmarkScan: the duplicate-key check of a payment/create body, by each reader.
func BenchmarkScan(b *testing.B) {
	body := []byte(`{"amount":{"total":60000,"currency":"EGP"},"callbackUrl":"https://merchant.example/cb",` +
		`"country":"EG","payMethod":"VALU","product":{"name":"Washing machine","description":"8 kg, front loading"},` +
		`"reference":"bench-F-000001","returnUrl":"https://merchant.example/return","valUAccountNumber":"01012345678"}`)
	b.Run("Valid", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := scan(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Tokens", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := scanTokens(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
