-- The merchant's payout public key (METHODS.md §10.1): a PEM "PUBLIC KEY" (SPKI) that
-- verifies the RSA signatures of payout requests; '' when none is set.
ALTER TABLE merchants ADD COLUMN payout_public_key TEXT NOT NULL DEFAULT '';

-- The audit trail of a merchant's security settings: one row per change, written in the
-- change's transaction. Values are what identifies a setting without being a secret (a
-- key's fingerprint), '' for none. changed_by says where the change came from (cli, dashboard,
-- sandbox).
CREATE TABLE merchant_audit (
	id          INTEGER PRIMARY KEY,
	merchant_id TEXT NOT NULL REFERENCES merchants (id),
	setting     TEXT NOT NULL,
	old_value   TEXT NOT NULL,
	new_value   TEXT NOT NULL,
	changed_by  TEXT NOT NULL,
	at          INTEGER NOT NULL
);
CREATE INDEX merchant_audit_merchant ON merchant_audit (merchant_id, id);
