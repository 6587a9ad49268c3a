package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/opaygate/opaygate"
)

// The customer's actions on an order. Each is one transaction that locks the
// order, applies expiry first (an expired order is closed for good, with its
// callback, before the action is refused), and moves it conditionally.

func errOrderState(format string, args ...any) error {
	return opaygate.Errorf(opaygate.EORDERSTATE, format, args...)
}

// errAuthorizing refuses every action on an order the acquirer is deciding:
// only its answer may move it (authorize.go).
func errAuthorizing() error { return errOrderState("payment is being authorized") }

// expireIfDue closes an order that has outlived its expireAt and reports
// whether it did.
func (s *OrderService) expireIfDue(ctx context.Context, tx *Tx, o *opaygate.Order) (bool, error) {
	if !o.Expired(tx.now) {
		return false, nil
	}
	return true, s.moveOrder(ctx, tx, o, opaygate.StatusClose, opaygate.StepNone, opaygate.FailExpired, "order expired")
}

// act runs one customer action: lock the order, expire it if due (then the
// action is refused but the expiry is committed), then fn.
func (s *OrderService) act(ctx context.Context, merchantID string, key opaygate.OrderKey, fn func(tx *Tx, o *opaygate.Order) error) (*opaygate.Order, error) {
	return s.onOrder(ctx, merchantID, key, true, fn)
}

// onOrder runs fn on the merchant's order, locked in one transaction, after
// closing it for good if it has expired: then refuseExpired refuses the
// action (the expiry is committed all the same). An order in flight refuses
// every action.
func (s *OrderService) onOrder(ctx context.Context, merchantID string, key opaygate.OrderKey, refuseExpired bool,
	fn func(tx *Tx, o *opaygate.Order) error) (*opaygate.Order, error) {
	return s.onOrderWith(ctx, merchantID, key, refuseExpired, "", nil, fn)
}

// onOrderWith is onOrder that also reads cols of the order into dest with its lock
// (lockOrderWith), for fn.
func (s *OrderService) onOrderWith(ctx context.Context, merchantID string, key opaygate.OrderKey, refuseExpired bool,
	cols string, dest []any, fn func(tx *Tx, o *opaygate.Order) error) (*opaygate.Order, error) {
	var o *opaygate.Order
	err := s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		var err error
		if o, err = s.lockOrderWith(ctx, tx, merchantID, key, cols, dest); err != nil {
			return err
		}
		if expired, err := s.expireIfDue(ctx, tx, o); err != nil {
			return err
		} else if expired && refuseExpired {
			return commitThen(errOrderState("order expired"))
		}
		if o.Step == opaygate.StepAuthorizing {
			return errAuthorizing()
		}
		return fn(tx, o)
	})
	return o, err
}

