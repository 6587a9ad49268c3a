-- The merchant ledger (METHODS.md §10.4): every change of a merchant's
-- UNSETTLED_ACCOUNT or CASH_ACCOUNT in a currency is one entry, written in the
-- transaction of the business change that makes it. An entry is made once:
-- (merchant, kind, ref, account) is unique, so a payment, a refund or a payout
-- can never be counted twice.
--
-- A balance is the stored total of its folded entries plus the sum of the
-- entries not folded yet. Writers only insert entries, so concurrent payments
-- of one merchant never wait on one hot balance row; a background fold adds
-- entries into balances (marking them folded) so reads stay short. A payout
-- locks its CASH_ACCOUNT balance row, which serializes payouts of one
-- merchant and currency and nothing else.
CREATE TABLE balance_entries (
	id          INTEGER PRIMARY KEY,
	merchant_id TEXT NOT NULL REFERENCES merchants (id),
	currency    TEXT NOT NULL,
	account     TEXT NOT NULL,
	delta       BIGINT NOT NULL,
	kind        TEXT NOT NULL,
	ref         TEXT NOT NULL,
	-- A payment's settlement time (UNIX ms) while it is due; 0 once settled,
	-- voided, or for every other entry.
	settle_at   BIGINT NOT NULL DEFAULT 0,
	folded      INTEGER NOT NULL DEFAULT 0,
	created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX balance_entries_once ON balance_entries (merchant_id, kind, ref, account);
CREATE INDEX balance_entries_unfolded ON balance_entries (merchant_id, currency, account) WHERE NOT folded;
CREATE INDEX balance_entries_due ON balance_entries (settle_at) WHERE settle_at > 0;
CREATE INDEX balance_entries_recent ON balance_entries (merchant_id, id);

CREATE TABLE balances (
	merchant_id TEXT NOT NULL REFERENCES merchants (id),
	currency    TEXT NOT NULL,
	account     TEXT NOT NULL,
	total       BIGINT NOT NULL DEFAULT 0,
	updated_at  BIGINT NOT NULL,
	PRIMARY KEY (merchant_id, currency, account)
);

-- A database from before the ledger: its successful payments count as paid
-- and settled, its refunds and completed voids as taken from cash, so that
-- ledger verify finds every record with its entries.
INSERT INTO balance_entries (merchant_id, currency, account, delta, kind, ref, created_at)
	SELECT merchant_id, currency, 'UNSETTLED_ACCOUNT', amount, 'payment', order_no, updated_at
	FROM orders WHERE status = 'SUCCESS';
INSERT INTO balance_entries (merchant_id, currency, account, delta, kind, ref, created_at)
	SELECT merchant_id, currency, 'UNSETTLED_ACCOUNT', -amount, 'settlement', order_no, updated_at
	FROM orders WHERE status = 'SUCCESS';
INSERT INTO balance_entries (merchant_id, currency, account, delta, kind, ref, created_at)
	SELECT merchant_id, currency, 'CASH_ACCOUNT', amount, 'settlement', order_no, updated_at
	FROM orders WHERE status = 'SUCCESS';
INSERT INTO balance_entries (merchant_id, currency, account, delta, kind, ref, created_at)
	SELECT merchant_id, currency, 'CASH_ACCOUNT', -amount, 'refund', refund_no, created_at
	FROM refunds WHERE status <> 'FAIL';
INSERT INTO balance_entries (merchant_id, currency, account, delta, kind, ref, created_at)
	SELECT merchant_id, currency, 'CASH_ACCOUNT', -amount, 'void', reversal_no, updated_at
	FROM voids WHERE status = 'SUCCESS';
