// Package bulkload writes a merchant's synthetic history straight into the
// gateway's tables, for the benchmark's growth runs (`opaygate bench
// --growth`), which need a million orders in under a minute rather than hours
// of API calls.
//
// It is a benchmark tool, not part of the gateway: it bypasses the services
// and their state machine, so nothing but bench may import it. It takes from
// sqlstore only the database handle and the encodings of stored JSON, and must
// not import server or cmd.
package bulkload

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/sqlstore"
)

// Load describes a merchant's synthetic history: for every index i in
// [From, To) one order with reference Reference(Prefix, i) and one
// invoice, with the timelines of their orders. Rows go straight into the
// tables, many per statement and thousands per transaction (COPY on
// PostgreSQL), so that benchmarks start from a million orders in under a
// minute instead of hours of API calls. Numbers come from the same sequences
// as the services use, so later orders and invoices never collide with them.
//
// The history is shaped like a live merchant's: orders spread over the 90
// days before Now, all final (about 80 % SUCCESS, the rest FAIL or CLOSE
// with the codes the gateway gives), a mix of ValU (with its plans), card and
// hosted-checkout orders; invoices Paid (by the order of the same index),
// Unpaid, past due or Cancelled, with product snapshots and service fees.
type Load struct {
	MerchantID string
	Prefix     string // of the order references; loading an index twice fails on the reference
	From, To   int
	Now        time.Time // zero: the wall clock
	Batch      int       // orders per transaction; 0: 10 000
}

// Reference is the reference of the order of index i.
func Reference(prefix string, i int) string {
	return prefix + fmt.Sprintf("%09d", i)
}

// bulkHistory is how far back bulk orders were created.
const bulkHistory = 90 * 24 * time.Hour

// Run writes the rows l describes into db; see Load.
func Run(ctx context.Context, db *sqlstore.DB, l Load) error {
	if l.MerchantID == "" || l.From < 0 || l.To < l.From {
		return fmt.Errorf("bulk load: a merchant and 0 ≤ from ≤ to are required")
	}
	if l.Now.IsZero() {
		l.Now = time.Now().UTC()
	}
	if l.Batch <= 0 {
		l.Batch = 10_000
	}
	h := fnv.New64a()
	h.Write([]byte(l.MerchantID + "\x00" + l.Prefix))
	seed := h.Sum64()
	for from := l.From; from < l.To; from += l.Batch {
		n := min(l.Batch, l.To-from)
		var err error
		if db.Dialect() == sqlstore.Postgres {
			err = bulkPostgres(ctx, db.WritePool(), l, seed, from, n)
		} else {
			err = bulkSQLite(ctx, db.WritePool(), l, seed, from, n)
		}
		if err != nil {
			return fmt.Errorf("bulk load %d–%d: %w", from, from+n, err)
		}
	}
	return finish(ctx, db)
}

// bulkFinish leaves the database as a long-running gateway would have it:
// SQLite's write-ahead log folded into the file, PostgreSQL's statistics
// up to date (autovacuum would get there, only later).
func finish(ctx context.Context, db *sqlstore.DB) error {
	var err error
	if db.Dialect() == sqlstore.Postgres {
		_, err = db.WritePool().ExecContext(ctx, `ANALYZE orders, invoices, order_events`)
	} else {
		_, err = db.WritePool().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	}
	if err != nil {
		return fmt.Errorf("bulk load: finish: %w", err)
	}
	return nil
}

// OrderCount returns how many orders the database holds, all merchants.
func OrderCount(ctx context.Context, db *sqlstore.DB) (int64, error) {
	var n int64
	if err := db.WritePool().QueryRowContext(ctx, `SELECT COUNT(*) FROM orders`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count orders: %w", err)
	}
	return n, nil
}

// The columns bulk rows fill, named here rather than taken from sqlstore's
// column lists so that a migration adding a column with a default leaves the
// loader working.
var (
	bulkOrderColumns = []string{"id", "order_no", "merchant_id", "reference", "country", "currency",
		"amount", "vat", "pay_method", "channel", "status", "step", "failure_code", "failure_reason",
		"product_name", "product_description", "return_url", "callback_url", "cancel_url", "user_id",
		"user_name", "user_email", "user_mobile", "token", "invoice_id", "invoice_no", "valu_account",
		"plans", "months", "card_bin", "card_last4", "voided", "refunded", "expire_at", "created_at",
		"updated_at"}
	bulkInvoiceColumns = []string{"id", "invoice_no", "merchant_id", "status", "token", "name",
		"description", "due_time", "country", "currency", "amount", "service_fee", "lang",
		"notify_method", "relation_product", "customer_name", "customer_mobile", "customer_email",
		"products", "paid_order_no", "attempts", "created_at", "updated_at"}
	bulkEventColumns = []string{"order_id", "from_status", "to_status", "step", "code", "reason", "at"}
)

