package opaygate

import (
	"context"
	"time"
)

// CallbackVersion is the format of a callback (METHODS.md §11): v1 is API.md §6's
// transaction-status body signed inside the body, v2 the MACQUIRING_CALLBACK body signed in
// its headers. A merchant chooses one; each callback row keeps the one it was written with.
type CallbackVersion string

// Callback versions.
const (
	CallbackV1 CallbackVersion = "v1" // the default
	CallbackV2 CallbackVersion = "v2"
)

// CallbackVersions lists the versions, the default first.
func CallbackVersions() []CallbackVersion { return []CallbackVersion{CallbackV1, CallbackV2} }

// Check returns EINVALID unless v is v1 or v2.
func (v CallbackVersion) Check() error {
	if v != CallbackV1 && v != CallbackV2 {
		return Errorf(EINVALID, "callback version %q is not v1 or v2", string(v))
	}
	return nil
}

// OrDefault returns v, or v1 when v is empty (merchants and rows from before versions existed).
func (v CallbackVersion) OrDefault() CallbackVersion {
	if v == "" {
		return CallbackV1
	}
	return v
}

// CallbackState says where a callback is in its delivery.
type CallbackState string

// Callback states. A pending callback is due at NextAttemptAt; delivered and
// dead are final until someone re-sends it by hand.
const (
	CallbackPending   CallbackState = "pending"
	CallbackDelivered CallbackState = "delivered" // a 2xx answer acknowledged it
	CallbackDead      CallbackState = "dead"      // retried until the schedule gave up
)

// Callback is one notification to a merchant (spec section 6), written to the
// outbox in the same transaction as the change it announces. Its fields are a
// snapshot of the order at that moment; the body is built from them when it
// is sent, signed with the merchant's key of that time.
type Callback struct {
	ID         int64
	MerchantID string
	OrderID    int64 // 0 for a payout's notification
	RefundID   int64 // set for the callback of a refund's success
	// PayoutID is set for a payout's notification (METHODS.md §10.3): then OrderNo is the
	// payout's orderNo, Reference its merchantOrderNo, InstrumentType its payoutType and
	// FailureCode and FailureReason its errorCode and errorMsg.
	PayoutID  int64
	Fee       int64  // a payout's fee, minor units
	Remark    string // a payout's remark
	TargetURL string
	// Version is the merchant's callback version when the row was written; retries and
	// re-sends keep it, whatever the merchant chooses later.
	Version CallbackVersion
	// NotifyID identifies a v2 callback to its receiver: 32 lowercase hex digits, random,
	// the same on every attempt. "" for v1.
	NotifyID string

	Status         OrderStatus
	Refunded       bool
	Voided         bool // a completed void (refunded too): v2 says extras {"voided":true}
	Amount         int64
	Currency       string
	Reference      string
	OrderNo        string
	Country        string
	InstrumentType string // the order's pay method
	Channel        string
	FailureCode    string
	FailureReason  string
	EventTime      time.Time // when the change happened

	// The refund whose success a refunded callback announces (v2 sends them in extras).
	RefundReference string
	RefundOrderNo   string
	RefundAmount    int64 // minor units, in Currency

	State          CallbackState
	Attempts       int // attempts since it was written or last re-sent
	NextAttemptAt  time.Time
	FirstAttemptAt time.Time // of the current round; the give-up clock starts here
	LeaseUntil     time.Time // a worker holds it until then
	LeaseToken     string    // identifies the claim that holds it
	CreatedAt      time.Time
	UpdatedAt      time.Time

	// History lists every attempt ever made, oldest first (filled by lists).
	History []*CallbackAttempt
}

// CallbackAttempt is one POST of a callback.
type CallbackAttempt struct {
	CallbackID int64
	At         time.Time
	HTTPStatus int    // 0 when no answer came
	Error      string // network error or "HTTP <status>"; "" when acknowledged
	Duration   time.Duration
}

// Acknowledged reports whether the merchant accepted the callback: any 2xx.
func (a *CallbackAttempt) Acknowledged() bool { return a.HTTPStatus >= 200 && a.HTTPStatus <= 299 }

