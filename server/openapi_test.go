package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/opaygate/opaygate/server/openapi"
)

func TestOpenAPIDocumentIsValid(t *testing.T) {
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	ok, errs := c.v.ValidateDocument()
	c.mu.Unlock()
	if !ok {
		t.Fatalf("openapi.json is not a valid OpenAPI 3.1 document:\n\t%s", strings.Join(describe("document", errs), "\n\t"))
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(openapi.Document(), &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, %v; want 3.1.0", doc.OpenAPI, err)
	}
}

// The document lists exactly the routes of the route table (server.go): a route added
// without its description fails here, even before a test calls it.
func TestOpenAPICoversRouteTable(t *testing.T) {
	src, err := os.ReadFile("server.go")
	if err != nil {
		t.Fatal(err)
	}
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for _, m := range regexp.MustCompile(`"(?:(?:GET|POST) )?((?:/api/|/_sandbox/|/healthz|/openapi\.json)[^" ]*)"`).FindAllStringSubmatch(string(src), -1) {
		routes[m[1]] = true
	}
	if len(routes) < 20 {
		t.Fatalf("found only %d routes in server.go: %v", len(routes), routes)
	}
	for r := range routes {
		if _, ok := c.codes[r]; !ok {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for p := range c.codes {
		if !routes[p] {
			t.Errorf("openapi.json describes %s, which server.go does not route", p)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	for _, live := range []bool{false, true} {
		name := "Sandbox"
		var opts []testOption
		if live {
			name, opts = "Live", []testOption{withLive()}
		}
		t.Run(name, func(t *testing.T) {
			e := newTestServer(t, opts...)
			resp, err := e.client.Get(e.srv.URL + "/openapi.json")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.Equal(body, openapi.Document()) {
				t.Fatalf("GET /openapi.json: %d, %d bytes; want 200 and the embedded document", resp.StatusCode, len(body))
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
				t.Errorf("Cache-Control = %q; want it cacheable", cc)
			}
			etag := resp.Header.Get("ETag")
			if etag != openapi.ETag() {
				t.Fatalf("ETag = %q, want %q", etag, openapi.ETag())
			}
			req, _ := http.NewRequest("GET", e.srv.URL+"/openapi.json", nil)
			req.Header.Set("If-None-Match", "W/"+etag)
			resp, err = e.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
				t.Errorf("If-None-Match: %d %q; want 304 without a body", resp.StatusCode, body)
			}
			if r := e.do(t, "POST", "/openapi.json", nil, nil); r.HTTP != http.StatusMethodNotAllowed || r.Code != "02001" {
				t.Errorf("POST /openapi.json: %d %s; want 405 02001", r.HTTP, r.Raw)
			}
		})
	}
}

// The check reports what is wrong, so a gateway that drifts from the document fails its tests.
// Each case is an exchange the gateway must never produce (or, for the tolerant ones, may).
func TestOpenAPICatchesMismatch(t *testing.T) {
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	signed := map[string]string{"MerchantId": demoID, "Authorization": "Bearer 00"}
	status := `{"reference":"r1","orderNo":"1","status":"SUCCESS","vat":{"total":0,"currency":"EGP"},"amount":{"total":100,"currency":"EGP"},"createTime":1700000000000}`
	payment := func(action string) string {
		return `{"code":"00000","message":"SUCCESSFUL","data":{"reference":"r1","orderNo":"1","nextAction":` + action +
			`,"status":"PENDING","amount":{"total":100,"currency":"EGP"},"vat":{"total":0,"currency":"EGP"}}}`
	}
	for _, tc := range []struct {
		name, method, path, request, answer string
		status                              int
		want                                string // a fragment of the report; "" = no problem
	}{
		{name: "Conforms", path: pathStatus, request: `{"orderNo":"1"}`,
			answer: `{"code":"00000","message":"SUCCESSFUL","data":` + status + `}`},
		{name: "WrongType", path: pathStatus, request: `{"orderNo":"1"}`,
			answer: `{"code":"00000","message":"SUCCESSFUL","data":` + strings.Replace(status, `1700000000000`, `"1700000000000"`, 1) + `}`,
			want:   "createTime"},
		{name: "MissingMember", path: pathStatus, request: `{"orderNo":"1"}`,
			answer: `{"code":"00000","message":"SUCCESSFUL","data":` + strings.Replace(status, `"orderNo":"1",`, ``, 1) + `}`,
			want:   "orderNo"},
		{name: "UndeclaredMember", path: pathStatus, request: `{"orderNo":"1"}`,
			answer: `{"code":"00000","message":"SUCCESSFUL","data":` + strings.Replace(status, `"status"`, `"paidAt":1,"status"`, 1) + `}`,
			want:   "paidAt"},
		{name: "UndeclaredNestedMember", path: pathStatus, request: `{"orderNo":"1"}`,
			answer: `{"code":"00000","message":"SUCCESSFUL","data":` + strings.Replace(status, `"currency":"EGP"}`, `"currency":"EGP","minor":2}`, 1) + `}`,
			want:   "minor"},
		{name: "UnknownStatus", path: pathStatus, request: `{"orderNo":"1"}`,
			answer: `{"code":"00000","message":"SUCCESSFUL","data":` + strings.Replace(status, `SUCCESS`, `PAID`, 1) + `}`,
			want:   "status"},
		{name: "DataOnError", path: pathStatus, request: `{}`,
			answer: `{"code":"02006","message":"order not found.","data":` + status + `}`, want: "data"},
		{name: "CodeNotListed", path: pathStatus, request: `{}`,
			answer: `{"code":"02013","message":"refund amount exceeds the refundable amount","data":null}`, want: "x-opaygate-codes"},
		{name: "WrongMessage", path: pathStatus, request: `{}`,
			answer: `{"code":"02000","message":"unauthorized","data":null}`, want: "message"},
		{name: "NoEnvelope", path: pathStatus, request: `{}`, answer: `{"status":"ok"}`, want: "code"},
		{name: "AcceptedRequestMissingField", path: pathCashierCreate, request: `{"reference":"r1","country":"EG"}`,
			answer: `{"code":"00000","message":"SUCCESSFUL","data":{"reference":"r1","orderNo":"1","cashierUrl":"http://x/c","status":"INITIAL","amount":{"total":100,"currency":"EGP"},"vat":{"total":0,"currency":"EGP"}}}`,
			want:   "amount"},
		{name: "ActionMissingMember", path: pathPaymentCreate, request: `{}`, status: http.StatusOK,
			answer: strings.Replace(payment(`{"actionType":"REDIRECT_3DS"}`), `"code":"00000"`, `"code":"00000"`, 1), want: "nextAction"},
		{name: "UnknownActionTolerated", path: pathPaymentCreate,
			request: `{"reference":"r1","country":"EG","amount":{"total":"100","currency":"EGP"},"payMethod":"X","product":{"name":"n"}}`,
			answer:  payment(`{"actionType":"SCAN_FACE","faceUrl":"https://x"}`)},
		{name: "StatisticsOneCurrencyIsAnObject", path: pathInvoiceStats, request: `{"startCreateTime":"1","endCreateTime":2}`,
			answer: `{"code":"00000","message":"SUCCESSFUL","data":{"paid":[{"count":0,"amount":{"total":0,"currency":"EGP"}}],"unpaid":{"count":0,"amount":{"total":0,"currency":"EGP"}},"cancelled":{"count":0,"amount":{"total":0,"currency":"EGP"}},"expired":{"count":0,"amount":{"total":0,"currency":"EGP"}},"total":{"count":0,"amount":{"total":0,"currency":"EGP"}}}}`,
			want:   "paid"},
		{name: "CancelFalseOnlyWith02014", path: pathCancelInvoice, request: `{"invoiceNo":"1"}`,
			answer: `{"code":"00000","message":"SUCCESSFUL","data":"false"}`, want: "data"},
		{name: "UndocumentedPath", path: "/api/v1/international/transfer/toBank", request: `{}`,
			answer: `{"code":"00000","message":"SUCCESSFUL","data":null}`, want: "not in the document"},
		{name: "UnknownPathNotFound", path: "/api/v1/nothing", request: `{}`, status: http.StatusNotFound,
			answer: `{"code":"02001","message":"request params not valid.","data":null}`},
		{name: "UndocumentedStatus", path: pathStatus, request: `{}`, status: http.StatusInternalServerError,
			answer: `{"code":"50003","message":"service not available, please try again.","data":null}`, want: "500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method, st := tc.method, tc.status
			if method == "" {
				method = "POST"
			}
			if st == 0 {
				st = http.StatusOK
			}
			r := httptest.NewRequest(method, tc.path, strings.NewReader(tc.request))
			for k, v := range signed {
				r.Header.Set(k, v)
			}
			r.Header.Set("Content-Type", "application/json")
			h := http.Header{"Content-Type": {"application/json"}}
			problems := strings.Join(c.check(r, []byte(tc.request), st, h, []byte(tc.answer)), "\n")
			switch {
			case tc.want == "" && problems != "":
				t.Errorf("want no problem, got:\n%s", problems)
			case tc.want != "" && !strings.Contains(problems, tc.want):
				t.Errorf("want a problem naming %q, got:\n%s", tc.want, problems)
			}
			if testing.Verbose() && problems != "" {
				t.Logf("reported:\n%s", problems)
			}
		})
	}
}
