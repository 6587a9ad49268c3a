-- The product list a cashier order was created with (cashier/create's
-- productList), as JSON; '' when the merchant sent only product{name}.
-- It is shown on the checkout page and in the dashboard, never priced.
ALTER TABLE orders ADD COLUMN products TEXT NOT NULL DEFAULT '';
