package opaygate

import (
	"context"
	"time"
)

// APIRequest is one API request the gateway answered, as its request log keeps it: what was
// asked, what was answered and, for a refusal, why (the X-Opaygate-Detail text). The bodies
// are stored only after package reqlog redacted them (card numbers masked, OTPs, PINs, CVVs,
// BVNs and keys removed); the Authorization header is never kept.
type APIRequest struct {
	ID        int64
	At        time.Time // when the request arrived, on the gateway's clock
	RequestID string    // X-Request-Id
	Method    string
	Path      string
	// MerchantID is the MerchantId header as the request named it, even when no such merchant
	// exists ("" when it named none).
	MerchantID string
	// Known is set when MerchantID named a merchant of the gateway. The log keeps the newest
	// requests per known merchant; requests naming no known merchant share one allowance, so
	// that made-up ids cannot grow the table.
	Known      bool
	HTTPStatus int
	Code       string // the answer's OPay code
	Duration   time.Duration
	Detail     string // why the request was refused; "" when it was not

	RequestBody, ResponseBody           string
	RequestTruncated, ResponseTruncated bool
}

// Failed reports whether the answer was anything but 00000.
func (r *APIRequest) Failed() bool { return r.Code != "00000" }

// RequestFilter selects logged requests. Empty fields match everything.
type RequestFilter struct {
	MerchantID string
	Path       string // exact
	Code       string
	Failed     bool  // only answers other than 00000
	Succeeded  bool  // only 00000
	Before     int64 // only ids below this one (paging), 0: from the newest
	Limit      int   // default 50, at most 500
}

// RequestLogService stores the request log.
type RequestLogService interface {
	// AddRequests stores logged requests, already redacted, in one write.
	AddRequests(ctx context.Context, rs []*APIRequest) error
	// FindRequests returns the requests matching f, newest first.
	FindRequests(ctx context.Context, f RequestFilter) ([]*APIRequest, error)
	// RequestPaths returns the distinct paths logged for a merchant, sorted, for filters.
	RequestPaths(ctx context.Context, merchantID string) ([]string, error)
	// FindRequest returns one logged request; ENOTFOUND when it is not there (or was pruned).
	FindRequest(ctx context.Context, id int64) (*APIRequest, error)
	// PruneRequests deletes all but the newest keep requests of each merchant named in
	// merchants (all merchants when merchants is nil; "" is the requests that named no known
	// merchant) and returns how many it deleted. It is an idempotent DELETE, so any number of
	// nodes may run it at once.
	PruneRequests(ctx context.Context, keep int, merchants []string) (int, error)
}

// APIRequestJSON is a logged request as /_sandbox/requests and `opaygate requests --json`
// show it: the time in RFC 3339 with milliseconds, the duration in milliseconds, the bodies as
// stored (redacted).
type APIRequestJSON struct {
	ID                int64   `json:"id"`
	At                string  `json:"at"`
	RequestID         string  `json:"requestId"`
	Method            string  `json:"method"`
	Path              string  `json:"path"`
	MerchantID        string  `json:"merchantId"`
	KnownMerchant     bool    `json:"knownMerchant"`
	HTTPStatus        int     `json:"httpStatus"`
	Code              string  `json:"code"`
	DurationMs        float64 `json:"durationMs"`
	Detail            string  `json:"detail"`
	RequestBody       string  `json:"requestBody"`
	RequestTruncated  bool    `json:"requestTruncated"`
	ResponseBody      string  `json:"responseBody"`
	ResponseTruncated bool    `json:"responseTruncated"`
}

// JSON returns r as APIRequestJSON.
func (r *APIRequest) JSON() APIRequestJSON {
	return APIRequestJSON{ID: r.ID, At: r.At.UTC().Format("2006-01-02T15:04:05.000Z07:00"), RequestID: r.RequestID,
		Method: r.Method, Path: r.Path, MerchantID: r.MerchantID, KnownMerchant: r.Known, HTTPStatus: r.HTTPStatus,
		Code: r.Code, DurationMs: float64(r.Duration.Microseconds()) / 1000, Detail: r.Detail,
		RequestBody: r.RequestBody, RequestTruncated: r.RequestTruncated,
		ResponseBody: r.ResponseBody, ResponseTruncated: r.ResponseTruncated}
}
