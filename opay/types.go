package opay

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
)

// This file holds the wire types of the contract, shared by the client and by the gateway's
// server so that both read and write exactly the same JSON.
//
// Requests are tolerant where real clients disagree: integers may arrive as JSON numbers or as
// strings of digits (Int64String, Amount), percentages as numbers or strings (Decimal). They are
// always written back as JSON numbers. Struct field order is the JSON member order, and the
// response types follow the order of OPay's documented examples.

// Response codes of the envelope (spec section 3).
const (
	CodeSuccess          = "00000"
	CodeAuthFailed       = "02000"
	CodeInvalidParams    = "02001"
	CodeNotConfigured    = "02002"
	CodePayMethod        = "02003"
	CodeDuplicate        = "02004"
	CodeNotFound         = "02006"
	CodeMerchantDisabled = "02007"
	CodeOrderState       = "02010"
	CodeOTPInvalid       = "02011"
	CodeOTPExpired       = "02012"
	CodeRefundExceeds    = "02013"
	CodeInvoiceState     = "02014"
	CodeUnavailable      = "50003"
)

// Messages of the envelope exactly as OPay's pages print them (spec section 3). 02001 has
// two spellings: the ValU page's endpoints say "parameters", every other page "params".
const (
	MessageSuccess           = "SUCCESSFUL"
	MessageAuthFailed        = "authentication failed."
	MessageInvalidParams     = "request params not valid."
	MessageInvalidParameters = "request parameters not valid."
	MessageNotConfigured     = "merchant not configured with this function."
	MessagePayMethod         = "payMethod not support."
	MessageDuplicate         = "the payment reference already exists."
	MessageMerchantDisabled  = "merchant not available."
	MessageUnavailable       = "service not available, please try again."
)

// Headers opaygate adds to its answers [gateway]; OPay's own API sends neither.
const (
	// HeaderDetail says what was wrong with a refused request: the field and the problem
	// ("amount.total must be a positive integer"). The envelope's message stays OPay's text.
	HeaderDetail = "X-Opaygate-Detail"
	// HeaderWarning says how a value was read differently from how it was sent, on an
	// accepted request ("expireAt 1800 read as minutes and clamped to 1440").
	HeaderWarning = "X-Opaygate-Warning"
)

// Response is the envelope of every API answer. Data is null on error unless the contract
// says otherwise (02014 answers the string "false").
type Response struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// Int64String is an integer that may be sent as a JSON number or as a string of digits, as
// OPay's clients do both. It is always written as a JSON number. An empty string and null
// read as 0, which the server treats as "not given"; fractions, exponents, non-digits and
// values outside int64 are refused.
type Int64String int64

// MarshalJSON writes the integer as a JSON number.
func (n Int64String) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, int64(n), 10), nil
}

// UnmarshalJSON accepts an integer literal or a string holding one.
func (n *Int64String) UnmarshalJSON(b []byte) error {
	v, err := parseInt64(b, reflect.TypeFor[Int64String]())
	if err != nil {
		return err
	}
	*n = Int64String(v)
	return nil
}

// parseInt64 reads an optionally signed run of decimal digits, bare or quoted. Its errors are
// *json.UnmarshalTypeError, so that encoding/json adds the path of the field to them.
func parseInt64(b []byte, t reflect.Type) (int64, error) {
	kind := "number"
	switch {
	case string(b) == "null":
		return 0, nil
	case len(b) >= 2 && b[0] == '"':
		kind = "string"
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, &json.UnmarshalTypeError{Value: kind, Type: t}
		}
		if s == "" {
			return 0, nil
		}
		b = []byte(s)
	case len(b) > 0 && (b[0] == '{' || b[0] == '['):
		kind = map[byte]string{'{': "object", '[': "array"}[b[0]]
		return 0, &json.UnmarshalTypeError{Value: kind, Type: t}
	case string(b) == "true" || string(b) == "false":
		return 0, &json.UnmarshalTypeError{Value: "bool", Type: t}
	}
	digits := b
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 19 || bytes.IndexFunc(digits, notDigit) >= 0 {
		return 0, &json.UnmarshalTypeError{Value: kind + " " + string(truncate(b)), Type: t}
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, &json.UnmarshalTypeError{Value: kind + " " + string(truncate(b)), Type: t}
	}
	return v, nil
}

