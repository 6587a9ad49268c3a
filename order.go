package opaygate

import (
	"context"
	"fmt"
	"time"
)

// OrderStatus is the status of an order (a payment).
type OrderStatus string

// Order statuses. SUCCESS, FAIL and CLOSE are final.
const (
	StatusInitial OrderStatus = "INITIAL" // created, customer has not started
	StatusPending OrderStatus = "PENDING" // customer is in a flow that needs an action
	StatusSuccess OrderStatus = "SUCCESS"
	StatusFail    OrderStatus = "FAIL"
	StatusClose   OrderStatus = "CLOSE" // closed by the merchant or expired
)

// moves is the state machine: for each target, the statuses it may be reached from.
var moves = map[OrderStatus][]OrderStatus{
	StatusPending: {StatusInitial},
	StatusSuccess: {StatusInitial, StatusPending},
	StatusFail:    {StatusInitial, StatusPending},
	StatusClose:   {StatusInitial, StatusPending},
}

// MovableFrom lists the statuses an order may move to `to` from. Storage uses it
// as the condition of its conditional update.
func MovableFrom(to OrderStatus) []OrderStatus { return moves[to] }

// CanMove reports whether the state machine allows from → to.
func CanMove(from, to OrderStatus) bool {
	for _, s := range moves[to] {
		if s == from {
			return true
		}
	}
	return false
}

// Final reports whether no further move is allowed.
func (s OrderStatus) Final() bool {
	return s == StatusSuccess || s == StatusFail || s == StatusClose
}

// Step is what an open order waits for.
type Step string

// Steps of the flows.
const (
	StepNone Step = ""
	StepPlan Step = "INPUT_INSTALLMENT_MONTH" // ValU: choose a plan
	StepOTP  Step = "INPUT_OTP"               // ValU: enter the OTP
	Step3DS  Step = "REDIRECT_3DS"            // card: confirm on the 3-D Secure page
	// StepExternal waits for something the customer does outside the API: scan a QR code,
	// approve in a wallet app, dial a USSD code. The payment network reports it (in the
	// sandbox: /_sandbox/orders/pay, decline, expire).
	StepExternal Step = "EXTERNAL"
	// StepPIN waits for the card's PIN (NG cards whose issuer asks for one, METHODS.md §8.1).
	// The PIN goes to the network and is never stored.
	StepPIN Step = "INPUT_PIN"

	// StepAuthorizing: the acquirer is deciding the payment. The order keeps
	// its status (INITIAL or PENDING) until the answer is recorded, takes no
	// customer or merchant action meanwhile, and does not expire: the
	// customer may have been charged, so the network's answer decides it.
	StepAuthorizing Step = "AUTHORIZING"
)

// Pay methods.
const (
	PayMethodValU     = "VALU"
	PayMethodBankCard = "BankCard"
	PayMethodMWallet  = "MWALLET"        // EG: scan a QR or approve a request-to-pay
	PayMethodBankUSSD = "BankUssd"       // NG: dial a USSD code
	PayMethodOpayQR   = "OpayWalletNgQR" // NG: scan with the OPay app

	PayMethodReferenceCode   = "ReferenceCode"   // EG, NG: pay a code at a kiosk or agent
	PayMethodBankTransfer    = "BankTransfer"    // NG: transfer to a virtual account
	PayMethodBankAccount     = "BankAccount"     // NG: debit a bank account, confirmed by OTP
	PayMethodBankInstallment = "BankInstallment" // EG: a bank's installment plan on a card
	PayMethodCardDebit       = "CardDebit"       // EG: a card payment that opens a bank debit agreement
	// Hosted only: cashier/create takes them, payment/create does not (METHODS.md §8.0).
	PayMethodOpayWallet   = "OpayWalletNg" // NG: the OPay wallet on the hosted checkout
	PayMethodVodafoneCash = "VodafoneCash" // EG: approve in the Vodafone Cash wallet
	PayMethodShahry       = "Shahry"       // EG: approve a Shahry installment
)

