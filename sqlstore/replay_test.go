package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opaygate/opaygate/sqlstore"
)

func sigHash(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func TestReplay(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		g := sqlstore.NewReplayService(e.db)
		later := time.Now().Add(10 * time.Minute)
		seen := func(t *testing.T, merchant, sig string, expires time.Time, want bool) {
			t.Helper()
			got, err := g.Seen(ctx, merchant, sigHash(sig), expires)
			if err != nil || got != want {
				t.Fatalf("Seen(%s, %s): %v, %v; want %v", merchant, sig, got, err, want)
			}
		}
		t.Run("SecondIsReplay", func(t *testing.T) {
			seen(t, e.m.ID, "a", later, false)
			seen(t, e.m.ID, "a", later, true)
		})
		t.Run("OtherMerchantNotReplay", func(t *testing.T) {
			seen(t, e.other.ID, "a", later, false)
		})
		t.Run("ConcurrentExactlyOneFirst", func(t *testing.T) {
			var first, replays atomic.Int32
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					got, err := g.Seen(ctx, e.m.ID, sigHash("raced"), later)
					switch {
					case err != nil:
						t.Error(err)
					case got:
						replays.Add(1)
					default:
						first.Add(1)
					}
				})
			}
			wg.Wait()
			if first.Load() != 1 || replays.Load() != 15 {
				t.Fatalf("%d first, %d replays; want 1 and 15", first.Load(), replays.Load())
			}
		})
		t.Run("ForgetExpiredInBatches", func(t *testing.T) {
			past := time.Now().Add(-time.Second)
			for i := range 5 {
				seen(t, e.m.ID, fmt.Sprint("old-", i), past, false)
			}
			n, err := g.ForgetExpired(ctx, 3)
			if err != nil || n != 3 {
				t.Fatalf("first batch: %d, %v; want 3", n, err)
			}
			n, err = g.ForgetExpired(ctx, 3)
			if err != nil || n != 2 {
				t.Fatalf("second batch: %d, %v; want 2", n, err)
			}
			// Forgotten rows are gone; those still inside their window stay.
			seen(t, e.m.ID, "old-0", past, false)
			seen(t, e.m.ID, "a", later, true)
		})
	})
}