func notDigit(r rune) bool { return r < '0' || r > '9' }

func truncate(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}

// BoolString is a boolean that may be sent as a JSON true/false or as the string "true" or
// "false", as OPay's clients do both (cashier/create's evokeOpay). It is written as a JSON
// boolean. null and "" read as false; anything else is refused.
type BoolString bool

// MarshalJSON writes the boolean as a JSON boolean.
func (v BoolString) MarshalJSON() ([]byte, error) {
	return strconv.AppendBool(nil, bool(v)), nil
}

// UnmarshalJSON accepts true, false, "true", "false", "" and null.
func (v *BoolString) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true", `"true"`:
		*v = true
	case "false", `"false"`, `""`, "null":
		*v = false
	default:
		return &json.UnmarshalTypeError{Value: string(truncate(b)), Type: reflect.TypeFor[BoolString]()}
	}
	return nil
}

// Decimal is a decimal number kept as the text it was sent as, so that no float ever touches
// it; it may be sent as a JSON number or a string. The gateway uses it for the invoice's
// serviceFee.feeRate (a percentage with at most two decimals). It is written as a JSON number
// when it holds one.
type Decimal string

// MarshalJSON writes the decimal as a JSON number, or as a string when it is not one.
func (d Decimal) MarshalJSON() ([]byte, error) {
	if d == "" {
		return []byte("0"), nil
	}
	if json.Valid([]byte(d)) && (d[0] == '-' || (d[0] >= '0' && d[0] <= '9')) {
		return []byte(d), nil
	}
	return json.Marshal(string(d))
}

// UnmarshalJSON accepts a number literal or a string; null reads as "".
func (d *Decimal) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*d = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return &json.UnmarshalTypeError{Value: "string", Type: reflect.TypeFor[Decimal]()}
		}
		*d = Decimal(s)
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*d = Decimal(b)
	default:
		return &json.UnmarshalTypeError{Value: string(truncate(b)), Type: reflect.TypeFor[Decimal]()}
	}
	return nil
}

// Amount is a sum of money in minor units (cents, piasters, kobo). Total is read from a JSON
// number or a string of digits and always written as a JSON number.
type Amount struct {
	Total    int64  `json:"total"`
	Currency string `json:"currency"`
}

// UnmarshalJSON reads total tolerantly; errors name the member, e.g. "total", and
// encoding/json prefixes the path of the amount itself ("amount.total").
func (a *Amount) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var w struct {
		Total    Int64String `json:"total"`
		Currency string      `json:"currency"`
	}
	if len(b) == 0 || b[0] != '{' {
		return &json.UnmarshalTypeError{Value: "non-object", Type: reflect.TypeFor[Amount]()}
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	a.Total, a.Currency = int64(w.Total), w.Currency
	return nil
}

// Product describes what an order pays for.
type Product struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// ProductItem is one line of an order's productList, as real OPay clients send it with
// cashier/create (instead of, or next to, product). Only name is required; the list is shown
// to the customer and never checked against the amount.
type ProductItem struct {
	ProductID   Text        `json:"productId,omitempty"`
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Price       Int64String `json:"price,omitempty"` // minor units
	Quantity    Int64String `json:"quantity,omitempty"`
	ImageURL    string      `json:"imageUrl,omitempty"`
}

// Text is a string that clients may also send as a JSON number (a product id of 17 reads as
// "17"). It is written as a string.
type Text string

// UnmarshalJSON accepts a string, a number literal, or null.
func (t *Text) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*t = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return &json.UnmarshalTypeError{Value: "string", Type: reflect.TypeFor[Text]()}
		}
		*t = Text(s)
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) && json.Valid(b):
		*t = Text(b)
	default:
		return &json.UnmarshalTypeError{Value: string(truncate(b)), Type: reflect.TypeFor[Text]()}
	}
	return nil
}

// UserInfo describes the paying customer of a cashier order.
type UserInfo struct {
	UserID     string `json:"userId,omitempty"`
	UserName   string `json:"userName,omitempty"`
	UserEmail  string `json:"userEmail,omitempty"`
	UserMobile string `json:"userMobile,omitempty"`
}

