package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opaygate/opaygate"
)

// LedgerService keeps the merchants' balances (METHODS.md §10.4); see
// opaygate.LedgerService and migration 021 for the design: entries are only
// ever inserted by the business transactions, a balance is its folded total
// plus its unfolded entries, and only payouts lock a balance row.
type LedgerService struct {
	db   *DB
	deps Deps
}

// entry is one ledger entry to insert.
type entry struct {
	merchant string
	currency string
	account  opaygate.Account
	delta    int64
	kind     opaygate.EntryKind
	ref      string
	settleAt time.Time // a payment's due settlement; zero otherwise
}

// addEntries inserts entries in one statement, sent with the transaction's next round trip
// (execLater). An entry made before (the same merchant, kind, ref and account) fails the
// transaction: money is never counted twice.
func (tx *Tx) addEntries(ctx context.Context, entries ...entry) error {
	if len(entries) == 0 {
		return nil
	}
	args := make([]any, 0, 8*len(entries))
	for _, e := range entries {
		args = append(args, e.merchant, e.currency, e.account, e.delta, e.kind, e.ref, ms(e.settleAt), ms(tx.now))
	}
	rows := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?), ", len(entries)), ", ")
	if err := tx.execLater(ctx, `INSERT INTO balance_entries (merchant_id, currency, account, delta, kind, ref,
		settle_at, created_at) VALUES `+rows, args...); err != nil {
		return fmt.Errorf("write ledger entries (%s %s): %w", entries[0].kind, entries[0].ref, err)
	}
	return nil
}

// settlement is the pair of entries that moves a payment's money from unsettled to cash.
func settlement(merchant, currency, orderNo string, amount int64) []entry {
	return []entry{
		{merchant, currency, opaygate.AccountUnsettled, -amount, opaygate.EntrySettlement, orderNo, time.Time{}},
		{merchant, currency, opaygate.AccountCash, amount, opaygate.EntrySettlement, orderNo, time.Time{}},
	}
}

// paid writes the entries of o's success: its amount into unsettled, and, when the
// settlement delay is zero (the sandbox), at once on into cash. The fee is 0 today.
func (tx *Tx) paid(ctx context.Context, o *opaygate.Order, delay time.Duration) error {
	pay := entry{o.MerchantID, o.Currency, opaygate.AccountUnsettled, o.Amount, opaygate.EntryPayment, o.OrderNo, time.Time{}}
	if delay > 0 {
		pay.settleAt = tx.now.Add(delay)
		return tx.addEntries(ctx, pay)
	}
	return tx.addEntries(ctx, append([]entry{pay}, settlement(o.MerchantID, o.Currency, o.OrderNo, o.Amount)...)...)
}

// reversed writes the entries of a completed void of o: out of unsettled when its payment has
// not settled yet (and then it never will), else out of cash.
func (tx *Tx) reversed(ctx context.Context, o *opaygate.Order, reversalNo string) error {
	res, err := tx.exec(ctx, `UPDATE balance_entries SET settle_at = 0
		WHERE merchant_id = ? AND kind = ? AND ref = ? AND account = ? AND settle_at > 0`,
		o.MerchantID, opaygate.EntryPayment, o.OrderNo, opaygate.AccountUnsettled)
	if err != nil {
		return fmt.Errorf("cancel settlement of %s: %w", o.OrderNo, err)
	}
	account := opaygate.AccountCash
	if n, _ := res.RowsAffected(); n > 0 {
		account = opaygate.AccountUnsettled
	}
	return tx.addEntries(ctx, entry{o.MerchantID, o.Currency, account, -o.Amount, opaygate.EntryVoid, reversalNo, time.Time{}})
}

// balanceQuery sums, in one statement and so in one snapshot, the stored totals and the
// unfolded entries of a merchant's accounts; where narrows both to one currency.
func balanceQuery(where string) string {
	return `SELECT currency, account, SUM(t) FROM (
		SELECT currency, account, total AS t FROM balances WHERE merchant_id = ?` + where + `
		UNION ALL
		SELECT currency, account, delta AS t FROM balance_entries WHERE merchant_id = ?` + where + ` AND NOT folded
	) x GROUP BY currency, account ORDER BY currency, account`
}