// Channels say where an order came from; callbacks report them.
const (
	ChannelWeb = "Web" // hosted checkout (cashier/create, invoices)
	ChannelAPI = "API" // server to server (payment/create)
)

// Failure codes the gateway itself assigns. Acquirer decline codes ("05",
// "51", …) are used as they are.
const (
	FailClosed      = "ORDER_CLOSED"
	FailExpired     = "ORDER_EXPIRED"
	FailOTPAttempts = "OTP_ATTEMPTS_EXCEEDED"
	FailCancelled   = "ORDER_CANCELLED" // the customer cancelled on the hosted page
)

// PIN rules (METHODS.md §8.1): the third wrong PIN fails the order with 55.
const (
	PINMaxAttempts = 3
	CodeWrongPIN   = "55"
	ReasonWrongPIN = "Incorrect PIN"
)

// Default and limits of an order's lifetime, in minutes.
const (
	DefaultExpireMinutes = 30
	MaxExpireMinutes     = 1440
)

// OTP rules (spec section 5).
const (
	OTPLength      = 6
	OTPValidity    = 5 * time.Minute
	OTPMaxAttempts = 5
	OTPMaxResends  = 5
)

// UserInfo describes the paying customer, as the merchant sent it.
type UserInfo struct {
	ID     string
	Name   string
	Email  string
	Mobile string
}

// OrderProduct is one line of the product list a merchant sent with an order. It is shown
// to the customer; the gateway never checks its prices against the order's amount.
type OrderProduct struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Price       int64  `json:"price,omitempty"` // minor units of the order's currency
	Quantity    int64  `json:"quantity"`
	ImageURL    string `json:"imageUrl,omitempty"`
}

// Order is a payment: created by cashier/create, payment/create or by paying
// an invoice, and moved through the state machine by the customer's actions.
type Order struct {
	ID         int64
	OrderNo    string // 18 digits, the gateway's id
	MerchantID string
	Reference  string // the merchant's order number, unique per merchant
	Country    string
	Currency   string
	Amount     int64
	VAT        int64
	PayMethod  string // "" when the cashier offers every method
	Channel    string

	Status        OrderStatus
	Step          Step
	FailureCode   string
	FailureReason string

	ProductName        string
	ProductDescription string
	Products           []OrderProduct // cashier/create's productList, for display only
	ReturnURL          string
	CallbackURL        string
	CancelURL          string
	User               UserInfo

	// What cashier/create says about the page and the customer (METHODS.md §8.y).
	DisplayName string // shown on the hosted pages instead of the merchant's name, if set
	VisitSource string // customerVisitSource: where the customer came from; shown, no behaviour
	EvokeOpay   bool   // the hosted checkout opens on the OPay wallet when it offers it
	ClientIP    string // userClientIP, kept only when it parses as an IP address

	Token       string // unguessable token of the hosted checkout page
	InvoiceID   int64  // set when the order pays an invoice
	InvoiceNo   string
	ValUAccount string
	Plans       []Plan
	Months      int
	CardBIN     string // first six digits only
	CardLast4   string
	// MethodData is what a method keeps on an order besides the fields above (a QR
	// payload, a USSD string, the customer's wallet account), by name. It is stored.
	// DataIdentifier is the customer identifier the sandbox's identifier rule reads.
	MethodData map[string]string

	OTPAttempts int // wrong OTPs so far
	OTPResends  int
	OTPIssuedAt time.Time

	Voided    bool       // the void completed (isVoided true)
	VoidState VoidStatus // "" until a void is initiated, then PENDING, then SUCCESS
	Refunded  int64      // sum of refunds that are not FAIL
	ExpireAt  time.Time
	CreatedAt time.Time
	UpdatedAt time.Time

	// MerchantName is the merchant's name as payment/create or the checkout's StartPayment
	// found it, for a method that shows it (BankTransfer's account name); it is not stored.
	MerchantName string
	// InstallmentBanks is the merchant's bank installment catalogue (nil: the gateway's), as
	// payment/create, the checkout or StartPayment found it; it is not stored.
	InstallmentBanks []InstallmentBank

	// Lifetime is how long a new order stays payable from when it is stored (the request's
	// expireAt); 0 is the default. Stamp turns it into ExpireAt; it is not stored.
	Lifetime time.Duration
}