// Pay methods and next-action types.
const (
	PayMethodValU     = "VALU"
	PayMethodBankCard = "BankCard"

	PayMethodMWallet  = "MWALLET"
	PayMethodBankUSSD = "BankUssd"
	PayMethodOpayQR   = "OpayWalletNgQR"

	PayMethodReferenceCode   = "ReferenceCode"
	PayMethodBankTransfer    = "BankTransfer"
	PayMethodBankAccount     = "BankAccount"
	PayMethodBankInstallment = "BankInstallment"
	PayMethodCardDebit       = "CardDebit"
	// Hosted only: a cashier/create payMethod, refused by payment/create.
	PayMethodOpayWallet   = "OpayWalletNg"
	PayMethodVodafoneCash = "VodafoneCash"
	PayMethodShahry       = "Shahry"

	ActionInstallmentMonth = "INPUT_INSTALLMENT_MONTH"
	ActionOTP              = "INPUT_OTP"
	ActionRedirect3DS      = "REDIRECT_3DS"
	ActionScanQR           = "SCAN_QR_CODE"
	ActionShowUSSD         = "SHOW_USSD"
	ActionPIN              = "INPUT_PIN"
	ActionReferenceCode    = "SHOW_REFERENCE_CODE"
	ActionTransferAccount  = "TRANSFER_ACCOUNT"
)

// Order statuses as the wire spells them. Clients must tolerate values they do not know.
const (
	StatusInitial = "INITIAL"
	StatusPending = "PENDING"
	StatusSuccess = "SUCCESS"
	StatusFail    = "FAIL"
	StatusClose   = "CLOSE"
)

// CashierCreateRequest creates a hosted-checkout order (public-key auth). It needs Product
// (its name) or a non-empty ProductList, or both.
//
// ExpireAt is minutes (default 30, more than 1440 is clamped to 1440), or an absolute
// deadline in epoch seconds (from 10^9) or milliseconds (from 10^11); the answer's
// X-Opaygate-Warning header (RawResponse.Warning) says when it was read so.
type CashierCreateRequest struct {
	Reference   string        `json:"reference"`
	Country     string        `json:"country"`
	Amount      Amount        `json:"amount"`
	ReturnURL   string        `json:"returnUrl"`
	CallbackURL string        `json:"callbackUrl,omitempty"`
	CancelURL   string        `json:"cancelUrl,omitempty"`
	Product     Product       `json:"product,omitzero"`
	ProductList []ProductItem `json:"productList,omitempty"`
	PayMethod   string        `json:"payMethod,omitempty"`
	UserInfo    *UserInfo     `json:"userInfo,omitempty"`
	ExpireAt    Int64String   `json:"expireAt,omitempty"`

	// DisplayName (at most 64 characters) is shown on the hosted pages instead of the
	// merchant's name, for a sub-merchant.
	DisplayName string `json:"displayName,omitempty"`
	// CustomerVisitSource (at most 32 characters, any value: "WEB", "ANDROID", "IOS", …) is
	// shown in the dashboard; it changes nothing.
	CustomerVisitSource string `json:"customerVisitSource,omitempty"`
	// EvokeOpay opens the hosted checkout on the OPay wallet, when the order offers it (NG).
	EvokeOpay BoolString `json:"evokeOpay,omitempty"`
	// UserClientIP is the customer's IP address; kept only when it parses as one.
	UserClientIP string `json:"userClientIP,omitempty"`
	// SN is sent by some clients; the gateway ignores it.
	SN Text `json:"sn,omitempty"`
}

// CashierCreateData is the data of cashier/create.
type CashierCreateData struct {
	Reference  string `json:"reference"`
	OrderNo    string `json:"orderNo"`
	CashierURL string `json:"cashierUrl"`
	Status     string `json:"status"`
	Amount     Amount `json:"amount"`
	VAT        Amount `json:"vat"`
}

// CashierStatusRequest queries an order by orderNo, else by reference.
type CashierStatusRequest struct {
	Reference string `json:"reference,omitempty"`
	OrderNo   string `json:"orderNo,omitempty"`
	Country   string `json:"country"`
}

// CashierStatusData is the data of cashier/status. FailureCode and FailureReason are present
// only for FAIL and CLOSE orders, IsVoided only when the order was voided.
type CashierStatusData struct {
	Reference     string `json:"reference"`
	OrderNo       string `json:"orderNo"`
	Status        string `json:"status"`
	VAT           Amount `json:"vat"`
	Amount        Amount `json:"amount"`
	CreateTime    int64  `json:"createTime"` // epoch milliseconds
	FailureCode   string `json:"failureCode,omitempty"`
	FailureReason string `json:"failureReason,omitempty"`
	// IsVoided is present once a void was initiated (METHODS.md §12): false until the
	// reversal completes, then true.
	IsVoided *bool `json:"isVoided,omitempty"`
}

