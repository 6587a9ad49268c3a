package sqlstore

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"time"

	"github.com/opaygate/opaygate"
)

// Deps are what the services need besides the database: the clock and the
// payment network, and the sandbox's rules.
type Deps struct {
	Clock    opaygate.Clock
	ValU     opaygate.ValUNetwork
	OTP      opaygate.OTPSender
	Acquirer opaygate.Acquirer
	// Methods are the payment methods orders are paid with (package
	// method's Default): storage runs their moves without knowing them.
	Methods opaygate.MethodSet
	// Notifier sends the notices a method's move asks for (a wallet's
	// request-to-pay); nil sends none.
	Notifier opaygate.Notifier
	// Settler says when refunds settle; nil leaves them PENDING for a
	// connector to decide (live mode without one).
	Settler opaygate.RefundSettler
	// SettlementDelay is how long a payment's money stays in the merchant's
	// UNSETTLED_ACCOUNT before it becomes cash; 0 settles at once (the
	// sandbox). opaygate.DefaultSettlementDelay is live mode's default.
	SettlementDelay time.Duration
	// Payouts answers payouts (the sandbox's simulator); nil leaves them PENDING
	// for a connector (PayoutService.FinishPayout).
	Payouts opaygate.PayoutNetwork
	Logger  *slog.Logger
	// OnCallback, when set, is called after every commit that made a
	// callback due (a state move, a refund, a re-send), so that a delivery
	// worker can look at once instead of at its next poll. It must not
	// block: it runs on the committing goroutine (SQLite's group committer).
	OnCallback func()
}

// Services bundles the domain services on one database.
type Services struct {
	Merchants *MerchantService
	Products  *ProductService
	Orders    *OrderService
	Invoices  *InvoiceService
	Refunds   *RefundService
	Callbacks *CallbackService
	Tokens    *TokenService
	Voids     *VoidService
	Requests  *RequestLogService
	Ledger    *LedgerService
	Payouts   *PayoutService
}

// NewServices returns the services on db. Missing deps get defaults: the
// system clock and a discarding logger; the payment network and the methods
// must be given.
func NewServices(db *DB, deps Deps) *Services {
	if deps.Clock == nil {
		deps.Clock = opaygate.SystemClock{}
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	orders := &OrderService{db: db, deps: deps}
	return &Services{
		Voids:     &VoidService{db: db, deps: deps, orders: orders},
		Merchants: &MerchantService{db: db, clock: deps.Clock},
		Products:  &ProductService{db: db, clock: deps.Clock},
		Orders:    orders,
		Invoices:  &InvoiceService{db: db, deps: deps, orders: orders},
		Refunds:   &RefundService{db: db, deps: deps, orders: orders},
		Callbacks: &CallbackService{db: db, clock: deps.Clock, onCallback: deps.OnCallback},
		Tokens:    &TokenService{db: db, clock: deps.Clock},
		Requests:  NewRequestLogService(db),
		Ledger:    &LedgerService{db: db, deps: deps},
		Payouts:   &PayoutService{db: db, deps: deps},
	}
}

// randomHex returns n random bytes in lowercase hex, for unguessable tokens.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never returns an error on supported platforms
	}
	return hex.EncodeToString(b)
}
