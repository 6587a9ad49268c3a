-- The remaining cashier/create fields (METHODS.md §8.y): the name the hosted
-- checkout shows instead of the merchant's (a sub-merchant), where the customer
-- came from (shown in the dashboard, no behaviour), whether the page opens on
-- the OPay wallet, and the customer's IP address ('' when none parsed).
ALTER TABLE orders ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN visit_source TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN evoke_opay BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE orders ADD COLUMN client_ip TEXT NOT NULL DEFAULT '';