// PaymentCloseRequest closes an unpaid order.
type PaymentCloseRequest struct {
	Reference string `json:"reference,omitempty"`
	OrderNo   string `json:"orderNo,omitempty"`
	Country   string `json:"country"`
}

// PaymentCloseData is the data of payment/close.
type PaymentCloseData struct {
	Reference   string `json:"reference"`
	OrderNo     string `json:"orderNo"`
	Country     string `json:"country"`
	Amount      Amount `json:"amount"`
	OrderStatus string `json:"orderStatus"`
}

// BankCard is the card of a BankCard payment/create. The gateway never stores the CVV nor
// more than the first six and last four digits of the number.
type BankCard struct {
	CardHolderName string `json:"cardHolderName"`
	CardNumber     string `json:"cardNumber"`
	CVV            string `json:"cvv"`
	ExpiryMonth    string `json:"expiryMonth"` // "MM"
	ExpiryYear     string `json:"expiryYear"`  // "YY"
	Enable3DS      bool   `json:"enable3DS"`
	// OpayToken pays with a card token (METHODS.md §9.3) instead of the card's number and
	// expiry, which must then be left out; CVV is optional.
	OpayToken string `json:"opayToken,omitempty"`
}

// PaymentCreateRequest is a server-to-server payment: VALU (with ValUAccountNumber) or
// BankCard (with BankCard).
type PaymentCreateRequest struct {
	Amount            Amount        `json:"amount"`
	CallbackURL       string        `json:"callbackUrl,omitempty"`
	Country           string        `json:"country"`
	PayMethod         string        `json:"payMethod"`
	Product           Product       `json:"product,omitzero"`
	ProductList       []ProductItem `json:"productList,omitempty"`
	Reference         string        `json:"reference"`
	ReturnURL         string        `json:"returnUrl,omitempty"`
	ValUAccountNumber string        `json:"valUAccountNumber,omitempty"`
	WalletAccount     string        `json:"walletAccount,omitempty"` // MWALLET: 01 + 9 digits
	BankCode          string        `json:"bankCode,omitempty"`      // BankUssd: the customer's bank
	CustomerName      string        `json:"customerName,omitempty"`
	UserPhone         string        `json:"userPhone,omitempty"` // E.164, e.g. +2348031234567
	BankCard          *BankCard     `json:"bankcard,omitempty"`
	// OpayToken is accepted as an alias of BankCard.OpayToken (METHODS.md §9.3).
	OpayToken    string      `json:"opayToken,omitempty"`
	UserInfo     *UserInfo   `json:"userInfo,omitempty"`
	ExpireAt     Int64String `json:"expireAt,omitempty"`
	UserClientIP string      `json:"userClientIP,omitempty"` // kept only when it parses as an IP address

	// ReferenceCode: the name the kiosk shows, and whom the code is sent to.
	MerchantName string  `json:"merchantName,omitempty"`
	Notify       *Notify `json:"notify,omitempty"`

	// BankAccount: the account debited and its holder's BVN and date of birth (day, month
	// and year may be sent as numbers or strings). BankCode is the account's bank.
	BankAccountNumber string      `json:"bankAccountNumber,omitempty"` // 10 digits (NUBAN)
	BVN               string      `json:"bvn,omitempty"`               // 11 digits; never stored
	DobDay            Int64String `json:"dobDay,omitempty"`
	DobMonth          Int64String `json:"dobMonth,omitempty"`
	DobYear           Int64String `json:"dobYear,omitempty"`

	// BankInstallment: the bank's plan, with BankCard.
	BankInstallment *BankInstallment `json:"bankInstallment,omitempty"`

	// CardDebit: the bank debit agreement the payment opens, with BankCard.
	BankDebit *BankDebit `json:"bankDebit,omitempty"`
}