// bulkRows are the rows of one batch, in the columns above.
type bulkRows struct {
	orders, invoices, events [][]any
}

// bulkSQLite writes one batch in one transaction with multi-row INSERTs, on
// the write pool's one connection: the gateway's writers wait for it
// meanwhile, as they would for any other writer.
func bulkSQLite(ctx context.Context, pool *sql.DB, l Load, seed uint64, from, n int) error {
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	orderIDs, err := bulkIDs(ctx, tx, "orders", n)
	if err != nil {
		return err
	}
	invoiceIDs, err := bulkIDs(ctx, tx, "invoices", n)
	if err != nil {
		return err
	}
	rows := l.rows(seed, from, orderIDs, invoiceIDs)
	// Invoices first: paying orders refer to them.
	for _, t := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"invoices", bulkInvoiceColumns, rows.invoices},
		{"orders", bulkOrderColumns, rows.orders},
		{"order_events", bulkEventColumns, rows.events},
	} {
		if err := insertMany(ctx, tx, t.table, t.cols, t.rows); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// bulkIDs reserves n consecutive values of a SQLite counter.
func bulkIDs(ctx context.Context, tx *sql.Tx, name string, n int) ([]int64, error) {
	var last int64
	if err := tx.QueryRowContext(ctx, `UPDATE sequences SET value = value + ? WHERE name = ? RETURNING value`,
		n, name).Scan(&last); err != nil {
		return nil, fmt.Errorf("reserve %s ids: %w", name, err)
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = last - int64(n) + 1 + int64(i)
	}
	return ids, nil
}

// insertMany inserts rows with as many rows per statement as SQLite's limit
// of 32 766 bound parameters allows (at most 500).
func insertMany(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any) error {
	per := min(500, 32_000/len(cols))
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	prefix := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	var stmt *stmtCache
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		q := prefix + strings.TrimSuffix(strings.Repeat(row+", ", len(chunk)), ", ")
		s, err := stmt.get(ctx, tx, q, len(chunk))
		if err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
		stmt = s
		args := make([]any, 0, len(chunk)*len(cols))
		for _, r := range chunk {
			args = append(args, r...)
		}
		if _, err := s.stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
	}
	return stmt.close()
}

// stmtCache keeps the prepared statement of a full chunk, so a batch of
// thousands of rows prepares it once (the last, shorter chunk gets its own).
type stmtCache struct {
	stmt *sql.Stmt
	rows int
}

func (c *stmtCache) get(ctx context.Context, tx *sql.Tx, q string, rows int) (*stmtCache, error) {
	if c != nil && c.rows == rows {
		return c, nil
	}
	if err := c.close(); err != nil {
		return nil, err
	}
	s, err := tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return &stmtCache{stmt: s, rows: rows}, nil
}

func (c *stmtCache) close() error {
	if c == nil {
		return nil
	}
	return c.stmt.Close()
}

// bulkPostgres writes one batch in one transaction with COPY.
func bulkPostgres(ctx context.Context, pool *sql.DB, l Load, seed uint64, from, n int) error {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("not a pgx connection: %T", driverConn)
		}
		pg := c.Conn()
		tx, err := pg.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		orderIDs, err := pgSequence(ctx, tx, "orders_seq", n)
		if err != nil {
			return err
		}
		invoiceIDs, err := pgSequence(ctx, tx, "invoices_seq", n)
		if err != nil {
			return err
		}
		rows := l.rows(seed, from, orderIDs, invoiceIDs)
		for _, t := range []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"invoices", bulkInvoiceColumns, rows.invoices},
			{"orders", bulkOrderColumns, rows.orders},
			{"order_events", bulkEventColumns, rows.events},
		} {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.table}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
				return fmt.Errorf("copy %s: %w", t.table, err)
			}
		}
		return tx.Commit(ctx)
	})
}

// pgSequence draws n values of a sequence. They need not be consecutive:
// gateway nodes may be drawing from it at the same time.
func pgSequence(ctx context.Context, tx pgx.Tx, seq string, n int) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT nextval('`+seq+`') FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, fmt.Errorf("reserve %s: %w", seq, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("reserve %s: %w", seq, err)
	}
	return ids, nil
}

