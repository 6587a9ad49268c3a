package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
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
			results[i] = db.update(ctx, func(tx *Tx) error {
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
	if err := db.update(context.Background(), func(tx *Tx) error { return nil }); err == nil {
		t.Fatal("write on a closed database succeeded")
	}
}