// Notify is how ReferenceCode's code is sent to the customer: NotifyMethod "EMAIL" (needs
// NotifyUserEmail), "SMS" (needs NotifyUserMobile) or "BOTH"; NotifyLanguage "English" or
// "Arabic".
type Notify struct {
	NotifyLanguage   string `json:"notifyLanguage,omitempty"`
	NotifyMethod     string `json:"notifyMethod,omitempty"`
	NotifyUserEmail  string `json:"notifyUserEmail,omitempty"`
	NotifyUserMobile string `json:"notifyUserMobile,omitempty"`
	NotifyUserName   string `json:"notifyUserName,omitempty"`
}

// BankInstallment chooses one of getBankInstallment's plans for a BankInstallment payment.
type BankInstallment struct {
	BankCode string      `json:"bankCode"`
	Months   Int64String `json:"months"`
}

// BankDebit is the agreement a CardDebit payment opens (METHODS.md §8.6): AgreementID is the
// merchant's own id for it, unique per merchant; AgreementDuration its last day, "YYYY-MM-DD",
// in the future. StoreCard asks for a card token for userInfo.userId, which it then requires.
type BankDebit struct {
	AgreementDuration string `json:"agreementDuration"`
	AgreementID       string `json:"agreementId"`
	StoreCard         bool   `json:"storeCard"`
}

// BankInstallmentRequest asks for the bank installment plans (getBankInstallment). With
// Amount, only the plans whose range holds it are listed.
type BankInstallmentRequest struct {
	Amount   *Amount `json:"amount,omitempty"`
	Country  string  `json:"country"`
	Currency string  `json:"currency"`
}

// InstallmentBank is one bank of getBankInstallment's answer and its plans.
type InstallmentBank struct {
	BankCode string            `json:"bankCode"`
	BankName string            `json:"bankName"`
	Plans    []InstallmentPlan `json:"plans"`
}

// InstallmentPlan is one bank plan: its months, its fee rate in percent (a decimal string,
// e.g. "5"), and the order amounts it takes.
type InstallmentPlan struct {
	Months    int    `json:"months"`
	FeeRate   string `json:"feeRate"`
	MinAmount Amount `json:"minAmount"`
	MaxAmount Amount `json:"maxAmount"`
}

// Plan is one ValU installment offer. Its sums are amount objects in the order's currency,
// exactly as OPay's ValU page prints them (`"emi":{"total":11400,"currency":"EGP"}`).
type Plan struct {
	Months      int    `json:"months"`
	DownPayment Amount `json:"downPayment"`
	Fee         Amount `json:"fee"`
	EMI         Amount `json:"emi"`
}

// NextAction tells the client what the order waits for: actionType, then the members of that
// type (METHODS.md §8.x). Clients must tolerate action types they do not know.
type NextAction struct {
	ActionType  string `json:"actionType"`
	Plans       []Plan `json:"plans,omitempty"`       // INPUT_INSTALLMENT_MONTH
	RedirectURL string `json:"redirectUrl,omitempty"` // REDIRECT_3DS
	QRCode      string `json:"qrCode,omitempty"`      // SCAN_QR_CODE: the payload to show as a QR image
	// WalletAccount is the wallet the request-to-pay went to (SCAN_QR_CODE of MWALLET).
	WalletAccount string `json:"walletAccount,omitempty"`
	USSD          string `json:"USSD,omitempty"` // SHOW_USSD: the code to dial, e.g. "*919*000*2103#"
	// ReferenceCode is the 10-digit code the customer pays at a kiosk (SHOW_REFERENCE_CODE).
	ReferenceCode string `json:"referenceCode,omitempty"`
	// TRANSFER_ACCOUNT: the virtual account the customer transfers the exact amount to.
	TransferAccountNumber string `json:"transferAccountNumber,omitempty"`
	TransferAccountName   string `json:"transferAccountName,omitempty"`
	TransferBankName      string `json:"transferBankName,omitempty"`
	// ExpiredTimestamp is when the order expires, in epoch milliseconds (SCAN_QR_CODE,
	// SHOW_REFERENCE_CODE, TRANSFER_ACCOUNT).
	ExpiredTimestamp int64 `json:"expiredTimestamp,omitempty"`
}

// PaymentCreateData is the data of payment/create. An order that failed at once (no ValU
// plan fits the customer's credit) has no nextAction and carries its failure.
type PaymentCreateData struct {
	Reference     string      `json:"reference"`
	OrderNo       string      `json:"orderNo"`
	NextAction    *NextAction `json:"nextAction,omitempty"`
	Status        string      `json:"status"`
	Amount        Amount      `json:"amount"`
	VAT           Amount      `json:"vat"`
	FailureCode   string      `json:"failureCode,omitempty"`
	FailureReason string      `json:"failureReason,omitempty"`
}

