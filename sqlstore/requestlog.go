package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opaygate/opaygate"
)

// RequestLogService stores the request log in request_log (see opaygate.APIRequest). Rows
// arrive in batches from one background writer per node (package reqlog), never inside a
// request's transaction.
type RequestLogService struct {
	db *DB
}

var _ opaygate.RequestLogService = (*RequestLogService)(nil)

// NewRequestLogService returns the request log on db.
func NewRequestLogService(db *DB) *RequestLogService { return &RequestLogService{db: db} }

const requestColumns = `id, at, request_id, method, path, merchant_id, bucket, http_status, code,
	duration_us, detail, request_body, request_truncated, response_body, response_truncated`

// insertChunk is how many rows one INSERT writes. Batches are written in chunks of this size
// and the rest one by one, so that only two statements are ever prepared.
const insertChunk = 32

// AddRequests inserts rs in one write transaction. On PostgreSQL it is a COPY that does not
// wait for the WAL flush (copyRequests): a crash may lose the last moments of the log, never
// anything else. On SQLite the rows share the group committer's one sync.
func (s *RequestLogService) AddRequests(ctx context.Context, rs []*opaygate.APIRequest) error {
	if len(rs) == 0 {
		return nil
	}
	if s.db.dialect == Postgres {
		if err := s.copyRequests(ctx, rs); err != nil {
			return fmt.Errorf("add requests: %w", err)
		}
		return nil
	}
	err := s.db.update(ctx, opaygate.SystemClock{}, func(tx *Tx) error {
		for rest := rs; len(rest) > 0; {
			n := 1
			if len(rest) >= insertChunk {
				n = insertChunk
			}
			args := make([]any, 0, n*14)
			for _, r := range rest[:n] {
				args = append(args, requestValues(r)...)
			}
			if err := tx.execLater(ctx, insertRequests(n), args...); err != nil {
				return err
			}
			rest = rest[n:]
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add requests: %w", err)
	}
	return nil
}

// copyRequests writes rs on PostgreSQL with COPY, in a transaction that does not wait for the
// WAL flush (as noFlushWait): PostgreSQL's cheapest way in for many rows, a third of the
// INSERTs' CPU per row. COPY works behind a transaction pooler too.
func (s *RequestLogService) copyRequests(ctx context.Context, rs []*opaygate.APIRequest) error {
	rows := make([][]any, len(rs))
	for i, r := range rs {
		rows[i] = requestValues(r)
	}
	return withPgx(ctx, s.db.write, func(conn *pgx.Conn) error {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.WithoutCancel(ctx))
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit TO OFF`); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"request_log"}, copyColumns, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
}

// copyColumns are the columns a logged request is written to, in requestValues' order.
var copyColumns = []string{"at", "request_id", "method", "path", "merchant_id", "bucket", "http_status",
	"code", "duration_us", "detail", "request_body", "request_truncated", "response_body", "response_truncated"}

// requestValues are r's values for copyColumns (and insertRequests' placeholders). The bucket
// is the merchant's id when the request named a known merchant, ” otherwise.
func requestValues(r *opaygate.APIRequest) []any {
	bucket := ""
	if r.Known {
		bucket = r.MerchantID
	}
	return []any{ms(r.At), r.RequestID, r.Method, r.Path, r.MerchantID, bucket,
		int32(r.HTTPStatus), r.Code, r.Duration.Microseconds(), r.Detail,
		r.RequestBody, r.RequestTruncated, r.ResponseBody, r.ResponseTruncated}
}

// insertRequests is the INSERT of n rows.
func insertRequests(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO request_log (at, request_id, method, path, merchant_id, bucket, http_status,
		code, duration_us, detail, request_body, request_truncated, response_body, response_truncated) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	return b.String()
}

// FindRequests returns the requests matching f, newest first.
func (s *RequestLogService) FindRequests(ctx context.Context, f opaygate.RequestFilter) ([]*opaygate.APIRequest, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.MerchantID != "" {
		// Through the (bucket, id) index: a merchant's requests are in its bucket, or in ''
		// when they named it before it existed (or never did).
		add("bucket IN (?, '')", f.MerchantID)
		add("merchant_id = ?", f.MerchantID)
	}
	if f.Path != "" {
		add("path = ?", f.Path)
	}
	if f.Code != "" {
		add("code = ?", f.Code)
	}
	if f.Failed {
		add("code <> ?", "00000")
	}
	if f.Succeeded {
		add("code = ?", "00000")
	}
	if f.Before > 0 {
		add("id < ?", f.Before)
	}
	q := `SELECT ` + requestColumns + ` FROM request_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC LIMIT ?`
	rows, err := s.db.readRows(ctx, q, append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("find requests: %w", err)
	}
	defer rows.Close()
	var out []*opaygate.APIRequest
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("find requests: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find requests: %w", err)
	}
	return out, nil
}

// RequestPaths returns the distinct paths logged for merchantID, through the bucket index (as
// FindRequests).
func (s *RequestLogService) RequestPaths(ctx context.Context, merchantID string) ([]string, error) {
	rows, err := s.db.readRows(ctx, `SELECT DISTINCT path FROM request_log
		WHERE bucket IN (?, '') AND merchant_id = ? ORDER BY path`, merchantID, merchantID)
	if err != nil {
		return nil, fmt.Errorf("request paths: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("request paths: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("request paths: %w", err)
	}
	return out, nil
}

// FindRequest returns one logged request.
func (s *RequestLogService) FindRequest(ctx context.Context, id int64) (*opaygate.APIRequest, error) {
	r, err := scanRequest(s.db.readRow(ctx, `SELECT `+requestColumns+` FROM request_log WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opaygate.Errorf(opaygate.ENOTFOUND, "request not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find request: %w", err)
	}
	return r, nil
}

func scanRequest(row interface{ Scan(...any) error }) (*opaygate.APIRequest, error) {
	var r opaygate.APIRequest
	var at, us int64
	var bucket string
	if err := row.Scan(&r.ID, &at, &r.RequestID, &r.Method, &r.Path, &r.MerchantID, &bucket, &r.HTTPStatus,
		&r.Code, &us, &r.Detail, &r.RequestBody, &r.RequestTruncated, &r.ResponseBody, &r.ResponseTruncated); err != nil {
		return nil, err
	}
	r.At, r.Duration, r.Known = fromMS(at), time.Duration(us)*time.Microsecond, bucket != ""
	return &r, nil
}

// PruneRequests keeps the newest keep rows of each bucket named (every bucket when merchants
// is nil). Each bucket is one DELETE of the rows at or below its keep-th newest id, found
// through the (bucket, id) index: it deletes nothing twice, so nodes pruning the same bucket
// at once only repeat each other's work.
func (s *RequestLogService) PruneRequests(ctx context.Context, keep int, merchants []string) (int, error) {
	if keep < 0 {
		return 0, opaygate.Invalid("keep must not be negative")
	}
	if merchants == nil {
		rows, err := s.db.readRows(ctx, `SELECT DISTINCT bucket FROM request_log`)
		if err != nil {
			return 0, fmt.Errorf("prune requests: %w", err)
		}
		for rows.Next() {
			var b string
			if err := rows.Scan(&b); err != nil {
				rows.Close()
				return 0, fmt.Errorf("prune requests: %w", err)
			}
			merchants = append(merchants, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("prune requests: %w", err)
		}
	}
	total := 0
	for _, bucket := range merchants {
		var cut sql.NullInt64
		err := s.db.readRow(ctx, `SELECT id FROM request_log WHERE bucket = ? ORDER BY id DESC LIMIT 1 OFFSET ?`,
			bucket, keep).Scan(&cut)
		if errors.Is(err, sql.ErrNoRows) {
			continue // no more than keep rows
		} else if err != nil {
			return total, fmt.Errorf("prune requests: %w", err)
		}
		for {
			var n int64
			err = s.db.update(ctx, opaygate.SystemClock{}, func(tx *Tx) error {
				if err := tx.noFlushWait(ctx); err != nil {
					return err
				}
				res, err := tx.exec(ctx, `DELETE FROM request_log WHERE id IN (
					SELECT id FROM request_log WHERE bucket = ? AND id <= ? ORDER BY id LIMIT ?)`,
					bucket, cut.Int64, pruneBatch)
				if err != nil {
					return err
				}
				n, err = res.RowsAffected()
				return err
			})
			if err != nil {
				return total, fmt.Errorf("prune requests: %w", err)
			}
			total += int(n)
			if n < pruneBatch {
				break
			}
		}
	}
	return total, nil
}

// pruneBatch bounds the rows one DELETE removes, so that a prune after a long pause (or of a
// lowered keep) holds SQLite's one writer for a few milliseconds at a time, not for seconds.
const pruneBatch = 2000
