package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opaygate/opaygate"
)

// MerchantService stores merchants.
type MerchantService struct {
	db    *DB
	clock opaygate.Clock
}

var _ opaygate.MerchantService = (*MerchantService)(nil)

const merchantColumns = `id, name, private_key, public_key, status, countries, functions,
	webhook_url, require_v2, callback_version, vat_rate_bp, installment_banks, payout_public_key, payout_fee, created_at`

func scanMerchant(row interface{ Scan(...any) error }) (*opaygate.Merchant, error) {
	var m opaygate.Merchant
	var countries, functions string
	var created int64
	var banks sql.NullString
	if err := row.Scan(&m.ID, &m.Name, &m.PrivateKey, &m.PublicKey, &m.Status, &countries,
		&functions, &m.WebhookURL, &m.RequireV2, &m.CallbackVersion, &m.VATRateBP, &banks, &m.PayoutPublicKey, &m.PayoutFee, &created); err != nil {
		return nil, err
	}
	if banks.Valid {
		if err := json.Unmarshal([]byte(banks.String), &m.InstallmentBanks); err != nil {
			return nil, fmt.Errorf("merchant %s: installment catalogue: %w", m.ID, err)
		}
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
	m.CallbackVersion = m.CallbackVersion.OrDefault()
	if err := m.CallbackVersion.Check(); err != nil {
		return err
	}
	banks, err := encodeBanks(m.InstallmentBanks)
	if err != nil {
		return err
	}
	if m.PayoutFee < 0 || m.PayoutFee > opaygate.MaxAmount {
		return opaygate.Invalid("payout fee must be 0 to %d minor units", opaygate.MaxAmount)
	}
	if m.PayoutPublicKey != "" {
		if m.PayoutPublicKey, err = opaygate.NormalizePayoutKey(m.PayoutPublicKey); err != nil {
			return err
		}
	}
	m.CreatedAt = s.clock.Now()
	return s.db.update(ctx, s.clock, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO merchants (`+merchantColumns+`, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, m.Name, m.PrivateKey, m.PublicKey, m.Status, strings.Join(m.Countries, ","),
			joinFunctions(m.Functions), m.WebhookURL, m.RequireV2, m.CallbackVersion, m.VATRateBP, banks,
			m.PayoutPublicKey, m.PayoutFee, ms(m.CreatedAt), ms(m.CreatedAt))
		if isUniqueViolation(err) {
			return opaygate.Errorf(opaygate.EDUPLICATE, "merchant %s already exists", m.ID)
		} else if err != nil {
			return fmt.Errorf("create merchant: %w", err)
		}
		return nil
	})
}

