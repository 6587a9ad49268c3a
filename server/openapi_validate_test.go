package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	vderrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/opaygate/opaygate/server/openapi"
)

// Every server test runs its requests through contract (newTestServer wraps the handler): the
// answer of every documented route is validated against the OpenAPI document, and so is every
// request the gateway accepted (00000). A mismatch fails the test that made the call, so the
// document cannot drift from what the gateway does (docs/OPENAPI.md).
//
// The validation is libopenapi-validator's (pb33f): it reads OpenAPI 3.1 natively and checks
// bodies with a JSON Schema 2020-12 validator, so the document's if/then, const and type
// arrays are checked as written. On top of it, contract checks that each answer's code is one
// of the codes its operation lists in x-opaygate-codes.

// contract is the document compiled once per test binary.
type contract struct {
	v      validator.Validator            // requests
	strict validator.Validator            // answers, which may not carry undeclared members
	codes  map[string]map[string][]string // path → method → x-opaygate-codes
	mu     sync.Mutex                     // the validators' caches are not safe for concurrent use
}

var (
	contractOnce sync.Once
	contractVal  *contract
	contractErr  error
)

// loadContract compiles the served document once.
func loadContract() (*contract, error) {
	contractOnce.Do(func() { contractVal, contractErr = newContract(openapi.Document()) })
	return contractVal, contractErr
}

