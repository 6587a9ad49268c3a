package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/opaygate/opaygate"
)

// InvoiceService stores e-invoices and pays them through orders.
type InvoiceService struct {
	db     *DB
	deps   Deps
	orders *OrderService
}

var _ opaygate.InvoiceService = (*InvoiceService)(nil)

const invoiceColumns = `id, invoice_no, merchant_id, status, token, name, description, due_time, country,
	currency, amount, service_fee, lang, notify_method, relation_product, customer_name, customer_mobile,
	customer_email, products, paid_order_no, attempts, created_at, updated_at`

type productJSON struct {
	ProductNo         string `json:"productNo"`
	MerchantProductNo string `json:"merchantProductNo"`
	Name              string `json:"name"`
	Image             string `json:"image"`
	Description       string `json:"description"`
	Price             int64  `json:"price"`
	Currency          string `json:"currency"`
	Quantity          int64  `json:"quantity"`
}

func scanInvoice(row interface{ Scan(...any) error }) (*opaygate.Invoice, error) {
	var inv opaygate.Invoice
	var products string
	var due, created, updated int64
	if err := row.Scan(&inv.ID, &inv.InvoiceNo, &inv.MerchantID, &inv.Status, &inv.Token, &inv.Name,
		&inv.Description, &due, &inv.Country, &inv.Currency, &inv.Amount, &inv.ServiceFee, &inv.Lang,
		&inv.NotifyMethod, &inv.RelationProduct, &inv.Customer.Name, &inv.Customer.Mobile,
		&inv.Customer.Email, &products, &inv.PaidOrderNo, &inv.Attempts, &created, &updated); err != nil {
		return nil, err
	}
	var list []productJSON
	if err := json.Unmarshal([]byte(products), &list); err != nil {
		return nil, fmt.Errorf("invoice %s products: %w", inv.InvoiceNo, err)
	}
	for _, p := range list {
		inv.Products = append(inv.Products, opaygate.InvoiceProduct(p))
	}
	inv.DueTime, inv.CreatedAt, inv.UpdatedAt = fromMS(due), fromMS(created), fromMS(updated)
	return &inv, nil
}

// EncodeProducts is how an invoice's product snapshot is stored
// (invoices.products), for the benchmark's bulk loader, which writes rows
// without the services.
func EncodeProducts(list []opaygate.InvoiceProduct) string {
	out := make([]productJSON, len(list))
	for i, p := range list {
		out[i] = productJSON(p)
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func errInvoiceNotFound() error { return opaygate.Errorf(opaygate.ENOTFOUND, "invoice not found.") }

// CreateInvoice stores inv with a snapshot of the catalog products in items.
func (s *InvoiceService) CreateInvoice(ctx context.Context, inv *opaygate.Invoice, items []opaygate.InvoiceItem, fee opaygate.ServiceFee) error {
	now := s.deps.Clock.Now()
	inv.Currency = opaygate.CurrencyOf(inv.Country)
	switch {
	case inv.MerchantID == "" || inv.Currency == "":
		return opaygate.Invalid("merchant and country are required")
	case inv.RelationProduct && len(items) == 0:
		return opaygate.Invalid("Products is required.")
	case !inv.DueTime.After(now):
		return opaygate.Invalid("dueTime must be in the future")
	}
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		if seen[it.MerchantProductNo] {
			return opaygate.Invalid("Please merge the same products.")
		}
		seen[it.MerchantProductNo] = true
	}
	return s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		inv.Products = inv.Products[:0]
		var sum int64
		for _, it := range items {
			p, err := scanProduct(tx.queryRow(ctx, `SELECT `+productColumns+` FROM products
				WHERE merchant_id = ? AND merchant_product_no = ?`, inv.MerchantID, it.MerchantProductNo))
			if errors.Is(err, sql.ErrNoRows) {
				return opaygate.Invalid("Merchant Product ID does not exist, please create it in merchant dashboard first.")
			} else if err != nil {
				return fmt.Errorf("find product: %w", err)
			}
			if p.Currency != inv.Currency {
				return opaygate.Invalid("productList: product %s is priced in %s, the invoice is in %s",
					p.MerchantProductNo, p.Currency, inv.Currency)
			}
			if it.Quantity <= 0 || p.Price > opaygate.MaxAmount/it.Quantity || sum+p.Price*it.Quantity > opaygate.MaxAmount {
				return opaygate.Invalid("productList: the products' total is beyond the largest amount")
			}
			sum += p.Price * it.Quantity
			inv.Products = append(inv.Products, opaygate.InvoiceProduct{ProductNo: p.ProductNo,
				MerchantProductNo: p.MerchantProductNo, Name: p.Name, Image: p.Image,
				Description: p.Description, Price: p.Price, Currency: p.Currency, Quantity: it.Quantity})
		}
		if inv.RelationProduct {
			if inv.Amount != 0 && inv.Amount != sum {
				return opaygate.Invalid("amount.total must equal the products' total %d", sum)
			}
			inv.Amount = sum
		}
		if inv.Amount == 0 {
			return opaygate.Invalid("Invoice amount can not be 0")
		}
		inv.ServiceFee = fee.Total(inv.Amount)
		if inv.ServiceFee < 0 || inv.ServiceFee > opaygate.MaxAmount {
			return opaygate.Invalid("serviceFee is beyond the largest amount")
		}
		id, err := tx.nextSeq(ctx, "invoices")
		if err != nil {
			return err
		}
		inv.ID, inv.InvoiceNo = id, strconv.FormatInt(id, 10)
		inv.Status, inv.Token = opaygate.InvoiceUnpaid, orderToken(tx.now)
		inv.CreatedAt, inv.UpdatedAt = tx.now, tx.now
		_, err = tx.exec(ctx, `INSERT INTO invoices (`+invoiceColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			inv.ID, inv.InvoiceNo, inv.MerchantID, inv.Status, inv.Token, inv.Name, inv.Description,
			ms(inv.DueTime), inv.Country, inv.Currency, inv.Amount, inv.ServiceFee, inv.Lang, inv.NotifyMethod,
			inv.RelationProduct, inv.Customer.Name, inv.Customer.Mobile, inv.Customer.Email,
			EncodeProducts(inv.Products), inv.PaidOrderNo, inv.Attempts, ms(inv.CreatedAt), ms(inv.UpdatedAt))
		if err != nil {
			return fmt.Errorf("insert invoice: %w", err)
		}
		return nil
	})
}

