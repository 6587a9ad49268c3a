package opaygate

import (
	"context"
	"time"
)

// The merchant's balance (METHODS.md §10.4). Every merchant has two accounts per currency: the
// money of its payments that has not settled yet, and the cash it can pay out. Every change is
// an entry of the ledger, written in the same transaction as the business change that makes
// it (a payment's success, a refund, a void, a payout), so the balance is never out of step
// with the orders; a balance is the sum of its account's entries.

// Account is one of a merchant's two accounts in a currency.
type Account string

// The accounts, by their wire names (payout/balance's type).
const (
	AccountUnsettled Account = "UNSETTLED_ACCOUNT"
	AccountCash      Account = "CASH_ACCOUNT"
)

// Valid reports whether a is an account.
func (a Account) Valid() bool { return a == AccountUnsettled || a == AccountCash }

// EntryKind says what made a ledger entry.
type EntryKind string

// The kinds of entries (METHODS.md §10.4's table). An entry's Ref names what made it: the
// order's orderNo for a payment, its settlement and a payout; the refund's refundNo; the
// void's reversalNo; the currency for an opening balance; the request for a sandbox credit.
const (
	EntryPayment    EntryKind = "payment"     // UNSETTLED + amount: an order became SUCCESS
	EntrySettlement EntryKind = "settlement"  // UNSETTLED − amount and CASH + amount
	EntryRefund     EntryKind = "refund"      // CASH − amount: a refund was created
	EntryVoid       EntryKind = "void"        // UNSETTLED or CASH − amount: a void completed
	EntryPayout     EntryKind = "payout"      // CASH − (amount + fee): a payout was created
	EntryPayoutFail EntryKind = "payout_fail" // CASH + (amount + fee): a payout failed
	EntryOpening    EntryKind = "opening"     // a sandbox demo merchant's starting cash
	EntryCredit     EntryKind = "credit"      // CASH + amount: /_sandbox/balance/credit
)

// SandboxOpeningCash is the CASH_ACCOUNT a sandbox demo merchant starts with in each currency,
// in minor units (METHODS.md §10.4).
const SandboxOpeningCash = 100_000_000

// DefaultSettlementDelay is how long after its success a live payment's money stays unsettled
// before it becomes cash; the sandbox settles at once.
const DefaultSettlementDelay = 24 * time.Hour

// LedgerEntry is one change of one account.
type LedgerEntry struct {
	ID         int64
	MerchantID string
	Currency   string
	Account    Account
	Delta      int64 // minor units; negative takes money out
	Kind       EntryKind
	Ref        string
	CreatedAt  time.Time
}

// Balance is a merchant's two accounts in one currency, in minor units. Cash can be negative:
// refunds are taken from cash without checking it (API.md §4.3's rules hold).
type Balance struct {
	MerchantID string
	Currency   string
	Unsettled  int64
	Cash       int64
}

// Of returns the balance of account a.
func (b Balance) Of(a Account) int64 {
	if a == AccountCash {
		return b.Cash
	}
	return b.Unsettled
}

// LedgerDifference is an account whose stored balance is not the sum of its entries, or a
// business record whose entry is missing or wrong; ledger verify reports them.
type LedgerDifference struct {
	MerchantID string
	Currency   string
	Account    Account // "" for a record without its entry
	Stored     int64   // the balance as the gateway reads it
	Entries    int64   // the sum of the account's entries
	Problem    string  // what is wrong, in words
}

// LedgerReport is what Verify found.
type LedgerReport struct {
	Accounts    int // accounts checked
	Entries     int // entries summed
	Records     int // orders, refunds, voids and payouts checked against their entries
	Differences []LedgerDifference
}

// LedgerService keeps the merchants' balances.
type LedgerService interface {
	// Balance returns a merchant's accounts in currency (zero when it has no entries yet).
	Balance(ctx context.Context, merchantID, currency string) (Balance, error)
	// Balances returns a merchant's accounts in every currency it has entries in, by currency.
	Balances(ctx context.Context, merchantID string) ([]Balance, error)
	// Entries returns a merchant's latest entries, newest first; currency "" means all.
	Entries(ctx context.Context, merchantID, currency string, limit int) ([]*LedgerEntry, error)
	// Credit adds amount to a merchant's cash (the sandbox's top-up); ref makes it idempotent:
	// a second credit with the same ref is EDUPLICATE.
	Credit(ctx context.Context, merchantID, currency string, amount int64, ref string) (Balance, error)
	// Open gives a merchant its starting cash in currency unless it already has an opening
	// entry there (it is safe to call at every start, from every node).
	Open(ctx context.Context, merchantID, currency string, amount int64) error
	// Settle moves the payments whose settlement is due from unsettled to cash, at most limit
	// of them, and returns how many it moved.
	Settle(ctx context.Context, limit int) (int, error)
	// Fold adds up to limit unfolded entries into the stored balances and returns how many it
	// folded; balances read the same before and after.
	Fold(ctx context.Context, limit int) (int, error)
	// Verify recomputes every balance from its entries and checks every payment, refund, void
	// and payout against its entries.
	Verify(ctx context.Context) (*LedgerReport, error)
}
