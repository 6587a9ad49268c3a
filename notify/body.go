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

// Body returns the JSON body of c signed with the merchant's private key.
// HTML characters are written as they are, so the body reads like OPay's.
func Body(c *opaygate.Callback, privateKey string) ([]byte, error) {
	p := Payload(c)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(opay.Callback{Payload: p, SHA512: opay.SignCallback(p, privateKey), Type: CallbackType}); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