func newContract(doc []byte) (*contract, error) {
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("parse openapi.json: %w", err)
	}
	v, errs := validator.NewValidator(d, config.WithoutSecurityValidation())
	if len(errs) > 0 {
		return nil, fmt.Errorf("build validator: %v", errs)
	}
	// Answers are checked strictly: a member the document does not declare is reported, so
	// that a new member cannot go undocumented, although the document's schemas stay open for
	// clients, which must tolerate new members. Requests are not: the gateway ignores members
	// it does not know, and the tests send some on purpose.
	closedDoc, err := closeSchemas(doc)
	if err != nil {
		return nil, err
	}
	cd, err := libopenapi.NewDocument(closedDoc)
	if err != nil {
		return nil, fmt.Errorf("parse the closed openapi.json: %w", err)
	}
	strict, errs := validator.NewValidator(cd, config.WithoutSecurityValidation())
	if len(errs) > 0 {
		return nil, fmt.Errorf("build validator: %v", errs)
	}
	var raw struct {
		Paths map[string]map[string]struct {
			Codes []string `json:"x-opaygate-codes"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		return nil, err
	}
	c := &contract{v: v, strict: strict, codes: map[string]map[string][]string{}}
	for path, ops := range raw.Paths {
		c.codes[path] = map[string][]string{}
		for method, op := range ops {
			c.codes[path][strings.ToUpper(method)] = op.Codes
		}
	}
	return c, nil
}

// closeSchemas returns doc with "additionalProperties": false in every object schema that
// lists its properties on its own — not the envelopes, which combine theirs with allOf and
// if/then, where it would refuse the members declared beside it — except OtherAction, the
// action type the document does not know, which is open by definition.
func closeSchemas(doc []byte) ([]byte, error) {
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			_, props := v["properties"].(map[string]any)
			_, all := v["allOf"]
			_, if_ := v["if"]
			_, ap := v["additionalProperties"]
			if v["type"] == "object" && props && !all && !if_ && !ap {
				v["additionalProperties"] = false
			}
			for k, x := range v {
				if k != "OtherAction" {
					walk(x)
				}
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(d["components"])
	walk(d["paths"])
	return json.Marshal(d)
}

// covered reports whether the document is meant to describe path: the API, the sandbox's
// control API, the health check and the document itself. The customer's pages and the
// dashboard are HTML for browsers and are not part of it.
func covered(path string) bool {
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/_sandbox/") ||
		path == "/healthz" || path == "/openapi.json"
}

// check returns what is wrong with one exchange: the request as the server received it (its
// body as far as the server read it) and the answer it wrote. Nothing for routes the
// document does not cover, for 404 and 405 answers of undocumented paths and methods (which
// the route table answers, not an operation), and for HEAD.
func (c *contract) check(r *http.Request, reqBody []byte, status int, header http.Header, body []byte) []string {
	if !covered(r.URL.Path) || r.Method == http.MethodHead {
		return nil
	}
	ops, ok := c.codes[r.URL.Path]
	switch {
	case !ok && status == http.StatusNotFound:
		return nil
	case !ok:
		return []string{fmt.Sprintf("%s %s answered %d but is not in the document", r.Method, r.URL.Path, status)}
	}
	codes, ok := ops[r.Method]
	switch {
	case !ok && status == http.StatusMethodNotAllowed:
		return nil
	case !ok:
		return []string{fmt.Sprintf("%s %s answered %d but the document has no such operation", r.Method, r.URL.Path, status)}
	}

	req := func() *http.Request {
		q, _ := http.NewRequest(r.Method, "http://gateway"+r.URL.RequestURI(), bytes.NewReader(reqBody))
		q.Header = r.Header.Clone()
		return q
	}
	resp := &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)),
		Request: req()}
	c.mu.Lock()
	_, errs := c.strict.ValidateHttpResponse(req(), resp)
	c.mu.Unlock()
	problems := describe("answer", errs)

	var env struct {
		Code *string `json:"code"`
	}
	if json.Unmarshal(body, &env) == nil && env.Code != nil {
		if codes != nil && !slices.Contains(codes, *env.Code) {
			problems = append(problems, fmt.Sprintf("answer: code %s is not among the operation's x-opaygate-codes %v", *env.Code, codes))
		}
		// A request the gateway accepted must be one the document allows. One it refused
		// may be anything: the tests send broken ones on purpose.
		if *env.Code == "00000" {
			c.mu.Lock()
			_, errs := c.v.ValidateHttpRequestSync(req())
			c.mu.Unlock()
			problems = append(problems, describe("accepted request", errs)...)
		}
	}
	return problems
}

func describe(what string, errs []*vderrors.ValidationError) []string {
	var out []string
	for _, e := range errs {
		s := what + ": " + e.Message
		if e.Reason != "" && e.Reason != e.Message {
			s += ": " + e.Reason
		}
		for _, f := range e.SchemaValidationErrors {
			loc := f.FieldPath
			if loc == "" {
				loc = strings.Join(f.InstancePath, "/")
			}
			s += fmt.Sprintf("\n\t\t%s: %s (%s)", loc, f.Reason, f.KeywordLocation)
		}
		out = append(out, s)
	}
	return out
}

// validating wraps the server's handler: each covered exchange is buffered, checked, reported
// on t, and then written to the client — so the failure is reported before the test sees the
// answer. Benchmarks are not wrapped: they measure the gateway, not the validator. Nor are fuzz
// targets, which call the handler directly with a *testing.F that may not report from inside
// the target; their seeds are requests other tests make.
func validating(t testing.TB, next http.Handler) http.Handler {
	switch t.(type) {
	case *testing.B, *testing.F:
		return next
	}
	c, err := loadContract()
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !covered(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		// A shallow copy: the server keeps its own request and body, whose type decides how
		// it treats a body the handler left unread.
		var reqBody bytes.Buffer
		r = r.WithContext(r.Context())
		if r.Body != nil {
			r.Body = teeBody{io.TeeReader(r.Body, &reqBody), r.Body}
		}
		rec := &recorder{w: w, header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if problems := c.check(r, reqBody.Bytes(), rec.status, rec.header, rec.body.Bytes()); len(problems) > 0 {
			t.Errorf("openapi: %s %s answered %d %s\n\t%s", r.Method, r.URL.RequestURI(), rec.status,
				truncateBody(rec.body.Bytes()), strings.Join(problems, "\n\t"))
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body.Bytes())
	})
}

func truncateBody(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// teeBody copies what the server reads of a request body, and closes the original.
type teeBody struct {
	io.Reader
	io.Closer
}

// recorder buffers an answer. Unwrap lets http.ResponseController reach the connection, so
// the body deadlines the server sets still apply.
type recorder struct {
	w           http.ResponseWriter
	header      http.Header
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
func (r *recorder) Unwrap() http.ResponseWriter { return r.w }
