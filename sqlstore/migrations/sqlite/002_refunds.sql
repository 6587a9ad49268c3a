-- Refunds (spec 4.3) and the delivery log of callbacks (spec 6).

-- Refund numbers have the shape of order numbers (YYMMDD + 12 digits) but
-- count from 500000000001, so a refund never carries a payment's number.
INSERT INTO sequences (name, value) VALUES ('refunds', 500000000000);

CREATE TABLE refunds (
	id              INTEGER PRIMARY KEY,
	refund_no       TEXT NOT NULL UNIQUE,
	merchant_id     TEXT NOT NULL REFERENCES merchants (id),
	reference       TEXT NOT NULL,
	-- Cascades so that the sandbox reset, which deletes orders, takes
	-- their refunds along.
	order_id        INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	order_no        TEXT NOT NULL,
	order_reference TEXT NOT NULL,
	country         TEXT NOT NULL,
	currency        TEXT NOT NULL,
	amount          INTEGER NOT NULL,
	status          TEXT NOT NULL,
	refund_way      TEXT NOT NULL,
	reason          TEXT NOT NULL DEFAULT '',
	bank_code       TEXT NOT NULL DEFAULT '',
	bank_account_no TEXT NOT NULL DEFAULT '',
	callback_url    TEXT NOT NULL DEFAULT '',
	due_at          INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	UNIQUE (merchant_id, reference)
);
CREATE INDEX refunds_due ON refunds (due_at) WHERE status = 'PENDING';
CREATE INDEX refunds_order ON refunds (order_id, id);

-- Every POST of a callback: when, the HTTP status (0 when none came), the
-- network error, how long it took.
CREATE TABLE callback_attempts (
	id          INTEGER PRIMARY KEY,
	callback_id INTEGER NOT NULL REFERENCES callbacks (id) ON DELETE CASCADE,
	at          INTEGER NOT NULL,
	http_status INTEGER NOT NULL DEFAULT 0,
	error       TEXT NOT NULL DEFAULT '',
	duration_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX callback_attempts_callback ON callback_attempts (callback_id, id);

-- The claim that holds a callback's lease, so a worker whose lease ran out
-- cannot overwrite the outcome of the one that claimed it next.
ALTER TABLE callbacks ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
CREATE INDEX callbacks_merchant ON callbacks (merchant_id, id);
