package opaygate

import "time"

// A bank debit agreement is what a CardDebit payment opens besides the payment itself
// (METHODS.md §8.6): the merchant's permission, under its own agreementId, to debit the
// customer's card until the agreement's last day. The merchant-initiated debits that would
// use it are not implemented; the agreement is recorded so that its id stays unique.
//
// A method opens one by naming it in the order's MethodData (DataAgreementID and the others
// below); storage records it in the transaction that stores the order, as it does with
// DataLookup, so an order never exists without its agreement nor an agreement without its
// order. An agreementId the merchant used before answers EDUPLICATE, whatever became of the
// order that used it: an id is never reused [inferred: METHODS.md says "unique per merchant"].
const (
	DataAgreementID       = "agreementId"
	DataAgreementDuration = "agreementDuration" // the last day, "YYYY-MM-DD"
	DataStoreCard         = "storeCard"         // "true" when the customer's card is to be kept as a token
	// With storeCard, what the token keeps of the card besides its BIN and last four, written
	// by the method because the order keeps no more: the expiry ("MM/YYYY") and the name.
	DataCardExpiry = "cardExpiry"
	DataCardHolder = "cardHolderName"
)

// AgreementDateLayout is how an agreement's last day is written, on the wire and stored.
const AgreementDateLayout = "2006-01-02"

// Agreement is a recorded bank debit agreement. Of the card it keeps the BIN and the last four
// digits only, like an order.
type Agreement struct {
	MerchantID string
	ID         string // the merchant's agreementId
	Duration   string // the last day, "YYYY-MM-DD"
	CardBIN    string
	CardLast4  string
	StoreCard  bool
	OrderNo    string // the payment that opened it
	CreatedAt  time.Time
}