// InputInstallmentMonthRequest chooses a ValU plan.
type InputInstallmentMonthRequest struct {
	Country   string      `json:"country,omitempty"`
	Months    Int64String `json:"months"`
	OrderNo   string      `json:"orderNo,omitempty"`
	Reference string      `json:"reference,omitempty"`
}

// ActionData is the data of input-installment-month and resend-otp.
type ActionData struct {
	Reference  string      `json:"reference"`
	OrderNo    string      `json:"orderNo"`
	NextAction *NextAction `json:"nextAction,omitempty"`
	Status     string      `json:"status"`
	Amount     Amount      `json:"amount"`
	VAT        Amount      `json:"vat"`
}

// InputOTPRequest submits the customer's OTP.
type InputOTPRequest struct {
	Country   string `json:"country,omitempty"`
	OTP       string `json:"otp"`
	OrderNo   string `json:"orderNo,omitempty"`
	Reference string `json:"reference,omitempty"`
}

// InputOTPData is the data of input-otp. The ValU page's table lists vat after amount.
type InputOTPData struct {
	Reference     string `json:"reference"`
	OrderNo       string `json:"orderNo"`
	Status        string `json:"status"`
	Amount        Amount `json:"amount"`
	VAT           Amount `json:"vat"`
	FailureCode   string `json:"failureCode,omitempty"`
	FailureReason string `json:"failureReason,omitempty"`
}

// InputPINRequest submits the card's PIN (NG cards, 4 to 6 digits).
type InputPINRequest struct {
	Country   string `json:"country,omitempty"`
	OrderNo   string `json:"orderNo,omitempty"`
	PIN       string `json:"pin"`
	Reference string `json:"reference,omitempty"`
}

// InputPINData is the data of input-pin: the next step (INPUT_OTP), or the outcome. It has
// payment/create's shape (METHODS.md §8.x).
type InputPINData = PaymentCreateData

// ResendOTPRequest asks for a new OTP.
type ResendOTPRequest struct {
	Country   string `json:"country,omitempty"`
	OrderNo   string `json:"orderNo,omitempty"`
	Reference string `json:"reference,omitempty"`
}

// RefundCreateRequest refunds (part of) a SUCCESS order.
type RefundCreateRequest struct {
	Amount            Amount `json:"amount"`
	BankAccountNo     string `json:"bankAccountNo,omitempty"`
	BankCode          string `json:"bankCode,omitempty"`
	CallbackURL       string `json:"callbackUrl,omitempty"`
	Country           string `json:"country"`
	OriginalOrderNo   string `json:"originalOrderNo,omitempty"`
	OriginalReference string `json:"originalReference,omitempty"`
	Reference         string `json:"reference"`
	RefundReason      string `json:"refundReason,omitempty"`
	RefundWay         string `json:"refundWay,omitempty"`
}

// RefundQueryRequest queries a refund by its reference.
type RefundQueryRequest struct {
	Country   string `json:"country"`
	Reference string `json:"reference,omitempty"`
	OrderNo   string `json:"orderNo,omitempty"`
}

// RefundData is the data of refund/create and refund/query.
type RefundData struct {
	Reference         string `json:"reference"`
	OriginalReference string `json:"originalReference"`
	OrderNo           string `json:"orderNo"`
	OriginalOrderNo   string `json:"originalOrderNo"`
	RefundAmount      Amount `json:"refundAmount"`
	Country           string `json:"country"`
	OrderStatus       string `json:"orderStatus"`
}

// Invoice statuses, notify methods and languages.
const (
	InvoiceUnpaid    = "Unpaid"
	InvoicePaid      = "Paid"
	InvoiceCancelled = "Cancelled"
	InvoiceExpired   = "Expired"

	NotifyBoth  = "BOTH"
	NotifyEmail = "EMAIL"
	NotifySMS   = "SMS"

	LangEN = "EN"
	LangAR = "AR"
)

// InvoiceCustomer is the payer of a new invoice.
type InvoiceCustomer struct {
	CustomerEmail  string `json:"customerEmail,omitempty"`
	CustomerMobile string `json:"customerMobile,omitempty"`
	CustomerName   string `json:"customerName"`
}

