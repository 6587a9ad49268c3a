package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opaygate/opaygate"
)

// OrderService creates orders and moves them through the state machine.
type OrderService struct {
	db   *DB
	deps Deps
}

var _ opaygate.OrderService = (*OrderService)(nil)

const orderColumns = `id, order_no, merchant_id, reference, country, currency, amount, vat, pay_method,
	channel, status, step, failure_code, failure_reason, product_name, product_description,
	return_url, callback_url, cancel_url, user_id, user_name, user_email, user_mobile, token,
	invoice_id, invoice_no, valu_account, plans, months, card_bin, card_last4, otp_attempts,
	otp_resends, otp_issued_at, voided, refunded, expire_at, created_at, updated_at, products, method_data,
	display_name, visit_source, evoke_opay, client_ip, void_state`

func scanOrder(row interface{ Scan(...any) error }) (*opaygate.Order, error) {
	var o opaygate.Order
	var invoiceID sql.NullInt64
	var plans, products, methodData string
	var otpIssued, expire, created, updated int64
	if err := row.Scan(&o.ID, &o.OrderNo, &o.MerchantID, &o.Reference, &o.Country, &o.Currency,
		&o.Amount, &o.VAT, &o.PayMethod, &o.Channel, &o.Status, &o.Step, &o.FailureCode,
		&o.FailureReason, &o.ProductName, &o.ProductDescription, &o.ReturnURL, &o.CallbackURL,
		&o.CancelURL, &o.User.ID, &o.User.Name, &o.User.Email, &o.User.Mobile, &o.Token,
		&invoiceID, &o.InvoiceNo, &o.ValUAccount, &plans, &o.Months, &o.CardBIN, &o.CardLast4,
		&o.OTPAttempts, &o.OTPResends, &otpIssued, &o.Voided, &o.Refunded, &expire, &created,
		&updated, &products, &methodData, &o.DisplayName, &o.VisitSource, &o.EvokeOpay,
		&o.ClientIP, &o.VoidState); err != nil {
		return nil, err
	}
	o.InvoiceID = invoiceID.Int64
	if plans != "" {
		if err := json.Unmarshal([]byte(plans), &o.Plans); err != nil {
			return nil, fmt.Errorf("order %s plans: %w", o.OrderNo, err)
		}
	}
	if products != "" {
		if err := json.Unmarshal([]byte(products), &o.Products); err != nil {
			return nil, fmt.Errorf("order %s products: %w", o.OrderNo, err)
		}
	}
	if methodData != "" {
		if err := json.Unmarshal([]byte(methodData), &o.MethodData); err != nil {
			return nil, fmt.Errorf("order %s method data: %w", o.OrderNo, err)
		}
	}
	o.OTPIssuedAt, o.ExpireAt = fromMS(otpIssued), fromMS(expire)
	o.CreatedAt, o.UpdatedAt = fromMS(created), fromMS(updated)
	return &o, nil
}

// EncodePlans is how an order's offered plans are stored (orders.plans),
// for the benchmark's bulk loader, which writes rows without the services.
func EncodePlans(plans []opaygate.Plan) string { return encodeList(plans) }

// encodeMap writes a map column as JSON, and an empty map as the empty string.
func encodeMap(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// encodeList writes a list column as JSON, and an empty list as the empty string.
func encodeList[T any](list []T) string {
	if len(list) == 0 {
		return ""
	}
	b, _ := json.Marshal(list)
	return string(b)
}

func errOrderNotFound() error { return opaygate.Errorf(opaygate.ENOTFOUND, "payment not found.") }

// CreateOrder stores a new INITIAL order; see opaygate.OrderService. o.VAT is
// kept as given (the merchant's rate is applied by the caller, which has the
// merchant).
func (s *OrderService) CreateOrder(ctx context.Context, o *opaygate.Order) error {
	if o.PayMethod != "" {
		// A cashier order limited to one method (cashier/create's payMethod):
		// it stays INITIAL until the customer starts that method on the page.
		if _, err := s.method(o.PayMethod); err != nil {
			return err
		}
	}
	if err := s.prepareOrder(o, opaygate.ChannelWeb); err != nil {
		return err
	}
	expireAt := o.ExpireAt
	err := s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		// The transaction may run again (a retry, a re-run batch): start
		// each attempt from the order as it was before the first.
		o.Status, o.Step, o.FailureCode, o.FailureReason = opaygate.StatusInitial, opaygate.StepNone, "", ""
		stampNew(o, tx.now, expireAt)
		tx.shareCommit() // an insert of the order and its event, nothing else
		return s.insertNewOrder(ctx, tx, o)
	})
	return s.created(ctx, o, err)
}

