-- What a payment method keeps on an order besides the typed columns (a QR
-- payload, a USSD string, the customer's wallet account), as a JSON object;
-- '' when it keeps nothing.
ALTER TABLE orders ADD COLUMN method_data TEXT NOT NULL DEFAULT '';
