-- The request log (docs/sandbox.md, docs/DASHBOARD.md): the newest API requests of each
-- merchant with what they were answered, bodies redacted before they reach this table
-- (package reqlog). merchant_id is the MerchantId header as sent, even when no such merchant
-- exists; bucket is what the retention count is kept under: the merchant's id when it named a
-- known merchant, '' for every other request, so that made-up ids share one allowance. at is
-- epoch milliseconds, duration_us microseconds. No foreign key: a log outlives nothing and is
-- pruned by count (PruneRequests), and the sandbox reset empties it with the other tables.
CREATE TABLE request_log (
	id                 INTEGER PRIMARY KEY,
	at                 INTEGER NOT NULL,
	request_id         TEXT NOT NULL,
	method             TEXT NOT NULL,
	path               TEXT NOT NULL,
	merchant_id        TEXT NOT NULL,
	bucket             TEXT NOT NULL,
	http_status        INTEGER NOT NULL,
	code               TEXT NOT NULL,
	duration_us        INTEGER NOT NULL,
	detail             TEXT NOT NULL,
	request_body       TEXT NOT NULL,
	request_truncated  BOOLEAN NOT NULL,
	response_body      TEXT NOT NULL,
	response_truncated BOOLEAN NOT NULL
);
-- Newest first per merchant (the dashboard, /_sandbox/requests?merchantId=) and the prune's
-- "the keep-th newest of this bucket".
CREATE INDEX request_log_merchant ON request_log (merchant_id, id);
CREATE INDEX request_log_bucket ON request_log (bucket, id);