// Balance returns a merchant's accounts in currency; see opaygate.LedgerService.
func (s *LedgerService) Balance(ctx context.Context, merchantID, currency string) (opaygate.Balance, error) {
	list, err := s.balances(ctx, merchantID, currency)
	if err != nil || len(list) == 0 {
		return opaygate.Balance{MerchantID: merchantID, Currency: currency}, err
	}
	return list[0], nil
}

// Balances returns a merchant's accounts in every currency it has entries in.
func (s *LedgerService) Balances(ctx context.Context, merchantID string) ([]opaygate.Balance, error) {
	return s.balances(ctx, merchantID, "")
}

func (s *LedgerService) balances(ctx context.Context, merchantID, currency string) ([]opaygate.Balance, error) {
	q, args := balanceQuery(""), []any{merchantID, merchantID}
	if currency != "" {
		q, args = balanceQuery(" AND currency = ?"), []any{merchantID, currency, merchantID, currency}
	}
	rows, err := s.db.readRows(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read balance: %w", err)
	}
	defer rows.Close()
	var list []opaygate.Balance
	for rows.Next() {
		var cur string
		var account opaygate.Account
		var total int64
		if err := rows.Scan(&cur, &account, &total); err != nil {
			return nil, fmt.Errorf("read balance: %w", err)
		}
		if len(list) == 0 || list[len(list)-1].Currency != cur {
			list = append(list, opaygate.Balance{MerchantID: merchantID, Currency: cur})
		}
		b := &list[len(list)-1]
		if account == opaygate.AccountCash {
			b.Cash = total
		} else {
			b.Unsettled = total
		}
	}
	return list, rows.Err()
}

// cash locks a merchant's CASH_ACCOUNT in currency for the rest of tx and returns it. The row
// lock comes first and the sum after it, in a statement of its own: on PostgreSQL a statement
// sees what committed before it began, so the sum includes every entry of the payout that
// held the lock before this one.
func (tx *Tx) cash(ctx context.Context, merchantID, currency string) (int64, error) {
	if _, err := tx.exec(ctx, `INSERT INTO balances (merchant_id, currency, account, total, updated_at)
		VALUES (?, ?, ?, 0, ?) ON CONFLICT (merchant_id, currency, account) DO NOTHING`,
		merchantID, currency, opaygate.AccountCash, ms(tx.now)); err != nil {
		return 0, fmt.Errorf("open cash account: %w", err)
	}
	var total int64
	if err := tx.queryRow(ctx, `SELECT total FROM balances WHERE merchant_id = ? AND currency = ? AND account = ?`+
		tx.db.forUpdate(), merchantID, currency, opaygate.AccountCash).Scan(&total); err != nil {
		return 0, fmt.Errorf("lock cash account: %w", err)
	}
	var unfolded int64
	if err := tx.queryRow(ctx, `SELECT COALESCE(SUM(delta), 0) FROM balance_entries
		WHERE merchant_id = ? AND currency = ? AND account = ? AND NOT folded`,
		merchantID, currency, opaygate.AccountCash).Scan(&unfolded); err != nil {
		return 0, fmt.Errorf("sum cash account: %w", err)
	}
	return total + unfolded, nil
}

// Entries returns a merchant's latest entries, newest first.
func (s *LedgerService) Entries(ctx context.Context, merchantID, currency string, limit int) ([]*opaygate.LedgerEntry, error) {
	q, args := `SELECT id, merchant_id, currency, account, delta, kind, ref, created_at FROM balance_entries
		WHERE merchant_id = ?`, []any{merchantID}
	if currency != "" {
		q, args = q+` AND currency = ?`, append(args, currency)
	}
	rows, err := s.db.readRows(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list ledger entries: %w", err)
	}
	defer rows.Close()
	var list []*opaygate.LedgerEntry
	for rows.Next() {
		var e opaygate.LedgerEntry
		var created int64
		if err := rows.Scan(&e.ID, &e.MerchantID, &e.Currency, &e.Account, &e.Delta, &e.Kind, &e.Ref, &created); err != nil {
			return nil, fmt.Errorf("list ledger entries: %w", err)
		}
		e.CreatedAt = fromMS(created)
		list = append(list, &e)
	}
	return list, rows.Err()
}