// RetrySchedule says when a failed callback is tried again: First after the
// first failure, doubling after each further one up to Max, until GiveUpAfter
// has passed since the first attempt; then it is dead.
type RetrySchedule struct {
	First       time.Duration
	Max         time.Duration
	GiveUpAfter time.Duration
}

// DefaultRetrySchedule is the spec's: 15 s, doubling, capped at 1 h, dead
// after 72 h.
func DefaultRetrySchedule() RetrySchedule {
	return RetrySchedule{First: 15 * time.Second, Max: time.Hour, GiveUpAfter: 72 * time.Hour}
}

// SandboxRetrySchedule is compressed so a developer sees the whole life of a
// callback in minutes: 1 s, doubling, capped at 30 s, dead after 10 min.
func SandboxRetrySchedule() RetrySchedule {
	return RetrySchedule{First: time.Second, Max: 30 * time.Second, GiveUpAfter: 10 * time.Minute}
}

// Delay is the wait after the n-th consecutive failed attempt (n ≥ 1).
func (s RetrySchedule) Delay(n int) time.Duration {
	d := s.First
	for i := 1; i < n && d < s.Max; i++ {
		d *= 2
	}
	return min(d, s.Max)
}

// Next decides what follows a failed attempt made at now, the attempts-th of
// a round that started at first: the time of the next attempt, or dead. The
// last retry is made when GiveUpAfter has just passed, not before, so a
// receiver that is down for exactly the give-up window still gets one more
// chance.
func (s RetrySchedule) Next(attempts int, first, now time.Time) (next time.Time, dead bool) {
	deadline := first.Add(s.GiveUpAfter)
	if !now.Before(deadline) {
		return time.Time{}, true
	}
	next = now.Add(s.Delay(attempts))
	if next.After(deadline) {
		next = deadline
	}
	return next, false
}

// CallbackFilter selects callbacks for listings (sandbox API, CLI, dashboard).
type CallbackFilter struct {
	MerchantID string
	OrderNo    string
	State      CallbackState
	Limit      int // default 50, at most 500
}

// CallbackService is the outbox: workers claim due callbacks and record what
// happened; people list and re-send them.
type CallbackService interface {
	// ClaimCallbacks leases up to limit due pending callbacks to the caller
	// for lease, oldest due first. While leased a callback is claimed by no
	// one else, on any node. Callbacks in skip — those the caller is
	// delivering already — are never claimed, even when their lease ran out
	// because the clock jumped.
	ClaimCallbacks(ctx context.Context, limit int, lease time.Duration, skip ...int64) ([]*Callback, error)

	// RecordAttempt stores an attempt of a claimed callback and moves it:
	// delivered on a 2xx, else rescheduled by s or dead. It releases the
	// lease and returns the callback as it now is. If the lease was lost
	// meanwhile, the attempt is still recorded but the state is left alone.
	RecordAttempt(ctx context.Context, c *Callback, a CallbackAttempt, s RetrySchedule) (*Callback, error)

	// RenewLease extends the caller's claim on c (c.LeaseToken, c.LeaseUntil)
	// to now + lease while its delivery is in flight, and moves c.LeaseUntil.
	// It reports false when the claim is no longer the caller's: the lease ran
	// out and another worker claimed the callback, or its attempt was recorded.
	// A re-send by hand keeps the running claim renewable, so the new round
	// still waits for the running delivery to end.
	RenewLease(ctx context.Context, c *Callback, lease time.Duration) (bool, error)

	// ResendCallback makes a callback due now as a fresh round (attempts
	// and the give-up clock start again); its history is kept.
	ResendCallback(ctx context.Context, id int64) (*Callback, error)

	// FindCallback returns a callback with its history.
	FindCallback(ctx context.Context, id int64) (*Callback, error)

	// ListCallbacks returns callbacks matching f, newest first, each with
	// its history.
	ListCallbacks(ctx context.Context, f CallbackFilter) ([]*Callback, error)
}
