-- A callback that announces a completed void (METHODS.md §12): v1 sends it as
-- refunded, v2 with extras {"voided":true}.
ALTER TABLE callbacks ADD COLUMN voided BOOLEAN NOT NULL DEFAULT FALSE;