func (s *LedgerService) checkMoney(merchantID, currency string, amount int64) error {
	switch {
	case merchantID == "":
		return opaygate.Invalid("merchantId is required")
	case !opaygate.KnownCurrency(currency):
		return opaygate.Invalid("currency %q is not the currency of a supported country", currency)
	case amount <= 0 || amount > opaygate.MaxAmount:
		// The bound keeps every sum of a balance far from int64's limit.
		return opaygate.Invalid("amount must be a positive number of minor units, at most %d", opaygate.MaxAmount)
	}
	return nil
}

// Credit adds amount to a merchant's cash; see opaygate.LedgerService.
func (s *LedgerService) Credit(ctx context.Context, merchantID, currency string, amount int64, ref string) (opaygate.Balance, error) {
	if err := s.checkMoney(merchantID, currency, amount); err != nil {
		return opaygate.Balance{}, err
	}
	if ref == "" {
		ref = randomHex(8)
	}
	err := s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		if err := s.merchantExists(ctx, tx, merchantID); err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM balance_entries WHERE merchant_id = ? AND kind = ? AND ref = ?`,
			merchantID, opaygate.EntryCredit, ref).Scan(&n); err != nil {
			return fmt.Errorf("find credit: %w", err)
		} else if n > 0 {
			return opaygate.Errorf(opaygate.EDUPLICATE, "credit %s was made before", ref)
		}
		return tx.addEntries(ctx, entry{merchantID, currency, opaygate.AccountCash, amount, opaygate.EntryCredit, ref, time.Time{}})
	})
	if err != nil {
		return opaygate.Balance{}, err
	}
	return s.Balance(ctx, merchantID, currency)
}

func (s *LedgerService) merchantExists(ctx context.Context, tx *Tx, merchantID string) error {
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM merchants WHERE id = ?`, merchantID).Scan(&n); err != nil {
		return fmt.Errorf("find merchant: %w", err)
	}
	if n == 0 {
		return opaygate.Errorf(opaygate.ENOTFOUND, "merchant %s not found", merchantID)
	}
	return nil
}

