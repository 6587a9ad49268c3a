package sqlstore

import (
	"context"
	"errors"
	"fmt"
)

// PostgresStats is PostgreSQL's own count of its work, as the cumulative
// statistics views keep it: the benchmark samples it before and after a
// scenario to show how many commits each WAL flush made durable, the group
// commit PostgreSQL does by itself (SQLite's is WriteStats).
//
// The counters are PostgreSQL's, not this pool's: Commits is every commit in
// this database (pg_stat_database), WAL writes and syncs are the whole
// cluster's (pg_stat_wal, PostgreSQL 14+), other clients' included. Backends
// report their counts at most once a second, so a sample lags by up to a
// second of work.
type PostgresStats struct {
	Commits   int64 // pg_stat_database.xact_commit
	Rollbacks int64 // pg_stat_database.xact_rollback
	WALWrites int64 // pg_stat_wal.wal_write: WAL buffers written out
	WALSyncs  int64 // pg_stat_wal.wal_sync: WAL files synced to disk (0 with wal_sync_method open_datasync)
	// RoundTrips is this pool's, not PostgreSQL's: the round trips of its
	// write transactions (DB.PostgresRoundTrips).
	RoundTrips int64
}

// Sub returns the counts from earlier to s.
func (s PostgresStats) Sub(earlier PostgresStats) PostgresStats {
	return PostgresStats{Commits: s.Commits - earlier.Commits, Rollbacks: s.Rollbacks - earlier.Rollbacks,
		WALWrites: s.WALWrites - earlier.WALWrites, WALSyncs: s.WALSyncs - earlier.WALSyncs,
		RoundTrips: s.RoundTrips - earlier.RoundTrips}
}

// PostgresStats reads PostgreSQL's counters; an error on SQLite.
func (db *DB) PostgresStats(ctx context.Context) (PostgresStats, error) {
	if db.dialect != Postgres {
		return PostgresStats{}, errors.New("postgres stats: not a PostgreSQL database")
	}
	var s PostgresStats
	err := db.read.QueryRowContext(ctx, `SELECT d.xact_commit, d.xact_rollback, w.wal_write, w.wal_sync
		FROM pg_stat_database d, pg_stat_wal w WHERE d.datname = current_database()`).
		Scan(&s.Commits, &s.Rollbacks, &s.WALWrites, &s.WALSyncs)
	if err != nil {
		return PostgresStats{}, fmt.Errorf("postgres stats: %w", err)
	}
	s.RoundTrips = db.PostgresRoundTrips()
	return s, nil
}
