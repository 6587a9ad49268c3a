-- Times are UNIX milliseconds (UTC); money is integer minor units.
CREATE TABLE merchants (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL DEFAULT '',
	private_key   TEXT NOT NULL,
	public_key    TEXT NOT NULL,
	status        TEXT NOT NULL,
	countries     TEXT NOT NULL,
	functions     TEXT NOT NULL,
	webhook_url   TEXT NOT NULL DEFAULT '',
	require_v2    INTEGER NOT NULL DEFAULT 0,
	vat_rate_bp   INTEGER NOT NULL DEFAULT 0,
	password_hash TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);

-- SQLite has no sequences; a row per counter, bumped inside the writing
-- transaction (SQLite has one writer, so this never contends).
CREATE TABLE sequences (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
INSERT INTO sequences (name, value) VALUES ('orders', 0), ('invoices', 10000000), ('products', 1000001000);

CREATE TABLE products (
	id                  INTEGER PRIMARY KEY,
	product_no          TEXT NOT NULL UNIQUE,
	merchant_id         TEXT NOT NULL REFERENCES merchants (id),
	merchant_product_no TEXT NOT NULL,
	name                TEXT NOT NULL,
	image               TEXT NOT NULL DEFAULT '',
	description         TEXT NOT NULL DEFAULT '',
	price               INTEGER NOT NULL,
	currency            TEXT NOT NULL,
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL,
	UNIQUE (merchant_id, merchant_product_no)
);

CREATE TABLE invoices (
	id               INTEGER PRIMARY KEY,
	invoice_no       TEXT NOT NULL UNIQUE,
	merchant_id      TEXT NOT NULL REFERENCES merchants (id),
	status           TEXT NOT NULL,
	token            TEXT NOT NULL UNIQUE,
	name             TEXT NOT NULL,
	description      TEXT NOT NULL,
	due_time         INTEGER NOT NULL,
	country          TEXT NOT NULL,
	currency         TEXT NOT NULL,
	amount           INTEGER NOT NULL,
	service_fee      INTEGER NOT NULL,
	lang             TEXT NOT NULL,
	notify_method    TEXT NOT NULL,
	relation_product INTEGER NOT NULL,
	customer_name    TEXT NOT NULL,
	customer_mobile  TEXT NOT NULL,
	customer_email   TEXT NOT NULL,
	products         TEXT NOT NULL,
	paid_order_no    TEXT NOT NULL DEFAULT '',
	attempts         INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL
);
CREATE INDEX invoices_merchant_created ON invoices (merchant_id, created_at);

CREATE TABLE orders (
	id                  INTEGER PRIMARY KEY,
	order_no            TEXT NOT NULL UNIQUE,
	merchant_id         TEXT NOT NULL REFERENCES merchants (id),
	reference           TEXT NOT NULL,
	country             TEXT NOT NULL,
	currency            TEXT NOT NULL,
	amount              INTEGER NOT NULL,
	vat                 INTEGER NOT NULL,
	pay_method          TEXT NOT NULL,
	channel             TEXT NOT NULL,
	status              TEXT NOT NULL,
	step                TEXT NOT NULL,
	failure_code        TEXT NOT NULL DEFAULT '',
	failure_reason      TEXT NOT NULL DEFAULT '',
	product_name        TEXT NOT NULL,
	product_description TEXT NOT NULL,
	return_url          TEXT NOT NULL,
	callback_url        TEXT NOT NULL,
	cancel_url          TEXT NOT NULL,
	user_id             TEXT NOT NULL,
	user_name           TEXT NOT NULL,
	user_email          TEXT NOT NULL,
	user_mobile         TEXT NOT NULL,
	token               TEXT NOT NULL UNIQUE,
	invoice_id          INTEGER REFERENCES invoices (id),
	invoice_no          TEXT NOT NULL DEFAULT '',
	valu_account        TEXT NOT NULL DEFAULT '',
	plans               TEXT NOT NULL DEFAULT '',
	months              INTEGER NOT NULL DEFAULT 0,
	card_bin            TEXT NOT NULL DEFAULT '',
	card_last4          TEXT NOT NULL DEFAULT '',
	otp_hash            TEXT NOT NULL DEFAULT '',
	otp_attempts        INTEGER NOT NULL DEFAULT 0,
	otp_resends         INTEGER NOT NULL DEFAULT 0,
	otp_issued_at       INTEGER NOT NULL DEFAULT 0,
	voided              INTEGER NOT NULL DEFAULT 0,
	refunded            INTEGER NOT NULL DEFAULT 0,
	expire_at           INTEGER NOT NULL,
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL,
	UNIQUE (merchant_id, reference)
);
CREATE INDEX orders_open_expiry ON orders (expire_at) WHERE status IN ('INITIAL', 'PENDING');
CREATE INDEX orders_merchant_created ON orders (merchant_id, created_at);

CREATE TABLE order_events (
	id          INTEGER PRIMARY KEY,
	order_id    INTEGER NOT NULL REFERENCES orders (id),
	from_status TEXT NOT NULL,
	to_status   TEXT NOT NULL,
	step        TEXT NOT NULL,
	code        TEXT NOT NULL,
	reason      TEXT NOT NULL,
	at          INTEGER NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);

-- The transactional outbox: a row is written in the same transaction as the
-- status change it announces. Delivery reads due rows.
CREATE TABLE callbacks (
	id              INTEGER PRIMARY KEY,
	merchant_id     TEXT NOT NULL REFERENCES merchants (id),
	order_id        INTEGER NOT NULL REFERENCES orders (id),
	refund_id       INTEGER,
	target_url      TEXT NOT NULL,
	status          TEXT NOT NULL,
	refunded        INTEGER NOT NULL,
	amount          INTEGER NOT NULL,
	currency        TEXT NOT NULL,
	reference       TEXT NOT NULL,
	order_no        TEXT NOT NULL,
	country         TEXT NOT NULL,
	instrument_type TEXT NOT NULL,
	channel         TEXT NOT NULL,
	failure_reason  TEXT NOT NULL,
	event_time      INTEGER NOT NULL,
	state           TEXT NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	first_attempt_at INTEGER NOT NULL DEFAULT 0,
	lease_until     INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
CREATE INDEX callbacks_due ON callbacks (next_attempt_at) WHERE state = 'pending';
CREATE INDEX callbacks_order ON callbacks (order_id);
