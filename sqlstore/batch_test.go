package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
)

func openTestSQLite(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "batch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.write.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestGroupCommit: writes that share a commit stay independent. A write that
// fails or panics is rolled back alone; one that asks to commit despite its
// error keeps its changes; every acknowledged write is in the database.
func TestGroupCommit(t *testing.T) {
	db := openTestSQLite(t)
	ctx := context.Background()
	errWanted := errors.New("refused")
	var wg sync.WaitGroup
	results := make([]error, 200)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = db.update(ctx, opaygate.SystemClock{}, func(tx *Tx) error {
				if _, err := tx.exec(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, fmt.Sprint(i), i); err != nil {
					return err
				}
				switch i % 4 {
				case 1:
					return errWanted
				case 2:
					return commitThen(errWanted)
				case 3:
					if i%8 == 3 {
						panic("write blew up")
					}
				}
				return nil
			})
		}()
	}
	wg.Wait()
	rows, err := QueryStringsForTest(db, `SELECT k FROM kv`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, k := range rows {
		stored[k] = true
	}
	for i, err := range results {
		kept := stored[fmt.Sprint(i)]
		switch {
		case i%4 == 0 || (i%4 == 3 && i%8 != 3):
			if err != nil || !kept {
				t.Errorf("write %d: err %v, stored %v; want acknowledged and stored", i, err, kept)
			}
		case i%4 == 1:
			if !errors.Is(err, errWanted) || kept {
				t.Errorf("failed write %d: err %v, stored %v; want refused and rolled back", i, err, kept)
			}
		case i%4 == 2:
			if !errors.Is(err, errWanted) || !kept {
				t.Errorf("commitThen write %d: err %v, stored %v; want its error and its changes", i, err, kept)
			}
		default:
			if err == nil || kept {
				t.Errorf("panicking write %d: err %v, stored %v; want an error and no changes", i, err, kept)
			}
		}
	}
	if batches, writes := db.WriteStats(); writes != 200 || batches == 0 {
		t.Fatalf("stats: %d batches, %d writes", batches, writes)
	}
}

// TestGroupCommitClosed: writes after Close fail instead of hanging.
func TestGroupCommitClosed(t *testing.T) {
	db := openTestSQLite(t)
	db.Close()
	if err := db.update(context.Background(), opaygate.SystemClock{}, func(tx *Tx) error { return nil }); err == nil {
		t.Fatal("write on a closed database succeeded")
	}
}

// TestGroupCommitCancelledNeighbour: a request whose context ends while its
// long statement runs must not take the other writes of its batch down.
func TestGroupCommitCancelledNeighbour(t *testing.T) {
	db := openTestSQLite(t)
	ctx := context.Background()
	for round := 0; round < 5; round++ {
		var wg sync.WaitGroup
		errs := make([]error, 40)
		wg.Add(1)
		go func() {
			defer wg.Done()
			slow, cancel := context.WithTimeout(ctx, time.Millisecond)
			defer cancel()
			db.update(slow, opaygate.SystemClock{}, func(tx *Tx) error {
				_, err := tx.exec(slow, `INSERT INTO kv (k, v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
					SELECT 'slow-' || ? || '-' || i, i FROM n`, round)
				return err
			})
		}()
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = db.update(ctx, opaygate.SystemClock{}, func(tx *Tx) error {
					_, err := tx.exec(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, fmt.Sprintf("r%d-%d", round, i), i)
					return err
				})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: write %d failed beside a cancelled one: %v", round, i, err)
			}
		}
	}
}

// TestGroupCommitLostTransaction: when SQLite drops the batch's transaction
// by itself, nothing of it is applied and the batch runs again.
func TestGroupCommitLostTransaction(t *testing.T) {
	db := openTestSQLite(t)
	ctx := context.Background()
	var dropped atomic.Bool
	var wg sync.WaitGroup
	errs := make([]error, 30)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.update(ctx, opaygate.SystemClock{}, func(tx *Tx) error {
				if _, err := tx.exec(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, fmt.Sprint(i), i); err != nil {
					return err
				}
				if i == 7 && dropped.CompareAndSwap(false, true) {
					// What an interrupted statement or a full disk does.
					_, err := tx.sql.ExecContext(ctx, "ROLLBACK")
					return err
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	rows, _ := QueryStringsForTest(db, `SELECT k FROM kv`)
	if len(rows) != len(errs) {
		t.Fatalf("%d rows, want %d (each write exactly once)", len(rows), len(errs))
	}
}

// TestCreateOrderRerun: a create whose transaction runs twice (a retry, or a
// batch run again) answers as if it ran once, even when it fails at once.
func TestCreateOrderRerun(t *testing.T) {
	db := openTestSQLite(t)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	net := noCredit{}
	svc := NewServices(db, Deps{Methods: method.Default(), ValU: net, OTP: net, Acquirer: net})
	ctx := context.Background()
	if err := svc.Merchants.CreateMerchant(ctx, &opaygate.Merchant{ID: "256612345678901", PrivateKey: "k", PublicKey: "p"}); err != nil {
		t.Fatal(err)
	}
	var ran atomic.Int32
	db.rerun = func() bool { return ran.Add(1) == 1 } // the first attempt is thrown away
	o := &opaygate.Order{MerchantID: "256612345678901", Reference: "r", Country: "EG", Amount: 60000,
		PayMethod: opaygate.PayMethodValU, ValUAccount: "01000000051"}
	if err := svc.Orders.CreatePayment(ctx, o, nil); err != nil {
		t.Fatalf("create run twice: %v", err)
	}
	if o.Status != opaygate.StatusFail || o.FailureCode != "51" || ran.Load() < 2 {
		t.Fatalf("order %s %s after %d runs", o.Status, o.FailureCode, ran.Load())
	}
}

type noCredit struct{}

func (noCredit) CreditLimit(context.Context, string) (int64, error)     { return 0, nil }
func (noCredit) SendOTP(context.Context, *opaygate.Order, string) error { return nil }
func (noCredit) Authorize(context.Context, *opaygate.Order) (opaygate.Decision, error) {
	return opaygate.Decision{Approved: true}, nil
}
