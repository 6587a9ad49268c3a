-- Payouts (METHODS.md §10): money from a merchant's CASH_ACCOUNT to a bank
-- account or a wallet. The debit is a ledger entry written in the payout's
-- transaction (migration 021); a FAIL credits it back in the transaction that
-- fails it. Statuses: PENDING (INITIAL is only the create answer), then SUCCESS
-- or FAIL for good.
CREATE SEQUENCE payouts_seq START WITH 700000000001;
CREATE TABLE payouts (
	id          BIGINT PRIMARY KEY,
	order_no    TEXT NOT NULL UNIQUE,
	merchant_id TEXT NOT NULL REFERENCES merchants (id),
	reference   TEXT NOT NULL,
	payout_type TEXT NOT NULL,
	country     TEXT NOT NULL,
	currency    TEXT NOT NULL,
	amount      BIGINT NOT NULL,
	fee         BIGINT NOT NULL,
	language    TEXT NOT NULL,
	remark      TEXT NOT NULL,
	notify_url  TEXT NOT NULL,
	meta        TEXT NOT NULL, -- JSON: the payee (bank account or wallet)
	status      TEXT NOT NULL,
	error_code  TEXT NOT NULL DEFAULT '',
	error_msg   TEXT NOT NULL DEFAULT '',
	due_at      BIGINT NOT NULL DEFAULT 0,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	UNIQUE (merchant_id, reference)
);
CREATE INDEX payouts_due ON payouts (due_at) WHERE status = 'PENDING';

-- A payout's fee, per merchant, in minor units (default 0).
ALTER TABLE merchants ADD COLUMN payout_fee BIGINT NOT NULL DEFAULT 0;

-- Payout notifications share the callbacks outbox: their rows name the
-- payout instead of an order.
ALTER TABLE callbacks ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE callbacks ADD COLUMN payout_id BIGINT REFERENCES payouts (id) ON DELETE CASCADE;
ALTER TABLE callbacks ADD COLUMN fee BIGINT NOT NULL DEFAULT 0;
ALTER TABLE callbacks ADD COLUMN remark TEXT NOT NULL DEFAULT '';
