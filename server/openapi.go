package server

import (
	"net/http"
	"strings"

	"github.com/opaygate/opaygate/server/internal/httplog"
	"github.com/opaygate/opaygate/server/openapi"
)

// openAPI serves the OpenAPI document (package openapi) in every mode: it describes the API,
// not any merchant, so it needs no credentials. It changes only with the binary, so a client
// may cache it and revalidate with its ETag.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	etag := openapi.ETag()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, etag) {
		httplog.Record(r, http.StatusNotModified)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	httplog.Record(r, http.StatusOK)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(openapi.Document())
	}
}

// etagMatches reports whether an If-None-Match header names etag (or is "*"); weak tags
// match too, as RFC 9110 has If-None-Match compare weakly.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