// CloseOrder closes an open order; see opaygate.OrderService.
func (s *OrderService) CloseOrder(ctx context.Context, merchantID string, key opaygate.OrderKey) (*opaygate.Order, error) {
	// Closing an order that just expired answers CLOSE, like closing it twice.
	o, err := s.onOrder(ctx, merchantID, key, false, func(tx *Tx, o *opaygate.Order) error {
		switch o.Status {
		case opaygate.StatusInitial, opaygate.StatusPending:
			return s.moveOrder(ctx, tx, o, opaygate.StatusClose, opaygate.StepNone, opaygate.FailClosed, "closed by merchant")
		case opaygate.StatusClose:
			return nil // closing twice answers the same
		case opaygate.StatusSuccess:
			return errOrderState("paid orders must be refunded")
		default:
			return errOrderState("order is %s", o.Status)
		}
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// SelectPlan records the chosen plan; the order's method says what follows (ValU: an OTP).
func (s *OrderService) SelectPlan(ctx context.Context, merchantID string, key opaygate.OrderKey, months int) (*opaygate.Order, error) {
	code := newOTP()
	var move opaygate.Move
	o, err := s.act(ctx, merchantID, key, func(tx *Tx, o *opaygate.Order) error {
		if o.Status != opaygate.StatusPending || o.Step != opaygate.StepPlan {
			return errOrderState("order is not waiting for an installment plan")
		}
		if !offers(o.Plans, months) {
			return opaygate.Invalid("months must be one of the offered plans (%s)", tenors(o.Plans))
		}
		o.Months = months
		var err error
		if move, err = s.next(ctx, tx, o, opaygate.StepPlan, code); err != nil {
			return err
		}
		if !move.Authorize && move.Status == opaygate.StatusPending {
			return nil // an advance, whose update wrote the plan with the step
		}
		if err := tx.execLater(ctx, `UPDATE orders SET months = ? WHERE id = ?`, months, o.ID); err != nil {
			return fmt.Errorf("select plan: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.finish(ctx, o, move, code)
}

// SubmitOTP checks the OTP. After a correct one the order's method says what follows (ValU:
// the acquirer decides); the fifth wrong one fails the order.
func (s *OrderService) SubmitOTP(ctx context.Context, merchantID string, key opaygate.OrderKey, otp string) (*opaygate.Order, error) {
	code := newOTP()
	var move opaygate.Move
	var stored string // the hash of the OTP issued, read with the order's lock
	o, err := s.onOrderWith(ctx, merchantID, key, true, "otp_hash", []any{&stored}, func(tx *Tx, o *opaygate.Order) error {
		if o.Status != opaygate.StatusPending || o.Step != opaygate.StepOTP {
			return errOrderState("order is not waiting for an otp")
		}
		now := tx.now
		if now.Sub(o.OTPIssuedAt) > opaygate.OTPValidity {
			return opaygate.Errorf(opaygate.EOTPEXPIRED, "otp expired, request a new one")
		}
		if !s.otpMatches(o.OrderNo, stored, otp) {
			o.OTPAttempts++
			if _, err := tx.exec(ctx, `UPDATE orders SET otp_attempts = ?, updated_at = ? WHERE id = ?`,
				o.OTPAttempts, ms(now), o.ID); err != nil {
				return fmt.Errorf("count otp attempt: %w", err)
			}
			left := opaygate.OTPMaxAttempts - o.OTPAttempts
			if left <= 0 {
				if err := s.moveOrder(ctx, tx, o, opaygate.StatusFail, opaygate.StepNone,
					opaygate.FailOTPAttempts, "too many wrong otp attempts"); err != nil {
					return err
				}
			}
			return commitThen(opaygate.Errorf(opaygate.EOTPINVALID, "invalid otp, %d attempts left", max(left, 0)))
		}
		var err error
		move, err = s.next(ctx, tx, o, opaygate.StepOTP, code)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.finish(ctx, o, move, code)
}

// SubmitPIN checks a card's PIN. The network decides whether it is correct (the acquirer's
// opaygate.PINChecker), asked with no transaction open; the transaction then counts a wrong
// one, the third failing the order with 55, or asks the order's method what follows a correct
// one. The PIN itself is never stored nor logged. While an order waits at INPUT_PIN its
// otp_attempts count wrong PINs: the OTP step that may follow issues its code with a fresh
// count.
func (s *OrderService) SubmitPIN(ctx context.Context, merchantID string, key opaygate.OrderKey, pin string) (*opaygate.Order, error) {
	checker, ok := s.deps.Acquirer.(opaygate.PINChecker)
	if !ok {
		return nil, opaygate.Errorf(opaygate.ENOTCONFIGURED, "the payment network cannot verify a PIN")
	}
	current, err := s.FindOrder(ctx, merchantID, key)
	if err != nil {
		return nil, err
	}
	var correct bool
	// Only an order waiting for a PIN is worth asking the network about; any other is refused
	// below, in the transaction, with the reason (expired, another step, final).
	if current.Status == opaygate.StatusPending && current.Step == opaygate.StepPIN {
		if correct, err = checker.CheckPIN(ctx, current, pin); err != nil {
			return nil, fmt.Errorf("check pin: %w", err)
		}
	}
	code := newOTP()
	var move opaygate.Move
	o, err := s.act(ctx, merchantID, opaygate.OrderKey{ID: current.ID}, func(tx *Tx, o *opaygate.Order) error {
		if o.Status != opaygate.StatusPending || o.Step != opaygate.StepPIN {
			return errOrderState("order is not waiting for a pin")
		}
		if !correct {
			o.OTPAttempts++
			if _, err := tx.exec(ctx, `UPDATE orders SET otp_attempts = ?, updated_at = ? WHERE id = ?`,
				o.OTPAttempts, ms(tx.now), o.ID); err != nil {
				return fmt.Errorf("count pin attempt: %w", err)
			}
			left := opaygate.PINMaxAttempts - o.OTPAttempts
			if left <= 0 {
				if err := s.moveOrder(ctx, tx, o, opaygate.StatusFail, opaygate.StepNone,
					opaygate.CodeWrongPIN, opaygate.ReasonWrongPIN); err != nil {
					return err
				}
			}
			return commitThen(opaygate.Errorf(opaygate.EOTPINVALID, "invalid pin, %d attempts left", max(left, 0)))
		}
		var err error
		move, err = s.next(ctx, tx, o, opaygate.StepPIN, code)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.finish(ctx, o, move, code)
}

// ResendOTP issues a new OTP, invalidating the old one and restarting its
// validity; wrong attempts so far still count.
func (s *OrderService) ResendOTP(ctx context.Context, merchantID string, key opaygate.OrderKey) (*opaygate.Order, error) {
	code := newOTP()
	o, err := s.act(ctx, merchantID, key, func(tx *Tx, o *opaygate.Order) error {
		if o.Status != opaygate.StatusPending || o.Step != opaygate.StepOTP {
			return errOrderState("order is not waiting for an otp")
		}
		if o.OTPResends >= opaygate.OTPMaxResends {
			return errOrderState("otp was resent %d times already", o.OTPResends)
		}
		now := tx.now
		if _, err := tx.exec(ctx, `UPDATE orders SET otp_hash = ?, otp_issued_at = ?, otp_resends = otp_resends + 1,
			updated_at = ? WHERE id = ?`, hashOTP(o.OrderNo, code), ms(now), ms(now), o.ID); err != nil {
			return fmt.Errorf("resend otp: %w", err)
		}
		o.OTPResends++
		o.OTPIssuedAt = now
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.sendOTP(ctx, o, code)
	return o, nil
}

// ExpireOrders closes up to limit orders past their lifetime, then finishes up
// to limit authorizations left in flight (resumeAuthorizations). An order in
// flight is never expired, even past its expireAt: the customer may have been
// charged, so the network's answer decides it. On PostgreSQL rows another
// node is expiring are skipped, never waited for or done twice.
func (s *OrderService) ExpireOrders(ctx context.Context, limit int) (int, error) {
	closed, err := s.expireOrders(ctx, limit)
	if err != nil {
		return closed, err
	}
	resumed, err := s.resumeAuthorizations(ctx, limit)
	return closed + resumed, err
}

func (s *OrderService) expireOrders(ctx context.Context, limit int) (int, error) {
	var n int
	err := s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		n = 0
		due, err := queryAll(ctx, tx, scanOrder, `SELECT `+orderColumns+` FROM orders
			WHERE status IN ('INITIAL', 'PENDING') AND expire_at <= ? AND step <> ?
			ORDER BY expire_at LIMIT ?`+s.db.skipLocked(),
			ms(tx.now), opaygate.StepAuthorizing, limit)
		if err != nil {
			return fmt.Errorf("find expired orders: %w", err)
		}
		for _, o := range due {
			if err := s.moveOrder(ctx, tx, o, opaygate.StatusClose, opaygate.StepNone, opaygate.FailExpired, "order expired"); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

func (s *OrderService) sendOTP(ctx context.Context, o *opaygate.Order, code string) {
	// Delivery happens after the commit, so a retried transaction never
	// texts twice. A failed delivery is logged (without the code); the
	// customer can ask for a resend.
	if err := s.deps.OTP.SendOTP(ctx, o, code); err != nil {
		s.deps.Logger.Error("otp delivery failed", "orderNo", o.OrderNo, "err", err)
	}
}

func (s *OrderService) otpMatches(orderNo, stored, otp string) bool {
	// The network may accept a master code (the sandbox's); storage only asks.
	if m, ok := s.deps.OTP.(opaygate.MasterOTP); ok {
		if master := m.MasterOTP(); master != "" && subtle.ConstantTimeCompare([]byte(otp), []byte(master)) == 1 {
			return true
		}
	}
	return stored != "" && subtle.ConstantTimeCompare([]byte(hashOTP(orderNo, otp)), []byte(stored)) == 1
}

// hashOTP keeps OTPs out of the database in clear; the order number salts
// it so equal codes of two orders differ.
func hashOTP(orderNo, code string) string {
	sum := sha256.Sum256([]byte(orderNo + ":" + code))
	return hex.EncodeToString(sum[:])
}

func newOTP() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return fmt.Sprintf("%06d", n.Int64())
}

func offers(plans []opaygate.Plan, months int) bool {
	for _, p := range plans {
		if p.Months == months {
			return true
		}
	}
	return false
}

func tenors(plans []opaygate.Plan) string {
	parts := make([]string, len(plans))
	for i, p := range plans {
		parts[i] = strconv.Itoa(p.Months)
	}
	return strings.Join(parts, ", ")
}