// InvoiceItem asks for a quantity of a catalog product.
type InvoiceItem struct {
	MerchantProductNo string      `json:"merchantProductNo"`
	Quantity          Int64String `json:"quantity"`
}

// ServiceFee is the invoice's fee: feeRate percent of the amount (at most two decimals),
// rounded up, plus fixedFee minor units.
type ServiceFee struct {
	Currency string      `json:"currency,omitempty"`
	FeeRate  Decimal     `json:"feeRate,omitempty"`
	FixedFee Int64String `json:"fixedFee,omitempty"`
}

// CreateInvoiceRequest creates an e-invoice. With RelationProduct the amount is computed from
// ProductList (a given amount must equal it); otherwise Amount is required.
type CreateInvoiceRequest struct {
	Amount          Amount          `json:"amount,omitzero"`
	Country         string          `json:"country"`
	Customer        InvoiceCustomer `json:"customer"`
	Description     string          `json:"description,omitempty"`
	DueTime         Int64String     `json:"dueTime"` // epoch seconds
	Lang            string          `json:"lang,omitempty"`
	Name            string          `json:"name"`
	NotifyMethod    string          `json:"notifyMethod,omitempty"`
	ProductList     []InvoiceItem   `json:"productList,omitempty"`
	RelationProduct bool            `json:"relationProduct"`
	ServiceFee      *ServiceFee     `json:"serviceFee,omitempty"`
}

// InvoiceNoRequest names an invoice: the request of getInvoiceDetails and cancelInvoice.
type InvoiceNoRequest struct {
	InvoiceNo string `json:"invoiceNo"`
}

// InvoiceProduct is one line of an invoice: a snapshot of the catalog product.
type InvoiceProduct struct {
	ProductNo         string `json:"productNo"`
	MerchantProductNo string `json:"merchantProductNo"`
	Name              string `json:"name"`
	Image             string `json:"image"`
	Description       string `json:"description"`
	Price             Amount `json:"price"`
	Quantity          int64  `json:"quantity"`
}

// InvoiceCustomerData is the payer as invoice details show it.
type InvoiceCustomerData struct {
	Name   string `json:"name"`
	Mobile string `json:"mobile"`
	Email  string `json:"email"`
}

// InvoiceData is the data of getInvoiceDetails and createSingleInvoice.
type InvoiceData struct {
	InvoiceNo       string              `json:"invoiceNo"`
	Status          string              `json:"status"`
	InvoiceLink     string              `json:"invoiceLink"`
	InvoiceName     string              `json:"invoiceName"`
	Description     string              `json:"description"`
	DueDate         int64               `json:"dueDate"` // epoch seconds
	Amount          Amount              `json:"amount"`
	Products        []InvoiceProduct    `json:"products"`
	Customer        InvoiceCustomerData `json:"customer"`
	Country         string              `json:"country"`
	MerchantID      string              `json:"merchantId"`
	Lang            string              `json:"lang"`
	NotifyMethod    string              `json:"notifyMethod"`
	PaymentType     string              `json:"paymentType"` // "opaylink"
	TotalServiceFee Amount              `json:"totalServiceFee"`
}

// InvoiceStatisticsRequest asks for counts and sums of invoices created in a range of epoch
// seconds.
type InvoiceStatisticsRequest struct {
	StartCreateTime Int64String `json:"startCreateTime"`
	EndCreateTime   Int64String `json:"endCreateTime"`
}

// InvoiceStat is the count and sum of invoices in one currency.
type InvoiceStat struct {
	Count  int64  `json:"count"`
	Amount Amount `json:"amount"`
}

// InvoiceStats is one key of the statistics. With a single currency — by far the usual case,
// and OPay's documented shape — it is written as one {count, amount} object; a merchant with
// invoices in several currencies gets an array of such objects, one per currency, so that
// no sum ever mixes currencies. Reading accepts both shapes.
type InvoiceStats []InvoiceStat

// MarshalJSON writes a lone entry as an object and several as an array.
func (s InvoiceStats) MarshalJSON() ([]byte, error) {
	switch len(s) {
	case 0:
		return []byte("null"), nil
	case 1:
		return json.Marshal(s[0])
	}
	return json.Marshal([]InvoiceStat(s))
}

