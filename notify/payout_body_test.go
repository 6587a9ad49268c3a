package notify_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/notify"
	"github.com/opaygate/opaygate/opay"
)

// payoutExampleFields are the payload members of METHODS.md §10.3's example, in its order.
var payoutExampleFields = []string{"amount", "bussinessType", "channel", "country", "currency", "displayedFailure",
	"fee", "instrumentType", "payChannel", "reference", "refunded", "remark", "status", "timestamp", "token",
	"transactionId", "updated_at"}

func payoutCallback() *opaygate.Callback {
	return &opaygate.Callback{
		PayoutID: 7, Amount: 200000, Fee: 0, Currency: "NGN", Country: "NG", Reference: "po-2026-1",
		Status: opaygate.StatusSuccess, OrderNo: "261120000000000042", InstrumentType: "BankTransfer",
		Channel: "Web", Remark: "salary/november",
		EventTime: time.Date(2026, 11, 20, 12, 0, 0, 999_000_000, time.FixedZone("WAT", 3600)),
	}
}

// payloadMembers returns the payload's members in the order they were written.
func payloadMembers(t *testing.T, body []byte) ([]string, map[string]json.RawMessage) {
	t.Helper()
	var msg struct {
		Payload json.RawMessage
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(msg.Payload))
	if _, err := dec.Token(); err != nil { // {
		t.Fatal(err)
	}
	var names []string
	values := map[string]json.RawMessage{}
	for dec.More() {
		name, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		names = append(names, name.(string))
		values[name.(string)] = v
	}
	return names, values
}

// A payout notification is §10.3's example member for member: all strings but refunded,
// amount and fee in major units, and a sha512 a merchant checks with VerifyPayoutNotification.
func TestPayoutBody_MatchesTheSpecExample(t *testing.T) {
	body, err := notify.Body(payoutCallback(), vectorKey)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := notify.PayoutBody(payoutCallback(), vectorKey)
	if err != nil || !bytes.Equal(body, direct) {
		t.Fatalf("Body does not send a payout callback as PayoutBody: %v\n%s\n%s", err, body, direct)
	}
	names, values := payloadMembers(t, body)
	if !slices.Equal(names, payoutExampleFields) {
		t.Fatalf("payload members\n got %v\nwant %v", names, payoutExampleFields)
	}
	for _, name := range names {
		v := values[name]
		if name == "refunded" {
			if string(v) != "false" {
				t.Errorf("refunded is %s, want the JSON boolean false", v)
			}
			continue
		}
		if len(v) == 0 || v[0] != '"' {
			t.Errorf("%s is %s, want a JSON string", name, v)
		}
	}
	var n opay.PayoutNotification
	if err := json.Unmarshal(body, &n); err != nil {
		t.Fatal(err)
	}
	want := opay.PayoutNotificationPayload{Amount: "2000.00", BussinessType: "MUAATransfer", Channel: "Web",
		Country: "NG", Currency: "NGN", DisplayedFailure: "", Fee: "0.00", InstrumentType: "BankTransfer",
		PayChannel: "BalancePayment", Reference: "po-2026-1", Refunded: false, Remark: "salary/november",
		Status: "SUCCESS", Timestamp: "2026-11-20T11:00:00Z", Token: "261120000000000042",
		TransactionID: "261120000000000042", UpdatedAt: "2026-11-20T11:00:00Z"}
	if n.Payload != want || n.Type != "transaction-status" {
		t.Errorf("notification\n got %+v %q\nwant %+v", n.Payload, n.Type, want)
	}
	if !bytes.Contains(body, []byte(`"remark":"salary/november"`)) {
		t.Errorf("/ is escaped: %s", body)
	}

	// The signature: §6's formula over the values as sent, recomputed here without opay.
	var raw struct{ Payload map[string]any }
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	signed := signatureString(raw.Payload)
	if want := `{Amount:"2000.00",Currency:"NGN",Reference:"po-2026-1",Refunded:f,Status:"SUCCESS",` +
		`Timestamp:"2026-11-20T11:00:00Z",Token:"261120000000000042",TransactionID:"261120000000000042"}`; signed != want {
		t.Fatalf("signed string\n got %s\nwant %s", signed, want)
	}
	if got := independentSign(signed, vectorKey); n.SHA512 != got {
		t.Errorf("sha512 %s, want %s", n.SHA512, got)
	}
	if !opay.VerifyPayoutNotification(n, vectorKey) {
		t.Error("VerifyPayoutNotification refuses the gateway's notification")
	}
	changed := n
	changed.Payload.Amount = "2000.01"
	if opay.VerifyPayoutNotification(changed, vectorKey) {
		t.Error("VerifyPayoutNotification accepts a changed amount")
	}
	if opay.VerifyPayoutNotification(n, vectorKey+"x") {
		t.Error("VerifyPayoutNotification accepts another merchant's key")
	}
}

// Amounts and fees are minor units on the way in and major units with two decimals on the way
// out; a failure's errorMsg is displayedFailure.
func TestPayoutBody_MajorUnitsAndFailure(t *testing.T) {
	for _, tc := range []struct {
		amount, fee      int64
		wantAmt, wantFee string
	}{
		{50000, 0, "500.00", "0.00"},
		{1, 10, "0.01", "0.10"},
		{123456, 150, "1234.56", "1.50"},
		{100_000_000, 99, "1000000.00", "0.99"},
	} {
		c := payoutCallback()
		c.Amount, c.Fee = tc.amount, tc.fee
		c.Status, c.FailureCode, c.FailureReason = opaygate.StatusFail, "01005", "Incorrect Account Number"
		body, err := notify.Body(c, vectorKey)
		if err != nil {
			t.Fatal(err)
		}
		var n opay.PayoutNotification
		if err := json.Unmarshal(body, &n); err != nil {
			t.Fatal(err)
		}
		p := n.Payload
		if p.Amount != tc.wantAmt || p.Fee != tc.wantFee || p.Status != "FAIL" || p.DisplayedFailure != "Incorrect Account Number" {
			t.Errorf("amount %d fee %d: got amount %q fee %q status %q displayedFailure %q", tc.amount, tc.fee,
				p.Amount, p.Fee, p.Status, p.DisplayedFailure)
		}
		if !opay.VerifyPayoutNotification(n, vectorKey) {
			t.Errorf("amount %d: the signature does not verify", tc.amount)
		}
	}
}
