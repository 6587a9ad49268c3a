package opaygate

import (
	"context"
	"crypto/rand"
	"math/big"
	"slices"
	"time"
)

// Function is a capability a merchant can be enabled for.
type Function string

// The functions a merchant can be enabled for. A pay method is a function too,
// so a merchant can be limited to some of them.
const (
	FuncCashier  Function = "cashier"  // hosted checkout orders
	FuncValU     Function = "valu"     // ValU installments
	FuncBankCard Function = "bankcard" // server-to-server card payments
	FuncInvoice  Function = "invoice"  // e-invoices
	FuncRefund   Function = "refund"   // refunds

	FuncMWallet    Function = "mwallet"    // EG mobile wallets (MWALLET)
	FuncBankUSSD   Function = "bankussd"   // NG bank USSD codes (BankUssd)
	FuncOpayWallet Function = "opaywallet" // NG OPay wallet (OpayWalletNgQR, OpayWalletNg)

	FuncReferenceCode   Function = "referencecode"   // EG, NG: pay a code at a kiosk or agent (ReferenceCode)
	FuncBankTransfer    Function = "banktransfer"    // NG: transfer to a virtual account (BankTransfer)
	FuncBankAccount     Function = "bankaccount"     // NG: debit a bank account (BankAccount)
	FuncBankInstallment Function = "bankinstallment" // EG: a bank's card installment plan (BankInstallment)
	FuncCardDebit       Function = "carddebit"       // EG: a card payment that opens a bank debit agreement (CardDebit)
	FuncVodafoneCash    Function = "vodafonecash"    // EG Vodafone Cash wallet (hosted only)
	FuncShahry          Function = "shahry"          // EG Shahry installments (hosted only)
	FuncToken           Function = "token"           // card tokens: token/create, query, delete (METHODS.md §9)
	FuncVoid            Function = "void"            // payment/void and reversal/status (METHODS.md §12)
	FuncPayout          Function = "payout"          // payouts, signed with RSA (METHODS.md §10)
)

// AllFunctions lists every function, in a stable order.
func AllFunctions() []Function {
	return []Function{FuncCashier, FuncValU, FuncBankCard, FuncInvoice, FuncRefund,
		FuncMWallet, FuncBankUSSD, FuncOpayWallet,
		FuncReferenceCode, FuncBankTransfer, FuncBankAccount, FuncBankInstallment, FuncCardDebit, FuncVodafoneCash, FuncShahry,
		FuncToken, FuncVoid, FuncPayout}
}

// MerchantStatus says whether a merchant may use the gateway.
type MerchantStatus string

// Merchant statuses.
const (
	MerchantActive   MerchantStatus = "active"
	MerchantDisabled MerchantStatus = "disabled"
)

// Merchant is an account that calls the API with its own keys.
type Merchant struct {
	ID         string // 15 digits
	Name       string
	PrivateKey string
	PublicKey  string
	Status     MerchantStatus
	Countries  []string
	Functions  []Function
	WebhookURL string // default callback target
	RequireV2  bool   // refuse signatures without a RequestTimestamp
	// CallbackVersion is the format of the callbacks written for this merchant from now on
	// (METHODS.md §11); "" reads as v1. Independent of RequireV2.
	CallbackVersion CallbackVersion
	VATRateBP       int64 // VAT in basis points of the amount; 0 = none
	// InstallmentBanks is the merchant's own bank installment catalogue (METHODS.md §8.5);
	// nil: the gateway's.
	InstallmentBanks []InstallmentBank
	// PayoutPublicKey verifies the RSA signatures of payout requests (METHODS.md §10.1): a
	// PEM "PUBLIC KEY" (SPKI) as NormalizePayoutKey writes it; "" when none is set, which
	// refuses every payout request.
	PayoutPublicKey string
	// PayoutFee is taken from the cash with every payout, in minor units of its currency
	// (METHODS.md §10.2); 0 by default.
	PayoutFee int64
	CreatedAt time.Time
}

// Check returns the domain error that forbids this merchant from using fn in
// country, or nil. An empty country skips the country check.
func (m *Merchant) Check(fn Function, country string) error {
	if m.Status == MerchantDisabled {
		return Errorf(EDISABLED, "merchant not available.")
	}
	if fn != "" && !slices.Contains(m.Functions, fn) {
		return Errorf(ENOTCONFIGURED, "merchant %s is not enabled for %s", m.ID, fn)
	}
	if country != "" && !slices.Contains(m.Countries, country) {
		return Errorf(ENOTCONFIGURED, "merchant %s is not enabled for country %s", m.ID, country)
	}
	return nil
}

// Currencies lists the currencies of the merchant's countries, in their order.
func (m *Merchant) Currencies() []string {
	var out []string
	for _, c := range m.Countries {
		if cur := CurrencyOf(c); cur != "" {
			out = append(out, cur)
		}
	}
	return out
}

// Currency is the merchant's main currency, its first country's (the first supported
// country's when it has none): what empty statistics are counted in.
func (m *Merchant) Currency() string {
	if list := m.Currencies(); len(list) > 0 {
		return list[0]
	}
	return CurrencyOf(Countries()[0])
}

// VAT returns the VAT on amount at the merchant's rate, rounded half up.
func (m *Merchant) VAT(amount int64) int64 { return RoundHalfUp(amount, m.VATRateBP) }

// MerchantUpdate changes some fields of a merchant; nil fields stay as they are.
type MerchantUpdate struct {
	Name       *string
	Status     *MerchantStatus
	Countries  []string
	Functions  []Function
	WebhookURL *string
	PrivateKey *string
	PublicKey  *string
	RequireV2  *bool
	// CallbackVersion applies to callbacks written after the change (checked with Check).
	CallbackVersion *CallbackVersion
	// InstallmentBanks replaces the catalogue (checked with CheckInstallmentBanks); a pointer
	// to nil restores the gateway's.
	InstallmentBanks *[]InstallmentBank
	// PayoutPublicKey replaces the payout key: the text NormalizePayoutKey returned, or ""
	// to remove it. Every change is recorded in the merchant's audit trail.
	PayoutPublicKey *string
	// PayoutFee replaces the payout fee (minor units, 0 or more).
	PayoutFee *int64
	// By names who made the change in the audit trail: "cli", "dashboard", "sandbox".
	By string
}

// MerchantService stores merchants.
type MerchantService interface {
	CreateMerchant(ctx context.Context, m *Merchant) error
	FindMerchant(ctx context.Context, id string) (*Merchant, error)
	ListMerchants(ctx context.Context) ([]*Merchant, error)
	UpdateMerchant(ctx context.Context, id string, upd MerchantUpdate) (*Merchant, error)
}

// NewKeyPair returns a fresh private and public key carrying 128 bits of
// randomness each, in OPay's shape: a prefix, digits and one dot.
func NewKeyPair() (private, public string) {
	return "OPAYPRV" + randomDigits(), "OPAYPUB" + randomDigits()
}

// NewMerchantID returns a random 15-digit merchant id that does not start with 0.
func NewMerchantID() string {
	n, _ := rand.Int(rand.Reader, new(big.Int).SetInt64(9e14))
	return new(big.Int).Add(n, big.NewInt(1e14)).String()
}

// randomDigits renders 128 random bits as 39 decimal digits split by a dot,
// like the documentation's keys (13 digits, a dot, the rest).
func randomDigits() string {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	s := n.String()
	for len(s) < 39 {
		s = "0" + s
	}
	return s[:13] + "." + s[13:]
}
