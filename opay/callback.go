package opay

import (
	"crypto/hmac"
	"crypto/sha3"
	"encoding/hex"
	"hash"
)

// Callback is the body the gateway POSTs to a merchant's callbackUrl when an order reaches a
// final status or a refund of it succeeds.
type Callback struct {
	Payload CallbackPayload `json:"payload"`
	// SHA512 is named after OPay's field; it holds SignCallback's HMAC-SHA3-512.
	SHA512 string `json:"sha512"`
	Type   string `json:"type"`
}

// CallbackPayload is a callback's payload, with fields in OPay's order. Amounts and fees are
// strings of minor units, as OPay sends them.
type CallbackPayload struct {
	Amount           string `json:"amount"`
	Channel          string `json:"channel"`
	Country          string `json:"country"`
	Currency         string `json:"currency"`
	DisplayedFailure string `json:"displayedFailure"`
	Fee              string `json:"fee"`
	FeeCurrency      string `json:"feeCurrency"`
	InstrumentType   string `json:"instrumentType"`
	Reference        string `json:"reference"`
	Refunded         bool   `json:"refunded"`
	Status           string `json:"status"`
	Timestamp        string `json:"timestamp"`
	Token            string `json:"token"`
	TransactionID    string `json:"transactionId"`
	UpdatedAt        string `json:"updated_at"`
}

// CallbackSignatureString returns the string a callback signature covers. It is OPay's
// documented format, not JSON: keys are bare, values are not escaped, and Refunded is the
// letter t or f.
func CallbackSignatureString(p CallbackPayload) string {
	refunded := "f"
	if p.Refunded {
		refunded = "t"
	}
	return `{Amount:"` + p.Amount +
		`",Currency:"` + p.Currency +
		`",Reference:"` + p.Reference +
		`",Refunded:` + refunded +
		`,Status:"` + p.Status +
		`",Timestamp:"` + p.Timestamp +
		`",Token:"` + p.Token +
		`",TransactionID:"` + p.TransactionID + `"}`
}

// SignCallback returns the lowercase hex HMAC-SHA3-512 of CallbackSignatureString(p) keyed
// with the merchant's private key. OPay calls the field sha512, but the hash is SHA3.
func SignCallback(p CallbackPayload, privateKey string) string {
	return hex.EncodeToString(callbackMAC(p, privateKey))
}

// VerifyCallbackSignature reports whether signature, hex in either case, is p's signature.
func VerifyCallbackSignature(p CallbackPayload, signature, privateKey string) bool {
	got, err := hex.DecodeString(signature)
	if err != nil {
		return false
	}
	return hmac.Equal(got, callbackMAC(p, privateKey))
}

func callbackMAC(p CallbackPayload, privateKey string) []byte {
	mac := hmac.New(func() hash.Hash { return sha3.New512() }, []byte(privateKey))
	mac.Write([]byte(CallbackSignatureString(p)))
	return mac.Sum(nil)
}
