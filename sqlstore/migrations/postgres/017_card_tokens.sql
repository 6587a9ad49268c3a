-- Card tokens (METHODS.md §9): what identifies a card to a person and nothing
-- more. Never the number beyond its first six and last four digits, never the
-- CVV. A deleted token keeps its row for audit (deleted_at set).
CREATE TABLE card_tokens (
	token        TEXT PRIMARY KEY,
	merchant_id  TEXT NOT NULL REFERENCES merchants (id),
	reference    TEXT NOT NULL,
	customer_id  TEXT NOT NULL,
	customer     TEXT NOT NULL, -- JSON {name, email, mobile}
	holder_name  TEXT NOT NULL,
	brand        TEXT NOT NULL,
	first_six    TEXT NOT NULL,
	last_four    TEXT NOT NULL,
	expiry_month INTEGER NOT NULL,
	expiry_year  INTEGER NOT NULL,
	created_at   BIGINT NOT NULL,
	deleted_at   BIGINT,
	UNIQUE (merchant_id, reference)
);
CREATE INDEX card_tokens_customer ON card_tokens (merchant_id, customer_id, created_at);
