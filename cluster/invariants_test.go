package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate/opay"
)

// allowed lists the codes each operation may answer in TestManyNodes. Any
// other code — 50003 above all, which a serialization failure or deadlock
// that escaped the retries would produce — fails the test.
var allowed = map[string][]string{
	"create":    {opay.CodeSuccess, opay.CodeDuplicate},
	"plan":      {opay.CodeSuccess, opay.CodeOrderState},
	"otp":       {opay.CodeSuccess, opay.CodeOrderState, opay.CodeOTPInvalid, opay.CodeOTPExpired},
	"otp-wrong": {opay.CodeSuccess, opay.CodeOrderState, opay.CodeOTPInvalid, opay.CodeOTPExpired},
	"resend":    {opay.CodeSuccess, opay.CodeOrderState},
	"close":     {opay.CodeSuccess, opay.CodeOrderState},
	"status":    {opay.CodeSuccess},
	"cancel":    {opay.CodeSuccess, opay.CodeInvoiceState},
}

func isFinal(status string) bool {
	return status == opay.StatusSuccess || status == opay.StatusFail || status == opay.StatusClose
}

// checkUniqueness: one order per (merchant, reference), and orderNo,
// invoiceNo and productNo unique and well formed, whichever node drew them.
func (c *cluster) checkUniqueness(t *testing.T, productNos []string) {
	t.Helper()
	if dup := c.rows(t, `SELECT merchant_id, reference, COUNT(*) FROM orders
		GROUP BY merchant_id, reference HAVING COUNT(*) > 1`); len(dup) > 0 {
		t.Errorf("duplicate orders per (merchant, reference): %v", dup)
	}
	unique := func(what, q string, format *regexp.Regexp) []string {
		seen := map[string]bool{}
		var all []string
		for _, r := range c.rows(t, q) {
			if seen[r[0]] {
				t.Errorf("%s %s appears twice", what, r[0])
			}
			if !format.MatchString(r[0]) {
				t.Errorf("%s %q is malformed", what, r[0])
			}
			seen[r[0]] = true
			all = append(all, r[0])
		}
		return all
	}
	orderNos := unique("orderNo", `SELECT order_no FROM orders`, regexp.MustCompile(`^\d{18}$`))
	invoiceNos := unique("invoiceNo", `SELECT invoice_no FROM invoices`, regexp.MustCompile(`^\d{8,}$`))
	products := unique("productNo", `SELECT product_no FROM products`, regexp.MustCompile(`^\d+$`))
	for _, no := range productNos {
		if !slices.Contains(products, no) {
			t.Errorf("productNo %s was answered but is not stored", no)
		}
	}
	t.Logf("%d orders, %d invoices, %d products: every number unique", len(orderNos), len(invoiceNos), len(products))
}

// dbOrder is an order as the database holds it at the end.
type dbOrder struct {
	id, orderNo, status, failureCode string
	events                           [][2]string // from, to
	callbacks                        []string    // statuses
}

func (c *cluster) loadOrders(t *testing.T) map[string]*dbOrder {
	t.Helper()
	byRef, byID := map[string]*dbOrder{}, map[string]*dbOrder{}
	for _, r := range c.rows(t, `SELECT id, reference, order_no, status, failure_code FROM orders
		WHERE merchant_id = '`+c.m.ID+`'`) {
		o := &dbOrder{id: r[0], orderNo: r[2], status: r[3], failureCode: r[4]}
		byRef[r[1]], byID[r[0]] = o, o
	}
	for _, r := range c.rows(t, `SELECT order_id, from_status, to_status FROM order_events ORDER BY order_id, id`) {
		if o := byID[r[0]]; o != nil {
			o.events = append(o.events, [2]string{r[1], r[2]})
		}
	}
	for _, r := range c.rows(t, `SELECT order_id, status FROM callbacks ORDER BY id`) {
		if o := byID[r[0]]; o != nil {
			o.callbacks = append(o.callbacks, r[1])
		}
	}
	return byRef
}