// FindInvoice returns the merchant's invoice, shown Expired past its due date.
func (s *InvoiceService) FindInvoice(ctx context.Context, merchantID, invoiceNo string) (*opaygate.Invoice, error) {
	// The merchant is checked after the read, not in the query (see orderWhere).
	inv, err := s.findInvoice(ctx, "invoice_no = ?", invoiceNo)
	if err == nil && inv.MerchantID != merchantID {
		return nil, errInvoiceNotFound()
	}
	return inv, err
}

// FindInvoiceByToken returns the invoice behind an invoice link.
func (s *InvoiceService) FindInvoiceByToken(ctx context.Context, token string) (*opaygate.Invoice, error) {
	if token == "" {
		return nil, errInvoiceNotFound()
	}
	return s.findInvoice(ctx, "token = ?", token)
}

func (s *InvoiceService) findInvoice(ctx context.Context, where string, args ...any) (*opaygate.Invoice, error) {
	inv, err := scanInvoice(s.db.readRow(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errInvoiceNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find invoice: %w", err)
	}
	inv.ApplyExpiry(s.deps.Clock.Now())
	return inv, nil
}

// ListInvoices returns a page of the merchant's invoices, newest first.
func (s *InvoiceService) ListInvoices(ctx context.Context, f opaygate.InvoiceFilter) ([]*opaygate.Invoice, int, error) {
	now := ms(s.deps.Clock.Now())
	cond, args := "merchant_id = ?", []any{f.MerchantID}
	switch f.Status {
	case "":
	case opaygate.InvoiceUnpaid:
		cond, args = cond+" AND status = ? AND due_time > ?", append(args, f.Status, now)
	case opaygate.InvoiceExpired:
		cond, args = cond+" AND status = ? AND due_time <= ?", append(args, opaygate.InvoiceUnpaid, now)
	default:
		cond, args = cond+" AND status = ?", append(args, f.Status)
	}
	var total int
	if err := s.db.read.QueryRowContext(ctx, s.db.rebind(`SELECT COUNT(*) FROM invoices WHERE `+cond), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count invoices: %w", err)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.read.QueryContext(ctx, s.db.rebind(`SELECT `+invoiceColumns+` FROM invoices WHERE `+cond+
		` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`), append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("list invoices: %w", err)
	}
	defer rows.Close()
	var list []*opaygate.Invoice
	for rows.Next() {
		inv, err := scanInvoice(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list invoices: %w", err)
		}
		inv.ApplyExpiry(fromMS(now))
		list = append(list, inv)
	}
	return list, total, rows.Err()
}

