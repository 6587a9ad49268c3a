-- A merchant's own bank installment catalogue (METHODS.md §8.5), as JSON
-- [{bankCode, bankName, plans: [{months, feeRate, minAmount, maxAmount}]}];
-- NULL: the gateway's catalogue applies.
ALTER TABLE merchants ADD COLUMN installment_banks TEXT;
