package server

import (
	"cmp"
	"context"
	"net/http"
	"strings"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// Payouts (METHODS.md §10): createSingleOrder, queryorder, balance and the two validations,
// signed with the merchant's RSA key (rsaSigned). These paths answer OPay's payout codes
// (§10.5): a missing field is its own 510xx "<field> cannot be empty"; the domain's errors
// (a malformed field, a merchantOrderNo used before, cash that does not cover the payout, an
// unknown payout) are turned into theirs by payoutError, for every payout endpoint at once.

// Bounds of a payout's fields.
const (
	maxNotifyURL       = 255
	maxMerchantOrderNo = 32
	maxPayoutRemark    = 128
	maxPayeeText       = 128
)

// emptyCodes are the codes of a missing payout field.
var emptyCodes = map[string]string{
	"accountName": "51004", "accountNo": "51005", "accountBankCode": "51006", "customerName": "51007",
	"payoutType": "51010", "country": "51011", "notifyUrl": "51012", "currency": "51014", "language": "51015",
	"amount": "51016", "merchantOrderNo": "51017",
}

// payoutEmpty is the answer to a missing payout field.
func payoutEmpty(field string) error {
	return &wireError{code: emptyCodes[field], message: field + " cannot be empty", detail: field + " is required"}
}

// payoutInvalid is a present but malformed payout field: 02001 with the problem in the message,
// as no payout code covers it.
func payoutInvalid(format string, args ...any) error {
	detail := opaygate.ErrorMessage(opaygate.Invalid(format, args...))
	return &wireError{code: opay.CodeInvalidParams, message: "request params not valid: " + detail, detail: detail}
}

func payoutNotOpened(detail string) error {
	return &wireError{code: opay.CodePayoutNotOpened, message: opay.MessagePayoutNotOpened, detail: detail}
}

// payoutsFor refuses a gateway without payouts and a country the merchant is not enabled for.
func (s *Server) payoutsFor(m *opaygate.Merchant, country string) error {
	if s.svc.Payouts == nil || s.svc.Ledger == nil {
		return payoutNotOpened("this gateway makes no payouts")
	}
	if err := m.Check(opaygate.FuncPayout, country); err != nil {
		return err
	}
	return nil
}

// payoutCountry checks a present country and currency pair.
func payoutCountry(country, currency string) error {
	want := opaygate.CurrencyOf(country)
	switch {
	case want == "":
		return payoutInvalid("country %q is not supported (EG or NG)", country)
	case currency != "" && currency != want:
		return payoutInvalid("currency must be %s for country %s", want, country)
	}
	return nil
}

// payoutCreate answers payout/createSingleOrder.
func (s *Server) payoutCreate(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.PayoutCreateRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, value string }{{"payoutType", req.PayoutType}, {"notifyUrl", req.NotifyURL},
		{"merchantOrderNo", req.MerchantOrderNo}, {"country", req.Country}} {
		if strings.TrimSpace(f.value) == "" {
			return nil, payoutEmpty(f.name)
		}
	}
	if req.Amount == 0 {
		return nil, payoutEmpty("amount")
	}
	for _, f := range []struct{ name, value string }{{"currency", req.Currency}, {"language", req.Language}} {
		if strings.TrimSpace(f.value) == "" {
			return nil, payoutEmpty(f.name)
		}
	}
	if err := s.payoutsFor(m, req.Country); err != nil {
		return nil, err
	}
	switch req.PayoutType {
	case opaygate.PayoutBankTransfer, opaygate.PayoutWalletNG, opaygate.PayoutWalletEG:
	case "Betting", "MobileRecharge", "TelecomVoucher":
		return nil, payoutNotOpened("payoutType " + req.PayoutType + " is not simulated by this gateway")
	default:
		return nil, payoutInvalid("payoutType must be BankTransfer or OpayWalletNg (NG), or OpayWallet (EG)")
	}
	if err := payoutCountry(req.Country, req.Currency); err != nil {
		return nil, err
	}
	if !opaygate.PayoutTypeFits(req.PayoutType, req.Country) {
		return nil, payoutInvalid("payoutType %s does not pay out in %s", req.PayoutType, req.Country)
	}
	switch {
	case len(req.NotifyURL) > maxNotifyURL:
		return nil, payoutInvalid("notifyUrl must be shorter than 256 characters")
	case len(req.MerchantOrderNo) > maxMerchantOrderNo || !merchantOrderNoChars(req.MerchantOrderNo):
		return nil, payoutInvalid("merchantOrderNo must be at most 32 characters of A-Z, a-z, 0-9, _ and -")
	case req.Amount < 0 || int64(req.Amount) > opaygate.MaxAmount:
		return nil, payoutInvalid("amount must be a positive number of minor units, at most %d", opaygate.MaxAmount)
	case len(req.Remark) > maxPayoutRemark:
		return nil, payoutInvalid("remark must be at most 128 characters")
	}
	if err := s.checkTargetURL("notifyUrl", req.NotifyURL); err != nil {
		return nil, err
	}
	payee, err := payeeOf(req.PayoutType, req.Country, req.MetaData)
	if err != nil {
		return nil, err
	}
	p := &opaygate.Payout{MerchantID: m.ID, Reference: req.MerchantOrderNo, PayoutType: req.PayoutType,
		Country: req.Country, Currency: req.Currency, Amount: int64(req.Amount), Language: req.Language,
		Remark: req.Remark, NotifyURL: req.NotifyURL, Payee: payee}
	if err := s.svc.Payouts.CreatePayout(ctx, p); err != nil {
		return nil, err
	}
	// The network takes the payout in the transaction that made it (it is stored PENDING);
	// the answer is the status OPay's page shows at creation.
	return opay.PayoutCreateData{OrderNo: p.OrderNo, Reference: p.Reference, OrderStatus: string(opaygate.PayoutInitial)}, nil
}

func merchantOrderNoChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// payeeOf checks a payout's metaData for its type: a bank account for BankTransfer, a wallet
// for the others.
func payeeOf(payoutType, country string, md opay.PayoutMetaData) (opaygate.Payee, error) {
	if payoutType == opaygate.PayoutBankTransfer {
		for _, f := range []struct{ name, value string }{{"accountBankCode", md.AccountBankCode},
			{"accountName", md.AccountName}, {"accountNo", md.AccountNo}} {
			if strings.TrimSpace(f.value) == "" {
				return opaygate.Payee{}, payoutEmpty(f.name)
			}
			if len(f.value) > maxPayeeText {
				return opaygate.Payee{}, payoutInvalid("metaData.%s must be at most %d characters", f.name, maxPayeeText)
			}
		}
		if !opaygate.Digits(md.AccountBankCode) {
			return opaygate.Payee{}, payoutInvalid("metaData.accountBankCode must be digits")
		}
		if !opaygate.Digits(md.AccountNo) {
			return opaygate.Payee{}, payoutInvalid("metaData.accountNo must be digits")
		}
		return opaygate.Payee{AccountBankCode: md.AccountBankCode, AccountName: md.AccountName, AccountNo: md.AccountNo}, nil
	}
	if strings.TrimSpace(md.CustomerName) == "" {
		return opaygate.Payee{}, payoutEmpty("customerName")
	}
	if len(md.CustomerName) > maxPayeeText {
		return opaygate.Payee{}, payoutInvalid("metaData.customerName must be at most %d characters", maxPayeeText)
	}
	if err := checkWalletPhone("metaData.phone", md.Phone, country); err != nil {
		return opaygate.Payee{}, err
	}
	return opaygate.Payee{CustomerName: md.CustomerName, Phone: md.Phone}, nil
}