// checkOrders holds every order against its own history and against every
// answer the clients received about it.
func (c *cluster) checkOrders(t *testing.T, j *journal) {
	t.Helper()
	orders := c.loadOrders(t)
	finals := map[string]int{}
	for ref, o := range orders {
		finals[o.status]++
		// The timeline is one chain of moves ending in the stored status:
		// no move was applied twice or lost.
		prev := ""
		for _, e := range o.events {
			if e[0] != prev {
				t.Errorf("%s: event %s→%s after %s: %v", ref, e[0], e[1], prev, o.events)
			}
			prev = e[1]
		}
		if prev != o.status {
			t.Errorf("%s: events end in %s, the order is %s", ref, prev, o.status)
		}
		// Exactly one callback per final status, none for an open order.
		want := []string{}
		if isFinal(o.status) {
			want = []string{o.status}
		}
		if !slices.Equal(o.callbacks, want) {
			t.Errorf("%s (%s): callbacks %v, want %v", ref, o.status, o.callbacks, want)
		}
		if _, ok := j.orders[ref]; !ok {
			t.Errorf("%s: stored, but no client ever created it", ref)
		}
	}
	for ref, rs := range j.orders {
		c.checkAnswers(t, ref, orders[ref], rs)
	}
	t.Logf("final states: %v", finals)
}

// checkAnswers holds one order's answers against its final state.
func (c *cluster) checkAnswers(t *testing.T, ref string, o *dbOrder, rs []record) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Errorf("%s: %s; answers:%s", ref, fmt.Sprintf(format, args...), ops(rs))
	}
	if o == nil {
		fail("clients created it, the database has no such order")
		return
	}
	var created, plans, otps, closes int
	for _, r := range rs {
		a := r.ans
		if !slices.Contains(allowed[r.op], a.Code) {
			fail("%s answered %s %q on node %d", r.op, a.Code, a.Message, a.node)
			continue
		}
		// Every orderNo a client was given is this order's.
		if no := a.orderNo(); no != "" && no != o.orderNo {
			fail("%s on node %d answered orderNo %s, the order is %s", r.op, a.node, no, o.orderNo)
		}
		if r.op == "create" && a.orderNo() == "" {
			fail("create on node %d answered %s without an orderNo", a.node, a.Code)
		}
		// A final status, once anyone was told it, is the order's for good.
		if s := a.status(); isFinal(s) && s != o.status {
			fail("%s on node %d answered %s, the order ended %s", r.op, a.node, s, o.status)
		}
		switch {
		case r.op == "create" && a.Code == opay.CodeSuccess:
			created++
		case r.op == "plan" && a.Code == opay.CodeSuccess:
			plans++
		case strings.HasPrefix(r.op, "otp") && a.Code == opay.CodeSuccess:
			otps++
		case r.op == "close" && a.Code == opay.CodeSuccess:
			closes++
			if o.status != opay.StatusClose {
				fail("a close succeeded on node %d, the order ended %s", a.node, o.status)
			}
		case r.op == "close" && a.Code == opay.CodeOrderState:
			if o.status != opay.StatusSuccess && o.status != opay.StatusFail {
				fail("a close was refused on node %d, the order ended %s", a.node, o.status)
			}
		case strings.HasPrefix(r.op, "otp") && a.Code == opay.CodeOTPInvalid && strings.Contains(a.Message, " 0 attempts left"):
			if o.status != opay.StatusFail || o.failureCode != "OTP_ATTEMPTS_EXCEEDED" {
				fail("the last OTP attempt was used up, the order is %s %s", o.status, o.failureCode)
			}
		}
	}
	if created != 1 {
		fail("%d creates answered 00000, want exactly 1", created)
	}
	if plans > 1 || otps > 1 {
		fail("%d plan choices and %d OTPs answered 00000, want at most one each", plans, otps)
	}
	// Every final state has its cause among the answers.
	valu := strings.HasPrefix(ref, "valu-")
	switch {
	case o.status == opay.StatusSuccess && otps != 1:
		fail("SUCCESS without the OTP answer that made it")
	case o.status == opay.StatusFail && o.failureCode == "05" && otps != 1:
		fail("FAIL 05 without the OTP answer that made it")
	case o.status == opay.StatusFail && !slices.Contains([]string{"05", "51", "OTP_ATTEMPTS_EXCEEDED"}, o.failureCode):
		fail("FAIL with unexpected failureCode %q", o.failureCode)
	case o.status == opay.StatusClose && o.failureCode == "ORDER_CLOSED" && closes == 0:
		fail("closed by the merchant, yet no close succeeded")
	case o.status == opay.StatusClose && valu && o.failureCode != "ORDER_CLOSED":
		fail("a ValU order (30 minutes to live) was closed with %q", o.failureCode)
	case !valu && o.status != opay.StatusClose:
		fail("a hosted-checkout order past its expireAt is %s", o.status)
	}
}

