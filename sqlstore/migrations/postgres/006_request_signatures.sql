-- The timestamped (v2) signatures accepted in the last window, so that a
-- captured request sent again is refused on whichever node it reaches. Only
-- the SHA-256 of the signature's bytes (hex) is kept, never the signature.
-- A row is needed until its request's RequestTimestamp leaves the window
-- (expires_at, epoch milliseconds); the sweeper deletes it after that. No
-- foreign key to merchants: rows live minutes, and the sandbox reset
-- empties the table with the others. Kept column for column in step with migrations/sqlite.
CREATE TABLE request_signatures (
	merchant_id TEXT NOT NULL,
	sig_hash    TEXT NOT NULL,
	expires_at  BIGINT NOT NULL,
	PRIMARY KEY (merchant_id, sig_hash)
);
CREATE INDEX request_signatures_expires ON request_signatures (expires_at);
