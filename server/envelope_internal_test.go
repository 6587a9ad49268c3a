package server

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/opaygate/opaygate/opay"
)

// TestEnvelope: the answer's envelope, written around data already encoded, is byte for byte
// what encoding the whole answer gives, for every kind of data an answer carries.
func TestEnvelope(t *testing.T) {
	type plan struct {
		Months int            `json:"months"`
		Total  map[string]any `json:"total"`
	}
	datas := []any{
		map[string]any{"orderNo": "240101000000000001", "status": "PENDING", "nextAction": map[string]any{
			"actionType": "INPUT_OTP", "redirectUrl": "https://pay.example/cashier?a=1&b=<2>"}},
		[]plan{{Months: 6, Total: map[string]any{"total": 11400, "currency": "EGP"}}},
		[]string{},
		"false",
		"quote \" backslash \\ newline \n tab \t unicode é € \u2028 control \u0001",
		nil,
	}
	for _, msg := range []string{opay.MessageSuccess, `invalid otp, 4 attempts left`, `"quoted" <html> & é \u2028`} {
		for _, d := range datas {
			var raw json.RawMessage
			if d != nil {
				var err error
				if raw, err = marshal(d); err != nil {
					t.Fatal(err)
				}
			}
			resp := opay.Response{Code: "02000", Message: msg, Data: raw}
			want, err := marshal(resp)
			if err != nil {
				t.Fatal(err)
			}
			got, err := envelope(resp)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("envelope\n%s\nwant\n%s", got, want)
			}
		}
	}
	// The answers' one literal.
	resp := opay.Response{Code: "02011", Message: "m", Data: json.RawMessage(`"false"`)}
	want, _ := marshal(resp)
	if got, _ := envelope(resp); !bytes.Equal(got, want) {
		t.Errorf("envelope %s, want %s", got, want)
	}
}
