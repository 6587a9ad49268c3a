package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/opaygate/opaygate"
)

// Bank debit agreements (CardDebit, METHODS.md §8.6). A method names one in the order's
// MethodData (opaygate.DataAgreementID); storage records it in the transaction that stores
// the order, so the two exist together or not at all. The primary key (merchant,
// agreementId) keeps an id to one agreement for good: of two payments racing with one id,
// the second waits for the first's commit and finds the row.

// recordAgreement records the agreement o's method opened, if any. An agreementId the
// merchant used before is EDUPLICATE, naming the order that holds it.
func (s *OrderService) recordAgreement(ctx context.Context, tx *Tx, o *opaygate.Order) error {
	id := o.MethodData[opaygate.DataAgreementID]
	if id == "" {
		return nil
	}
	res, err := tx.exec(ctx, `INSERT INTO card_debit_agreements (merchant_id, agreement_id, duration, card_bin,
		card_last4, store_card, order_no, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (merchant_id, agreement_id) DO NOTHING`,
		o.MerchantID, id, o.MethodData[opaygate.DataAgreementDuration], o.CardBIN, o.CardLast4,
		o.MethodData[opaygate.DataStoreCard] == "true", o.OrderNo, ms(tx.now))
	if err != nil {
		return fmt.Errorf("record agreement: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var holder string
	if err := tx.queryRow(ctx, `SELECT order_no FROM card_debit_agreements WHERE merchant_id = ? AND agreement_id = ?`,
		o.MerchantID, id).Scan(&holder); err != nil {
		return fmt.Errorf("find duplicate agreement: %w", err)
	}
	return opaygate.Errorf(opaygate.EDUPLICATE, "bankDebit.agreementId %s is already used by order %s", id, holder)
}

// FindAgreement returns the merchant's agreement of that agreementId.
func (s *OrderService) FindAgreement(ctx context.Context, merchantID, agreementID string) (*opaygate.Agreement, error) {
	a := opaygate.Agreement{MerchantID: merchantID, ID: agreementID}
	var created int64
	err := s.db.readRow(ctx, `SELECT duration, card_bin, card_last4, store_card, order_no, created_at
		FROM card_debit_agreements WHERE merchant_id = ? AND agreement_id = ?`, merchantID, agreementID).
		Scan(&a.Duration, &a.CardBIN, &a.CardLast4, &a.StoreCard, &a.OrderNo, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opaygate.Errorf(opaygate.ENOTFOUND, "agreement not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find agreement: %w", err)
	}
	a.CreatedAt = fromMS(created)
	return &a, nil
}
