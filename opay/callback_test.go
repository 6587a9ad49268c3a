package opay

import (
	"encoding/json"
	"strings"
	"testing"
)

// The test vector of API.md section 6.
const (
	callbackString    = `{Amount:"60000",Currency:"EGP",Reference:"04123390",Refunded:f,Status:"SUCCESS",Timestamp:"2026-11-20T10:00:00Z",Token:"261120000000000001",TransactionID:"261120000000000001"}`
	callbackSignature = "3913a7310b89a4ddfcb7f0d35cf76a9c21c174c14d63d168fbdf0670f6c2fcc216722954da98cb1398fcf6bc0e7cd237dcce6c148cd3ffa61e5edbb29478e211"
)

func vectorPayload() CallbackPayload {
	return CallbackPayload{
		Amount:         "60000",
		Channel:        "Web",
		Country:        "EG",
		Currency:       "EGP",
		Fee:            "0",
		FeeCurrency:    "EGP",
		InstrumentType: "VALU",
		Reference:      "04123390",
		Status:         "SUCCESS",
		Timestamp:      "2026-11-20T10:00:00Z",
		Token:          "261120000000000001",
		TransactionID:  "261120000000000001",
		UpdatedAt:      "2026-11-20T10:00:00Z",
	}
}

func TestCallbackSignatureString(t *testing.T) {
	refunded := vectorPayload()
	refunded.Refunded = true
	tests := []struct {
		name string
		p    CallbackPayload
		want string
	}{
		{"SpecVector", vectorPayload(), callbackString},
		{"RefundedIsT", refunded, strings.Replace(callbackString, "Refunded:f", "Refunded:t", 1)},
		{"EmptyPayload", CallbackPayload{}, `{Amount:"",Currency:"",Reference:"",Refunded:f,Status:"",Timestamp:"",Token:"",TransactionID:""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CallbackSignatureString(tt.p); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestSignCallbackSpecVector(t *testing.T) {
	if got := SignCallback(vectorPayload(), docKey); got != callbackSignature {
		t.Errorf("SignCallback = %s, want %s", got, callbackSignature)
	}
}

func TestVerifyCallbackSignature(t *testing.T) {
	tampered := vectorPayload()
	tampered.Amount = "60001"
	refunded := vectorPayload()
	refunded.Refunded = true
	// Channel is not in the signed string, so changing it cannot be detected.
	otherChannel := vectorPayload()
	otherChannel.Channel = "App"

	tests := []struct {
		name           string
		p              CallbackPayload
		signature, key string
		want           bool
	}{
		{"Valid", vectorPayload(), callbackSignature, docKey, true},
		{"ValidUpperHex", vectorPayload(), strings.ToUpper(callbackSignature), docKey, true},
		{"UnsignedFieldChanged", otherChannel, callbackSignature, docKey, true},
		{"WrongKey", vectorPayload(), callbackSignature, "OPAYPRV1", false},
		{"TamperedAmount", tampered, callbackSignature, docKey, false},
		{"TamperedRefunded", refunded, callbackSignature, docKey, false},
		{"SHA2Signature", vectorPayload(), Sign([]byte(callbackString), docKey), docKey, false},
		{"BearerPrefix", vectorPayload(), "Bearer " + callbackSignature, docKey, false},
		{"GarbageSignature", vectorPayload(), "sha512", docKey, false},
		{"EmptySignature", vectorPayload(), "", docKey, false},
		{"TruncatedSignature", vectorPayload(), callbackSignature[:64], docKey, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifyCallbackSignature(tt.p, tt.signature, tt.key); got != tt.want {
				t.Errorf("VerifyCallbackSignature = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestCallbackJSON pins the wire shape to the example body of API.md section 6.
func TestCallbackJSON(t *testing.T) {
	want := mustCompact(t, []byte(`{"payload":{"amount":"60000","channel":"Web","country":"EG","currency":"EGP",
 "displayedFailure":"","fee":"0","feeCurrency":"EGP","instrumentType":"VALU",
 "reference":"04123390","refunded":false,"status":"SUCCESS",
 "timestamp":"2026-11-20T10:00:00Z","token":"261120000000000001","transactionId":"261120000000000001",
 "updated_at":"2026-11-20T10:00:00Z"},
 "sha512":"`+callbackSignature+`","type":"transaction-status"}`))
	cb := Callback{Payload: vectorPayload(), SHA512: callbackSignature, Type: "transaction-status"}
	got, err := json.Marshal(cb)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var back Callback
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if back != cb {
		t.Errorf("round trip = %+v, want %+v", back, cb)
	}
}
