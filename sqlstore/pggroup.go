package sqlstore

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Shared commits on PostgreSQL. A transaction that reaches its commit having only queued
// statements (nothing in it waited for an answer: a create, which inserts an order and its
// first event; the recording of an acquirer's answer) would spend a round trip, a wake-up of a backend and a commit record of its
// own. When it says it may (Tx.shareCommit), it hands its statements to the node's
// pgGroup instead, which sends those of every such transaction waiting at that moment as one
// PostgreSQL transaction: BEGIN, the statements of each in turn, COMMIT, one round trip.
//
// Each keeps its own outcome. The statements of one run after those of the transactions
// before it, as if each had committed alone in that order: a create that finds its
// reference taken by one earlier in the batch fails as it would have after that one's commit.
// When PostgreSQL refuses a statement (statementRefused), it skips the rest and nothing of
// the pass is written; the transaction that statement belongs to gets its error, and the
// others are sent again without it. Answers go out once the batch has an outcome, so a create
// told its reference is taken finds the order that took it. Any other failure (the
// connection, the server, the COMMIT) is every member's and nothing is sent again: a
// connection lost after the pipeline went out leaves the outcome unknown, as it does for a
// transaction committing alone. DB.update runs a member again only for what PostgreSQL says
// may be retried (a serialization failure, a deadlock).
//
// Nothing that must not outlive its own transaction may share one: a transaction that sets
// anything (noFlushWait) or locks anything beyond the rows it writes never calls
// shareCommit. Nor may a member wait for another transaction's lock, which would hold up every
// member with it: one that updates an existing row takes the row's lock NOWAIT first (a lock
// held elsewhere is a refusal, 55P03, and the member goes its own way: finishAuthorized).

// maxShared bounds the transactions of one shared commit.
const maxShared = 64

type pgGroup struct {
	db    *DB
	once  sync.Once
	reqs  chan *sharedCommit
	stop  chan struct{}
	wg    sync.WaitGroup
	close sync.Once
}

// sharedCommit is one transaction's queued statements on their way to a shared commit.
type sharedCommit struct {
	ctx   context.Context // the transaction's, for its deadline
	stmts []pgStmt
	done  chan error // the transaction's outcome, once its batch has one
}

// commit sends stmts, the statements a transaction queued, in a shared commit and returns the
// transaction's outcome, or ctx's error when ctx ends first. Then, as when a commit of its own
// is cut short, the outcome is unknown (the batch goes on until the last of its members' deadlines).
func (g *pgGroup) commit(ctx context.Context, stmts []pgStmt) error {
	g.once.Do(g.start)
	r := &sharedCommit{ctx: ctx, stmts: stmts, done: make(chan error, 1)}
	select {
	case g.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.stop:
		return errors.New("database is closed")
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *pgGroup) start() {
	g.reqs = make(chan *sharedCommit)
	g.stop = make(chan struct{})
	// One committer: the shared commits of a node never run beside each other. Two that
	// inserted each other's keys (the same reference sent twice at once, to each) would wait
	// for each other, and PostgreSQL finds a deadlock only after deadlock_timeout (1 s), a
	// second for every create of both. Transactions that commit alone wait for a shared one
	// at most, never the other way round as well: a shared one inserts new rows, and locks
	// an existing one only NOWAIT. Across
	// nodes two batches can still meet that way (a merchant sending one reference twice at
	// once, through a load balancer, to two nodes): PostgreSQL then fails one with a
	// deadlock after that second, and the member that met it runs again (DB.update).
	g.wg.Go(g.loop)
}

// shutdown stops the committers once the batches under way have their outcome.
func (g *pgGroup) shutdown() {
	g.close.Do(func() {
		g.once.Do(g.start)
		close(g.stop)
		g.wg.Wait()
	})
}

func (g *pgGroup) loop() {
	for {
		var batch []*sharedCommit
		select {
		case r := <-g.reqs:
			batch = append(batch, r)
		case <-g.stop:
			return
		}
		g.run(takeWaiting(batch, g.reqs, maxShared))
	}
}

// run commits batch, sending it again without each transaction whose statement PostgreSQL
// refused, and then answers every member.
func (g *pgGroup) run(batch []*sharedCommit) {
	// The batch runs until the last of its members gives up: none of them cancels the others.
	limit := time.Now().Add(maxUpdate)
	var latest time.Time
	for _, r := range batch {
		d, ok := r.ctx.Deadline()
		if !ok || d.After(limit) {
			d = limit
		}
		if d.After(latest) {
			latest = d
		}
	}
	ctx, cancel := context.WithDeadline(context.Background(), latest)
	defer cancel()
	outcome := make([]error, len(batch))
	culprits := make([]bool, len(batch)) // failed by a refused statement of theirs
	left := make([]int, 0, len(batch))   // members still to commit, by index in batch
	for i := range batch {
		left = append(left, i)
	}
	for {
		// A member whose request gave up is not sent (again): it answered ctx's error.
		left = slices.DeleteFunc(left, func(i int) bool {
			outcome[i] = batch[i].ctx.Err()
			return outcome[i] != nil
		})
		if len(left) == 0 {
			break
		}
		var stmts []pgStmt
		var owner []int
		for _, i := range left {
			stmts = append(stmts, batch[i].stmts...)
			for range batch[i].stmts {
				owner = append(owner, i)
			}
		}
		var failed int
		var refused bool
		err := withPgx(ctx, g.db.write, func(conn *pgx.Conn) error {
			t := &pgTx{conn: conn, trips: &g.db.pgRoundTrips, queued: stmts}
			defer t.rollback()
			err := t.commit(ctx)
			failed, refused = t.failed, t.refused
			return err
		})
		if err == nil {
			break // outcome[i] stays nil for every member left
		}
		if failed == 0 || !refused {
			// Not one statement's refusal: the connection, PostgreSQL itself (read-only, out
			// of space), the COMMIT. When the connection failed, the server may have run the
			// whole pipeline, COMMIT included, so nothing is sent again, and every member
			// left has this outcome (unknown, or a failure). So has every member an earlier
			// pass failed: its refusal may have come from a row of a member left (a
			// reference it took), which may not be there.
			for i := range batch {
				if slices.Contains(left, i) || culprits[i] {
					outcome[i] = err
				}
			}
			break
		}
		// PostgreSQL refused that statement and skipped the rest of the pipeline, COMMIT
		// included: nothing of this pass was written. Its transaction fails alone.
		culprit := owner[failed-1]
		outcome[culprit], culprits[culprit] = err, true
		left = slices.DeleteFunc(left, func(i int) bool { return i == culprit })
	}
	for i, r := range batch {
		r.done <- outcome[i]
	}
}
