package notify

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// PayloadV2 is the v2 body of c (METHODS.md §11): the amount's total a JSON
// integer, the failure's code and reason only for FAIL and CLOSE (else ""),
// timestamp the change's epoch milliseconds, and extras {} for a change of
// the order, or the refund's identity for a refund's success.
func PayloadV2(c *opaygate.Callback) opay.CallbackV2 {
	b := opay.CallbackV2{
		Amount:    opay.CallbackV2Amount{Currency: c.Currency, Total: c.Amount},
		Country:   c.Country,
		NotifyID:  c.NotifyID,
		OrderNo:   c.OrderNo,
		Reference: c.Reference,
		Status:    string(c.Status),
		Timestamp: c.EventTime.UnixMilli(),
		Type:      opay.CallbackV2Type,
	}
	if c.Status == opaygate.StatusFail || c.Status == opaygate.StatusClose {
		b.FailureCode, b.FailureReason = c.FailureCode, c.FailureReason
	}
	if c.Voided {
		b.Extras = opay.CallbackV2Extras{Voided: true}
	} else if c.Refunded {
		b.Extras = opay.CallbackV2Extras{Refunded: true, RefundReference: c.RefundReference, RefundOrderNo: c.RefundOrderNo,
			RefundAmount: &opay.Amount{Total: c.RefundAmount, Currency: c.Currency}}
	}
	return b
}

// BodyV2 returns the v2 body of c as it is sent on every attempt. It is not
// signed: the signature goes in the headers (SetHeadersV2).
func BodyV2(c *opaygate.Callback) ([]byte, error) { return EncodeV2(PayloadV2(c)) }

// EncodeV2 writes b compactly, members in OPay's order, with HTML characters
// (and, as encoding/json always does, '/') left unescaped: the bytes the
// signature covers are the bytes a receiver reads.
func EncodeV2(b opay.CallbackV2) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// RequestTimestamp is the RequestTimestamp of an attempt made at t: epoch
// milliseconds.
func RequestTimestamp(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// SetHeadersV2 sets the headers of a v2 attempt: the merchant, the attempt's
// timestamp, and the signature in both Authorization (no Bearer) and
// Signature, since OPay's page names one in prose and the other in its
// example. The worker passes opay.SignCallbackV2(timestamp, body, key);
// 'opaygate callback test' passes wrong ones on purpose.
func SetHeadersV2(h http.Header, merchantID, timestamp, signature string) {
	h.Set("Content-Type", "application/json")
	h.Set("MerchantId", merchantID)
	h.Set("RequestTimestamp", timestamp)
	h.Set("Authorization", signature)
	h.Set("Signature", signature)
}
