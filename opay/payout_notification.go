package opay

// PayoutNotification is the body the gateway POSTs to a payout's notifyUrl when it succeeds
// or fails (METHODS.md §10.3). It is always of the first callback version.
type PayoutNotification struct {
	Payload PayoutNotificationPayload `json:"payload"`
	// SHA512 holds the same HMAC-SHA3-512 as a payment callback's, over the same fields.
	SHA512 string `json:"sha512"`
	Type   string `json:"type"`
}

// PayoutNotificationPayload is a payout notification's payload, with fields in OPay's order.
// Unlike a payment callback's, Amount and Fee are in major units with two decimals
// ("2000.00"), as OPay's payout page documents, while the payout's request took minor units.
type PayoutNotificationPayload struct {
	Amount           string `json:"amount"`
	BussinessType    string `json:"bussinessType"` // sic: OPay's spelling; always MUAATransfer
	Channel          string `json:"channel"`
	Country          string `json:"country"`
	Currency         string `json:"currency"`
	DisplayedFailure string `json:"displayedFailure"`
	Fee              string `json:"fee"`
	InstrumentType   string `json:"instrumentType"` // the payoutType
	PayChannel       string `json:"payChannel"`
	Reference        string `json:"reference"` // the merchantOrderNo
	Refunded         bool   `json:"refunded"`
	Remark           string `json:"remark"`
	Status           string `json:"status"` // SUCCESS or FAIL
	Timestamp        string `json:"timestamp"`
	Token            string `json:"token"`         // the payout's orderNo
	TransactionID    string `json:"transactionId"` // the payout's orderNo
	UpdatedAt        string `json:"updated_at"`
}

// signed is the part of p the signature covers, in a payment callback's terms.
func (p PayoutNotificationPayload) signed() CallbackPayload {
	return CallbackPayload{Amount: p.Amount, Currency: p.Currency, Reference: p.Reference, Refunded: p.Refunded,
		Status: p.Status, Timestamp: p.Timestamp, Token: p.Token, TransactionID: p.TransactionID}
}

// SignPayoutNotification returns p's signature: SignCallback's formula over the payload's
// values exactly as sent (Amount "2000.00").
func SignPayoutNotification(p PayoutNotificationPayload, privateKey string) string {
	return SignCallback(p.signed(), privateKey)
}

// VerifyPayoutNotification reports whether n carries its payload's signature under the
// merchant's private key.
func VerifyPayoutNotification(n PayoutNotification, privateKey string) bool {
	return VerifyCallbackSignature(n.Payload.signed(), n.SHA512, privateKey)
}
