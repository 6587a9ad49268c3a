-- Dashboard sessions (the merchant's password hash lives in
-- merchants.password_hash since 001). The browser holds a random token; only
-- its SHA-256 is stored. Deleting a merchant (the sandbox reset) deletes its
-- sessions.
CREATE TABLE dashboard_sessions (
	token_hash      TEXT PRIMARY KEY,
	merchant_id     TEXT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
	csrf_token      TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	idle_expires_at INTEGER NOT NULL,
	expires_at      INTEGER NOT NULL
);
CREATE INDEX dashboard_sessions_merchant ON dashboard_sessions (merchant_id);
CREATE INDEX dashboard_sessions_idle ON dashboard_sessions (idle_expires_at);
