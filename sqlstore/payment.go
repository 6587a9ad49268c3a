package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/opaygate/opaygate"
)

// Payments through their method. Storage knows no method by name: it asks the order's
// method (opaygate.Method, found in Deps.Methods) how a payment starts and what comes after
// each step, and applies the answer — an opaygate.Move — in the order's transaction, with
// the state machine, the timeline and the callback outbox every method shares. A method's
// Start may ask the network, so it runs before the transaction; a move that needs the
// acquirer puts the order in flight and the acquirer is asked after the commit
// (authorize.go).

// method finds the method of a payMethod, or answers EPAYMETHOD.
func (s *OrderService) method(name string) (opaygate.Method, error) {
	if s.deps.Methods != nil {
		if m, ok := s.deps.Methods.Method(name); ok {
			return m, nil
		}
	}
	return nil, opaygate.Errorf(opaygate.EPAYMETHOD, "payMethod %s is not supported", name)
}

// network is what a method may ask while it starts.
func (s *OrderService) network() opaygate.Network {
	return opaygate.Network{ValU: s.deps.ValU, OTP: s.deps.OTP, Acquirer: s.deps.Acquirer}
}

// maxLookupDraws bounds how many times a payment whose method draws an identifier unique
// among open orders (a reference code, a transfer account) draws again after a collision.
// With ten random digits a second draw is already rare.
const maxLookupDraws = 8

// errLookupTaken: the identifier a method drew is held by another open order.
var errLookupTaken = errors.New("method identifier held by an open order")

// CreatePayment stores a server-to-server payment (payment/create) and takes it as far as
// its method goes at once; see opaygate.OrderService.
func (s *OrderService) CreatePayment(ctx context.Context, o *opaygate.Order, params any) error {
	m, err := s.method(o.PayMethod)
	if err != nil {
		return err
	}
	if err := s.prepareOrder(o, opaygate.ChannelAPI); err != nil {
		return err
	}
	for draw := 1; ; draw++ {
		// Start runs again only when the identifier it drew collided: it draws another.
		err = s.createPayment(ctx, m, o, params)
		if !errors.Is(err, errLookupTaken) || draw == maxLookupDraws {
			return err
		}
	}
}

func (s *OrderService) createPayment(ctx context.Context, m opaygate.Method, o *opaygate.Order, params any) error {
	move, err := m.Start(ctx, s.network(), o, params, s.deps.Clock.Now())
	if err != nil {
		return err
	}
	code := newOTP()
	expireAt := o.ExpireAt
	// A payment whose first move is a wait is created waiting: its timeline starts at that
	// step. Any other first move is made on the new INITIAL order.
	waits := move.Status == opaygate.StatusPending && !move.Authorize
	err = s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		// update may run this again (a retry, a re-run batch): start each attempt from
		// the order as it was before the first moved it.
		o.Status, o.Step, o.FailureCode, o.FailureReason = opaygate.StatusInitial, opaygate.StepNone, "", ""
		if waits {
			o.Status, o.Step = move.Status, move.Step
		}
		stampNew(o, tx.now, expireAt)
		// The order's rows, and conditional updates of the order alone: the commit may be
		// shared (a transaction that asks for an answer commits alone all the same).
		tx.shareCommit()
		if err := s.insertNewOrder(ctx, tx, o); err != nil {
			return err
		}
		if err := s.setLookup(ctx, tx, o); err != nil {
			return err
		}
		if err := s.recordAgreement(ctx, tx, o); err != nil {
			return err
		}
		switch {
		case waits && move.SendOTP:
			return s.issueOTP(ctx, tx, o, code)
		case waits:
			return nil
		}
		return s.apply(ctx, tx, o, move, code)
	})
	if err != nil {
		return s.created(ctx, o, err)
	}
	done, err := s.finish(ctx, o, move, code)
	if err != nil {
		return err
	}
	*o = *done
	return nil
}

// setLookup stores the identifier o's method drew, which the unique index keeps unique among
// open orders: a collision is errLookupTaken, and the caller draws again.
func (s *OrderService) setLookup(ctx context.Context, tx *Tx, o *opaygate.Order) error {
	key := o.MethodData[opaygate.DataLookup]
	if key == "" {
		return nil
	}
	if _, err := tx.exec(ctx, `UPDATE orders SET lookup_key = ? WHERE id = ?`, key, o.ID); err != nil {
		if isUniqueViolation(err) {
			return errLookupTaken
		}
		return fmt.Errorf("store method identifier: %w", err)
	}
	return nil
}

// FindOrderByIdentifier returns the order that carries a method identifier: the open one if
// any (orders_open_lookup keeps it unique), else the newest; see opaygate.OrderService. A
// final order's code may be drawn again. Newest is by creation time: ids are not in creation
// order across PostgreSQL nodes (pgIDs).
func (s *OrderService) FindOrderByIdentifier(ctx context.Context, kind, value string) (*opaygate.Order, error) {
	if kind == "" || value == "" {
		return nil, errOrderNotFound()
	}
	return s.findOrder(ctx, `id = (SELECT id FROM orders WHERE lookup_key = ?
		ORDER BY CASE WHEN status IN ('INITIAL', 'PENDING') THEN 0 ELSE 1 END, created_at DESC, id DESC LIMIT 1)`,
		opaygate.LookupKey(kind, value))
}

