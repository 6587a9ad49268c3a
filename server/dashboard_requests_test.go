package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/reqlog"
)

// logRequests stores n requests of m in the request log, the newest last: codes cycle through
// 00000, 02000 and 02001.
func (e *dashEnv) logRequests(t testing.TB, m *opaygate.Merchant, n int) []*opaygate.APIRequest {
	t.Helper()
	codes := []string{"00000", "02000", "02001"}
	details := []string{"", "the signature matches no accepted form of this body", "amount.total must be positive"}
	var rs []*opaygate.APIRequest
	for i := range n {
		path := "/api/v1/international/cashier/status"
		if i%2 == 1 {
			path = "/api/v1/international/payment/create"
		}
		rs = append(rs, &opaygate.APIRequest{At: e.clock.Now().Add(time.Duration(i) * time.Second),
			RequestID: fmt.Sprintf("%s-req-%02d", m.ID, i), Method: "POST", Path: path, MerchantID: m.ID, Known: true,
			HTTPStatus: 200, Code: codes[i%3], Duration: 1250 * time.Microsecond, Detail: details[i%3],
			RequestBody:  fmt.Sprintf(`{"reference":"%s-ref-%02d","country":"EG","cvv":"[redacted]"}`, m.ID, i),
			ResponseBody: `{"code":"` + codes[i%3] + `","message":"m","data":null}`})
	}
	if err := e.svc.Requests.AddRequests(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Requests.FindRequests(context.Background(), opaygate.RequestFilter{MerchantID: m.ID, Limit: n})
	if err != nil {
		t.Fatal(err)
	}
	return got // newest first, with ids
}

func TestDashboardRequests(t *testing.T) {
	e := newDashEnv(t)
	mine := e.logRequests(t, e.A, 25)
	theirs := e.logRequests(t, e.B, 3)
	// A request whose body holds markup, as anyone may send.
	if err := e.svc.Requests.AddRequests(context.Background(), []*opaygate.APIRequest{{At: e.clock.Now(),
		RequestID: "xss", Method: "POST", Path: "/api/v1/international/cashier/status", MerchantID: e.A.ID,
		Code: "02001", Detail: `<script>alert("detail")</script>`, RequestBody: `{"reference":"<script>alert(1)</script>"}`}}); err != nil {
		t.Fatal(err)
	}
	b := e.login(t, e.A)

	for _, tc := range []struct {
		name, query string
		rows        int
		want, not   []string
	}{
		{"FirstPage", "", 20, []string{"Developers", "international/cashier/status", "1.25 ms", "Older →", "signature matches no accepted form"}, []string{e.B.ID + "-req"}},
		{"Older", fmt.Sprintf("before=%d", mine[19].ID), 5, nil, []string{"Older →"}},
		{"Failed", "outcome=failed", 17, []string{"02000", "02001"}, []string{`badge ok`}},
		{"Succeeded", "outcome=succeeded", 9, []string{"00000"}, []string{`badge bad`}},
		{"Code", "code=02000", 8, nil, []string{">02001<"}},
		{"Path", "path=%2Fapi%2Fv1%2Finternational%2Fpayment%2Fcreate", 12, nil, []string{"<td class=\"mono\">international/cashier/status"}},
		{"PathAndOutcome", "path=%2Fapi%2Fv1%2Finternational%2Fpayment%2Fcreate&outcome=succeeded", 4, nil, nil},
		{"BadFiltersIgnored", "code=abc&outcome=maybe&path=%2Fnone", 20, []string{"code must be five digits", "unknown outcome ignored", "a path with no requests was ignored"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := b.mustGet(t, "/dashboard/requests?"+tc.query)
			if got := dashRows(body, "/dashboard/requests/"); got != tc.rows {
				t.Errorf("%d rows, want %d", got, tc.rows)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(body, w) {
					t.Errorf("page holds %q", w)
				}
			}
		})
	}

	t.Run("Detail", func(t *testing.T) {
		r := mine[1] // the 24th: 02001 on payment/create
		body := b.mustGet(t, fmt.Sprintf("/dashboard/requests/%d", r.ID))
		for _, w := range []string{r.RequestID, r.Code, "HTTP 200", "Request body", "Response body",
			"&#34;reference&#34;: &#34;" + e.A.ID + "-ref-23&#34;", "&#34;cvv&#34;: &#34;[redacted]&#34;"} {
			if !strings.Contains(body, w) {
				t.Errorf("request page lacks %q", w)
			}
		}
		if !strings.Contains(body, "Why it was refused") || !strings.Contains(body, "amount.total must be positive") {
			t.Error("no diagnosis shown")
		}
	})
	t.Run("Escaped", func(t *testing.T) {
		list := b.mustGet(t, "/dashboard/requests?code=02001")
		x, _ := e.svc.Requests.FindRequests(context.Background(), opaygate.RequestFilter{MerchantID: e.A.ID, Limit: 1})
		page := b.mustGet(t, fmt.Sprintf("/dashboard/requests/%d", x[0].ID))
		for _, body := range []string{list, page} {
			if strings.Contains(body, "<script>alert") {
				t.Fatal("typed markup reached the page unescaped")
			}
		}
		if !strings.Contains(page, "&lt;script&gt;alert(&#34;detail&#34;)") {
			t.Error("the detail is not shown escaped")
		}
	})
	t.Run("OtherMerchantIsNotFound", func(t *testing.T) {
		for _, path := range []string{fmt.Sprintf("/dashboard/requests/%d", theirs[0].ID), "/dashboard/requests/999999",
			"/dashboard/requests/x"} {
			if p := b.get(t, path); p.status != http.StatusNotFound || strings.Contains(p.body, e.B.ID+"-req") {
				t.Errorf("%s: %d", path, p.status)
			}
		}
		if body := b.mustGet(t, "/dashboard/requests?path=%2Fapi%2Fv1%2Finternational%2Fcashier%2Fstatus&before=99999999"); strings.Contains(body, e.B.ID) {
			t.Error("B's requests listed to A")
		}
		bb := e.login(t, e.B)
		if body := bb.mustGet(t, "/dashboard/requests"); dashRows(body, "/dashboard/requests/") != 3 || strings.Contains(body, e.A.ID+"-req") {
			t.Errorf("B sees %d rows", dashRows(body, "/dashboard/requests/"))
		}
	})
	t.Run("NeedsLogin", func(t *testing.T) {
		if p := e.browser(t).get(t, "/dashboard/requests"); p.status != http.StatusSeeOther || !strings.Contains(p.location, "/dashboard/login") {
			t.Fatalf("%d %q", p.status, p.location)
		}
	})
}

// The Requests pages in a real browser: the list filtered to failures, one refused request
// with its diagnosis and bodies, both fitting a phone's screen.
func TestDashboardBrowserRequests(t *testing.T) {
	ctx := dashChrome(t)
	e := newDashEnv(t)
	at := e.clock.Now()
	body := func(s string) string { b, _ := reqlog.Body([]byte(s), reqlog.DefaultMaxBody); return b }
	var rs []*opaygate.APIRequest
	for i, c := range []struct{ path, code, detail, req, resp string }{
		{"international/payment/create", "00000", "", `{"amount":{"total":60000,"currency":"EGP"},"country":"EG","payMethod":"BankCard","reference":"web-2026-0042","bankcard":{"cardHolderName":"Amira Hassan","cardNumber":"4111111111111111","cvv":"123","expiryMonth":"12","expiryYear":"29"}}`,
			`{"code":"00000","message":"SUCCESSFUL","data":{"reference":"web-2026-0042","orderNo":"261128000000000042","status":"PENDING","nextAction":{"actionType":"REDIRECT_3DS"}}}`},
		{"payment/action/input-otp", "02000", "the signature matches no accepted form of this body (raw bytes, compact, compact with sorted keys) under merchant " + e.A.ID + "'s private key",
			`{"country":"EG","otp":"123456","reference":"valu-7"}`, `{"code":"02000","message":"authentication failed.","data":null}`},
		{"international/payment/create", "02001", "valUAccountNumber must be an Egyptian mobile number: 01 and 9 more digits",
			`{"amount":{"total":60000,"currency":"EGP"},"country":"EG","payMethod":"VALU","reference":"valu-8","valUAccountNumber":"0101234"}`,
			`{"code":"02001","message":"request parameters not valid.","data":null}`},
		{"international/cashier/status", "00000", "", `{"country":"EG","reference":"web-2026-0041"}`,
			`{"code":"00000","message":"SUCCESSFUL","data":{"reference":"web-2026-0041","orderNo":"261128000000000041","status":"SUCCESS","amount":{"total":9900,"currency":"EGP"}}}`},
	} {
		rs = append(rs, &opaygate.APIRequest{At: at.Add(time.Duration(i) * 1700 * time.Millisecond), RequestID: fmt.Sprintf("5f1c0a%02d9e", i),
			Method: "POST", Path: "/api/v1/" + c.path, MerchantID: e.A.ID, Known: true, HTTPStatus: 200, Code: c.code,
			Duration: time.Duration(900+i*1300) * time.Microsecond, Detail: c.detail, RequestBody: body(c.req), ResponseBody: body(c.resp)})
	}
	if err := e.svc.Requests.AddRequests(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	dashBrowserLogin(t, ctx, e, e.A)
	dashDo(t, ctx,
		chromedp.Click(chromedp.CSS(`nav a[href="/dashboard/requests"]`)),
		chromedp.WaitVisible(chromedp.CSS("table")),
	)
	if rows := dashRun(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("tbody tr").length`)); rows != 4 {
		t.Fatalf("%d rows", rows)
	}
	dashScreenshot(t, ctx, "dashboard-requests", true)
	dashDo(t, ctx,
		chromedp.Navigate(e.srv.URL+"/dashboard/requests?outcome=failed"),
		chromedp.WaitVisible(chromedp.CSS("table")),
	)
	if rows := dashRun(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("tbody tr").length`)); rows != 2 {
		t.Fatalf("%d failed rows", rows)
	}
	dashDo(t, ctx,
		chromedp.Click(chromedp.CSS(`tbody tr:first-child a`)),
		chromedp.WaitVisible(chromedp.CSS("pre.body")),
	)
	if text := dashText(t, ctx, "main"); !strings.Contains(text, "Why it was refused") || !strings.Contains(text, "valUAccountNumber must be") {
		t.Fatalf("request page:\n%s", text)
	}
	dashScreenshot(t, ctx, "dashboard-request", true)

	dashDo(t, ctx, chromedp.EmulateViewport(390, 844))
	refused, err := e.svc.Requests.FindRequests(context.Background(), opaygate.RequestFilter{MerchantID: e.A.ID, Code: "02000"})
	if err != nil || len(refused) != 1 {
		t.Fatalf("%v %v", refused, err)
	}
	for _, path := range []string{"/dashboard/requests", fmt.Sprintf("/dashboard/requests/%d", refused[0].ID)} {
		dashDo(t, ctx, chromedp.Navigate(e.srv.URL+path), chromedp.WaitVisible(chromedp.CSS("main")))
		if dashRun(t, ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)) {
			t.Errorf("%s is wider than a 390 px phone screen", path)
		}
	}
}
