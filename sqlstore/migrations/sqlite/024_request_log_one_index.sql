-- One index fewer for every request logged (docs/BENCHMARKS.md, issue 16): a merchant's
-- requests are found through the bucket index, as bucket IN (merchant, '') AND merchant_id =
-- merchant (a request that named a known merchant is in its bucket; one that named an unknown
-- id is in ''), and the prune needs nothing else.
DROP INDEX IF EXISTS request_log_merchant;
