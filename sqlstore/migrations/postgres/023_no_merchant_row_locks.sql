-- A foreign key's check locks the row it points at (SELECT … FOR KEY SHARE). Every insert of a
-- merchant's order, event, callback, ledger entry … locked the one row of the merchant, so
-- concurrent writes of one merchant shared a MultiXact on it: new MultiXact members, a WAL
-- record and a write of the merchant's page for every insert (docs/BENCHMARKS.md, issue 16,
-- third pass: 17 % of PostgreSQL's CPU per create). The application writes only merchant ids
-- it read from the merchant's row, and never deletes a merchant, an order or a callback; the
-- keys below are dropped on PostgreSQL, where they cost that lock. SQLite keeps them: it takes
-- no row lock to check a key.
--
-- Kept: the keys that cascade a delete (refunds, voids, callback_attempts and callbacks of a
-- payout, dashboard sessions) and orders.invoice_id (one invoice's rows lock only it).
--
-- On a live database each ALTER waits for the transactions on its table, and traffic waits
-- behind it: give up after 5 s, change nothing, and let the operator run it again.
SET LOCAL lock_timeout = '5s';
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_merchant_id_fkey;
ALTER TABLE order_events DROP CONSTRAINT IF EXISTS order_events_order_id_fkey;
ALTER TABLE callbacks DROP CONSTRAINT IF EXISTS callbacks_merchant_id_fkey;
ALTER TABLE callbacks DROP CONSTRAINT IF EXISTS callbacks_order_id_fkey;
ALTER TABLE refunds DROP CONSTRAINT IF EXISTS refunds_merchant_id_fkey;
ALTER TABLE voids DROP CONSTRAINT IF EXISTS voids_merchant_id_fkey;
ALTER TABLE invoices DROP CONSTRAINT IF EXISTS invoices_merchant_id_fkey;
ALTER TABLE products DROP CONSTRAINT IF EXISTS products_merchant_id_fkey;
ALTER TABLE payouts DROP CONSTRAINT IF EXISTS payouts_merchant_id_fkey;
ALTER TABLE balances DROP CONSTRAINT IF EXISTS balances_merchant_id_fkey;
ALTER TABLE balance_entries DROP CONSTRAINT IF EXISTS balance_entries_merchant_id_fkey;
ALTER TABLE card_tokens DROP CONSTRAINT IF EXISTS card_tokens_merchant_id_fkey;
ALTER TABLE card_debit_agreements DROP CONSTRAINT IF EXISTS card_debit_agreements_merchant_id_fkey;
ALTER TABLE merchant_audit DROP CONSTRAINT IF EXISTS merchant_audit_merchant_id_fkey;