// Open gives a merchant its starting cash unless it has it; see opaygate.LedgerService.
func (s *LedgerService) Open(ctx context.Context, merchantID, currency string, amount int64) error {
	if err := s.checkMoney(merchantID, currency, amount); err != nil {
		return err
	}
	return s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO balance_entries (merchant_id, currency, account, delta, kind, ref, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (merchant_id, kind, ref, account) DO NOTHING`,
			merchantID, currency, opaygate.AccountCash, amount, opaygate.EntryOpening, currency, ms(tx.now))
		if err != nil {
			return fmt.Errorf("open balance: %w", err)
		}
		return nil
	})
}

// Settle moves due payments from unsettled to cash; see opaygate.LedgerService. Payments
// another node is settling are skipped, never waited for or settled twice.
func (s *LedgerService) Settle(ctx context.Context, limit int) (int, error) {
	var n int
	err := s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		n = 0
		type due struct {
			id                      int64
			merchant, currency, ref string
			amount                  int64
		}
		rows, err := tx.query(ctx, `SELECT id, merchant_id, currency, ref, delta FROM balance_entries
			WHERE settle_at > 0 AND settle_at <= ? ORDER BY settle_at, id LIMIT ?`+tx.db.skipLocked(), ms(tx.now), limit)
		if err != nil {
			return fmt.Errorf("find due settlements: %w", err)
		}
		var list []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.id, &d.merchant, &d.currency, &d.ref, &d.amount); err != nil {
				rows.Close()
				return fmt.Errorf("find due settlements: %w", err)
			}
			list = append(list, d)
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("find due settlements: %w", err)
		}
		for _, d := range list {
			res, err := tx.exec(ctx, `UPDATE balance_entries SET settle_at = 0 WHERE id = ? AND settle_at > 0`, d.id)
			if err != nil {
				return fmt.Errorf("settle %s: %w", d.ref, err)
			}
			if k, _ := res.RowsAffected(); k == 0 {
				continue // voided meanwhile
			}
			if err := tx.addEntries(ctx, settlement(d.merchant, d.currency, d.ref, d.amount)...); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// Fold adds unfolded entries into the stored balances; see opaygate.LedgerService. The
// entries are taken in id order and locked (skipping those another node folds), and the
// balance rows they touch are updated in key order, so two folding nodes cannot deadlock.
func (s *LedgerService) Fold(ctx context.Context, limit int) (int, error) {
	var n int
	err := s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		n = 0
		rows, err := tx.query(ctx, `SELECT id, merchant_id, currency, account, delta FROM balance_entries
			WHERE NOT folded ORDER BY id LIMIT ?`+tx.db.skipLocked(), limit)
		if err != nil {
			return fmt.Errorf("find unfolded entries: %w", err)
		}
		type key struct {
			merchant, currency string
			account            opaygate.Account
		}
		sums := map[key]int64{}
		var ids []any
		for rows.Next() {
			var id, delta int64
			var k key
			if err := rows.Scan(&id, &k.merchant, &k.currency, &k.account, &delta); err != nil {
				rows.Close()
				return fmt.Errorf("find unfolded entries: %w", err)
			}
			sums[k] += delta
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("find unfolded entries: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		for chunk := range slices.Chunk(ids, 500) {
			if _, err := tx.exec(ctx, `UPDATE balance_entries SET folded = ? WHERE id IN (`+placeholders(len(chunk))+`)`,
				append([]any{true}, chunk...)...); err != nil {
				return fmt.Errorf("fold entries: %w", err)
			}
		}
		keys := make([]key, 0, len(sums))
		for k := range sums {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b key) int {
			return cmp.Or(cmp.Compare(a.merchant, b.merchant), cmp.Compare(a.currency, b.currency),
				cmp.Compare(a.account, b.account))
		})
		for _, k := range keys {
			if _, err := tx.exec(ctx, `INSERT INTO balances (merchant_id, currency, account, total, updated_at)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (merchant_id, currency, account)
				DO UPDATE SET total = balances.total + excluded.total, updated_at = excluded.updated_at`,
				k.merchant, k.currency, k.account, sums[k], ms(tx.now)); err != nil {
				return fmt.Errorf("fold into balance: %w", err)
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// Verify recomputes every balance from its entries and checks every record against its
// entries; see opaygate.LedgerService. It reads one snapshot of the database (a repeatable-read
// transaction on PostgreSQL, a read transaction on SQLite), so payments committing meanwhile
// cannot show as differences.
func (s *LedgerService) Verify(ctx context.Context) (*opaygate.LedgerReport, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.db.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	rtx, err := s.db.read.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("begin ledger check: %w", err)
	}
	defer rtx.Rollback()
	v := &verifier{ctx: ctx, tx: rtx, db: s.db, report: &opaygate.LedgerReport{}}
	v.accounts()
	for _, c := range recordChecks {
		v.records(c)
	}
	if v.err != nil {
		return nil, v.err
	}
	r := v.report
	slices.SortStableFunc(r.Differences, func(a, b opaygate.LedgerDifference) int {
		return cmp.Or(cmp.Compare(a.MerchantID, b.MerchantID), cmp.Compare(a.Currency, b.Currency))
	})
	return r, nil
}

type verifier struct {
	ctx    context.Context
	tx     *sql.Tx
	db     *DB
	report *opaygate.LedgerReport
	err    error
}

func (v *verifier) query(q string, args ...any) *sql.Rows {
	if v.err != nil {
		return nil
	}
	rows, err := v.tx.QueryContext(v.ctx, v.db.rebind(q), args...)
	if err != nil {
		v.err = fmt.Errorf("check ledger: %w", err)
		return nil
	}
	return rows
}

func (v *verifier) done(rows *sql.Rows) {
	if err := rows.Err(); err != nil && v.err == nil {
		v.err = fmt.Errorf("check ledger: %w", err)
	}
	rows.Close()
}

// accounts compares each stored balance with the sum of the entries folded into it.
func (v *verifier) accounts() {
	type key struct {
		merchant, currency string
		account            opaygate.Account
	}
	type sums struct{ all, folded, stored int64 }
	found := map[key]*sums{}
	rows := v.query(`SELECT merchant_id, currency, account, COUNT(*), SUM(delta),
		SUM(CASE WHEN folded THEN delta ELSE 0 END) FROM balance_entries GROUP BY merchant_id, currency, account`)
	if rows == nil {
		return
	}
	for rows.Next() {
		var k key
		var n int
		var s sums
		if err := rows.Scan(&k.merchant, &k.currency, &k.account, &n, &s.all, &s.folded); err != nil {
			v.err = fmt.Errorf("check ledger: %w", err)
			break
		}
		v.report.Entries += n
		found[k] = &s
	}
	v.done(rows)
	if rows = v.query(`SELECT merchant_id, currency, account, total FROM balances`); rows == nil {
		return
	}
	for rows.Next() {
		var k key
		var total int64
		if err := rows.Scan(&k.merchant, &k.currency, &k.account, &total); err != nil {
			v.err = fmt.Errorf("check ledger: %w", err)
			break
		}
		if found[k] == nil {
			found[k] = &sums{}
		}
		found[k].stored = total
	}
	v.done(rows)
	for k, s := range found {
		v.report.Accounts++
		if s.stored != s.folded {
			v.report.Differences = append(v.report.Differences, opaygate.LedgerDifference{
				MerchantID: k.merchant, Currency: k.currency, Account: k.account,
				Stored: s.stored + s.all - s.folded, Entries: s.all,
				Problem: fmt.Sprintf("the stored total is %d but its folded entries add up to %d", s.stored, s.folded),
			})
		}
	}
}

// A recordCheck finds the records whose entry is missing or wrong (each row: merchant,
// currency, the record's name, the amount it should have, the amount its entries have) and
// counts the records it checked.
type recordCheck struct {
	what  string // "payment", "refund", …: the record, for the problem's wording
	count string // SELECT COUNT(*) of the records checked
	bad   string // the records whose entries are wrong, and the entries without a record
}

var recordChecks = []recordCheck{{
	what:  "payment",
	count: `SELECT COUNT(*) FROM orders WHERE status = 'SUCCESS'`,
	bad: `SELECT o.merchant_id, o.currency, o.order_no, o.amount, COALESCE(e.delta, 0) FROM orders o
		LEFT JOIN balance_entries e ON e.merchant_id = o.merchant_id AND e.kind = 'payment' AND e.ref = o.order_no
			AND e.account = 'UNSETTLED_ACCOUNT'
		WHERE o.status = 'SUCCESS' AND (e.id IS NULL OR e.delta <> o.amount)
		UNION ALL
		SELECT e.merchant_id, e.currency, e.ref, 0, e.delta FROM balance_entries e
		WHERE e.kind = 'payment' AND NOT EXISTS (SELECT 1 FROM orders o
			WHERE o.merchant_id = e.merchant_id AND o.order_no = e.ref AND o.status = 'SUCCESS')`,
}, {
	what:  "settlement",
	count: `SELECT COUNT(DISTINCT ref) FROM balance_entries WHERE kind = 'settlement'`,
	// A settlement moves what was paid: out of unsettled exactly what goes into cash, and
	// never more than the payment. A settled payment without a settlement was voided first.
	bad: `SELECT e.merchant_id, e.currency, e.ref, -SUM(CASE WHEN e.account = 'CASH_ACCOUNT' THEN e.delta ELSE 0 END),
			SUM(CASE WHEN e.account = 'UNSETTLED_ACCOUNT' THEN e.delta ELSE 0 END)
		FROM balance_entries e WHERE e.kind = 'settlement' GROUP BY e.merchant_id, e.currency, e.ref
		HAVING SUM(e.delta) <> 0 OR -SUM(CASE WHEN e.account = 'UNSETTLED_ACCOUNT' THEN e.delta ELSE 0 END) <>
			(SELECT COALESCE(SUM(p.delta), 0) FROM balance_entries p WHERE p.merchant_id = e.merchant_id
				AND p.kind = 'payment' AND p.ref = e.ref)
		UNION ALL
		SELECT p.merchant_id, p.currency, p.ref, p.delta, 0 FROM balance_entries p
		WHERE p.kind = 'payment' AND p.settle_at = 0
			AND NOT EXISTS (SELECT 1 FROM balance_entries s WHERE s.merchant_id = p.merchant_id
				AND s.kind = 'settlement' AND s.ref = p.ref)
			AND NOT EXISTS (SELECT 1 FROM voids x JOIN balance_entries ve ON ve.merchant_id = x.merchant_id
				AND ve.kind = 'void' AND ve.ref = x.reversal_no AND ve.account = 'UNSETTLED_ACCOUNT'
				WHERE x.merchant_id = p.merchant_id AND x.order_no = p.ref)`,
}, {
	what:  "refund",
	count: `SELECT COUNT(*) FROM refunds WHERE status <> 'FAIL'`,
	bad: `SELECT r.merchant_id, r.currency, r.refund_no, -r.amount, COALESCE(e.delta, 0) FROM refunds r
		LEFT JOIN balance_entries e ON e.merchant_id = r.merchant_id AND e.kind = 'refund' AND e.ref = r.refund_no
		WHERE r.status <> 'FAIL' AND (e.id IS NULL OR e.delta <> -r.amount)
		UNION ALL
		SELECT e.merchant_id, e.currency, e.ref, 0, e.delta FROM balance_entries e
		WHERE e.kind = 'refund' AND NOT EXISTS (SELECT 1 FROM refunds r
			WHERE r.merchant_id = e.merchant_id AND r.refund_no = e.ref AND r.status <> 'FAIL')`,
}, {
	what:  "void",
	count: `SELECT COUNT(*) FROM voids WHERE status = 'SUCCESS'`,
	bad: `SELECT x.merchant_id, x.currency, x.reversal_no, -x.amount, COALESCE(e.delta, 0) FROM voids x
		LEFT JOIN balance_entries e ON e.merchant_id = x.merchant_id AND e.kind = 'void' AND e.ref = x.reversal_no
		WHERE x.status = 'SUCCESS' AND (e.id IS NULL OR e.delta <> -x.amount)
		UNION ALL
		SELECT e.merchant_id, e.currency, e.ref, 0, e.delta FROM balance_entries e
		WHERE e.kind = 'void' AND NOT EXISTS (SELECT 1 FROM voids x
			WHERE x.merchant_id = e.merchant_id AND x.reversal_no = e.ref AND x.status = 'SUCCESS')`,
}, {
	what:  "payout",
	count: `SELECT COUNT(*) FROM payouts`,
	bad: `SELECT p.merchant_id, p.currency, p.order_no, -(p.amount + p.fee), COALESCE(e.delta, 0) FROM payouts p
		LEFT JOIN balance_entries e ON e.merchant_id = p.merchant_id AND e.kind = 'payout' AND e.ref = p.order_no
		WHERE e.id IS NULL OR e.delta <> -(p.amount + p.fee)
		UNION ALL
		SELECT e.merchant_id, e.currency, e.ref, 0, e.delta FROM balance_entries e
		WHERE e.kind = 'payout' AND NOT EXISTS (SELECT 1 FROM payouts p
			WHERE p.merchant_id = e.merchant_id AND p.order_no = e.ref)`,
}, {
	what:  "failed payout",
	count: `SELECT COUNT(*) FROM payouts WHERE status = 'FAIL'`,
	bad: `SELECT p.merchant_id, p.currency, p.order_no, p.amount + p.fee, COALESCE(e.delta, 0) FROM payouts p
		LEFT JOIN balance_entries e ON e.merchant_id = p.merchant_id AND e.kind = 'payout_fail' AND e.ref = p.order_no
		WHERE p.status = 'FAIL' AND (e.id IS NULL OR e.delta <> p.amount + p.fee)
		UNION ALL
		SELECT e.merchant_id, e.currency, e.ref, 0, e.delta FROM balance_entries e
		WHERE e.kind = 'payout_fail' AND NOT EXISTS (SELECT 1 FROM payouts p
			WHERE p.merchant_id = e.merchant_id AND p.order_no = e.ref AND p.status = 'FAIL')`,
}}

func (v *verifier) records(c recordCheck) {
	if v.err != nil {
		return
	}
	var n int
	if err := v.tx.QueryRowContext(v.ctx, c.count).Scan(&n); err != nil {
		v.err = fmt.Errorf("check ledger: count %ss: %w", c.what, err)
		return
	}
	v.report.Records += n
	rows := v.query(c.bad)
	if rows == nil {
		return
	}
	for rows.Next() {
		var d opaygate.LedgerDifference
		var ref string
		if err := rows.Scan(&d.MerchantID, &d.Currency, &ref, &d.Stored, &d.Entries); err != nil {
			v.err = fmt.Errorf("check ledger: %w", err)
			break
		}
		d.Problem = fmt.Sprintf("%s %s should move %d but its entries move %d", c.what, ref, d.Stored, d.Entries)
		v.report.Differences = append(v.report.Differences, d)
	}
	v.done(rows)
}
