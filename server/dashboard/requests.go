package dashboard

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/opaygate/opaygate"
)

// The Developers → Requests pages: the merchant's own entries of the request log, newest
// first, with the bodies (stored redacted) and the diagnosis of every refusal.

// requestsPage is the data of the request listing.
type requestsPage struct {
	Requests []*opaygate.APIRequest
	Filter   url.Values
	Paths    []string // the paths the merchant's log holds
	Older    string   // the next page's URL, "" on the last
	Problems []string // filters that were ignored, and why
}

// requests lists the merchant's logged requests, filtered by path, code and outcome.
func (d *Dashboard) requests(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	ctx := r.Context()
	if d.svc.FlushRequests != nil {
		d.svc.FlushRequests(ctx)
	}
	f := opaygate.RequestFilter{MerchantID: v.m.ID, Limit: pageSize}
	data := requestsPage{Filter: q}
	var err error
	if data.Paths, err = d.svc.Requests.RequestPaths(ctx, v.m.ID); err != nil {
		d.fail(w, r, v, err)
		return
	}
	switch p := q.Get("path"); {
	case p == "":
	case slices.Contains(data.Paths, p):
		f.Path = p
	default:
		data.Problems = append(data.Problems, "a path with no requests was ignored")
	}
	switch c := q.Get("code"); {
	case c == "":
	case len(c) == 5 && opaygate.Digits(c):
		f.Code = c
	default:
		data.Problems = append(data.Problems, "code must be five digits, like 02000; ignored")
	}
	switch q.Get("outcome") {
	case "":
	case "failed":
		f.Failed = true
	case "succeeded":
		f.Succeeded = true
	default:
		data.Problems = append(data.Problems, "unknown outcome ignored")
	}
	if s := q.Get("before"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			f.Before = n
		}
	}
	if data.Requests, err = d.svc.Requests.FindRequests(ctx, f); err != nil {
		d.fail(w, r, v, err)
		return
	}
	if n := len(data.Requests); n == pageSize {
		next := url.Values{}
		for k, vs := range q {
			next[k] = vs
		}
		next.Set("before", strconv.FormatInt(data.Requests[n-1].ID, 10))
		data.Older = "/dashboard/requests?" + next.Encode()
	}
	d.render(w, r, http.StatusOK, "requests", v, page{Title: "Requests", Nav: "requests", Data: data})
}

// requestView is one logged request with its bodies ready to show.
type requestView struct {
	*opaygate.APIRequest
	Request, Response string
}

// request shows one logged request of the merchant; another merchant's is the same 404 as a
// missing one.
func (d *Dashboard) request(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		d.notFound(w, r, v)
		return
	}
	x, err := d.svc.Requests.FindRequest(r.Context(), id)
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	if x.MerchantID != v.m.ID {
		d.notFound(w, r, v)
		return
	}
	d.render(w, r, http.StatusOK, "request", v, page{Title: "Request " + x.RequestID, Nav: "requests",
		Data: requestView{APIRequest: x, Request: pretty(x.RequestBody), Response: pretty(x.ResponseBody)}})
}

// pretty indents a JSON body; a body that is not JSON (or was cut) is shown as stored.
func pretty(s string) string {
	var b bytes.Buffer
	if json.Indent(&b, []byte(s), "", "  ") != nil {
		return s
	}
	return b.String()
}
