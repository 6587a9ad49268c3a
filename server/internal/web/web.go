// Package web is what the customer's pages (package pay) and the merchant dashboard (package
// dashboard) both need to serve server-rendered HTML: a directory of html/template files, one
// per page, parsed with a shared layout at start-up, so a broken template fails the boot and
// not a visitor; the embedded static files with a content hash for cache busting; the headers
// of an HTML answer; and rendering into a buffer, so a failing template never sends half a
// page.
//
// Each surface keeps its own policy (Referrer-Policy, Content-Security-Policy, how long static
// files are cached) and its own texts; only the mechanics live here. It imports nothing of ours
// but httplog: never package server, the domain services, storage or the payment network.
package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/opaygate/opaygate/server/internal/httplog"
)

// Config describes one site: its templates, static files and HTML headers.
type Config struct {
	// Name says what a page is in errors and logs: "customer page", "dashboard page".
	Name string
	// Templates holds layout.html, which defines "layout", and one file per page, which
	// defines "content"; a page is named by its file name without ".html".
	Templates fs.FS
	Funcs     template.FuncMap
	// Pages are the pages the handlers render: New fails when one is missing.
	Pages []string
	// Static holds the files served as they are (CSS, scripts).
	Static fs.FS
	// Referrer and CSP are the Referrer-Policy and Content-Security-Policy of HTML answers.
	Referrer, CSP string
	Logger        *slog.Logger // nil = discard
}

// Site is a parsed set of pages and their static files.
type Site struct {
	name     string
	pages    map[string]*template.Template
	static   map[string]asset
	version  string
	referrer string
	csp      string
	log      *slog.Logger
}

type asset struct {
	body        []byte
	contentType string
}

// New parses every page of c.Templates with layout.html and loads the static files. It fails
// on any template error, and when a page of c.Pages is missing.
func New(c Config) (*Site, error) {
	s := &Site{name: c.Name, pages: make(map[string]*template.Template), static: make(map[string]asset),
		referrer: c.Referrer, csp: c.CSP, log: c.Logger}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	names, err := fs.Glob(c.Templates, "*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if name == "layout.html" {
			continue
		}
		t, err := template.New(name).Funcs(c.Funcs).ParseFS(c.Templates, "layout.html", name)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", c.Name, name, err)
		}
		if t.Lookup("content") == nil || t.Lookup("layout") == nil {
			return nil, fmt.Errorf("%s %s: needs a layout and a content template", c.Name, name)
		}
		s.pages[strings.TrimSuffix(name, ".html")] = t
	}
	for _, name := range c.Pages {
		if s.pages[name] == nil {
			return nil, fmt.Errorf("%s %s.html is missing", c.Name, name)
		}
	}
	h := sha256.New()
	err = fs.WalkDir(c.Static, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(c.Static, name)
		if err != nil {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		s.static[name] = asset{body: body, contentType: ct}
		h.Write([]byte(name))
		h.Write(body)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s static files: %w", c.Name, err)
	}
	s.version = hex.EncodeToString(h.Sum(nil))[:12]
	return s, nil
}

// Dirs splits the files a surface embeds into its templates/ and static/ directories.
func Dirs(files fs.FS) (templates, static fs.FS) {
	// fs.Sub fails only on an invalid directory name, and these two are valid.
	templates, _ = fs.Sub(files, "templates")
	static, _ = fs.Sub(files, "static")
	return templates, static
}

// Version is a hash of the static files' names and contents, for their URLs (?v=): browsers
// may cache them for long and still see a new release at once.
func (s *Site) Version() string { return s.version }

// Pages lists the pages by name, in order.
func (s *Site) Pages() []string {
	names := make([]string, 0, len(s.pages))
	for name := range s.pages {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Render writes page name with data and status. The template runs into a buffer first, so a
// failure is a clean 500 error page (its cause logged) instead of half a form. An unknown page
// is a bug of the handler and panics.
func (s *Site) Render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	t, ok := s.pages[name]
	if !ok {
		panic("web: no " + s.name + " " + name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log.Error("render "+s.name, "request_id", httplog.From(r.Context()).ID, "page", name, "err", err)
		buf.Reset()
		buf.WriteString("<!doctype html><title>Error</title><p>Something went wrong. Please try again.</p>")
		status = http.StatusInternalServerError
	}
	s.Headers(w)
	httplog.Record(r, status)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// Redirect answers 303 See Other to target, with the headers of a page: after a POST the
// browser GETs target, so a reload never posts again (Post/Redirect/Get).
func (s *Site) Redirect(w http.ResponseWriter, r *http.Request, target string) {
	s.Headers(w)
	w.Header().Set("Location", target)
	httplog.Record(r, http.StatusSeeOther)
	w.WriteHeader(http.StatusSeeOther)
}

// Headers sets the headers of an HTML answer: no cache keeps it (it shows the state of a
// payment or an account), no site frames it (clickjacking), the browser does not guess its
// type, and the site's referrer and content security policies.
func (s *Site) Headers(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", s.referrer)
	h.Set("Content-Security-Policy", s.csp)
}

// Static serves the static file name with cacheControl, or reports false (having written
// nothing) when there is no such file.
func (s *Site) Static(w http.ResponseWriter, r *http.Request, name, cacheControl string) bool {
	f, ok := s.static[name]
	if !ok {
		return false
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", cacheControl)
	h.Set("X-Content-Type-Options", "nosniff")
	httplog.Record(r, http.StatusOK)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(f.body)
	}
	return true
}