// StartPayment starts paying an INITIAL hosted-checkout order with a method the customer
// picked; see opaygate.OrderService.
func (s *OrderService) StartPayment(ctx context.Context, merchantID string, key opaygate.OrderKey, name string, params any) (*opaygate.Order, error) {
	m, err := s.method(name)
	if err != nil {
		return nil, err
	}
	current, err := s.FindOrder(ctx, merchantID, key)
	if err != nil {
		return nil, err
	}
	if current.PayMethod != "" && current.PayMethod != name {
		return nil, opaygate.Errorf(opaygate.EPAYMETHOD, "the order is limited to payMethod %s", current.PayMethod)
	}
	if current.Status != opaygate.StatusInitial {
		return nil, errOrderState("order is %s", current.Status)
	}
	// The merchant's name is not stored with the order; a method may show it (BankTransfer's
	// account name), as on payment/create. The read is usually the merchant cache's.
	merchant, err := (&MerchantService{db: s.db}).FindMerchant(ctx, merchantID)
	if err != nil {
		return nil, err
	}
	current.MerchantName, current.InstallmentBanks = merchant.Name, merchant.InstallmentBanks
	for draw := 1; ; draw++ {
		// Start runs again only when the identifier it drew collided: it draws another.
		o, err := s.startPayment(ctx, m, merchantID, current, name, params)
		if !errors.Is(err, errLookupTaken) || draw == maxLookupDraws {
			return o, err
		}
	}
}