// prepareOrder checks a new order's essentials and fills in its channel, a
// checkout token, and the INITIAL status. Its currency and times come when it
// is inserted (stampNew).
func (s *OrderService) prepareOrder(o *opaygate.Order, channel string) error {
	if o.MerchantID == "" || o.Reference == "" || o.Amount <= 0 || opaygate.CurrencyOf(o.Country) == "" {
		return opaygate.Invalid("merchant, reference, country and a positive amount are required")
	}
	if o.Channel == "" {
		o.Channel = channel
	}
	o.Status, o.Step = opaygate.StatusInitial, opaygate.StepNone
	o.Token = orderToken(s.deps.Clock.Now())
	return nil
}

// orderToken is a new order's checkout token: 32 hex digits, the first 12 the milliseconds of
// now and the other 20 random (80 bits, far beyond guessing at any rate a gateway answers).
// Tokens are unique-indexed; wholly random ones put every new order's index entry on a random
// page of that index, one more page for each commit to write (SQLite's WAL, PostgreSQL's
// full-page images after a checkpoint), where tokens in time order share the newest page as
// the other indexes of a new order do. Nothing reads the time back: a token stays opaque.
func orderToken(now time.Time) string {
	return fmt.Sprintf("%012x", uint64(now.UnixMilli())&(1<<48-1)) + randomHex(10)
}

// stampNew gives a new order the instant of the transaction that inserts it
// (opaygate.Order.Stamp). expireAt is the expiry the caller fixed, if any: a
// transaction run again starts from it, not from the first attempt's.
func stampNew(o *opaygate.Order, now, expireAt time.Time) {
	o.ExpireAt = expireAt
	o.Stamp(now)
}