// bulkProducts is the catalog invoices take their snapshots from.
var bulkProducts = []opaygate.InvoiceProduct{
	{ProductNo: "1000000570", MerchantProductNo: "SKU-570", Name: "Product X",
		Image: "https://www.yourproduct.com/product1.png", Description: "Blue cotton t-shirt, size M",
		Price: 2000, Currency: "EGP"},
	{ProductNo: "1000000571", MerchantProductNo: "SKU-571", Name: "Product Y",
		Image: "https://www.yourproduct.com/product2.png", Description: "Leather wallet",
		Price: 4000, Currency: "EGP"},
	{ProductNo: "1000000572", MerchantProductNo: "SKU-572", Name: "Product Z",
		Image: "https://www.yourproduct.com/product3.png", Description: "Wireless earbuds with case",
		Price: 125000, Currency: "EGP"},
}

var bulkNames = []string{"Ahmed Hassan", "Mona Ali", "Omar Farouk", "Nour El-Din", "Sara Mahmoud",
	"Youssef Adel", "Laila Samir", "Karim Nabil"}

// rows generates the batch of indexes [from, from+len(orderIDs)). Each
// index draws from its own random stream, so the data does not depend on
// the batch size.
func (l Load) rows(seed uint64, from int, orderIDs, invoiceIDs []int64) bulkRows {
	n := len(orderIDs)
	out := bulkRows{
		orders:   make([][]any, 0, n),
		invoices: make([][]any, 0, n),
		events:   make([][]any, 0, 3*n),
	}
	plans := opaygate.DefaultPlanTable()
	now := l.Now.UTC()
	for k := range n {
		i := from + k
		r := mrand.New(mrand.NewPCG(seed, uint64(i)))
		created := now.Add(-bulkHistory + time.Duration(r.Int64N(int64(bulkHistory-time.Hour))))
		name := bulkNames[r.IntN(len(bulkNames))]
		mobile := "+2010" + fmt.Sprintf("%08d", r.IntN(100_000_000))
		email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com"

		// The invoice of index i; a Paid one was paid by order i.
		inv := invoiceRow{id: invoiceIDs[k], created: created}
		switch x := r.IntN(100); {
		case x < 40:
			inv.status = opaygate.InvoicePaid
		case x < 60:
			inv.status = opaygate.InvoiceUnpaid
		case x < 75:
			inv.status = opaygate.InvoiceUnpaid // past its due date: reads show Expired
		default:
			inv.status = opaygate.InvoiceCancelled
		}
		inv.due = created.Add(7 * 24 * time.Hour)
		if inv.status == opaygate.InvoiceUnpaid && inv.due.Before(now) && r.IntN(100) < 57 {
			inv.due = now.Add(7 * 24 * time.Hour) // still open
		}
		var items []opaygate.InvoiceProduct
		for _, p := range bulkProducts {
			if len(items) == 0 || r.IntN(2) == 0 {
				p.Quantity = int64(1 + r.IntN(3))
				items = append(items, p)
			}
		}
		inv.relation = r.IntN(2) == 0
		if inv.relation {
			for _, p := range items {
				inv.amount += p.Price * p.Quantity
			}
		} else {
			inv.amount = 1000 + r.Int64N(500_000)
		}
		if r.IntN(3) == 0 {
			inv.fee = opaygate.ServiceFee{RateBP: 250, FixedFee: 500}.Total(inv.amount)
		}

		// Order i.
		o := orderRow{id: orderIDs[k], created: created, amount: 1000 + r.Int64N(2_000_000)}
		o.no = created.Format("060102") + fmt.Sprintf("%012d", o.id%1_000_000_000_000)
		switch x := r.IntN(100); {
		case x < 45:
			o.method, o.channel = opaygate.PayMethodValU, opaygate.ChannelAPI
		case x < 75:
			o.method, o.channel = opaygate.PayMethodBankCard, opaygate.ChannelAPI
		default:
			o.channel = opaygate.ChannelWeb
		}
		switch x := r.IntN(100); {
		case x < 82:
			o.status = opaygate.StatusSuccess
		case x < 90:
			o.status = opaygate.StatusFail
		default:
			o.status = opaygate.StatusClose
		}
		if inv.status == opaygate.InvoicePaid {
			o.channel, o.status, o.amount = opaygate.ChannelWeb, opaygate.StatusSuccess, inv.amount+inv.fee
			if o.method == "" {
				o.method = opaygate.PayMethodBankCard
			}
			o.invoiceID, o.invoiceNo = inv.id, strconv.FormatInt(inv.id, 10)
			inv.paidOrderNo, inv.attempts = o.no, 1
		}
		first := opaygate.StatusInitial
		var months int
		var plansJSON, account, bin, last4 string
		switch o.method {
		case opaygate.PayMethodValU:
			first = opaygate.StatusPending
			account = "010" + fmt.Sprintf("%08d", r.IntN(100_000_000))
			plansJSON = sqlstore.EncodePlans(plans.Plans(o.amount, 20_000_000))
			if o.status != opaygate.StatusClose || r.IntN(2) == 0 {
				months = plans.Tenors[r.IntN(len(plans.Tenors))]
			}
		case opaygate.PayMethodBankCard:
			bin, last4 = []string{"512345", "400000", "545454"}[r.IntN(3)], fmt.Sprintf("%04d", r.IntN(10_000))
		}
		code, reason := "", ""
		switch o.status {
		case opaygate.StatusFail:
			switch {
			case o.method == opaygate.PayMethodValU && r.IntN(2) == 0:
				code, reason = opaygate.FailOTPAttempts, "too many wrong otp attempts"
			case r.IntN(2) == 0:
				code, reason = "51", "Insufficient funds"
			default:
				code, reason = "05", "Do not honour"
			}
		case opaygate.StatusClose:
			code, reason = opaygate.FailExpired, "order expired"
			if r.IntN(10) < 3 {
				code, reason = opaygate.FailClosed, "closed by merchant"
			}
		}
		done := created.Add(time.Duration(5+r.IntN(300)) * time.Second)
		if code == opaygate.FailExpired {
			done = created.Add(opaygate.DefaultExpireMinutes * time.Minute)
		}
		var userID, userName, userEmail, userMobile string
		if o.channel == opaygate.ChannelWeb {
			userID, userName, userEmail, userMobile = strconv.Itoa(100000+r.IntN(900000)), name, email, mobile
		}
		product := bulkProducts[r.IntN(len(bulkProducts))]
		out.orders = append(out.orders, []any{o.id, o.no, l.MerchantID, Reference(l.Prefix, i),
			"EG", "EGP", o.amount, int64(0), o.method, o.channel, string(o.status), "", code, reason,
			product.Name, product.Description, "https://merchant.example/return",
			"https://merchant.example/opay/callback", "https://merchant.example/cancel",
			userID, userName, userEmail, userMobile, randomHex(16), nullable(o.invoiceID), o.invoiceNo,
			account, plansJSON, int64(months), bin, last4, false, int64(0),
			ms(created.Add(opaygate.DefaultExpireMinutes * time.Minute)), ms(created), ms(done)})
		step := opaygate.StepNone
		if o.method == opaygate.PayMethodValU {
			step = opaygate.StepPlan
		}
		out.events = append(out.events, []any{o.id, "", string(first), string(step), "", "", ms(created)})
		from := first
		if months != 0 {
			out.events = append(out.events, []any{o.id, string(opaygate.StatusPending), string(opaygate.StatusPending),
				string(opaygate.StepOTP), "", fmt.Sprintf("%d months", months), ms(created.Add(time.Second))})
			from = opaygate.StatusPending
		}
		out.events = append(out.events, []any{o.id, string(from), string(o.status), "", code, reason, ms(done)})

		updated := created
		switch {
		case inv.status == opaygate.InvoicePaid:
			updated = done
		case inv.status == opaygate.InvoiceCancelled:
			updated = created.Add(time.Hour)
		}
		out.invoices = append(out.invoices, []any{inv.id, strconv.FormatInt(inv.id, 10), l.MerchantID,
			string(inv.status), randomHex(16), "Order for " + name, "Thank you for shopping with us",
			ms(inv.due), "EG", "EGP", inv.amount, inv.fee, "EN", "BOTH", inv.relation, name, mobile, email,
			sqlstore.EncodeProducts(items), inv.paidOrderNo, int64(inv.attempts), ms(created), ms(updated)})
	}
	return out
}

type orderRow struct {
	id              int64
	no              string
	amount          int64
	method, channel string
	status          opaygate.OrderStatus
	invoiceID       int64
	invoiceNo       string
	created         time.Time
}

type invoiceRow struct {
	id          int64
	status      opaygate.InvoiceStatus
	created     time.Time
	due         time.Time
	amount, fee int64
	relation    bool
	paidOrderNo string
	attempts    int
}

func nullable(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// randomHex returns n random bytes in hex, for checkout and invoice tokens.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