func (s *OrderService) startPayment(ctx context.Context, m opaygate.Method, merchantID string, current *opaygate.Order, name string, params any) (*opaygate.Order, error) {
	started := *current
	started.PayMethod = name
	move, err := m.Start(ctx, s.network(), &started, params, s.deps.Clock.Now())
	if err != nil {
		return nil, err
	}
	code := newOTP()
	o, err := s.act(ctx, merchantID, opaygate.OrderKey{ID: current.ID}, func(tx *Tx, o *opaygate.Order) error {
		if o.Status != opaygate.StatusInitial {
			return errOrderState("order is %s", o.Status)
		}
		if o.PayMethod != "" && o.PayMethod != name {
			return opaygate.Errorf(opaygate.EPAYMETHOD, "the order is limited to payMethod %s", o.PayMethod)
		}
		copyMethodFields(o, &started)
		res, err := tx.exec(ctx, `UPDATE orders SET pay_method = ?, valu_account = ?, plans = ?, months = ?,
			card_bin = ?, card_last4 = ?, method_data = ?, updated_at = ? WHERE id = ? AND status = ?`,
			o.PayMethod, o.ValUAccount, EncodePlans(o.Plans), o.Months, o.CardBIN, o.CardLast4,
			encodeMap(o.MethodData), ms(tx.now), o.ID, opaygate.StatusInitial)
		if err != nil {
			return fmt.Errorf("start %s: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("start %s on %s: order changed concurrently", name, o.OrderNo)
		}
		if err := s.setLookup(ctx, tx, o); err != nil {
			return err
		}
		if err := s.recordAgreement(ctx, tx, o); err != nil {
			return err
		}
		return s.apply(ctx, tx, o, move, code)
	})
	if err != nil {
		return nil, err
	}
	return s.finish(ctx, o, move, code)
}

// copyMethodFields takes the fields a method's Start may set.
func copyMethodFields(dst, src *opaygate.Order) {
	dst.PayMethod, dst.ValUAccount, dst.Plans, dst.Months = src.PayMethod, src.ValUAccount, src.Plans, src.Months
	dst.CardBIN, dst.CardLast4, dst.MethodData = src.CardBIN, src.CardLast4, src.MethodData
}

// next applies what o's method does after the customer completed step done, in tx.
func (s *OrderService) next(ctx context.Context, tx *Tx, o *opaygate.Order, done opaygate.Step, code string) (opaygate.Move, error) {
	m, err := s.method(o.PayMethod)
	if err != nil {
		return opaygate.Move{}, err
	}
	move := m.Next(o, done)
	if move.None() {
		return move, fmt.Errorf("payMethod %s has no move after %s", o.PayMethod, done)
	}
	return move, s.apply(ctx, tx, o, move, code)
}

// apply makes a method's move on o, locked in tx: in flight for the acquirer, a wait at a
// step (with a new OTP when the move sends one), or a failure. code is the OTP to store
// when the move sends one; it is drawn before the transaction, so a transaction run again
// stores the same code the customer will receive.
func (s *OrderService) apply(ctx context.Context, tx *Tx, o *opaygate.Order, move opaygate.Move, code string) error {
	switch {
	case move.Authorize:
		return s.beginAuthorization(ctx, tx, o)
	case move.Status == opaygate.StatusPending && o.Status == opaygate.StatusPending:
		// Another step of a flow already under way: no status move, one timeline entry.
		return s.advance(ctx, tx, o, move, code)
	case move.Status == "":
		return nil
	}
	if err := s.moveOrder(ctx, tx, o, move.Status, move.Step, move.Code, move.Reason); err != nil {
		return err
	}
	if move.SendOTP && o.Status == opaygate.StatusPending {
		return s.issueOTP(ctx, tx, o, code)
	}
	return nil
}

// advance moves a PENDING order from one step to the next, conditionally on the step it
// was read at, and records it on the timeline.
// The update also writes o.Months (a plan SelectPlan just chose rides with the step it ends),
// and a move that sends an OTP stores its hash in it (as issueOTP does alone).
func (s *OrderService) advance(ctx context.Context, tx *Tx, o *opaygate.Order, move opaygate.Move, code string) error {
	set, args := `step = ?, months = ?, updated_at = ?`, []any{move.Step, o.Months, ms(tx.now)}
	if move.SendOTP {
		set += `, otp_hash = ?, otp_attempts = 0, otp_resends = 0, otp_issued_at = ?`
		args = append(args, hashOTP(o.OrderNo, code), ms(tx.now))
	}
	err := tx.execOne(ctx, "advance order "+o.OrderNo+" to "+string(move.Step),
		`UPDATE orders SET `+set+` WHERE id = ? AND status = ? AND step = ?`,
		append(args, o.ID, opaygate.StatusPending, o.Step)...)
	if err != nil {
		return err
	}
	o.Step, o.UpdatedAt = move.Step, tx.now
	if move.SendOTP {
		o.OTPAttempts, o.OTPResends, o.OTPIssuedAt = 0, 0, tx.now
	}
	return s.recordEvent(ctx, tx, o.ID, o.Status, o.Status, o.Step, "", move.Note, tx.now)
}

// issueOTP stores the hash of a new OTP for o, with fresh attempt and resend counts.
func (s *OrderService) issueOTP(ctx context.Context, tx *Tx, o *opaygate.Order, code string) error {
	if err := tx.execLater(ctx, `UPDATE orders SET otp_hash = ?, otp_attempts = 0, otp_resends = 0, otp_issued_at = ?
		WHERE id = ?`, hashOTP(o.OrderNo, code), ms(tx.now), o.ID); err != nil {
		return fmt.Errorf("issue otp: %w", err)
	}
	o.OTPAttempts, o.OTPResends, o.OTPIssuedAt = 0, 0, tx.now
	return nil
}

// finish does what a committed move leaves to do outside the transaction: send the OTP it
// issued, and ask the acquirer when it put the order in flight.
func (s *OrderService) finish(ctx context.Context, o *opaygate.Order, move opaygate.Move, code string) (*opaygate.Order, error) {
	if move.SendOTP && o.Status == opaygate.StatusPending && o.Step == opaygate.StepOTP {
		s.sendOTP(ctx, o, code)
	}
	for _, n := range move.Notices {
		if s.deps.Notifier == nil {
			break
		}
		// After the commit, like OTPs: a retried transaction never sends twice. A failed
		// notice is logged; the order waits all the same.
		if err := s.deps.Notifier.Notify(ctx, o, n); err != nil {
			s.deps.Logger.Error("notice delivery failed", "orderNo", o.OrderNo, "channel", n.Channel, "err", err)
		}
	}
	return s.authorize(ctx, o)
}

// ReportExternal records what the network reports about a step the customer did outside the
// API; see opaygate.OrderService.
func (s *OrderService) ReportExternal(ctx context.Context, merchantID string, key opaygate.OrderKey, d opaygate.Decision) (*opaygate.Order, error) {
	var move opaygate.Move
	o, err := s.act(ctx, merchantID, key, func(tx *Tx, o *opaygate.Order) error {
		if o.Status != opaygate.StatusPending || o.Step != opaygate.StepExternal {
			return errOrderState("order is not waiting for a step outside the API (it is %s%s)", o.Status, stepSuffix(o.Step))
		}
		if !d.Approved {
			move = opaygate.Decline(d.Code, d.Reason)
			return s.apply(ctx, tx, o, move, "")
		}
		var err error
		move, err = s.next(ctx, tx, o, opaygate.StepExternal, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.finish(ctx, o, move, "")
}

// ExpireNow closes an open order as expired; see opaygate.OrderService.
func (s *OrderService) ExpireNow(ctx context.Context, merchantID string, key opaygate.OrderKey) (*opaygate.Order, error) {
	return s.onOrder(ctx, merchantID, key, false, func(tx *Tx, o *opaygate.Order) error {
		if o.Status.Final() {
			if o.FailureCode == opaygate.FailExpired {
				return nil // expired already: the same answer
			}
			return errOrderState("order is %s", o.Status)
		}
		return s.moveOrder(ctx, tx, o, opaygate.StatusClose, opaygate.StepNone, opaygate.FailExpired, "order expired")
	})
}

// stepSuffix names the step an order waits at, for an EORDERSTATE message.
func stepSuffix(step opaygate.Step) string {
	if step == opaygate.StepNone {
		return ""
	}
	return " at " + string(step)
}
