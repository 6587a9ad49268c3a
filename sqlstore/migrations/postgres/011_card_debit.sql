-- The bank debit agreements CardDebit payments open (METHODS.md §8.6), one per
-- agreementId of a merchant, for good: an id stays used whatever became of the
-- order that opened it. Recorded in the transaction that stores that order. Of
-- the card, the BIN and the last four digits only.
CREATE TABLE card_debit_agreements (
	merchant_id  TEXT NOT NULL REFERENCES merchants (id),
	agreement_id TEXT NOT NULL,
	duration     TEXT NOT NULL, -- the last day, YYYY-MM-DD
	card_bin     TEXT NOT NULL,
	card_last4   TEXT NOT NULL,
	store_card   BOOLEAN NOT NULL,
	order_no     TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	PRIMARY KEY (merchant_id, agreement_id)
);