// FindMerchant returns a merchant by id. Every API request authenticates
// through it, so found merchants are cached for MerchantCacheTTL (a second
// query per request cost a seventh of a status read's CPU). A change through
// this DB takes effect at once; one made by another node or process (the
// CLI's `merchant disable`) within the TTL.
func (s *MerchantService) FindMerchant(ctx context.Context, id string) (*opaygate.Merchant, error) {
	if m, ok := s.db.merchants.get(id); ok {
		return m, nil
	}
	m, err := scanMerchant(s.db.readRow(ctx, `SELECT `+merchantColumns+` FROM merchants WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opaygate.Errorf(opaygate.ENOTFOUND, "merchant not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find merchant: %w", err)
	}
	s.db.merchants.put(m)
	return m, nil
}

// MerchantCacheTTL is how long a node trusts a merchant it read (status,
// keys, functions) before reading it again.
const MerchantCacheTTL = 2 * time.Second

// merchantCache holds recently read merchants. Unknown ids are not cached,
// so a merchant added from the CLI can call at once.
type merchantCache struct {
	mu sync.RWMutex
	m  map[string]cachedMerchant
}

type cachedMerchant struct {
	m  opaygate.Merchant
	at time.Time
}

// get returns a copy, so a caller can never change what others read.
func (c *merchantCache) get(id string) (*opaygate.Merchant, bool) {
	c.mu.RLock()
	e, ok := c.m[id]
	c.mu.RUnlock()
	if !ok || time.Since(e.at) >= MerchantCacheTTL {
		return nil, false
	}
	m := e.m
	m.Countries = slices.Clone(m.Countries)
	m.Functions = slices.Clone(m.Functions)
	m.InstallmentBanks = cloneBanks(m.InstallmentBanks)
	return &m, true
}

// cloneBanks copies a catalogue down to its plans; nil (the gateway's) stays nil.
func cloneBanks(banks []opaygate.InstallmentBank) []opaygate.InstallmentBank {
	out := slices.Clone(banks)
	for i := range out {
		out[i].Plans = slices.Clone(out[i].Plans)
	}
	return out
}

func (c *merchantCache) put(m *opaygate.Merchant) {
	e := cachedMerchant{m: *m, at: time.Now()}
	e.m.Countries, e.m.Functions = slices.Clone(m.Countries), slices.Clone(m.Functions)
	e.m.InstallmentBanks = cloneBanks(m.InstallmentBanks)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]cachedMerchant)
	}
	c.m[m.ID] = e
}

// forget drops one merchant, or every one when id is "".
func (c *merchantCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id == "" {
		clear(c.m)
	} else {
		delete(c.m, id)
	}
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
	if upd.CallbackVersion != nil {
		if err := upd.CallbackVersion.Check(); err != nil {
			return nil, err
		}
		set("callback_version", *upd.CallbackVersion)
	}
	if upd.InstallmentBanks != nil {
		banks, err := encodeBanks(*upd.InstallmentBanks)
		if err != nil {
			return nil, err
		}
		set("installment_banks", banks)
	}
	if upd.PayoutFee != nil {
		if *upd.PayoutFee < 0 || *upd.PayoutFee > opaygate.MaxAmount {
			return nil, opaygate.Invalid("payout fee must be 0 to %d minor units", opaygate.MaxAmount)
		}
		set("payout_fee", *upd.PayoutFee)
	}
	var payoutKey string
	if upd.PayoutPublicKey != nil {
		if payoutKey = *upd.PayoutPublicKey; payoutKey != "" {
			var err error
			if payoutKey, err = opaygate.NormalizePayoutKey(payoutKey); err != nil {
				return nil, err
			}
		}
		set("payout_public_key", payoutKey)
	}
	now := s.clock.Now()
	set("updated_at", ms(now))
	args = append(args, id)
	err := s.db.update(ctx, s.clock, func(tx *Tx) error {
		if upd.PayoutPublicKey != nil {
			if err := auditPayoutKey(ctx, tx, id, payoutKey, upd.By, now); err != nil {
				return err
			}
		}
		res, err := tx.exec(ctx, `UPDATE merchants SET `+strings.Join(sets, ", ")+` WHERE id = ?`, args...)
		if err != nil {
			return fmt.Errorf("update merchant: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return opaygate.Errorf(opaygate.ENOTFOUND, "merchant not found.")
		}
		return nil
	})
	s.db.merchants.forget(id) // before reading it back, and whether or not it committed
	if err != nil {
		return nil, err
	}
	return s.FindMerchant(ctx, id)
}

// encodeBanks is a merchant's installment catalogue as stored: NULL for the gateway's (nil),
// else checked and JSON.
func encodeBanks(banks []opaygate.InstallmentBank) (sql.NullString, error) {
	if banks == nil {
		return sql.NullString{}, nil
	}
	if err := opaygate.CheckInstallmentBanks(banks); err != nil {
		return sql.NullString{}, err
	}
	b, err := json.Marshal(banks)
	if err != nil {
		return sql.NullString{}, fmt.Errorf("encode installment catalogue: %w", err)
	}
	return sql.NullString{String: string(b), Valid: true}, nil
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
