package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/server/internal/httplog"
)

// The request log (docs/sandbox.md): every API request answered goes to the RequestRecorder
// once its answer is written, and /_sandbox/requests reads the log back.

// RequestRecorder takes the record of an API request with its bodies as sent and answered
// (reqlog.Log): the answer is always JSON the server encoded (Server.write), which the log
// need not check again. Record must never block: it runs after the answer, on the request's
// goroutine.
// It redacts the bodies before anything stores them. Flush returns once what was recorded
// before is stored, so that a reader finds the request it just made.
type RequestRecorder interface {
	Record(r *opaygate.APIRequest, request, response []byte)
	Flush(ctx context.Context) error
}

// apiPrefix is what the paths of the merchant API start with: only those are logged, not the
// pages, the dashboard, /healthz or /_sandbox/.
const apiPrefix = "/api/"

// maxLoggedPath bounds the path a log row keeps; the API's longest is 53 bytes.
const maxLoggedPath = 256

// recordRequest hands an answered API request to the request log. The merchant is the one
// the request named, even an unknown one; a request refused before identify read the header
// (an unknown endpoint) still names it.
func (s *Server) recordRequest(r *http.Request, x *httplog.Exchange, d time.Duration) {
	if s.svc.RequestLog == nil || !strings.HasPrefix(r.URL.Path, apiPrefix) {
		return
	}
	merchant := x.Merchant
	if id := strings.TrimSpace(r.Header.Get("MerchantId")); merchant == "" && len(id) <= 64 {
		merchant = id
	}
	path, method := r.URL.Path, r.Method
	if len(path) > maxLoggedPath {
		path = path[:maxLoggedPath]
	}
	if len(method) > 16 {
		method = method[:16]
	}
	s.svc.RequestLog.Record(&opaygate.APIRequest{At: s.svc.Clock.Now().Add(-d), RequestID: x.ID,
		Method: method, Path: path, MerchantID: merchant, Known: x.Known, HTTPStatus: x.Status,
		Code: x.Code, Duration: d, Detail: x.Detail}, x.Body, x.Answer)
}

func (s *Server) sandboxRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := opaygate.RequestFilter{MerchantID: q.Get("merchantId"), Path: q.Get("path"), Code: q.Get("code")}
	switch q.Get("failed") {
	case "":
	case "true":
		f.Failed = true
	case "false":
		f.Succeeded = true
	default:
		s.fail(w, r, invalid("failed must be true or false"))
		return
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			s.fail(w, r, invalid("limit must be an integer from 1 to 500"))
			return
		}
		f.Limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			s.fail(w, r, invalid("before must be a positive integer (a request's id)"))
			return
		}
		f.Before = n
	}
	s.flushRequests(r.Context())
	list, err := s.svc.Requests.FindRequests(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]opaygate.APIRequestJSON, len(list))
	for i, x := range list {
		out[i] = x.JSON()
	}
	s.ok(w, r, out)
}

// flushRequests writes this node's queued requests before a read, waiting a moment at most:
// a log that is behind shows the rest at the next read.
func (s *Server) flushRequests(ctx context.Context) {
	if s.svc.RequestLog == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_ = s.svc.RequestLog.Flush(ctx)
}