// checkInvoices holds invoices against the answers, and every node's
// statistics against a recount of the database and of the answers.
func (c *cluster) checkInvoices(t *testing.T, j *journal) {
	t.Helper()
	type row struct {
		status string
		amount int64
		dueMS  int64
	}
	stored := map[string]row{}
	for _, r := range c.rows(t, `SELECT invoice_no, status, amount, due_time FROM invoices WHERE merchant_id = '`+c.m.ID+`'`) {
		amount, _ := strconv.ParseInt(r[2], 10, 64)
		due, _ := strconv.ParseInt(r[3], 10, 64)
		stored[r[0]] = row{r[1], amount, due}
	}
	if len(stored) != len(j.created) {
		t.Errorf("%d invoices stored, %d created", len(stored), len(j.created))
	}
	cancelled := map[string]bool{}
	for no, rs := range j.invoices {
		inv, ok := stored[no]
		if !ok {
			t.Errorf("invoice %s: answered, not stored", no)
			continue
		}
		for _, r := range rs {
			if r.op == "create" {
				continue
			}
			switch a := r.ans; {
			case !slices.Contains(allowed[r.op], a.Code):
				t.Errorf("invoice %s: %s answered %s %q", no, r.op, a.Code, a.Message)
			case a.Code == opay.CodeSuccess:
				cancelled[no] = true
				if inv.status != opay.InvoiceCancelled {
					t.Errorf("invoice %s: a cancel succeeded, it is %s", no, inv.status)
				}
			case inv.status == opay.InvoiceCancelled:
				t.Errorf("invoice %s: a cancel was refused (%s), yet it is cancelled", no, a.Code)
			}
		}
	}
	for no, inv := range stored {
		if inv.status == opay.InvoiceCancelled && !cancelled[no] {
			t.Errorf("invoice %s is cancelled, no cancel succeeded", no)
		}
	}

	// Statistics: every node's answer equals the recount of the rows and
	// the recount of what the clients were told.
	type stat struct{ count, total int64 }
	for _, nd := range c.nodes {
		now := nd.clock.Now()
		fromRows, fromAnswers := map[string]stat{}, map[string]stat{}
		add := func(m map[string]stat, status string, amount int64) {
			for _, k := range []string{status, "total"} {
				s := m[k]
				s.count++
				s.total += amount
				m[k] = s
			}
		}
		for _, inv := range stored {
			status := inv.status
			if status == opay.InvoiceUnpaid && inv.dueMS <= now.UnixMilli() {
				status = opay.InvoiceExpired
			}
			add(fromRows, status, inv.amount)
		}
		for no, d := range j.created {
			status := opay.InvoiceUnpaid
			switch {
			case cancelled[no]:
				status = opay.InvoiceCancelled
			case d.DueDate*1000 <= now.UnixMilli():
				status = opay.InvoiceExpired
			}
			add(fromAnswers, status, d.Amount.Total)
		}
		a := c.call(t, nd.i, pathInvoiceStats, opay.InvoiceStatisticsRequest{
			StartCreateTime: opay.Int64String(now.Add(-24 * time.Hour).Unix()),
			EndCreateTime:   opay.Int64String(now.Add(24 * time.Hour).Unix()),
		})
		var d opay.InvoiceStatisticsData
		if a.Code != opay.CodeSuccess || json.Unmarshal(a.Data, &d) != nil {
			t.Errorf("node %d: statistics: %s %s", nd.i, a.Code, a.Data)
			continue
		}
		answered := map[string]stat{}
		for k, v := range map[string]opay.InvoiceStats{opay.InvoicePaid: d.Paid, opay.InvoiceUnpaid: d.Unpaid,
			opay.InvoiceCancelled: d.Cancelled, opay.InvoiceExpired: d.Expired, "total": d.Total} {
			for _, e := range v {
				if e.Count > 0 {
					answered[k] = stat{answered[k].count + e.Count, answered[k].total + e.Amount.Total}
				}
			}
		}
		if fmt.Sprint(answered) != fmt.Sprint(fromRows) || fmt.Sprint(answered) != fmt.Sprint(fromAnswers) {
			t.Errorf("node %d statistics %v\nrecount of the rows    %v\nrecount of the answers %v",
				nd.i, answered, fromRows, fromAnswers)
		}
	}
}

// checkLedger: every payment the nodes made SUCCESS has its ledger entries, and every stored
// balance is the sum of its entries (sqlstore's Verify), whichever node wrote them.
func (c *cluster) checkLedger(t *testing.T) {
	t.Helper()
	r, err := c.nodes[0].svc.Ledger.Verify(context.Background())
	if err != nil {
		t.Fatalf("ledger verify: %v", err)
	}
	for _, d := range r.Differences {
		t.Errorf("ledger: %s %s %s: %s", d.MerchantID, d.Currency, d.Account, d.Problem)
	}
	t.Logf("ledger verify: %d accounts, %d entries, %d records, %d differences", r.Accounts, r.Entries, r.Records, len(r.Differences))
}
