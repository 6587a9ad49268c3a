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

// Body returns the JSON body of c signed with the merchant's private key: a payment
// callback's, or a payout notification's when c is one.
func Body(c *opaygate.Callback, privateKey string) ([]byte, error) {
	if c.PayoutID != 0 {
		return PayoutBody(c, privateKey)
	}
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

// PayoutPayload is the payload of a payout's notification c exactly as METHODS.md §10.3
// shows it: amount and fee in major units with two decimals, instrumentType the payoutType,
// displayedFailure the errorMsg, bussinessType MUAATransfer and payChannel BalancePayment.
func PayoutPayload(c *opaygate.Callback) opay.PayoutNotificationPayload {
	at := c.EventTime.UTC().Format(time.RFC3339)
	return opay.PayoutNotificationPayload{
		Amount:           majorUnits(c.Amount),
		BussinessType:    "MUAATransfer",
		Channel:          c.Channel,
		Country:          c.Country,
		Currency:         c.Currency,
		DisplayedFailure: c.FailureReason,
		Fee:              majorUnits(c.Fee),
		InstrumentType:   c.InstrumentType,
		PayChannel:       "BalancePayment",
		Reference:        c.Reference,
		Refunded:         false,
		Remark:           c.Remark,
		Status:           string(c.Status),
		Timestamp:        at,
		Token:            c.OrderNo,
		TransactionID:    c.OrderNo,
		UpdatedAt:        at,
	}
}

// PayoutBody returns the JSON body of a payout's notification c, signed with the merchant's
// private key.
func PayoutBody(c *opaygate.Callback, privateKey string) ([]byte, error) {
	p := PayoutPayload(c)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(opay.PayoutNotification{Payload: p, SHA512: opay.SignPayoutNotification(p, privateKey),
		Type: CallbackType}); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// majorUnits writes minor units as major units with two decimals: 200000 is "2000.00".
func majorUnits(n int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return sign + strconv.FormatInt(n/100, 10) + "." + strconv.FormatInt(n%100/10, 10) + strconv.FormatInt(n%10, 10)
}
