-- opaygate:foreign-keys-off
-- (SQLite cannot drop a NOT NULL: callbacks is rebuilt, which needs foreign
-- keys off for the migration, lest dropping the old table delete its
-- attempts; foreign_key_check runs before it commits.)
--
-- Payouts (METHODS.md §10): money from a merchant's CASH_ACCOUNT to a bank
-- account or a wallet. The debit is a ledger entry written in the payout's
-- transaction (migration 021); a FAIL credits it back in the transaction that
-- fails it. Statuses: PENDING (INITIAL is only the create answer), then SUCCESS
-- or FAIL for good.
INSERT INTO sequences (name, value) VALUES ('payouts', 700000000000);
CREATE TABLE payouts (
	id          INTEGER PRIMARY KEY,
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
CREATE TABLE callbacks_new (
	id               INTEGER PRIMARY KEY,
	merchant_id      TEXT NOT NULL REFERENCES merchants (id),
	order_id         INTEGER REFERENCES orders (id),
	refund_id        INTEGER,
	target_url       TEXT NOT NULL,
	status           TEXT NOT NULL,
	refunded         INTEGER NOT NULL,
	amount           INTEGER NOT NULL,
	currency         TEXT NOT NULL,
	reference        TEXT NOT NULL,
	order_no         TEXT NOT NULL,
	country          TEXT NOT NULL,
	instrument_type  TEXT NOT NULL,
	channel          TEXT NOT NULL,
	failure_reason   TEXT NOT NULL,
	event_time       INTEGER NOT NULL,
	state            TEXT NOT NULL,
	attempts         INTEGER NOT NULL DEFAULT 0,
	next_attempt_at  INTEGER NOT NULL,
	first_attempt_at INTEGER NOT NULL DEFAULT 0,
	lease_until      INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	lease_owner      TEXT NOT NULL DEFAULT '',
	version          TEXT NOT NULL DEFAULT 'v1',
	notify_id        TEXT NOT NULL DEFAULT '',
	failure_code     TEXT NOT NULL DEFAULT '',
	refund_reference TEXT NOT NULL DEFAULT '',
	refund_order_no  TEXT NOT NULL DEFAULT '',
	refund_amount    BIGINT NOT NULL DEFAULT 0,
	voided           BOOLEAN NOT NULL DEFAULT FALSE,
	payout_id        INTEGER REFERENCES payouts (id) ON DELETE CASCADE,
	fee              BIGINT NOT NULL DEFAULT 0,
	remark           TEXT NOT NULL DEFAULT ''
);
INSERT INTO callbacks_new (id, merchant_id, order_id, refund_id, target_url, status, refunded, amount, currency,
	reference, order_no, country, instrument_type, channel, failure_reason, event_time, state, attempts,
	next_attempt_at, first_attempt_at, lease_until, created_at, updated_at, lease_owner, version, notify_id,
	failure_code, refund_reference, refund_order_no, refund_amount, voided)
SELECT id, merchant_id, order_id, refund_id, target_url, status, refunded, amount, currency,
	reference, order_no, country, instrument_type, channel, failure_reason, event_time, state, attempts,
	next_attempt_at, first_attempt_at, lease_until, created_at, updated_at, lease_owner, version, notify_id,
	failure_code, refund_reference, refund_order_no, refund_amount, voided
FROM callbacks;
DROP TABLE callbacks;
ALTER TABLE callbacks_new RENAME TO callbacks;
CREATE INDEX callbacks_due ON callbacks (next_attempt_at) WHERE state = 'pending';
CREATE INDEX callbacks_order ON callbacks (order_id);
CREATE INDEX callbacks_merchant ON callbacks (merchant_id, id);
