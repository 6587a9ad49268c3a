package notify

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// CallbackType is the body's "type" (spec section 6).
const CallbackType = "transaction-status"

// Payload is the payload of c exactly as spec section 6 shows it: amounts are
// strings of minor units, the fee is "0" in the order's currency,
// instrumentType is the pay method, displayedFailure the failure reason, and
// timestamp and updated_at are the time of the change in RFC 3339 UTC.
// token and transactionId are both the order number.
func Payload(c *opaygate.Callback) opay.CallbackPayload {
	at := c.EventTime.UTC().Format(time.RFC3339)
	return opay.CallbackPayload{
		Amount:           strconv.FormatInt(c.Amount, 10),
		Channel:          c.Channel,
		Country:          c.Country,
		Currency:         c.Currency,
		DisplayedFailure: c.FailureReason,
		Fee:              "0",
		FeeCurrency:      c.Currency,
		InstrumentType:   c.InstrumentType,
		Reference:        c.Reference,
		Refunded:         c.Refunded,
		Status:           string(c.Status),
		Timestamp:        at,
		Token:            c.OrderNo,
		TransactionID:    c.OrderNo,
		UpdatedAt:        at,
	}
}

// UserAgent is the User-Agent of every callback POST.
const UserAgent = "opaygate-callback/1"

// Body returns the JSON body of c signed with the merchant's private key.
func Body(c *opaygate.Callback, privateKey string) ([]byte, error) {
	p := Payload(c)
	return Encode(p, opay.SignCallback(p, privateKey))
}

// Encode returns the JSON body of payload p with signature sha512, as it is
// sent. Body is the only caller that should pair p with its own signature;
// 'opaygate callback test' pairs it with wrong ones on purpose. HTML
// characters are written as they are, so the body reads like OPay's.
func Encode(p opay.CallbackPayload, sha512 string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(opay.Callback{Payload: p, SHA512: sha512, Type: CallbackType}); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
