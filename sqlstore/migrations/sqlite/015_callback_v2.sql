-- Callback v2 (METHODS.md §11). A merchant's callback version applies to callbacks written
-- after it changes: each row keeps the version it was written with, so retries and re-sends
-- never change format, and a v2 row its notify_id (32 hex digits, the same on every attempt).
-- failure_code and the refund's identity are snapshots for the v2 body, like the other
-- columns; rows written before this migration are v1 and never read them.
ALTER TABLE merchants ADD COLUMN callback_version TEXT NOT NULL DEFAULT 'v1';
ALTER TABLE callbacks ADD COLUMN version TEXT NOT NULL DEFAULT 'v1';
ALTER TABLE callbacks ADD COLUMN notify_id TEXT NOT NULL DEFAULT '';
ALTER TABLE callbacks ADD COLUMN failure_code TEXT NOT NULL DEFAULT '';
ALTER TABLE callbacks ADD COLUMN refund_reference TEXT NOT NULL DEFAULT '';
ALTER TABLE callbacks ADD COLUMN refund_order_no TEXT NOT NULL DEFAULT '';
ALTER TABLE callbacks ADD COLUMN refund_amount BIGINT NOT NULL DEFAULT 0;