// Stamp gives a new order what every new order gets from the instant it is stored at: its
// country's currency, its creation and update times, and its expiry — ExpireAt when the
// caller fixed one, else Lifetime after now, else the default 30 minutes. Storage calls it
// with the instant of the transaction that inserts the order, so every row of that move
// carries one time.
func (o *Order) Stamp(now time.Time) {
	o.Currency = CurrencyOf(o.Country)
	o.CreatedAt, o.UpdatedAt = now, now
	switch {
	case !o.ExpireAt.IsZero():
	case o.Lifetime > 0:
		o.ExpireAt = now.Add(o.Lifetime)
	default:
		o.ExpireAt = now.Add(DefaultExpireMinutes * time.Minute)
	}
}

// Expired reports whether an open order is past its lifetime at now. An
// order being authorized never expires: the acquirer's answer decides it.
func (o *Order) Expired(now time.Time) bool {
	return !o.Status.Final() && o.Step != StepAuthorizing && !now.Before(o.ExpireAt)
}

// ApplyExpiry shows an open order that is past its lifetime as CLOSE, so that
// reads never present an expired order as open even before the sweeper ran.
func (o *Order) ApplyExpiry(now time.Time) {
	if o.Expired(now) {
		o.Status, o.Step = StatusClose, StepNone
		o.FailureCode, o.FailureReason = FailExpired, "order expired"
	}
}

// OrderKey finds an order: by ID (hosted pages), else by OrderNo if set, else
// by Reference. Country, when set, must equal the order's country.
type OrderKey struct {
	ID        int64
	OrderNo   string
	Reference string
	Country   string
}

// Matches reports whether o, found by k, is merchantID's and in k's country when k names one:
// an order of another merchant or country is not found.
func (k OrderKey) Matches(merchantID string, o *Order) bool {
	return o.MerchantID == merchantID && (k.Country == "" || k.Country == o.Country)
}

// OrderFilter selects orders for listings (dashboard, CLI).
type OrderFilter struct {
	MerchantID string
	Status     OrderStatus
	PayMethod  string
	Search     string // reference or orderNo
	From, To   time.Time
	Offset     int
	Limit      int
}

// OrderEvent is one step of an order's timeline.
type OrderEvent struct {
	OrderID int64
	From    OrderStatus
	To      OrderStatus
	Step    Step
	Code    string
	Reason  string
	At      time.Time
}

// DayVolume is the count and sum of one day's successful payments in one
// currency.
type DayVolume struct {
	Day      int // days since the start of the range
	Currency string
	Count    int64
	Amount   int64
}

// MethodVolume is the count and sum of SUCCESS orders paid with one method in one currency.
type MethodVolume struct {
	PayMethod string
	Currency  string
	Count     int64
	Amount    int64
}

