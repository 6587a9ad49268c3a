-- Voids (METHODS.md §12): the reversal of a card payment before it settles.
-- orders.void_state is '' until a void is initiated, then PENDING, then
-- SUCCESS (orders.voided is then true). One void per order, for good.
ALTER TABLE orders ADD COLUMN void_state TEXT NOT NULL DEFAULT '';

CREATE TABLE voids (
	id          INTEGER PRIMARY KEY,
	reversal_no TEXT NOT NULL UNIQUE,
	merchant_id TEXT NOT NULL REFERENCES merchants (id),
	-- Cascades so that the sandbox reset, which deletes orders, takes them along.
	order_id    BIGINT NOT NULL UNIQUE REFERENCES orders (id) ON DELETE CASCADE,
	order_no    TEXT NOT NULL,
	reference   TEXT NOT NULL,
	country     TEXT NOT NULL,
	currency    TEXT NOT NULL,
	amount      BIGINT NOT NULL,
	status      TEXT NOT NULL,
	due_at      BIGINT NOT NULL DEFAULT 0,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
CREATE INDEX voids_due ON voids (due_at) WHERE status = 'PENDING';