// insertOrder writes a new order and the first event of its timeline. A reference the
// merchant already used answers EDUPLICATE with that order, at once, and the transaction goes
// on (an invoice draws its next reference).
func (s *OrderService) insertOrder(ctx context.Context, tx *Tx, o *opaygate.Order) error {
	q, args, err := s.orderInsert(ctx, tx, o)
	if err != nil {
		return err
	}
	res, err := tx.exec(ctx, q+` ON CONFLICT (`+orderReference.columns+`) DO NOTHING`, args...)
	if err != nil {
		return fmt.Errorf("insert order: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s.duplicateOrder(ctx, tx.queryRow, o)
	}
	return s.recordEvent(ctx, tx, o.ID, "", o.Status, o.Step, "", "", o.CreatedAt)
}

// errReferenceTaken fails the transaction of insertNewOrder when the merchant already used
// the order's reference; the caller answers with duplicateOrder, after the transaction.
var errReferenceTaken = errors.New("the merchant already used this reference")

// insertNewOrder is insertOrder for a create, whose transaction is lost when the reference is
// taken: the insert goes with the next round trip (tx.insertOne), so that on PostgreSQL a
// create is one round trip, and a taken reference fails the transaction with
// errReferenceTaken, which created turns into EDUPLICATE.
func (s *OrderService) insertNewOrder(ctx context.Context, tx *Tx, o *opaygate.Order) error {
	q, args, err := s.orderInsert(ctx, tx, o)
	if err != nil {
		return err
	}
	if err := tx.insertOne(ctx, "insert order", q, orderReference, errReferenceTaken, args...); err != nil {
		return err
	}
	return s.recordEvent(ctx, tx, o.ID, "", o.Status, o.Step, "", "", o.CreatedAt)
}

// created is what a create whose transaction returned err answers: EDUPLICATE with the
// merchant's order of that reference when insertNewOrder found it taken, err otherwise.
func (s *OrderService) created(ctx context.Context, o *opaygate.Order, err error) error {
	if !errors.Is(err, errReferenceTaken) {
		return err
	}
	return s.duplicateOrder(ctx, func(ctx context.Context, q string, args ...any) row {
		return s.db.readRow(ctx, q, args...)
	}, o)
}

// orderReference is the key that keeps a merchant's references unique.
var orderReference = uniqueKey{columns: "merchant_id, reference", name: "orders_merchant_id_reference_key"}

// orderInsert draws o's id and number and returns the INSERT of o.
func (s *OrderService) orderInsert(ctx context.Context, tx *Tx, o *opaygate.Order) (string, []any, error) {
	var err error
	if o.ID, o.OrderNo, err = tx.nextNumber(ctx, "orders", o.CreatedAt); err != nil {
		return "", nil, err
	}
	var invoiceID any
	if o.InvoiceID != 0 {
		invoiceID = o.InvoiceID
	}
	return `INSERT INTO orders (` + orderColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, []any{
			o.ID, o.OrderNo, o.MerchantID, o.Reference, o.Country, o.Currency, o.Amount, o.VAT, o.PayMethod,
			o.Channel, o.Status, o.Step, o.FailureCode, o.FailureReason, o.ProductName, o.ProductDescription,
			o.ReturnURL, o.CallbackURL, o.CancelURL, o.User.ID, o.User.Name, o.User.Email, o.User.Mobile, o.Token,
			invoiceID, o.InvoiceNo, o.ValUAccount, EncodePlans(o.Plans), o.Months, o.CardBIN, o.CardLast4,
			o.OTPAttempts, o.OTPResends, ms(o.OTPIssuedAt), o.Voided, o.Refunded, ms(o.ExpireAt),
			ms(o.CreatedAt), ms(o.UpdatedAt), encodeList(o.Products), encodeMap(o.MethodData),
			o.DisplayName, o.VisitSource, o.EvokeOpay, o.ClientIP, o.VoidState}, nil
}

// duplicateOrder is the EDUPLICATE of o's reference, with the merchant's order that has it,
// read through read (in the transaction, or after it).
func (s *OrderService) duplicateOrder(ctx context.Context, read func(context.Context, string, ...any) row, o *opaygate.Order) error {
	dup := opaygate.Order{MerchantID: o.MerchantID, Reference: o.Reference}
	var expire int64
	err := read(ctx, `SELECT order_no, status, step, expire_at FROM orders WHERE merchant_id = ? AND reference = ?`,
		o.MerchantID, o.Reference).Scan(&dup.OrderNo, &dup.Status, &dup.Step, &expire)
	if err != nil {
		return fmt.Errorf("find duplicate order: %w", err)
	}
	dup.ExpireAt = fromMS(expire)
	dup.ApplyExpiry(o.CreatedAt)
	return &opaygate.Error{Code: opaygate.EDUPLICATE,
		Message:  "the payment reference(merchant order number) already exists.",
		Existing: &opaygate.Existing{Reference: o.Reference, No: dup.OrderNo, Status: string(dup.Status)}}
}

func (s *OrderService) recordEvent(ctx context.Context, tx *Tx, orderID int64, from, to opaygate.OrderStatus, step opaygate.Step, code, reason string, at time.Time) error {
	err := tx.execLater(ctx, `INSERT INTO order_events (order_id, from_status, to_status, step, code, reason, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, orderID, from, to, step, code, reason, ms(at))
	if err != nil {
		return fmt.Errorf("record order event: %w", err)
	}
	return nil
}

// moveOrder is the one place an order changes status. In the same
// transaction it checks the state machine with a conditional update, records
// the timeline, marks a paid invoice, and writes the callback to the outbox.
func (s *OrderService) moveOrder(ctx context.Context, tx *Tx, o *opaygate.Order, to opaygate.OrderStatus, step opaygate.Step, code, reason string) error {
	now := tx.now
	from := o.Status
	if !opaygate.CanMove(from, to) {
		return opaygate.Errorf(opaygate.EORDERSTATE, "order is %s", from)
	}
	if to == opaygate.StatusSuccess && o.InvoiceID != 0 {
		// An invoice cancelled or past due while its customer was paying
		// must not be paid: the payment fails instead.
		res, err := tx.exec(ctx, `UPDATE invoices SET status = ?, paid_order_no = ?, updated_at = ?
			WHERE id = ? AND status = ? AND due_time > ?`,
			opaygate.InvoicePaid, o.OrderNo, ms(now), o.InvoiceID, opaygate.InvoiceUnpaid, ms(now))
		if err != nil {
			return fmt.Errorf("mark invoice paid: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			to, code, reason = opaygate.StatusFail, "INVOICE_NOT_PAYABLE", "invoice is no longer payable"
		}
	}
	if to.Final() {
		step = opaygate.StepNone
	}
	sources := opaygate.MovableFrom(to)
	args := []any{to, step, code, reason, to.Final(), ms(now), o.ID, o.Step}
	for _, st := range sources {
		args = append(args, st)
	}
	// The step read under the lock is part of the condition: an order in
	// flight moves only by the acquirer's answer (finishAuthorization).
	// Under the row lock a miss is unreachable; if one happens the
	// transaction rolls back rather than double-moving the order. The one
	// move made without the lock, finishAuthorized's, counts on it.
	err := tx.execOne(ctx, "move order "+o.OrderNo+" to "+string(to), `UPDATE orders SET status = ?, step = ?,
		failure_code = ?, failure_reason = ?, otp_hash = CASE WHEN ? THEN '' ELSE otp_hash END, updated_at = ?
		WHERE id = ? AND step = ? AND status IN (`+placeholders(len(sources))+`)`, args...)
	if err != nil {
		return err
	}
	o.Status, o.Step, o.FailureCode, o.FailureReason, o.UpdatedAt = to, step, code, reason, now
	if err := s.recordEvent(ctx, tx, o.ID, from, to, step, code, reason, now); err != nil {
		return err
	}
	if to == opaygate.StatusSuccess {
		if err := tx.paid(ctx, o, s.deps.SettlementDelay); err != nil {
			return err
		}
		if err := s.keepCard(ctx, tx, o, now); err != nil {
			return err
		}
	}
	if to.Final() {
		return s.enqueueCallback(ctx, tx, o, nil, now)
	}
	return nil
}

// placeholders returns "?, ?, …" for n parameters. The state machine has
// few distinct source lists, so the statements stay few and are rebound once.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// enqueueCallback writes the notification of o's current status to the
// outbox, addressed to the order's callbackUrl or the merchant's webhook, in
// the merchant's callback version of this moment (a v2 row gets its notifyId
// now, so every attempt carries the same one). r is the refund whose success
// it announces, nil for a change of the order.
func (s *OrderService) enqueueCallback(ctx context.Context, tx *Tx, o *opaygate.Order, r *opaygate.Refund, now time.Time) error {
	return s.enqueue(ctx, tx, o, r, false, now)
}

// enqueue writes o's notification; a refund's success names r, a void's completion says
// voided (both are sent as refunded). It goes to o's callbackUrl, else to its merchant's
// webhook, in the merchant's callback version; with neither URL there is none. The INSERT reads
// the merchant's row itself, so that it goes with the transaction's next round trip on
// PostgreSQL instead of costing one: a v2 notification's id is drawn for every notification and
// stored only for v2.
func (s *OrderService) enqueue(ctx context.Context, tx *Tx, o *opaygate.Order, r *opaygate.Refund, voided bool, now time.Time) error {
	var refundID sql.NullInt64
	var refundRef, refundNo string
	var refundAmount int64
	if r != nil {
		refundID = sql.NullInt64{Int64: r.ID, Valid: true}
		refundRef, refundNo, refundAmount = r.Reference, r.RefundNo, r.Amount
	}
	err := tx.execLater(ctx, `INSERT INTO callbacks (merchant_id, order_id, refund_id, target_url, status, refunded, amount,
		currency, reference, order_no, country, instrument_type, channel, failure_code, failure_reason, event_time,
		state, next_attempt_at, created_at, updated_at, version, notify_id, refund_reference, refund_order_no, refund_amount,
		voided)
		SELECT ?, ?, ?, COALESCE(NULLIF(?, ''), m.webhook_url), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?,
			COALESCE(NULLIF(m.callback_version, ''), ?), CASE WHEN m.callback_version = ? THEN ? ELSE '' END,
			?, ?, ?, ?
		FROM merchants m WHERE m.id = ? AND COALESCE(NULLIF(?, ''), m.webhook_url) <> ''`,
		o.MerchantID, o.ID, refundID, o.CallbackURL, o.Status, r != nil || voided, o.Amount, o.Currency, o.Reference,
		o.OrderNo, o.Country, o.PayMethod, o.Channel, o.FailureCode, o.FailureReason, ms(now), ms(now), ms(now), ms(now),
		opaygate.CallbackV1, opaygate.CallbackV2, randomHex(16),
		refundRef, refundNo, refundAmount, voided,
		o.MerchantID, o.CallbackURL)
	if err != nil {
		return fmt.Errorf("enqueue callback: %w", err)
	}
	tx.afterCommit(s.deps.OnCallback)
	return nil
}

// lockOrder reads the merchant's order for update inside tx.
func (s *OrderService) lockOrder(ctx context.Context, tx *Tx, merchantID string, key opaygate.OrderKey) (*opaygate.Order, error) {
	return s.lockOrderWith(ctx, tx, merchantID, key, "", nil)
}

// lockOrderWith is lockOrder that also reads cols (columns no Order field carries, such as the
// OTP's hash) into dest, in the same statement.
func (s *OrderService) lockOrderWith(ctx context.Context, tx *Tx, merchantID string, key opaygate.OrderKey,
	cols string, dest []any) (*opaygate.Order, error) {
	where, args, err := orderWhere(merchantID, key)
	if err != nil {
		return nil, err
	}
	sel := orderColumns
	if cols != "" {
		sel += ", " + cols
	}
	// The merchant is in the query too, so that another merchant's row is never locked (a
	// guessed orderNo must not hold up its owner), but in a form no index matches, so that the
	// plan still goes through the key's unique index (orderWhere).
	o, err := scanOrder(withColumns{tx.queryRow(ctx, `SELECT `+sel+` FROM orders WHERE `+where+
		` AND merchant_id || '' = ?`+s.db.forUpdate(), append(args, merchantID)...), dest})
	if errors.Is(err, sql.ErrNoRows) || err == nil && !key.Matches(merchantID, o) {
		return nil, errOrderNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("lock order: %w", err)
	}
	return o, nil
}

// withColumns is a row whose Scan also scans its last columns into more.
type withColumns struct {
	row
	more []any
}

func (r withColumns) Scan(dest ...any) error { return r.row.Scan(append(dest, r.more...)...) }

// orderWhere is the condition that finds the order key names, of merchantID when the key is a
// reference (references are unique per merchant). The merchant of an id or an orderNo is
// checked after the read (opaygate.OrderKey.Matches), or by a lock in a form no index matches
// (lockOrder), not as merchant_id = ?: with that in the query, a plan PostgreSQL cached while the table was small read each lookup through the
// (merchant_id, created_at) index, every order of the merchant, instead of the unique
// order_no, and each OTP or plan step grew with the merchant's orders (1 532 buffers per
// lookup at 3 000 orders; docs/BENCHMARKS.md).
func orderWhere(merchantID string, key opaygate.OrderKey) (string, []any, error) {
	switch {
	case key.ID != 0:
		return "id = ?", []any{key.ID}, nil
	case key.OrderNo != "":
		return "order_no = ?", []any{key.OrderNo}, nil
	case key.Reference != "":
		return "merchant_id = ? AND reference = ?", []any{merchantID, key.Reference}, nil
	}
	return "", nil, opaygate.Invalid("orderNo or reference is required")
}

// FindOrder returns the merchant's order, shown CLOSE if it has expired.
func (s *OrderService) FindOrder(ctx context.Context, merchantID string, key opaygate.OrderKey) (*opaygate.Order, error) {
	where, args, err := orderWhere(merchantID, key)
	if err != nil {
		return nil, err
	}
	o, err := s.findOrder(ctx, where, args...)
	if err != nil {
		return nil, err
	}
	if !key.Matches(merchantID, o) {
		return nil, errOrderNotFound()
	}
	return o, nil
}

// statusColumns are the columns FindOrderStatus reads, in scanOrderStatus's order.
const statusColumns = `id, order_no, merchant_id, reference, country, currency, amount, vat, pay_method,
	status, step, failure_code, failure_reason, voided, void_state, expire_at, created_at, updated_at`

// FindOrderStatus is FindOrder for a status query: the fields opaygate.OrderService names,
// 18 columns instead of 46 and no JSON to decode. A status read is the busiest query of
// all, and on SQLite the driver's cost grows with every column a row carries.
func (s *OrderService) FindOrderStatus(ctx context.Context, merchantID string, key opaygate.OrderKey) (*opaygate.Order, error) {
	where, args, err := orderWhere(merchantID, key)
	if err != nil {
		return nil, err
	}
	var o opaygate.Order
	var expire, created, updated int64
	err = s.db.readRow(ctx, `SELECT `+statusColumns+` FROM orders WHERE `+where, args...).Scan(&o.ID, &o.OrderNo, &o.MerchantID, &o.Reference, &o.Country,
		&o.Currency, &o.Amount, &o.VAT, &o.PayMethod, &o.Status, &o.Step, &o.FailureCode,
		&o.FailureReason, &o.Voided, &o.VoidState, &expire, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !key.Matches(merchantID, &o) {
		return nil, errOrderNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find order: %w", err)
	}
	o.ExpireAt, o.CreatedAt, o.UpdatedAt = fromMS(expire), fromMS(created), fromMS(updated)
	o.ApplyExpiry(s.deps.Clock.Now())
	return &o, nil
}

// FindOrderByToken returns the order behind a hosted checkout token.
func (s *OrderService) FindOrderByToken(ctx context.Context, token string) (*opaygate.Order, error) {
	if token == "" {
		return nil, errOrderNotFound()
	}
	return s.findOrder(ctx, "token = ?", token)
}

// WaitingOutside lists up to limit orders waiting at StepExternal that were created at or
// before before, oldest first: the sandbox's autopay does their customer's step.
func (s *OrderService) WaitingOutside(ctx context.Context, before time.Time, limit int) ([]*opaygate.Order, error) {
	rows, err := s.db.readRows(ctx, `SELECT `+orderColumns+` FROM orders
		WHERE status = ? AND step = ? AND created_at <= ? ORDER BY created_at, id LIMIT ?`,
		opaygate.StatusPending, opaygate.StepExternal, ms(before), limit)
	if err != nil {
		return nil, fmt.Errorf("find orders waiting outside: %w", err)
	}
	defer rows.Close()
	var out []*opaygate.Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("find orders waiting outside: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// FindOrderByNo returns an order by its orderNo; see opaygate.OrderService.
func (s *OrderService) FindOrderByNo(ctx context.Context, orderNo string) (*opaygate.Order, error) {
	if orderNo == "" {
		return nil, errOrderNotFound()
	}
	return s.findOrder(ctx, "order_no = ?", orderNo)
}

func (s *OrderService) findOrder(ctx context.Context, where string, args ...any) (*opaygate.Order, error) {
	o, err := scanOrder(s.db.readRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errOrderNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find order: %w", err)
	}
	o.ApplyExpiry(s.deps.Clock.Now())
	return o, nil
}

// ListOrders returns a page of orders matching f, newest first, and the total.
func (s *OrderService) ListOrders(ctx context.Context, f opaygate.OrderFilter) ([]*opaygate.Order, int, error) {
	now := ms(s.deps.Clock.Now())
	where := []string{"merchant_id = ?"}
	args := []any{f.MerchantID}
	switch f.Status {
	case "":
	// An order in flight is never shown expired (Order.Expired).
	case opaygate.StatusInitial, opaygate.StatusPending:
		where = append(where, "status = ? AND (expire_at > ? OR step = ?)")
		args = append(args, f.Status, now, opaygate.StepAuthorizing)
	case opaygate.StatusClose:
		where = append(where, "(status = ? OR (status IN ('INITIAL', 'PENDING') AND expire_at <= ? AND step <> ?))")
		args = append(args, f.Status, now, opaygate.StepAuthorizing)
	default:
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.PayMethod != "" {
		where, args = append(where, "pay_method = ?"), append(args, f.PayMethod)
	}
	if f.Search != "" {
		where, args = append(where, "(reference = ? OR order_no = ?)"), append(args, f.Search, f.Search)
	}
	if !f.From.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "created_at < ?"), append(args, ms(f.To))
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.read.QueryRowContext(ctx, s.db.rebind(`SELECT COUNT(*) FROM orders WHERE `+cond), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count orders: %w", err)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.read.QueryContext(ctx, s.db.rebind(`SELECT `+orderColumns+` FROM orders WHERE `+cond+
		` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`), append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("list orders: %w", err)
	}
	defer rows.Close()
	var list []*opaygate.Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list orders: %w", err)
		}
		o.ApplyExpiry(fromMS(now))
		list = append(list, o)
	}
	return list, total, rows.Err()
}

// OrderEvents returns an order's timeline, oldest first.
func (s *OrderService) OrderEvents(ctx context.Context, orderID int64) ([]*opaygate.OrderEvent, error) {
	rows, err := s.db.read.QueryContext(ctx, s.db.rebind(`SELECT order_id, from_status, to_status, step, code,
		reason, at FROM order_events WHERE order_id = ? ORDER BY id`), orderID)
	if err != nil {
		return nil, fmt.Errorf("order events: %w", err)
	}
	defer rows.Close()
	var list []*opaygate.OrderEvent
	for rows.Next() {
		var e opaygate.OrderEvent
		var at int64
		if err := rows.Scan(&e.OrderID, &e.From, &e.To, &e.Step, &e.Code, &e.Reason, &at); err != nil {
			return nil, fmt.Errorf("order events: %w", err)
		}
		e.At = fromMS(at)
		list = append(list, &e)
	}
	return list, rows.Err()
}

// VolumeByMethod sums SUCCESS orders by pay method and currency in the database.
func (s *OrderService) VolumeByMethod(ctx context.Context, merchantID string, from, to time.Time) ([]opaygate.MethodVolume, error) {
	rows, err := s.db.readRows(ctx, `SELECT pay_method, currency, COUNT(*), COALESCE(SUM(amount), 0)
		FROM orders WHERE merchant_id = ? AND status = 'SUCCESS' AND created_at >= ? AND created_at < ?
		GROUP BY pay_method, currency ORDER BY pay_method, currency`, merchantID, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("volume by method: %w", err)
	}
	defer rows.Close()
	var list []opaygate.MethodVolume
	for rows.Next() {
		var v opaygate.MethodVolume
		if err := rows.Scan(&v.PayMethod, &v.Currency, &v.Count, &v.Amount); err != nil {
			return nil, fmt.Errorf("volume by method: %w", err)
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

// DailyVolume sums SUCCESS orders by day and currency in the database, so a
// busy merchant's chart costs one indexed scan, not a page per 500 orders.
func (s *OrderService) DailyVolume(ctx context.Context, merchantID string, from, to time.Time) ([]opaygate.DayVolume, error) {
	const day = int64(24 * time.Hour / time.Millisecond)
	rows, err := s.db.readRows(ctx, `SELECT (created_at - ?) / ? AS d, currency, COUNT(*), COALESCE(SUM(amount), 0)
		FROM orders WHERE merchant_id = ? AND status = 'SUCCESS' AND created_at >= ? AND created_at < ?
		GROUP BY d, currency ORDER BY d, currency`, ms(from), day, merchantID, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("daily volume: %w", err)
	}
	defer rows.Close()
	var list []opaygate.DayVolume
	for rows.Next() {
		var v opaygate.DayVolume
		if err := rows.Scan(&v.Day, &v.Currency, &v.Count, &v.Amount); err != nil {
			return nil, fmt.Errorf("daily volume: %w", err)
		}
		list = append(list, v)
	}
	return list, rows.Err()
}
