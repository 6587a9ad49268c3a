-- The method identifier the network finds an order by (a reference code, a
-- transfer account number), as "kind:value"; NULL when the method has none.
-- Unique among open orders only: a code is free again once its order is
-- final. Storage draws another when an insert collides.
ALTER TABLE orders ADD COLUMN lookup_key TEXT;
CREATE UNIQUE INDEX orders_open_lookup ON orders (lookup_key)
    WHERE lookup_key IS NOT NULL AND status IN ('INITIAL', 'PENDING');
CREATE INDEX orders_lookup ON orders (lookup_key) WHERE lookup_key IS NOT NULL;