// checkWalletPhone checks an E.164 wallet phone of country: +234 and 10 digits (NG), +20 and
// 10 digits (EG).
func checkWalletPhone(field, phone, country string) error {
	prefix := map[string]string{"NG": "+234", "EG": "+20"}[country]
	rest, ok := strings.CutPrefix(phone, prefix)
	switch {
	case phone == "":
		return payoutInvalid("%s is required", field)
	case prefix == "" || !ok || len(rest) != 10 || !opaygate.Digits(rest):
		return payoutInvalid("%s must be %s followed by 10 digits", field, prefix)
	}
	return nil
}

// payoutQuery answers payout/queryorder.
func (s *Server) payoutQuery(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.PayoutQueryRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := s.payoutsFor(m, ""); err != nil {
		return nil, err
	}
	if req.Reference == "" && req.OrderNo == "" {
		return nil, payoutInvalid("reference or orderNo is required")
	}
	p, err := s.svc.Payouts.FindPayout(ctx, m.ID, opaygate.PayoutKey{OrderNo: req.OrderNo, Reference: req.Reference})
	if err != nil {
		return nil, err
	}
	if req.Country != "" && req.Country != p.Country {
		return nil, opaygate.Errorf(opaygate.ENOTFOUND, "the payout is of %s, not %s", p.Country, req.Country)
	}
	return opay.PayoutQueryData{Reference: p.Reference, OrderNo: p.OrderNo, OrderStatus: string(p.Status),
		ErrorCode: p.ErrorCode, ErrorMsg: p.ErrorMsg, AdditionalField: map[string]any{},
		Amount: opay.Amount{Total: p.Amount, Currency: p.Currency}}, nil
}

// payoutBalance answers payout/balance: one account of the merchant's balance.
func (s *Server) payoutBalance(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.PayoutBalanceRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	switch {
	case req.Country == "":
		return nil, payoutEmpty("country")
	case req.Currency == "":
		return nil, payoutEmpty("currency")
	}
	if err := s.payoutsFor(m, req.Country); err != nil {
		return nil, err
	}
	if err := payoutCountry(req.Country, req.Currency); err != nil {
		return nil, err
	}
	account := opaygate.Account(req.Type)
	if !account.Valid() {
		return nil, payoutInvalid("type must be CASH_ACCOUNT or UNSETTLED_ACCOUNT")
	}
	b, err := s.svc.Ledger.Balance(ctx, m.ID, req.Currency)
	if err != nil {
		return nil, err
	}
	return opay.PayoutBalanceData{Country: req.Country, Balance: opay.Amount{Total: b.Of(account), Currency: req.Currency}}, nil
}

// bankAccountValidate answers payout/bank-account-validate. The sandbox knows every 10-digit
// account (NG) as "SANDBOX ACCOUNT <last 4>"; one ending 1005 does not exist.
func (s *Server) bankAccountValidate(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.BankAccountValidateRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	switch {
	case req.AccountBankCode == "":
		return nil, payoutEmpty("accountBankCode")
	case req.AccountNo == "":
		return nil, payoutEmpty("accountNo")
	}
	if err := s.payoutsFor(m, ""); err != nil {
		return nil, err
	}
	if err := s.sandboxNetwork(); err != nil {
		return nil, err
	}
	if len(req.AccountNo) != 10 || !opaygate.Digits(req.AccountNo) || strings.HasSuffix(req.AccountNo, "1005") {
		return nil, incorrectAccount("accountNo " + req.AccountNo + " is not a 10-digit account of the sandbox bank")
	}
	return opay.BankAccountValidateData{AccountBankCode: req.AccountBankCode, AccountNo: req.AccountNo,
		AccountName: "SANDBOX ACCOUNT " + req.AccountNo[len(req.AccountNo)-4:]}, nil
}