// UnmarshalJSON reads an object or an array of objects.
func (s *InvoiceStats) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var one InvoiceStat
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = InvoiceStats{one}
		return nil
	}
	var many []InvoiceStat
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// InvoiceStatisticsData is the data of getInvoicesStatistics.
type InvoiceStatisticsData struct {
	Paid      InvoiceStats `json:"paid"`
	Unpaid    InvoiceStats `json:"unpaid"`
	Cancelled InvoiceStats `json:"cancelled"`
	Expired   InvoiceStats `json:"expired"`
	Total     InvoiceStats `json:"total"`
}

// TokenCreateRequest tokenises a card (token/create, METHODS.md §9.1).
type TokenCreateRequest struct {
	Reference      string        `json:"reference"`
	CardHolderName string        `json:"cardHolderName"`
	CardNumber     string        `json:"cardNumber"`
	CVV            string        `json:"cvv"`
	ExpiryMonth    string        `json:"expiryMonth"` // "MM"
	ExpiryYear     string        `json:"expiryYear"`  // "YY"
	CustomerInfo   TokenCustomer `json:"customerInfo"`
}

// TokenCustomer is the customer a token belongs to; CustomerID is required on create.
type TokenCustomer struct {
	CustomerID     string `json:"customerId"`
	CustomerName   string `json:"customerName"`
	CustomerEmail  string `json:"customerEmail"`
	CustomerMobile string `json:"customerMobile"`
}

// TokenQueryRequest reads a token by OpayToken, or a customer's tokens by CustomerID
// (token/query); token/delete takes OpayToken.
type TokenQueryRequest struct {
	OpayToken  string `json:"opayToken,omitempty"`
	CustomerID string `json:"customerId,omitempty"`
}

// TokenData is a token as token/create and token/query by opayToken answer it, members in
// the order of OPay's example. CreateTimestamp is epoch seconds.
type TokenData struct {
	OpayToken       string        `json:"opayToken"`
	Brand           string        `json:"brand"`
	ExpiryYear      string        `json:"expiryYear"`
	ExpiryMonth     string        `json:"expiryMonth"`
	CreateTimestamp int64         `json:"createTimestamp"`
	LastFourDigits  string        `json:"lastFourDigits"`
	FirstSixDigits  string        `json:"firstSixDigits"`
	CustomerInfo    TokenCustomer `json:"customerInfo"`
}

// CustomerTokensData is token/query by customerId: the customer and its tokens, newest first.
type CustomerTokensData struct {
	Customer   TokenCustomer `json:"customer"`
	CardTokens []CardToken   `json:"cardTokens"`
}

// CardToken is one token of a customer's list.
type CardToken struct {
	OpayToken       string `json:"opayToken"`
	Brand           string `json:"brand"`
	ExpiryYear      string `json:"expiryYear"`
	ExpiryMonth     string `json:"expiryMonth"`
	CreateTimestamp int64  `json:"createTimestamp"`
	LastFourDigits  string `json:"lastFourDigits"`
	FirstSixDigits  string `json:"firstSixDigits"`
}

// PaymentVoidRequest voids a card payment (payment/void, METHODS.md §12) by orderNo, else by
// reference.
type PaymentVoidRequest struct {
	Reference string `json:"reference,omitempty"`
	OrderNo   string `json:"orderNo,omitempty"`
	Country   string `json:"country"`
}

// PaymentVoidData is payment/void's answer: payment/close's shape plus isVoided, false until
// the reversal completes.
type PaymentVoidData struct {
	Reference   string `json:"reference"`
	OrderNo     string `json:"orderNo"`
	Country     string `json:"country"`
	Amount      Amount `json:"amount"`
	OrderStatus string `json:"orderStatus"`
	IsVoided    bool   `json:"isVoided"`
}

// ReversalStatusRequest reads a void (transaction/reversal/status) by reversalNo, else by
// the order's reference.
type ReversalStatusRequest struct {
	Reference  string `json:"reference,omitempty"`
	ReversalNo string `json:"reversalNo,omitempty"`
}

// ReversalStatusData is a void: PENDING until it completes, then SUCCESS.
type ReversalStatusData struct {
	Reference  string `json:"reference"`
	ReversalNo string `json:"reversalNo"`
	OrderNo    string `json:"orderNo"`
	Status     string `json:"status"`
	Amount     Amount `json:"amount"`
}
