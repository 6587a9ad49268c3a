package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
)

func TestDashboardOrdersListing(t *testing.T) {
	e := newDashEnv(t)
	ctx := context.Background()
	// 23 orders today: 20 open cashier orders, 2 paid with ValU, 1 closed; 2 more tomorrow.
	var first *opaygate.Order
	for i := range 20 {
		o := e.order(t, e.A, fmt.Sprintf("ref-%02d", i), int64(1000+i))
		if i == 0 {
			first = o
		}
	}
	e.paidOrder(t, e.A, "paid-1", 5000)
	e.paidOrder(t, e.A, "paid-2", 6000)
	closed := e.order(t, e.A, "closed-1", 700)
	if _, err := e.svc.Orders.CloseOrder(ctx, e.A.ID, opaygate.OrderKey{OrderNo: closed.OrderNo}); err != nil {
		t.Fatal(err)
	}
	today := e.clock.Now().UTC().Format("2006-01-02")
	e.clock.Advance(24 * time.Hour)
	tomorrow := e.clock.Now().UTC().Format("2006-01-02")
	e.order(t, e.A, "next-day-1", 100)
	e.order(t, e.A, "next-day-2", 100)
	b := e.login(t, e.A)

	for _, tc := range []struct {
		name, query string
		rows        int
		want        []string
	}{
		{"FirstPage", "", 20, []string{"1–20 of 25", "Page 1 of 2", "?page=2"}},
		{"SecondPage", "page=2", 5, []string{"21–25 of 25", "Page 2 of 2"}},
		{"PageBeyondTheEnd", "page=9", 0, nil},
		// The 20 cashier orders of yesterday expired (30 minutes) when the clock moved a day.
		{"StatusClose", "status=CLOSE", 20, []string{"1–20 of 21"}},
		{"StatusInitial", "status=INITIAL", 2, []string{"next-day-1", "next-day-2"}},
		{"StatusSuccess", "status=SUCCESS", 2, []string{"paid-1", "paid-2", "EGP 50.00"}},
		{"MethodValU", "method=VALU", 2, nil},
		{"MethodAndStatus", "method=VALU&status=CLOSE", 0, nil},
		{"SearchReference", "q=ref-07", 1, []string{"ref-07"}},
		{"SearchOrderNo", "q=" + first.OrderNo, 1, []string{"ref-00"}},
		{"SearchIsExact", "q=ref-0", 0, nil},
		{"DateRangeToday", "from=" + today + "&to=" + today, 20, []string{"1–20 of 23"}},
		{"DateFromTomorrow", "from=" + tomorrow, 2, []string{"next-day-1"}},
		{"DateToToday", "to=" + today + "&status=SUCCESS", 2, nil},
		{"FiltersKeptAcrossPages", "from=" + today, 20, []string{"?from=" + today + "&amp;page=2"}},
		{"UnknownFiltersIgnored", "status=BOGUS&method=CASH&from=yesterday", 20, []string{"unknown status ignored", "unknown pay method ignored", "from must be a date"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := b.mustGet(t, "/dashboard/orders?"+tc.query)
			if got := dashRows(body, "/dashboard/orders/"); got != tc.rows {
				t.Errorf("%d rows, want %d", got, tc.rows)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
}

func TestDashboardCloseOrder(t *testing.T) {
	e := newDashEnv(t)
	ctx := context.Background()
	o := e.order(t, e.A, "to-close", 1234)
	b := e.login(t, e.A)

	body := b.mustGet(t, "/dashboard/orders/"+o.OrderNo)
	for _, want := range []string{"Close order", "EGP 12.34", "to-close", "INITIAL", "Customer to-close"} {
		if !strings.Contains(body, want) {
			t.Errorf("open order page lacks %q", want)
		}
	}
	if got := b.mustPost(t, "/dashboard/orders/"+o.OrderNo+"/close", nil); got != "/dashboard/orders/"+o.OrderNo+"?ok=closed" {
		t.Fatalf("redirect %q", got)
	}
	got, err := e.svc.Orders.FindOrder(ctx, e.A.ID, opaygate.OrderKey{OrderNo: o.OrderNo})
	if err != nil || got.Status != opaygate.StatusClose || got.FailureCode != opaygate.FailClosed {
		t.Fatalf("after close: %+v %v", got, err)
	}
	body = b.mustGet(t, "/dashboard/orders/"+o.OrderNo+"?ok=closed")
	for _, want := range []string{"The order is closed.", "INITIAL → ", "ORDER_CLOSED", "closed by merchant"} {
		if !strings.Contains(body, want) {
			t.Errorf("closed order page lacks %q", want)
		}
	}
	if strings.Contains(body, "Close order") {
		t.Error("a closed order still has a Close button")
	}
	// Closing again is what the API answers too: fine, nothing changes.
	b.mustPost(t, "/dashboard/orders/"+o.OrderNo+"/close", nil)

	t.Run("PaidOrderCannotBeClosed", func(t *testing.T) {
		paid := e.paidOrder(t, e.A, "paid", 5000)
		if strings.Contains(b.mustGet(t, "/dashboard/orders/"+paid.OrderNo), "Close order") {
			t.Error("a paid order has a Close button")
		}
		p := b.post(t, "/dashboard/orders/"+paid.OrderNo+"/close", nil)
		if p.status != http.StatusConflict || !strings.Contains(p.body, "paid orders must be refunded") {
			t.Fatalf("%d\n%s", p.status, p.body)
		}
	})
	t.Run("UnknownOrder", func(t *testing.T) {
		for _, no := range []string{"261122000000099999", "not-a-number"} {
			if p := b.post(t, "/dashboard/orders/"+no+"/close", nil); p.status != http.StatusNotFound {
				t.Errorf("%s: %d", no, p.status)
			}
		}
	})
}

func TestDashboardCallbacksAndRefunds(t *testing.T) {
	e := newDashEnv(t)
	ctx := context.Background()
	o := e.paidOrder(t, e.A, "paid-cb", 10000)
	b := e.login(t, e.A)

	body := b.mustGet(t, "/dashboard/orders/"+o.OrderNo)
	for _, want := range []string{"Callbacks", "https://" + e.A.ID + ".example/webhook", "Not attempted yet.", "Send again", "Refund to the original payment", `value="100.00"`} {
		if !strings.Contains(body, want) {
			t.Errorf("paid order page lacks %q", want)
		}
	}
	t.Run("Timeline", func(t *testing.T) {
		for _, want := range []string{"created", "PENDING → ", "SUCCESS", "waiting for INPUT_OTP"} {
			if !strings.Contains(body, want) {
				t.Errorf("timeline lacks %q", want)
			}
		}
	})
	t.Run("AttemptsAndResend", func(t *testing.T) {
		cbs, err := e.svc.Callbacks.ClaimCallbacks(ctx, 10, time.Minute)
		if err != nil || len(cbs) != 1 {
			t.Fatalf("claim: %v %v", cbs, err)
		}
		if _, err := e.svc.Callbacks.RecordAttempt(ctx, cbs[0], opaygate.CallbackAttempt{At: e.clock.Now(), HTTPStatus: 500,
			Error: "HTTP 500", Duration: 42 * time.Millisecond}, opaygate.DefaultRetrySchedule()); err != nil {
			t.Fatal(err)
		}
		body := b.mustGet(t, "/dashboard/orders/"+o.OrderNo)
		for _, want := range []string{"HTTP 500", "42 ms", "next attempt"} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks the attempt's %q", want)
			}
		}
		e.clock.Advance(time.Minute) // past the 15 s retry: resend makes it due now anyway
		path := fmt.Sprintf("/dashboard/orders/%s/callbacks/%d/resend", o.OrderNo, cbs[0].ID)
		if got := b.mustPost(t, path, nil); !strings.Contains(got, "ok=resent") {
			t.Fatalf("redirect %q", got)
		}
		c, err := e.svc.Callbacks.FindCallback(ctx, cbs[0].ID)
		if err != nil || c.State != opaygate.CallbackPending || c.Attempts != 0 || len(c.History) != 1 {
			t.Fatalf("after resend: %+v %v", c, err)
		}
	})
	t.Run("Refund", func(t *testing.T) {
		got := b.mustPost(t, "/dashboard/orders/"+o.OrderNo+"/refunds", url.Values{"amount": {"30.50"}, "reference": {"rf-1"}, "reason": {"broken"}})
		if !strings.Contains(got, "ok=refunded") {
			t.Fatalf("redirect %q", got)
		}
		body := b.mustGet(t, "/dashboard/orders/"+o.OrderNo)
		for _, want := range []string{"rf-1", "EGP 30.50", "broken", "PENDING", `value="69.50"`, "Refunded"} {
			if !strings.Contains(body, want) {
				t.Errorf("page after a refund lacks %q", want)
			}
		}
		for name, tc := range map[string]struct {
			form   url.Values
			status int
			want   string
		}{
			"ErrExceeds":   {url.Values{"amount": {"70"}, "reference": {"rf-2"}}, http.StatusConflict, "exceeds the refundable amount"},
			"ErrDuplicate": {url.Values{"amount": {"1"}, "reference": {"rf-1"}}, http.StatusConflict, "already exists"},
			"ErrAmount":    {url.Values{"amount": {"ten"}, "reference": {"rf-3"}}, http.StatusUnprocessableEntity, "must be an amount"},
			"ErrReference": {url.Values{"amount": {"1"}, "reference": {"has space"}}, http.StatusUnprocessableEntity, "whitespace"},
			"ErrZero":      {url.Values{"amount": {"0"}, "reference": {"rf-4"}}, http.StatusUnprocessableEntity, "more than 0"},
		} {
			t.Run(name, func(t *testing.T) {
				p := b.post(t, "/dashboard/orders/"+o.OrderNo+"/refunds", tc.form)
				if p.status != tc.status || !strings.Contains(p.body, tc.want) {
					t.Fatalf("%d\n%s", p.status, p.body)
				}
				if !strings.Contains(p.body, `value="`+tc.form.Get("reference")+`"`) {
					t.Error("the refused form did not come back filled in")
				}
			})
		}
		open := e.order(t, e.A, "not-paid", 100)
		if p := b.post(t, "/dashboard/orders/"+open.OrderNo+"/refunds", url.Values{"amount": {"1"}, "reference": {"rf-5"}}); p.status != http.StatusConflict {
			t.Fatalf("refund of an unpaid order: %d", p.status)
		}
	})
}

// The order page shows what cashier/create said about the checkout and the customer, and
// nothing of it when the merchant sent none (METHODS.md §8.y).
func TestDashboardOrderCheckoutFields(t *testing.T) {
	e := newDashEnv(t)
	o := &opaygate.Order{MerchantID: e.A.ID, Reference: "fields", Country: "NG", Amount: 5000, ProductName: "Phone",
		ReturnURL: "https://shop.example/return", DisplayName: "Campus Store", VisitSource: "nativeApp",
		EvokeOpay: true, ClientIP: "203.0.113.9"}
	if err := e.svc.Orders.CreateOrder(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	plain := e.order(t, e.A, "plain", 100)
	b := e.login(t, e.A)
	body := b.mustGet(t, "/dashboard/orders/"+o.OrderNo)
	for _, want := range []string{"<dt>Visit source</dt><dd>nativeApp</dd>", `<dt>Client IP</dt><dd class="mono">203.0.113.9</dd>`,
		"<dt>Display name</dt><dd>Campus Store ", "<dt>Checkout opens on</dt><dd>OPay wallet (evokeOpay)</dd>"} {
		if !strings.Contains(body, want) {
			t.Errorf("order page lacks %q", want)
		}
	}
	body = b.mustGet(t, "/dashboard/orders/"+plain.OrderNo)
	for _, absent := range []string{"Visit source", "Client IP", "Display name", "Checkout opens on"} {
		if strings.Contains(body, absent) {
			t.Errorf("an order without the fields shows %q", absent)
		}
	}
}
