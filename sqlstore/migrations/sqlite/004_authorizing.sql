-- An order whose payment the acquirer is deciding has step 'AUTHORIZING';
-- authorizing_at is when that began (epoch ms), or when a sweeper last took
-- it over after a crash, so the sweeper finds authorizations left in flight.
ALTER TABLE orders ADD COLUMN authorizing_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX orders_authorizing ON orders (authorizing_at) WHERE step = 'AUTHORIZING';
