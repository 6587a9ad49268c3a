package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/opaygate/opaygate"
)

// TokenService stores card tokens (METHODS.md §9).
type TokenService struct {
	db    *DB
	clock opaygate.Clock
}

var _ opaygate.TokenService = (*TokenService)(nil)

const tokenColumns = `token, merchant_id, reference, customer_id, customer, holder_name, brand, first_six,
	last_four, expiry_month, expiry_year, created_at, deleted_at`

// tokenCustomer is how a token's customer details other than the id are stored.
type tokenCustomer struct {
	Name   string `json:"name,omitempty"`
	Email  string `json:"email,omitempty"`
	Mobile string `json:"mobile,omitempty"`
}

func scanToken(row interface{ Scan(...any) error }) (*opaygate.CardToken, error) {
	var t opaygate.CardToken
	var customer string
	var created int64
	var deleted sql.NullInt64
	if err := row.Scan(&t.Token, &t.MerchantID, &t.Reference, &t.Customer.ID, &customer, &t.HolderName, &t.Brand,
		&t.FirstSix, &t.LastFour, &t.ExpiryMonth, &t.ExpiryYear, &created, &deleted); err != nil {
		return nil, err
	}
	var c tokenCustomer
	if err := json.Unmarshal([]byte(customer), &c); err != nil {
		return nil, fmt.Errorf("token %s: customer: %w", t.Token, err)
	}
	t.Customer.Name, t.Customer.Email, t.Customer.Mobile = c.Name, c.Email, c.Mobile
	t.CreatedAt = fromMS(created)
	if deleted.Valid {
		t.DeletedAt = fromMS(deleted.Int64)
	}
	return &t, nil
}

// CreateToken stores a new token under a fresh value; see opaygate.TokenService.
func (s *TokenService) CreateToken(ctx context.Context, t *opaygate.CardToken) error {
	customer, err := json.Marshal(tokenCustomer{Name: t.Customer.Name, Email: t.Customer.Email, Mobile: t.Customer.Mobile})
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	t.Token, t.CreatedAt = opaygate.NewCardToken(), s.clock.Now()
	return s.db.update(ctx, s.clock, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO card_tokens (`+tokenColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
			t.Token, t.MerchantID, t.Reference, t.Customer.ID, string(customer), t.HolderName, t.Brand,
			t.FirstSix, t.LastFour, t.ExpiryMonth, t.ExpiryYear, ms(t.CreatedAt))
		if isUniqueViolation(err) {
			return opaygate.Errorf(opaygate.EDUPLICATE, "reference %s is already used by another token", t.Reference)
		} else if err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		return nil
	})
}

func errTokenNotFound() error { return opaygate.Errorf(opaygate.ENOTFOUND, "token not found.") }

// FindToken returns a token that may be used; see opaygate.TokenService.
func (s *TokenService) FindToken(ctx context.Context, merchantID, token string) (*opaygate.CardToken, error) {
	// The merchant is checked after the read, not in the query (see orderWhere).
	t, err := scanToken(s.db.readRow(ctx, `SELECT `+tokenColumns+` FROM card_tokens
		WHERE token = ? AND deleted_at IS NULL`, token))
	if errors.Is(err, sql.ErrNoRows) || err == nil && t.MerchantID != merchantID {
		return nil, errTokenNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("find token: %w", err)
	}
	return t, nil
}

// maxCustomerTokens bounds one customer's list; a customer with more is a misuse.
const maxCustomerTokens = 100

// CustomerTokens lists a customer's usable tokens, newest first; see opaygate.TokenService.
func (s *TokenService) CustomerTokens(ctx context.Context, merchantID, customerID string) ([]*opaygate.CardToken, error) {
	rows, err := s.db.readRows(ctx, `SELECT `+tokenColumns+` FROM card_tokens
		WHERE merchant_id = ? AND customer_id = ? AND deleted_at IS NULL
		ORDER BY created_at DESC, token LIMIT ?`, merchantID, customerID, maxCustomerTokens)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	list := []*opaygate.CardToken{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		list = append(list, t)
	}
	return list, rows.Err()
}

// DeleteToken marks a usable token deleted; see opaygate.TokenService. The conditional update
// makes two racing deletes answer once each: one deletes, the other finds nothing.
func (s *TokenService) DeleteToken(ctx context.Context, merchantID, token string) error {
	return s.db.update(ctx, s.clock, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE card_tokens SET deleted_at = ?
			WHERE token = ? AND merchant_id = ? AND deleted_at IS NULL`, ms(tx.now), token, merchantID)
		if err != nil {
			return fmt.Errorf("delete token: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errTokenNotFound()
		}
		return nil
	})
}

// keepCard makes the card token a paid order asked for (CardDebit's storeCard, METHODS.md
// §8.6), in the transaction that records the payment: the order's BIN and last four, the
// expiry and name its method noted, for the customer of userInfo.userId. Its reference is
// the agreement's, so the token is made once however the order is paid.
func (s *OrderService) keepCard(ctx context.Context, tx *Tx, o *opaygate.Order, now time.Time) error {
	if o.MethodData[opaygate.DataStoreCard] != "true" || o.User.ID == "" {
		return nil
	}
	var month, year int
	if _, err := fmt.Sscanf(o.MethodData[opaygate.DataCardExpiry], "%d/%d", &month, &year); err != nil {
		return fmt.Errorf("keep card of %s: expiry: %w", o.OrderNo, err)
	}
	customer, err := json.Marshal(tokenCustomer{Name: o.User.Name, Email: o.User.Email, Mobile: o.User.Mobile})
	if err != nil {
		return fmt.Errorf("keep card of %s: %w", o.OrderNo, err)
	}
	if _, err := tx.exec(ctx, `INSERT INTO card_tokens (`+tokenColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (merchant_id, reference) DO NOTHING`,
		opaygate.NewCardToken(), o.MerchantID, "agreement:"+o.MethodData[opaygate.DataAgreementID], o.User.ID,
		string(customer), o.MethodData[opaygate.DataCardHolder], opaygate.CardBrand(o.CardBIN), o.CardBIN,
		o.CardLast4, month, year, ms(now)); err != nil {
		return fmt.Errorf("keep card of %s: %w", o.OrderNo, err)
	}
	return nil
}
