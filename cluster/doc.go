// Package cluster proves that opaygate runs as several nodes on one database
// and survives losing that database. It holds tests only:
//
//   - three gateway nodes (each its own connection pool, services, simulated
//     network, sandbox clock, HTTP server and expiry sweeper) share one
//     PostgreSQL schema, or one SQLite database in one process, while
//     concurrent clients drive them round-robin on overlapping references;
//     afterwards the database is checked against every answer the clients got;
//   - the same workload and invariants with the three nodes behind PgBouncer in
//     transaction pooling mode (Debian's pgbouncer, started by the test), which they
//     also migrate through;
//   - the core's race tests (close against OTP, one reference created fifty
//     times) over HTTP across the three nodes;
//   - the real opaygate binary on a PostgreSQL that the test starts and stops
//     itself: 50003 within a bound while the database is down, /healthz 503,
//     and 00000 again without a restart once it is back.
//
// PostgreSQL tests follow package sqlstoretest: they skip outside CI when no
// server is reachable and fail under CI. It imports the gateway's packages
// as a deployment would; nothing imports it.
package cluster