// OrderService creates orders and moves them through the state machine. Every
// move is one transaction with a conditional update on the current status.
type OrderService interface {
	// CreateOrder stores a new INITIAL order: a hosted-checkout order, which
	// o.PayMethod, when set, limits to that method. It fills in OrderNo,
	// Status and the times. A reference already used by the merchant answers
	// EDUPLICATE with the existing order; an unknown method EPAYMETHOD.
	CreateOrder(ctx context.Context, o *Order) error

	// CreatePayment stores a server-to-server payment (payment/create) with
	// the method o.PayMethod and takes it as far as the method goes at once:
	// waiting at its first step (ValU's plans, card's 3-D Secure), failed
	// (no ValU credit, an expired card), or decided by the acquirer. params
	// are the method's own request fields as its Params read them.
	CreatePayment(ctx context.Context, o *Order, params any) error

	// StartPayment starts paying an INITIAL hosted-checkout order with the
	// method the customer picked, as CreatePayment would.
	StartPayment(ctx context.Context, merchantID string, key OrderKey, method string, params any) (*Order, error)

	// FindOrder returns the merchant's order, shown CLOSE if it has expired.
	FindOrder(ctx context.Context, merchantID string, key OrderKey) (*Order, error)

	// FindOrderStatus is FindOrder for a status query, and reads only what
	// one answers: ID, OrderNo, MerchantID, Reference, Country, Currency,
	// Amount, VAT, PayMethod, Status, Step, FailureCode, FailureReason,
	// Voided, VoidState, ExpireAt, CreatedAt and UpdatedAt. Every other
	// field is zero.
	FindOrderStatus(ctx context.Context, merchantID string, key OrderKey) (*Order, error)

	// FindOrderByToken returns the order behind a hosted checkout token.
	FindOrderByToken(ctx context.Context, token string) (*Order, error)

	// ListOrders returns a page of orders and the total that match f.
	ListOrders(ctx context.Context, f OrderFilter) ([]*Order, int, error)

	// OrderEvents returns an order's timeline, oldest first.
	OrderEvents(ctx context.Context, orderID int64) ([]*OrderEvent, error)

	// CloseOrder closes an INITIAL or PENDING order; closing a CLOSE order
	// again returns it unchanged; SUCCESS and FAIL answer EORDERSTATE.
	CloseOrder(ctx context.Context, merchantID string, key OrderKey) (*Order, error)

	// SelectPlan records the chosen plan of an order waiting for one; its
	// method says what follows (ValU: an OTP is sent).
	SelectPlan(ctx context.Context, merchantID string, key OrderKey, months int) (*Order, error)

	// SubmitPIN checks a card's PIN with the network (PINChecker); after a
	// correct one the order's method says what follows (an OTP, or the
	// acquirer). The PIN is never stored. The third wrong PIN fails the order
	// with 55.
	SubmitPIN(ctx context.Context, merchantID string, key OrderKey, pin string) (*Order, error)

	// FindOrderByIdentifier returns the order a method identifier names, whichever
	// merchant's: a reference code or a transfer account (kind is the MethodData
	// name, DataReferenceCode or DataTransferAccount), the newest order that
	// carried it. For the sandbox's controls, which act as the network does.
	FindOrderByIdentifier(ctx context.Context, kind, value string) (*Order, error)

	// SubmitOTP checks the OTP; after a correct one the order's method says
	// what follows (ValU: the acquirer decides).
	SubmitOTP(ctx context.Context, merchantID string, key OrderKey, otp string) (*Order, error)

	// ResendOTP issues a new OTP and invalidates the old one.
	ResendOTP(ctx context.Context, merchantID string, key OrderKey) (*Order, error)

	// Confirm3DS completes the redirect step of an order waiting at
	// REDIRECT_3DS (its method says what follows: the acquirer decides);
	// Cancel3DS fails it with code 05.
	Confirm3DS(ctx context.Context, merchantID string, key OrderKey) (*Order, error)
	Cancel3DS(ctx context.Context, merchantID string, key OrderKey) (*Order, error)

	// ReportExternal records what the payment network reports about an order
	// waiting at StepExternal: the customer did the step (d.Approved; the
	// order's method says what follows, normally the acquirer's decision) or
	// the step was declined (FAIL with d.Code and d.Reason). An order waiting
	// for anything else answers EORDERSTATE.
	ReportExternal(ctx context.Context, merchantID string, key OrderKey, d Decision) (*Order, error)

	// ExpireNow closes an open order as if its expireAt had passed (CLOSE,
	// ORDER_EXPIRED, with its callback): the sandbox's "let it expire".
	ExpireNow(ctx context.Context, merchantID string, key OrderKey) (*Order, error)

	// FindOrderByNo returns an order by its orderNo, whichever merchant's: for
	// the sandbox's controls, which act as the payment network does.
	FindOrderByNo(ctx context.Context, orderNo string) (*Order, error)

	// CancelOrder closes an INITIAL or PENDING order the customer cancelled
	// on the hosted page (CLOSE, ORDER_CANCELLED).
	CancelOrder(ctx context.Context, merchantID string, key OrderKey) (*Order, error)

	// DailyVolume sums the merchant's SUCCESS orders created in [from, to)
	// by UTC day (counted from from) and currency.
	DailyVolume(ctx context.Context, merchantID string, from, to time.Time) ([]DayVolume, error)

	// VolumeByMethod sums the merchant's SUCCESS orders created in [from, to)
	// by pay method and currency.
	VolumeByMethod(ctx context.Context, merchantID string, from, to time.Time) ([]MethodVolume, error)

	// ExpireOrders closes up to limit open orders past their lifetime, for
	// good, and finishes up to limit authorizations left in flight by a
	// crash or a failed network call by asking the acquirer again. It
	// returns how many orders it closed or finished.
	ExpireOrders(ctx context.Context, limit int) (int, error)
}