// walletValidate answers payout/opay-wallet-validate; a phone ending 1005 has no wallet.
func (s *Server) walletValidate(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.WalletValidateRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.Country == "" {
		return nil, payoutEmpty("country")
	}
	if err := s.payoutsFor(m, req.Country); err != nil {
		return nil, err
	}
	if err := payoutCountry(req.Country, ""); err != nil {
		return nil, err
	}
	if err := checkWalletPhone("phone", req.Phone, req.Country); err != nil {
		return nil, err
	}
	if err := s.sandboxNetwork(); err != nil {
		return nil, err
	}
	if strings.HasSuffix(req.Phone, "1005") {
		return nil, incorrectAccount("phone " + req.Phone + " has no OPay wallet in the sandbox")
	}
	return opay.WalletValidateData{Phone: req.Phone, AccountName: "SANDBOX ACCOUNT " + req.Phone[len(req.Phone)-4:]}, nil
}

func incorrectAccount(detail string) error {
	return &wireError{code: opay.CodeIncorrectAccount, message: opay.MessageIncorrectAccount, detail: detail}
}

// sandboxNetwork refuses an account lookup in live mode, which has no bank to ask.
func (s *Server) sandboxNetwork() error {
	if s.cfg.Mode == "live" {
		return payoutNotOpened("account validation is simulated in the sandbox only; live mode has no bank to ask")
	}
	return nil
}

// sandboxPayout is a payout as the sandbox control shows it.
type sandboxPayout struct {
	OrderNo    string `json:"orderNo"`
	Reference  string `json:"reference"`
	MerchantID string `json:"merchantId"`
	Status     string `json:"status"`
	ErrorCode  string `json:"errorCode"`
	ErrorMsg   string `json:"errorMsg"`
	Amount     int64  `json:"amount"`
	Fee        int64  `json:"fee"`
	Currency   string `json:"currency"`
}

// sandboxCompletePayout answers POST /_sandbox/payouts/complete {orderNo, outcome, errorCode?,
// errorMsg?}: the bank's answer to a PENDING payout now, instead of after --payout-delay.
func (s *Server) sandboxCompletePayout(w http.ResponseWriter, r *http.Request) {
	body, status, err := readBody(w, r)
	if err != nil {
		s.writeStatus(w, r, status, err)
		return
	}
	var req struct {
		OrderNo   string `json:"orderNo"`
		Outcome   string `json:"outcome"`
		ErrorCode string `json:"errorCode"`
		ErrorMsg  string `json:"errorMsg"`
	}
	if err := decode(body, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	res := opaygate.PayoutResult{Success: true}
	switch {
	case req.OrderNo == "":
		err = invalid("orderNo is required")
	case req.Outcome == "FAIL":
		res = opaygate.PayoutResult{ErrorCode: cmp.Or(req.ErrorCode, opay.CodeIncorrectAccount),
			ErrorMsg: cmp.Or(req.ErrorMsg, payoutMessages[req.ErrorCode], opay.MessageIncorrectAccount)}
		if len(res.ErrorCode) > 16 || len(res.ErrorMsg) > 128 {
			err = invalid("errorCode must be at most 16 characters and errorMsg at most 128")
		}
	case req.Outcome != "SUCCESS":
		err = invalid("outcome must be SUCCESS or FAIL")
	case req.ErrorCode != "" || req.ErrorMsg != "":
		err = invalid("errorCode and errorMsg go with outcome FAIL only")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.svc.Payouts.FinishPayout(r.Context(), req.OrderNo, res)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.ok(w, r, sandboxPayout{OrderNo: p.OrderNo, Reference: p.Reference, MerchantID: p.MerchantID,
		Status: string(p.Status), ErrorCode: p.ErrorCode, ErrorMsg: p.ErrorMsg, Amount: p.Amount, Fee: p.Fee,
		Currency: p.Currency})
}

// payoutMessages are the messages of the sandbox bank's failure codes.
var payoutMessages = map[string]string{
	opay.CodeIncorrectAccount: opay.MessageIncorrectAccount,
	opay.CodeInsufficientFund: opay.MessageInsufficientFund,
}
