package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/sqlstore"
)

func logged(merchant string, known bool, code string, n int) []*opaygate.APIRequest {
	var rs []*opaygate.APIRequest
	for i := range n {
		rs = append(rs, &opaygate.APIRequest{At: time.UnixMilli(1_700_000_000_000 + int64(i)), RequestID: fmt.Sprintf("%s-%d", merchant, i),
			Method: "POST", Path: "/api/v1/international/cashier/status", MerchantID: merchant, Known: known,
			HTTPStatus: 200, Code: code, Duration: 1500 * time.Microsecond, Detail: "d",
			RequestBody: `{"reference":"r"}`, ResponseBody: `{"code":"` + code + `"}`, ResponseTruncated: true})
	}
	return rs
}

func TestRequestLog(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := e.svc.Requests
		if err := s.AddRequests(ctx, logged(e.m.ID, true, "00000", 40)); err != nil { // a full chunk and the rest
			t.Fatal(err)
		}
		if err := s.AddRequests(ctx, logged(e.m.ID, true, "02000", 3)); err != nil {
			t.Fatal(err)
		}
		if err := s.AddRequests(ctx, logged(e.other.ID, true, "02001", 2)); err != nil {
			t.Fatal(err)
		}

		t.Run("NewestFirstRoundTrip", func(t *testing.T) {
			rs, err := s.FindRequests(ctx, opaygate.RequestFilter{MerchantID: e.m.ID, Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 5 || rs[0].RequestID != e.m.ID+"-2" || rs[0].Code != "02000" || rs[0].ID < rs[1].ID {
				t.Fatalf("got %d, first %+v", len(rs), rs[0])
			}
			r, err := s.FindRequest(ctx, rs[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			want := logged(e.m.ID, true, "02000", 3)[2]
			want.ID = r.ID
			if !r.At.Equal(want.At) || r.Duration != want.Duration || !r.Known || !r.ResponseTruncated || r.RequestTruncated {
				t.Fatalf("got %+v", r)
			}
			r.At = want.At
			if *r != *want {
				t.Fatalf("got %+v\nwant %+v", r, want)
			}
		})
		t.Run("Filters", func(t *testing.T) {
			for name, c := range map[string]struct {
				f    opaygate.RequestFilter
				want int
			}{
				"Failed":    {opaygate.RequestFilter{Failed: true}, 5},
				"Succeeded": {opaygate.RequestFilter{Succeeded: true, Limit: 500}, 40},
				"Code":      {opaygate.RequestFilter{Code: "02001"}, 2},
				"Merchant":  {opaygate.RequestFilter{MerchantID: e.other.ID}, 2},
				"Path":      {opaygate.RequestFilter{Path: "/api/v1/international/cashier/create"}, 0},
				"Default":   {opaygate.RequestFilter{}, 45},
			} {
				t.Run(name, func(t *testing.T) {
					rs, err := s.FindRequests(ctx, c.f)
					if err != nil {
						t.Fatal(err)
					}
					if len(rs) != min(c.want, 50) {
						t.Fatalf("got %d, want %d", len(rs), c.want)
					}
				})
			}
			all, _ := s.FindRequests(ctx, opaygate.RequestFilter{MerchantID: e.m.ID, Limit: 10})
			page, _ := s.FindRequests(ctx, opaygate.RequestFilter{MerchantID: e.m.ID, Before: all[4].ID, Limit: 3})
			if len(page) != 3 || page[0].ID != all[5].ID {
				t.Fatalf("page after %d starts at %v", all[4].ID, page)
			}
		})
		t.Run("Paths", func(t *testing.T) {
			if err := s.AddRequests(ctx, []*opaygate.APIRequest{{Path: "/api/v1/a", MerchantID: e.other.ID, Known: true}}); err != nil {
				t.Fatal(err)
			}
			paths, err := s.RequestPaths(ctx, e.other.ID)
			if err != nil || !slices.Equal(paths, []string{"/api/v1/a", "/api/v1/international/cashier/status"}) {
				t.Fatalf("paths %q, %v", paths, err)
			}
		})
		t.Run("ENOTFOUND", func(t *testing.T) {
			if _, err := s.FindRequest(ctx, 1<<40); opaygate.ErrorCode(err) != opaygate.ENOTFOUND {
				t.Fatalf("got %v", err)
			}
		})
	})
}

func TestPruneRequests(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		s := e.svc.Requests
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.AddRequests(ctx, logged(e.m.ID, true, "00000", 30)))
		must(s.AddRequests(ctx, logged(e.other.ID, true, "00000", 5)))
		// Made-up merchant ids share one allowance, whatever id each named.
		for i := range 12 {
			must(s.AddRequests(ctx, logged(fmt.Sprint("made-up-", i), false, "02000", 1)))
		}
		newest, _ := s.FindRequests(ctx, opaygate.RequestFilter{MerchantID: e.m.ID, Limit: 10})

		n, err := s.PruneRequests(ctx, 10, []string{e.m.ID})
		must(err)
		if n != 20 {
			t.Fatalf("pruned %d of merchant A, want 20", n)
		}
		n, err = s.PruneRequests(ctx, 10, nil) // every bucket: B has 5, the made-up ids 12
		must(err)
		if n != 2 {
			t.Fatalf("pruned %d, want the 2 oldest made-up ones", n)
		}
		n, err = s.PruneRequests(ctx, 10, nil)
		must(err)
		if n != 0 {
			t.Fatalf("pruned %d again", n)
		}
		left, _ := s.FindRequests(ctx, opaygate.RequestFilter{MerchantID: e.m.ID, Limit: 500})
		if !slices.EqualFunc(left, newest, func(a, b *opaygate.APIRequest) bool { return a.ID == b.ID }) {
			t.Fatalf("kept %d rows, not the newest 10", len(left))
		}
		for id, want := range map[string]int{e.other.ID: 5, "made-up-0": 0, "made-up-1": 0, "made-up-2": 1, "made-up-11": 1} {
			rs, _ := s.FindRequests(ctx, opaygate.RequestFilter{MerchantID: id})
			if len(rs) != want {
				t.Errorf("%s: %d rows, want %d", id, len(rs), want)
			}
		}
		must(s.AddRequests(ctx, logged(e.m.ID, true, "00000", 2)))
		n, err = s.PruneRequests(ctx, 0, []string{e.m.ID})
		must(err)
		if n != 12 {
			t.Fatalf("keep 0 pruned %d, want all 12", n)
		}
	})
}