// DataIdentifier names the customer identifier in an order's MethodData (a wallet account,
// a phone number): what the network knows the customer by, and what the sandbox's
// identifier rule reads (METHODS.md §8.0).
const DataIdentifier = "identifier"

// The method identifiers the network finds an order by (the sandbox's pay control), and which
// are unique among open orders: storage keeps the one an order has in an indexed column and
// draws another (a new Start) when an open order holds it already. A method names it in its
// MethodData under DataLookup: the kind (one of these names) and the value, "kind:value".
const (
	DataReferenceCode   = "referenceCode"
	DataTransferAccount = "transferAccountNumber"
	DataLookup          = "lookup"
)

// LookupKey is the value a method stores under DataLookup.
func LookupKey(kind, value string) string { return kind + ":" + value }

// Bounds of expireAt read as an absolute deadline rather than minutes (METHODS.md §8.y).
const (
	deadlineSeconds = 1_000_000_000       // from here on: epoch seconds (2001-09-09)
	deadlineMillis  = 100_000_000_000     // from here on: epoch milliseconds (1973-03-03 in ms)
	maxExpireAt     = 100_000_000_000_000 // beyond any deadline in milliseconds (year 5138)
)

// OrderLifetime reads a request's expireAt the way real OPay clients send it: 0 is the
// default (30 minutes); 1–1440 are minutes; larger values below 10^9 are minutes clamped to
// 1440; from 10^9 an absolute deadline in epoch seconds, from 10^11 in epoch milliseconds,
// whose distance from now is rounded up to whole minutes and clamped to 1–1440. It returns
// the lifetime and, when the value was not read as plain minutes, a note saying how it was
// read (for the X-Opaygate-Warning header). A negative value or a deadline in the past is
// EINVALID.
func OrderLifetime(expireAt int64, now time.Time) (time.Duration, string, error) {
	var deadline time.Time
	var unit string
	switch {
	case expireAt == 0:
		return DefaultExpireMinutes * time.Minute, "", nil
	case expireAt < 0:
		return 0, "", Invalid("expireAt must be minutes or an epoch deadline, not negative")
	case expireAt <= MaxExpireMinutes:
		return time.Duration(expireAt) * time.Minute, "", nil
	case expireAt < deadlineSeconds:
		return MaxExpireMinutes * time.Minute,
			fmt.Sprintf("expireAt %d read as minutes and clamped to %d", expireAt, MaxExpireMinutes), nil
	case expireAt < deadlineMillis:
		deadline, unit = time.Unix(expireAt, 0), "seconds"
	case expireAt < maxExpireAt:
		deadline, unit = time.UnixMilli(expireAt), "milliseconds"
	default:
		return 0, "", Invalid("expireAt %d is beyond any deadline in epoch milliseconds", expireAt)
	}
	left := deadline.Sub(now)
	if left <= 0 {
		return 0, "", Invalid("expireAt is in the past (a deadline in epoch %s)", unit)
	}
	minutes := min((left+time.Minute-1)/time.Minute, MaxExpireMinutes)
	note := fmt.Sprintf("expireAt %d read as a deadline in epoch %s: %d minutes from now", expireAt, unit, minutes)
	if left > MaxExpireMinutes*time.Minute {
		note += fmt.Sprintf(", clamped to %d", MaxExpireMinutes)
	}
	return time.Duration(minutes) * time.Minute, note, nil
}
