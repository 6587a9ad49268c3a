package method

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// CardDebit is a card payment that also opens a bank debit agreement (EG, METHODS.md §8.6):
// the merchant names the agreement (agreementId, unique per merchant) and its last day, and
// the customer confirms the first payment on the 3-D Secure page. Storage records the
// agreement with the order, in one transaction (opaygate.DataAgreementID); a used
// agreementId answers 02004. The debits the merchant would make later under the agreement
// are not implemented. With storeCard, storage keeps the card as a token of userInfo.userId
// once the payment succeeds (sqlstore's keepCard); storeCard is also recorded on the
// agreement only.
//
//	start → FAIL 54 (expired card)
//	      → PENDING REDIRECT_3DS → confirmed → acquirer
type CardDebit struct{ apiOnly }

var _ Method = CardDebit{}

func (CardDebit) Name() string                { return opaygate.PayMethodCardDebit }
func (CardDebit) Function() opaygate.Function { return opaygate.FuncCardDebit }
func (CardDebit) Countries() []string         { return []string{"EG"} }
func (CardDebit) Slug() string                { return "carddebit" }
func (CardDebit) Voidable() bool              { return true }

// maxAgreementID bounds bankDebit.agreementId, in characters (METHODS.md §8.6).
const maxAgreementID = 64

// debitParams are the card and the agreement it opens.
type debitParams struct {
	card      opaygate.Card
	id        string
	lastDay   time.Time // midnight UTC of agreementDuration
	storeCard bool
}

// Params reads the card as BankCard does, always with 3-D Secure (so returnUrl is required),
// and bankDebit. That agreementDuration lies in the future is Start's to check: it knows the
// gateway's clock.
func (CardDebit) Params(req *opay.PaymentCreateRequest) (any, error) {
	if req.BankCard == nil {
		return nil, opaygate.Invalid("bankcard is required for payMethod CardDebit")
	}
	if req.ReturnURL == "" {
		// The 3-D Secure page must send its customer back somewhere; said here, because the
		// client did not ask for 3-D Secure.
		return nil, opaygate.Invalid("returnUrl is required for payMethod CardDebit (3-D Secure)")
	}
	withThreeDS := *req
	card3DS := *req.BankCard
	card3DS.Enable3DS = true
	withThreeDS.BankCard = &card3DS
	if cardToken(req) != "" {
		// A token pays a BankCard payment only (METHODS.md §9.3).
		return nil, opaygate.Invalid("opayToken is for payMethod BankCard, not CardDebit")
	}
	card, err := BankCard{}.Params(&withThreeDS)
	if err != nil {
		return nil, err
	}
	bd := req.BankDebit
	if bd == nil {
		return nil, opaygate.Invalid("bankDebit is required for payMethod CardDebit")
	}
	if bd.AgreementDuration == "" {
		return nil, opaygate.Invalid("bankDebit.agreementDuration is required")
	}
	lastDay, err := time.Parse(opaygate.AgreementDateLayout, bd.AgreementDuration)
	if err != nil || lastDay.Format(opaygate.AgreementDateLayout) != bd.AgreementDuration {
		return nil, opaygate.Invalid("bankDebit.agreementDuration must be a date, YYYY-MM-DD")
	}
	if err := checkAgreementID(bd.AgreementID); err != nil {
		return nil, err
	}
	if bd.StoreCard && (req.UserInfo == nil || req.UserInfo.UserID == "") {
		// The token that storeCard asks for is the customer's (METHODS.md §9).
		return nil, opaygate.Invalid("userInfo.userId is required with bankDebit.storeCard")
	}
	return debitParams{card: card.(opaygate.Card), id: bd.AgreementID, lastDay: lastDay, storeCard: bd.StoreCard}, nil
}

// checkAgreementID: present, at most 64 characters, printable. The id is the merchant's key
// for the agreement and shows in the dashboard, so no control or invisible characters.
func checkAgreementID(id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return opaygate.Invalid("bankDebit.agreementId is required")
	case utf8.RuneCountInString(id) > maxAgreementID:
		return opaygate.Invalid("bankDebit.agreementId must be at most %d characters", maxAgreementID)
	case strings.IndexFunc(id, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return opaygate.Invalid("bankDebit.agreementId must be printable characters")
	}
	return nil
}

// Start keeps the card's BIN and last four and names the agreement for storage to record,
// then waits for the 3-D Secure page; an expired card fails at once with 54 (its agreement
// is recorded all the same, so its id is used).
func (CardDebit) Start(_ context.Context, _ opaygate.Network, o *opaygate.Order, params any, now time.Time) (opaygate.Move, error) {
	p, ok := params.(debitParams)
	if !ok {
		return opaygate.Move{}, opaygate.Invalid("bankcard is required for payMethod CardDebit")
	}
	if err := p.card.Check(); err != nil {
		return opaygate.Move{}, err
	}
	// In the future by the gateway's clock: from tomorrow (UTC) on.
	if y, m, d := now.UTC().Date(); !p.lastDay.After(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) {
		return opaygate.Move{}, opaygate.Invalid("bankDebit.agreementDuration must be a date in the future")
	}
	o.CardBIN, o.CardLast4 = p.card.BIN(), p.card.Last4()
	o.MethodData = map[string]string{
		opaygate.DataAgreementID:       p.id,
		opaygate.DataAgreementDuration: p.lastDay.Format(opaygate.AgreementDateLayout),
		opaygate.DataStoreCard:         strconv.FormatBool(p.storeCard),
	}
	if p.storeCard {
		// The token made when the payment succeeds keeps these too (METHODS.md §8.6, §9.2).
		o.MethodData[opaygate.DataCardExpiry] = fmt.Sprintf("%02d/%d", p.card.ExpiryMonth, p.card.ExpiryYear)
		o.MethodData[opaygate.DataCardHolder] = p.card.HolderName
	}
	if p.card.Expired(now) {
		return opaygate.Decline(opaygate.CodeExpiredCard, opaygate.ReasonExpiredCard), nil
	}
	return opaygate.Wait(opaygate.Step3DS), nil
}

// Next: a confirmed 3-D Secure page goes to the acquirer.
func (CardDebit) Next(_ *opaygate.Order, done opaygate.Step) opaygate.Move {
	if done == opaygate.Step3DS {
		return opaygate.Authorize()
	}
	return opaygate.Move{}
}

// NextAction sends the customer to the 3-D Secure page.
func (CardDebit) NextAction(o *opaygate.Order, links Links) *opay.NextAction {
	return waiting(o, links)
}