// TestRequestLogMigrationAfterLater applies 013 to a database that has 014 already, as the
// branches' merge order may leave one: the runner applies every migration it has not
// recorded, whatever its number.
func TestRequestLogMigrationAfterLater(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		w := e.db.WritePool()
		for _, q := range []string{`DROP TABLE request_log`, `DELETE FROM migrations WHERE name = '013_request_log.sql'`} {
			if _, err := w.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		applied, err := e.db.Migrate(ctx)
		if err != nil || !slices.Equal(applied, []string{"013_request_log.sql"}) {
			t.Fatalf("applied %v, %v", applied, err)
		}
		if err := sqlstore.NewRequestLogService(e.db).AddRequests(ctx, logged(e.m.ID, true, "00000", 1)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestAddRequestsSettingStaysInside: on PostgreSQL the log's rows are written (COPY) in a
// transaction that does not wait for the WAL flush, and that setting ends with it: the next
// transaction on the same connection waits again.
func TestAddRequestsSettingStaysInside(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		if e.db.Dialect() != sqlstore.Postgres {
			return // SQLite's commits share the group committer's one sync
		}
		e.db.SetMaxConns(1) // the next statement gets the same connection
		ctx := context.Background()
		if err := sqlstore.NewRequestLogService(e.db).AddRequests(ctx, logged(e.m.ID, true, "00000", 40)); err != nil {
			t.Fatal(err)
		}
		got, err := sqlstore.QueryStrings(e.db, `SHOW synchronous_commit`)
		if err != nil || len(got) != 1 || got[0] != "on" {
			t.Fatalf("synchronous_commit after the log's write: %v %v, want on", got, err)
		}
		list, err := sqlstore.NewRequestLogService(e.db).FindRequests(ctx, opaygate.RequestFilter{MerchantID: e.m.ID, Limit: 100})
		if err != nil || len(list) != 40 {
			t.Fatalf("%d requests found, %v; want the 40 written", len(list), err)
		}
	})
}
