package reqlog

import (
	"encoding/json"
	"testing"
)

// FuzzRedactValid: an answer said to be valid is redacted as if it had been checked, and a body
// wrongly said to be valid never panics the log's writer.
func FuzzRedactValid(f *testing.F) {
	for _, s := range []string{`{"code":"00000","data":{"cardNumber":"4111 1111 1111 1111","otp":"123456"}}`,
		`{"a":[1,2,{"b":"c"}]}`, `}`, `{"a":"`, `[[[`, `{"a":1}}`, `"x\"`, `{"a":tru}`, `]`, `{"a" "b"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := redactJSON(body, true)
		if json.Valid(body) {
			want, wantOK := redactJSON(body, false)
			if got != want || ok != wantOK {
				t.Fatalf("valid body %q: said valid %q %v, checked %q %v", body, got, ok, want, wantOK)
			}
		}
	})
}
