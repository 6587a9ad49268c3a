package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/opaygate/opaygate"
)

// MerchantService stores merchants.
type MerchantService struct {
	db    *DB
	clock opaygate.Clock
}

var _ opaygate.MerchantService = (*MerchantService)(nil)

const merchantColumns = `id, name, private_key, public_key, status, countries, functions,
	webhook_url, require_v2, vat_rate_bp, created_at`

func scanMerchant(row interface{ Scan(...any) error }) (*opaygate.Merchant, error) {
	var m opaygate.Merchant
	var countries, functions string
	var created int64
	if err := row.Scan(&m.ID, &m.Name, &m.PrivateKey, &m.PublicKey, &m.Status, &countries,
		&functions, &m.WebhookURL, &m.RequireV2, &m.VATRateBP, &created); err != nil {
		return nil, err
	}
	m.Countries = splitList(countries)
	for _, f := range splitList(functions) {
		m.Functions = append(m.Functions, opaygate.Function(f))
	}
	m.CreatedAt = fromMS(created)
	return &m, nil
}

// CreateMerchant stores a new merchant; an id in use answers EDUPLICATE.
func (s *MerchantService) CreateMerchant(ctx context.Context, m *opaygate.Merchant) error {
	if m.ID == "" || m.PrivateKey == "" || m.PublicKey == "" {
		return opaygate.Invalid("merchant id and keys are required")
	}
	if m.Status == "" {
		m.Status = opaygate.MerchantActive
	}
	m.CreatedAt = s.clock.Now()
	return s.db.update(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO merchants (`+merchantColumns+`, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, m.Name, m.PrivateKey, m.PublicKey, m.Status, strings.Join(m.Countries, ","),
			joinFunctions(m.Functions), m.WebhookURL, m.RequireV2, m.VATRateBP, ms(m.CreatedAt), ms(m.CreatedAt))
		if isUniqueViolation(err) {
			return opaygate.Errorf(opaygate.EDUPLICATE, "merchant %s already exists", m.ID)
		} else if err != nil {
			return fmt.Errorf("create merchant: %w", err)
		}
		return nil
	})
}

// FindMerchant returns a merchant by id.
func (s *MerchantService) FindMerchant(ctx context.Context, id string) (*opaygate.Merchant, error) {
	m, err := scanMerchant(s.db.readRow(ctx, `SELECT `+merchantColumns+` FROM merchants WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opaygate.Errorf(opaygate.ENOTFOUND, "merchant not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find merchant: %w", err)
	}
	return m, nil
}

// ListMerchants returns every merchant, by id.
func (s *MerchantService) ListMerchants(ctx context.Context) ([]*opaygate.Merchant, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+merchantColumns+` FROM merchants ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list merchants: %w", err)
	}
	defer rows.Close()
	var list []*opaygate.Merchant
	for rows.Next() {
		m, err := scanMerchant(rows)
		if err != nil {
			return nil, fmt.Errorf("list merchants: %w", err)
		}
		list = append(list, m)
	}
	return list, rows.Err()
}

// UpdateMerchant changes the fields set in upd.
func (s *MerchantService) UpdateMerchant(ctx context.Context, id string, upd opaygate.MerchantUpdate) (*opaygate.Merchant, error) {
	var sets []string
	var args []any
	set := func(col string, v any) { sets = append(sets, col+" = ?"); args = append(args, v) }
	if upd.Name != nil {
		set("name", *upd.Name)
	}
	if upd.Status != nil {
		set("status", *upd.Status)
	}
	if upd.Countries != nil {
		set("countries", strings.Join(upd.Countries, ","))
	}
	if upd.Functions != nil {
		set("functions", joinFunctions(upd.Functions))
	}
	if upd.WebhookURL != nil {
		set("webhook_url", *upd.WebhookURL)
	}
	if upd.PrivateKey != nil {
		set("private_key", *upd.PrivateKey)
	}
	if upd.PublicKey != nil {
		set("public_key", *upd.PublicKey)
	}
	if upd.RequireV2 != nil {
		set("require_v2", *upd.RequireV2)
	}
	set("updated_at", ms(s.clock.Now()))
	args = append(args, id)
	err := s.db.update(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE merchants SET `+strings.Join(sets, ", ")+` WHERE id = ?`, args...)
		if err != nil {
			return fmt.Errorf("update merchant: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return opaygate.Errorf(opaygate.ENOTFOUND, "merchant not found.")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.FindMerchant(ctx, id)
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func joinFunctions(fs []opaygate.Function) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = string(f)
	}
	return strings.Join(parts, ",")
}
