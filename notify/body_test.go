package notify_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/notify"
)

// The test vector of spec section 6, through the body the worker sends.
const (
	vectorKey       = "OPAYPRV16357783346230.07653446106051542"
	vectorString    = `{Amount:"60000",Currency:"EGP",Reference:"04123390",Refunded:f,Status:"SUCCESS",Timestamp:"2026-11-20T10:00:00Z",Token:"261120000000000001",TransactionID:"261120000000000001"}`
	vectorSignature = "3913a7310b89a4ddfcb7f0d35cf76a9c21c174c14d63d168fbdf0670f6c2fcc216722954da98cb1398fcf6bc0e7cd237dcce6c148cd3ffa61e5edbb29478e211"
)

func vectorCallback() *opaygate.Callback {
	return &opaygate.Callback{
		Amount: 60000, Currency: "EGP", Reference: "04123390", Status: opaygate.StatusSuccess,
		OrderNo: "261120000000000001", Country: "EG", InstrumentType: "VALU", Channel: "Web",
		// Sub-second parts and zones do not reach the wire.
		EventTime: time.Date(2026, 11, 20, 12, 0, 0, 999_000_000, time.FixedZone("EET", 2*3600)),
	}
}

func TestBody_SpecVector(t *testing.T) {
	if got := independentSign(vectorString, vectorKey); got != vectorSignature {
		t.Fatalf("the test's own HMAC-SHA3-512 disagrees with the spec: %s", got)
	}
	body, err := notify.Body(vectorCallback(), vectorKey)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"payload":{"amount":"60000","channel":"Web","country":"EG","currency":"EGP",
 "displayedFailure":"","fee":"0","feeCurrency":"EGP","instrumentType":"VALU",
 "reference":"04123390","refunded":false,"status":"SUCCESS",
 "timestamp":"2026-11-20T10:00:00Z","token":"261120000000000001","transactionId":"261120000000000001",
 "updated_at":"2026-11-20T10:00:00Z"},
 "sha512":"` + vectorSignature + `","type":"transaction-status"}`
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(want)); err != nil {
		t.Fatal(err)
	}
	if string(body) != compact.String() {
		t.Errorf("body\n got %s\nwant %s", body, compact.String())
	}
	var msg struct {
		Payload map[string]any
		SHA512  string
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Fatal(err)
	}
	if s := signatureString(msg.Payload); s != vectorString {
		t.Errorf("signed string\n got %s\nwant %s", s, vectorString)
	}
}

func TestBody_RefundedAndEscaping(t *testing.T) {
	c := vectorCallback()
	c.Refunded = true
	c.Reference = `a&b<c>"d"`
	c.Status, c.FailureReason = opaygate.StatusFail, "Do not honour"
	body, err := notify.Body(c, vectorKey)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(body, []byte(`"reference":"a&b<c>\"d\""`)) || !bytes.Contains(body, []byte(`"refunded":true`)) ||
		!bytes.Contains(body, []byte(`"displayedFailure":"Do not honour"`)) {
		t.Fatalf("body %s", body)
	}
	var msg struct {
		Payload map[string]any
		SHA512  string
	}
	json.Unmarshal(body, &msg)
	if got := independentSign(signatureString(msg.Payload), vectorKey); got != msg.SHA512 {
		t.Errorf("signature %s, independent %s", msg.SHA512, got)
	}
}
