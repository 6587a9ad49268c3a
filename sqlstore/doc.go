// Package sqlstore stores the gateway's state in SQL and implements the
// domain services of package opaygate on it. One package serves both
// backends through one execution layer (tx.go): embedded SQLite
// (modernc.org/sqlite, pure Go, through database/sql and a group committer)
// and PostgreSQL (a database/sql pool of pgx connections; write transactions
// and row reads on pgx itself, pipelined: pgtx.go). The state machine lives here, next to the
// transactions that enforce it, so both backends share every line of it.
//
// It depends on the root package only; it must not import server, cmd, the
// simulator or the payment methods, which it reaches through opaygate.Method.
package sqlstore
