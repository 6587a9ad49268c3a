package opay

import "context"

// Payout endpoints (METHODS.md §10): requests signed with the merchant's RSA key, not HMAC.
const (
	PathPayoutCreate        = "/api/v1/international/payout/createSingleOrder"
	PathPayoutQuery         = "/api/v1/international/payout/queryorder"
	PathPayoutBalance       = "/api/v1/international/payout/balance"
	PathBankAccountValidate = "/api/v1/international/payout/bank-account-validate"
	PathOpayWalletValidate  = "/api/v1/international/payout/opay-wallet-validate"
)

// Payout codes and messages, sent only on payout paths (METHODS.md §10.5).
const (
	CodePayoutNotFound      = "02812"
	MessagePayoutNotFound   = "Transaction does not exist"
	CodePayoutExists        = "5001"
	MessagePayoutExists     = "Order is Exist"
	CodeBalanceNotEnough    = "5006"
	MessageBalanceNotEnough = "Balance Not Enough"
	CodeIncorrectAccount    = "01005"
	MessageIncorrectAccount = "Incorrect Account Number"
	CodeInsufficientFund    = "01010"
	MessageInsufficientFund = "Insufficient Fund"
)

// PayoutCreateRequest is payout/createSingleOrder's body. Amount is flat, in minor units
// (a digit string is read too), unlike the payments' {total, currency}.
type PayoutCreateRequest struct {
	PayoutType      string         `json:"payoutType"`
	NotifyURL       string         `json:"notifyUrl"`
	MerchantOrderNo string         `json:"merchantOrderNo"`
	Country         string         `json:"country"`
	Amount          Int64String    `json:"amount"`
	Currency        string         `json:"currency"`
	Language        string         `json:"language"`
	Remark          string         `json:"remark,omitempty"`
	MetaData        PayoutMetaData `json:"metaData"`
}

// PayoutMetaData is the payee: a bank account (BankTransfer) or a wallet (customerName, phone).
type PayoutMetaData struct {
	AccountBankCode string `json:"accountBankCode,omitempty"`
	AccountName     string `json:"accountName,omitempty"`
	AccountNo       string `json:"accountNo,omitempty"`
	CustomerName    string `json:"customerName,omitempty"`
	Phone           string `json:"phone,omitempty"`
}

// PayoutCreateData is createSingleOrder's answer.
type PayoutCreateData struct {
	OrderNo     string `json:"orderNo"`
	Reference   string `json:"reference"`
	OrderStatus string `json:"orderStatus"`
}

// PayoutQueryRequest finds a payout by reference (the merchantOrderNo) or orderNo.
type PayoutQueryRequest struct {
	Reference string `json:"reference,omitempty"`
	OrderNo   string `json:"orderNo,omitempty"`
	Country   string `json:"country,omitempty"`
}

// PayoutQueryData is queryorder's answer. ErrorCode and ErrorMsg are "" unless the payout
// failed. Clients must also accept the statuses CLOSE, CHECKING and RETURN.
type PayoutQueryData struct {
	Reference       string         `json:"reference"`
	OrderNo         string         `json:"orderNo"`
	OrderStatus     string         `json:"orderStatus"`
	ErrorCode       string         `json:"errorCode"`
	ErrorMsg        string         `json:"errorMsg"`
	AdditionalField map[string]any `json:"additionalField"`
	Amount          Amount         `json:"amount"`
}

// PayoutBalanceRequest asks for one account of the merchant's balance.
type PayoutBalanceRequest struct {
	Country  string `json:"country"`
	Currency string `json:"currency"`
	Type     string `json:"type"` // CASH_ACCOUNT or UNSETTLED_ACCOUNT
}

// PayoutBalanceData is payout/balance's answer, in minor units.
type PayoutBalanceData struct {
	Country string `json:"country"`
	Balance Amount `json:"balance"`
}

// BankAccountValidateRequest asks for a bank account's holder.
type BankAccountValidateRequest struct {
	AccountBankCode string `json:"accountBankCode"`
	AccountNo       string `json:"accountNo"`
}

// BankAccountValidateData is bank-account-validate's answer.
type BankAccountValidateData struct {
	AccountBankCode string `json:"accountBankCode"`
	AccountNo       string `json:"accountNo"`
	AccountName     string `json:"accountName"`
}

// WalletValidateRequest asks for an OPay wallet's holder.
type WalletValidateRequest struct {
	Phone   string `json:"phone"`
	Country string `json:"country"`
}

// WalletValidateData is opay-wallet-validate's answer.
type WalletValidateData struct {
	Phone       string `json:"phone"`
	AccountName string `json:"accountName"`
}

// The payout endpoints, signed with the payout key (WithPayoutKey). Creating is not retried
// once sent (a retry with the same merchantOrderNo answers 5001); the reads are retried as
// reads.
var (
	epPayoutCreate  = endpoint{name: "payout/createSingleOrder", path: PathPayoutCreate, retry: retryUnsent, rsa: true}
	epPayoutQuery   = endpoint{name: "payout/queryorder", path: PathPayoutQuery, retry: retryRead, rsa: true}
	epPayoutBalance = endpoint{name: "payout/balance", path: PathPayoutBalance, retry: retryRead, rsa: true}
	epBankValidate  = endpoint{name: "payout/bank-account-validate", path: PathBankAccountValidate, retry: retryRead, rsa: true}
	epWalletValid   = endpoint{name: "payout/opay-wallet-validate", path: PathOpayWalletValidate, retry: retryRead, rsa: true}
)

// CreatePayout sends money from the merchant's cash to a bank account or wallet
// (payout/createSingleOrder). The answer's OrderStatus is INITIAL; follow the payout with
// Payout or its notification. Cash that does not cover amount + fee is an *APIError with code
// 5006, a merchantOrderNo used before 5001.
func (c *Client) CreatePayout(ctx context.Context, req PayoutCreateRequest) (*PayoutCreateData, error) {
	var d PayoutCreateData
	if _, err := c.call(ctx, epPayoutCreate, req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// Payout reads a payout by its merchantOrderNo or orderNo (payout/queryorder); an unknown one
// is an *APIError with code 02812.
func (c *Client) Payout(ctx context.Context, req PayoutQueryRequest) (*PayoutQueryData, error) {
	var d PayoutQueryData
	if _, err := c.call(ctx, epPayoutQuery, req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// PayoutBalance reads one account of the merchant's balance (payout/balance): account is
// CASH_ACCOUNT or UNSETTLED_ACCOUNT.
func (c *Client) PayoutBalance(ctx context.Context, country, currency, account string) (*PayoutBalanceData, error) {
	var d PayoutBalanceData
	if _, err := c.call(ctx, epPayoutBalance, PayoutBalanceRequest{Country: country, Currency: currency, Type: account}, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// ValidateBankAccount asks for a bank account's holder; an unknown account is an *APIError
// with code 01005.
func (c *Client) ValidateBankAccount(ctx context.Context, bankCode, accountNo string) (*BankAccountValidateData, error) {
	var d BankAccountValidateData
	if _, err := c.call(ctx, epBankValidate, BankAccountValidateRequest{AccountBankCode: bankCode, AccountNo: accountNo}, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// ValidateWallet asks for an OPay wallet's holder by phone (+234… or +20…).
func (c *Client) ValidateWallet(ctx context.Context, phone, country string) (*WalletValidateData, error) {
	var d WalletValidateData
	if _, err := c.call(ctx, epWalletValid, WalletValidateRequest{Phone: phone, Country: country}, &d); err != nil {
		return nil, err
	}
	return &d, nil
}