// CancelInvoice cancels an Unpaid invoice; see opaygate.InvoiceService.
func (s *InvoiceService) CancelInvoice(ctx context.Context, merchantID, invoiceNo string) (*opaygate.Invoice, error) {
	var inv *opaygate.Invoice
	err := s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		var err error
		// Never another merchant's row locked, through invoice_no's index (see lockOrder).
		if inv, err = s.lockInvoice(ctx, tx, "invoice_no = ? AND merchant_id || '' = ?", invoiceNo, merchantID); err != nil {
			return err
		}
		if inv.MerchantID != merchantID {
			return errInvoiceNotFound()
		}
		now := tx.now
		inv.ApplyExpiry(now)
		switch inv.Status {
		case opaygate.InvoiceCancelled:
			return nil
		case opaygate.InvoiceUnpaid:
		default:
			return opaygate.Errorf(opaygate.EINVOICESTATE, "invoice is %s", inv.Status)
		}
		res, err := tx.exec(ctx, `UPDATE invoices SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
			opaygate.InvoiceCancelled, ms(now), inv.ID, opaygate.InvoiceUnpaid)
		if err != nil {
			return fmt.Errorf("cancel invoice: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("cancel invoice %s: status changed concurrently", inv.InvoiceNo)
		}
		inv.Status, inv.UpdatedAt = opaygate.InvoiceCancelled, now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// InvoiceStats counts and sums the merchant's invoices created in [from, to]
// by status (Expired derived from the due date) and currency.
func (s *InvoiceService) InvoiceStats(ctx context.Context, merchantID string, from, to time.Time) ([]opaygate.InvoiceStat, error) {
	rows, err := s.db.read.QueryContext(ctx, s.db.rebind(`SELECT
			CASE WHEN status = 'Unpaid' AND due_time <= ? THEN 'Expired' ELSE status END AS st,
			currency, COUNT(*), COALESCE(SUM(amount), 0)
		FROM invoices WHERE merchant_id = ? AND created_at >= ? AND created_at <= ?
		GROUP BY st, currency ORDER BY st, currency`),
		ms(s.deps.Clock.Now()), merchantID, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("invoice stats: %w", err)
	}
	defer rows.Close()
	var stats []opaygate.InvoiceStat
	for rows.Next() {
		var st opaygate.InvoiceStat
		if err := rows.Scan(&st.Status, &st.Currency, &st.Count, &st.Amount); err != nil {
			return nil, fmt.Errorf("invoice stats: %w", err)
		}
		stats = append(stats, st)
	}
	return stats, rows.Err()
}

// lockInvoice reads the invoice where cond holds, locked for update inside tx.
func (s *InvoiceService) lockInvoice(ctx context.Context, tx *Tx, cond string, args ...any) (*opaygate.Invoice, error) {
	inv, err := scanInvoice(tx.queryRow(ctx, `SELECT `+invoiceColumns+` FROM invoices WHERE `+cond+s.db.forUpdate(), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errInvoiceNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("lock invoice: %w", err)
	}
	return inv, nil
}

// PayInvoice returns the open order that pays the invoice, creating it (with
// reference INV<invoiceNo>-<n>) when there is none, so a customer who
// reloads the page or clicks twice keeps paying the same order.
func (s *InvoiceService) PayInvoice(ctx context.Context, invoiceID int64, returnURL string) (*opaygate.Order, error) {
	var o *opaygate.Order
	err := s.db.update(ctx, s.deps.Clock, func(tx *Tx) error {
		inv, err := s.lockInvoice(ctx, tx, "id = ?", invoiceID)
		if err != nil {
			return err
		}
		now := tx.now
		inv.ApplyExpiry(now)
		if inv.Status != opaygate.InvoiceUnpaid {
			return opaygate.Errorf(opaygate.EINVOICESTATE, "invoice is %s", inv.Status)
		}
		open, err := scanOrder(tx.queryRow(ctx, `SELECT `+orderColumns+` FROM orders
			WHERE invoice_id = ? AND status IN ('INITIAL', 'PENDING') AND (expire_at > ? OR step = ?)
			ORDER BY created_at DESC, id DESC LIMIT 1`, inv.ID, ms(now), opaygate.StepAuthorizing))
		if err == nil {
			o = open
			return nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("find invoice order: %w", err)
		}
		// The order expires by default, or with the invoice if it is due sooner.
		expire := now.Add(opaygate.DefaultExpireMinutes * time.Minute)
		if inv.DueTime.Before(expire) {
			expire = inv.DueTime
		}
		// The reference INV<invoiceNo>-<n> shares the merchant's namespace:
		// if the merchant already used one, the next n is taken, so a
		// merchant's own order can never make an invoice unpayable.
		for range 100 {
			inv.Attempts++
			o = &opaygate.Order{
				MerchantID: inv.MerchantID, Reference: fmt.Sprintf("INV%s-%d", inv.InvoiceNo, inv.Attempts),
				Country: inv.Country, Amount: inv.Amount + inv.ServiceFee,
				Channel: opaygate.ChannelWeb, Status: opaygate.StatusInitial, ProductName: inv.Name,
				ProductDescription: inv.Description, ReturnURL: returnURL, Token: orderToken(tx.now),
				InvoiceID: inv.ID, InvoiceNo: inv.InvoiceNo, User: opaygate.UserInfo{Name: inv.Customer.Name,
					Email: inv.Customer.Email, Mobile: inv.Customer.Mobile},
				ExpireAt: expire,
			}
			o.Stamp(now)
			err := s.orders.insertOrder(ctx, tx, o)
			if opaygate.ErrorCode(err) == opaygate.EDUPLICATE {
				continue
			} else if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `UPDATE invoices SET attempts = ? WHERE id = ?`, inv.Attempts, inv.ID); err != nil {
				return fmt.Errorf("count invoice attempt: %w", err)
			}
			return nil
		}
		return fmt.Errorf("pay invoice %s: no free order reference", inv.InvoiceNo)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}
