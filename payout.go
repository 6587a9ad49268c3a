package opaygate

import (
	"context"
	"time"
)

// A payout sends money from a merchant's CASH_ACCOUNT to a bank account or a wallet
// (METHODS.md §10). Its amount and fee leave the cash in the transaction that creates it, on
// the condition that the cash covers them; a payout that fails gives them back in the
// transaction that fails it.
type Payout struct {
	ID         int64
	OrderNo    string // 18 digits, the gateway's number
	MerchantID string
	Reference  string // the merchant's merchantOrderNo, unique per merchant
	PayoutType string // BankTransfer, OpayWalletNg, OpayWallet
	Country    string
	Currency   string
	Amount     int64 // minor units
	Fee        int64 // minor units, the merchant's payout fee
	Language   string
	Remark     string
	NotifyURL  string
	Payee      Payee
	Status     PayoutStatus
	ErrorCode  string // a FAIL's code, e.g. 01005
	ErrorMsg   string
	DueAt      time.Time // when the network answers; zero: when a connector says so
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Payee is who a payout pays: a bank account (BankTransfer) or a wallet.
type Payee struct {
	AccountBankCode string `json:"accountBankCode,omitempty"`
	AccountName     string `json:"accountName,omitempty"`
	AccountNo       string `json:"accountNo,omitempty"`
	CustomerName    string `json:"customerName,omitempty"`
	Phone           string `json:"phone,omitempty"`
}

// Account is the payee's account number or phone, whichever the payout type uses.
func (p Payee) Account() string {
	if p.AccountNo != "" {
		return p.AccountNo
	}
	return p.Phone
}

// PayoutStatus is where a payout is.
type PayoutStatus string

// A payout's statuses. INITIAL is what createSingleOrder answers; the gateway hands the payout
// to the network in the same transaction, so it is stored PENDING. SUCCESS and FAIL are final.
const (
	PayoutInitial PayoutStatus = "INITIAL"
	PayoutPending PayoutStatus = "PENDING"
	PayoutSuccess PayoutStatus = "SUCCESS"
	PayoutFail    PayoutStatus = "FAIL"
)

// Payout types (METHODS.md §10.2).
const (
	PayoutBankTransfer = "BankTransfer" // NG
	PayoutWalletNG     = "OpayWalletNg" // NG
	PayoutWalletEG     = "OpayWallet"   // EG
)

// PayoutTypeFits reports whether payoutType pays out in country.
func PayoutTypeFits(payoutType, country string) bool {
	switch payoutType {
	case PayoutBankTransfer, PayoutWalletNG:
		return country == "NG"
	case PayoutWalletEG:
		return country == "EG"
	}
	return false
}

// DefaultPayoutDelay is how long a sandbox payout stays PENDING before the simulated network
// answers it.
const DefaultPayoutDelay = 5 * time.Second

// PayoutKey finds a payout by its orderNo, else by its reference.
type PayoutKey struct {
	OrderNo   string
	Reference string
}

// PayoutResult is how the network answered a payout: success, or a failure with its code and
// message.
type PayoutResult struct {
	Success   bool
	ErrorCode string
	ErrorMsg  string
}

// PayoutNetwork pays payouts out. The sandbox's simulator answers each one Delay after it
// was created; a live gateway without one leaves payouts PENDING until a connector calls
// PayoutService.FinishPayout. Pay is called with no transaction open, and two nodes may ask
// about one payout at once: it must give one payout (one orderNo) one answer.
type PayoutNetwork interface {
	PayoutDelay() time.Duration
	Pay(p *Payout) PayoutResult
}

// PayoutService creates and follows payouts.
type PayoutService interface {
	// CreatePayout takes amount + the merchant's fee out of its cash and stores p PENDING with
	// its number, in one transaction. A reference the merchant used before is EDUPLICATE; cash
	// that does not cover it is EBALANCE, and then nothing is stored.
	CreatePayout(ctx context.Context, p *Payout) error
	// FindPayout returns a merchant's payout; ENOTFOUND otherwise.
	FindPayout(ctx context.Context, merchantID string, key PayoutKey) (*Payout, error)
	// CompletePayouts asks the network for the result of up to limit due payouts and
	// finishes them; it returns how many it finished.
	CompletePayouts(ctx context.Context, limit int) (int, error)
	// FinishPayout moves a PENDING payout to SUCCESS or FAIL (giving its money back), with
	// its notification; a payout already final is EORDERSTATE.
	FinishPayout(ctx context.Context, orderNo string, r PayoutResult) (*Payout, error)
}
