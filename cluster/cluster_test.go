package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/simulator"
)

// The workload of TestManyNodes. References are drawn from small pools so
// that clients collide on them all the time: two creates of one reference on
// two nodes, an OTP on one node against a close on another, a sweeper
// expiring an order that a client is closing.
const (
	workers        = 12
	iterations     = 20
	valuRefs       = 40 // valu-00 …: ValU orders, 30 minutes to live
	cashierRefs    = 30 // cash-000 …: hosted-checkout orders, 1 or 2 minutes to live
	invoicesPerRun = 2  // invoices each worker creates
	clockSteps     = 4  // the clock advances this many times during the run …
	clockStep      = 40 * time.Second
)

// journal keeps every answer the clients received, by order reference and by
// invoice number, for the invariants to hold them against the database.
type journal struct {
	mu       sync.Mutex
	orders   map[string][]record
	invoices map[string][]record
	created  map[string]opay.InvoiceData // 00000 answers of createSingleInvoice
	codes    map[string]int              // "op code" → count, for the report
}

// record is one answer about one order or invoice.
type record struct {
	op  string // create, plan, otp, otp-wrong, resend, close, status, cancel
	ans answer
}

func newJournal() *journal {
	return &journal{orders: map[string][]record{}, invoices: map[string][]record{},
		created: map[string]opay.InvoiceData{}, codes: map[string]int{}}
}

func (j *journal) order(ref, op string, a answer) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.orders[ref] = append(j.orders[ref], record{op, a})
	j.codes[op+" "+a.Code]++
}

func (j *journal) invoice(no, op string, a answer) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.invoices[no] = append(j.invoices[no], record{op, a})
	j.codes[op+" "+a.Code]++
}

func (j *journal) invoiceNos() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	nos := make([]string, 0, len(j.created))
	for no := range j.created {
		nos = append(nos, no)
	}
	return nos
}

// TestManyNodes drives three nodes on one database with concurrent clients
// and then holds the database against every answer they received.
func TestManyNodes(t *testing.T) {
	eachBackend(t, manyNodes)
}

// manyNodes is TestManyNodes on one cluster: the workload, then the
// invariants.
func manyNodes(t *testing.T, c *cluster) {
	j := newJournal()
	seed := uint64(time.Now().UnixNano())
	t.Logf("workload seed %d", seed)

	// Products are made through the services (they have no API):
	// every node at once, so productNo must come from the database.
	productNos := c.createProductsTogether(t, 10)

	start := time.Now()
	var done atomic.Bool
	var clockWG sync.WaitGroup
	clockWG.Go(func() {
		for range clockSteps {
			time.Sleep(150 * time.Millisecond)
			if done.Load() {
				return
			}
			c.advanceAll(t, clockStep)
		}
	})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			k := w // round-robin position: each call goes to the next node
			next := func() int { k++; return k }
			for i := range invoicesPerRun {
				c.createInvoice(t, j, next(), i%2 == 0)
			}
			for range iterations {
				switch r := rng.IntN(10); {
				case r < 6:
					c.valuFlow(t, j, rng, next, rng.IntN(valuRefs))
				case r < 9:
					c.cashierFlow(t, j, rng, next, rng.IntN(cashierRefs))
				default:
					if nos := j.invoiceNos(); len(nos) > 0 {
						no := nos[rng.IntN(len(nos))]
						j.invoice(no, "cancel", c.call(t, next(), pathCancelInvoice, opay.InvoiceNoRequest{InvoiceNo: no}))
					}
				}
			}
		})
	}
	wg.Wait()
	done.Store(true)
	clockWG.Wait()
	elapsed := time.Since(start)
	calls := c.calls.Load()

	// Every hosted-checkout order and short invoice is now past its
	// time; the sweepers must close the orders, once each.
	c.advanceAll(t, 3*time.Minute)
	c.waitSwept(t, "reference LIKE 'cash-%'")
	c.stop()

	t.Logf("%s: %d requests in %s across %d nodes: %.0f requests/s", c.dialect, calls,
		elapsed.Round(time.Millisecond), len(c.nodes), float64(calls)/elapsed.Seconds())
	t.Logf("answers: %v", j.codes)
	for _, nd := range c.nodes {
		t.Logf("node %d swept %d orders", nd.i, nd.swept.Load())
	}

	c.checkUniqueness(t, productNos)
	c.checkOrders(t, j)
	c.checkInvoices(t, j)
	c.checkLedger(t)
}

// valuFlow is one customer's attempt at paying order valu-<n> by ValU on
// whichever nodes the round robin gives: create, choose a plan, read the OTP
// from the node that sent it and submit it (or the sandbox OTP, or a wrong
// one) to another, and now and then close, resend or read the order.
func (c *cluster) valuFlow(t *testing.T, j *journal, rng *rand.Rand, next func() int, n int) {
	ref := fmt.Sprintf("valu-%02d", n)
	amount, account := int64(60000), "01012345678"
	switch {
	case n%7 == 3:
		amount = 5 // the acquirer declines: FAIL 05 at the OTP
	case n%11 == 5:
		account = simulator.NoCreditAccount // no plan fits: FAIL 51 at once
	}
	create := c.call(t, next(), pathPaymentCreate, opay.PaymentCreateRequest{
		Amount: opay.Amount{Total: amount, Currency: "EGP"}, Country: "EG", PayMethod: "VALU",
		Product: opay.Product{Name: "Phone", Description: "A phone"}, Reference: ref,
		ReturnURL: "https://shop.example/return", ValUAccountNumber: account,
	})
	j.order(ref, "create", create)
	if create.Code != opay.CodeSuccess && create.Code != opay.CodeDuplicate {
		return
	}
	if rng.IntN(10) < 2 {
		j.order(ref, "close", c.call(t, next(), pathClose, opay.PaymentCloseRequest{Reference: ref, Country: "EG"}))
	}
	plan := c.call(t, next(), pathMonth, opay.InputInstallmentMonthRequest{Country: "EG", Months: 6, Reference: ref})
	j.order(ref, "plan", plan)

	// Only the client whose plan choice was accepted knows the OTP: the
	// node that answered sent it. The others try the sandbox OTP or
	// nothing, as customers who lost the race would.
	otp, op := "", "otp"
	if plan.Code == opay.CodeSuccess {
		got := c.get(t, plan.node, "/_sandbox/otp?orderNo="+plan.orderNo())
		var d struct{ OTP string }
		if got.Code != opay.CodeSuccess || json.Unmarshal(got.Data, &d) != nil || len(d.OTP) != 6 {
			t.Errorf("node %d has no OTP for %s: %s %s", plan.node, plan.orderNo(), got.Code, got.Data)
			return
		}
		otp = d.OTP
		switch rng.IntN(10) {
		case 0, 1:
			otp, op = wrongOTP(otp), "otp-wrong"
		case 2:
			j.order(ref, "resend", c.call(t, next(), pathResendOTP, opay.ResendOTPRequest{Country: "EG", Reference: ref}))
			otp = "123456" // the resend replaced the code; the sandbox one still works
		}
	} else {
		switch rng.IntN(3) {
		case 0:
			otp = "123456"
		case 1:
			otp, op = "000000", "otp-wrong" // five of these fail the order
		}
	}
	if otp != "" {
		j.order(ref, op, c.call(t, next(), pathOTP, opay.InputOTPRequest{Country: "EG", OTP: otp, Reference: ref}))
	}
	if rng.IntN(10) < 2 {
		j.order(ref, "close", c.call(t, next(), pathClose, opay.PaymentCloseRequest{Reference: ref, Country: "EG"}))
	}
	j.order(ref, "status", c.call(t, next(), pathStatus, opay.CashierStatusRequest{Reference: ref, Country: "EG"}))
}

// wrongOTP is an OTP that is neither code nor the sandbox's.
func wrongOTP(code string) string {
	for _, w := range []string{"000000", "111111", "222222"} {
		if w != code {
			return w
		}
	}
	panic("unreachable")
}

// cashierFlow creates hosted-checkout order cash-<n>, which expires a minute
// or two later, and closes or reads it.
func (c *cluster) cashierFlow(t *testing.T, j *journal, rng *rand.Rand, next func() int, n int) {
	ref := fmt.Sprintf("cash-%03d", n)
	create := c.callPublic(t, next(), pathCashierCreate, opay.CashierCreateRequest{
		Reference: ref, Country: "EG", Amount: opay.Amount{Total: int64(1000 + n), Currency: "EGP"},
		ReturnURL: "https://shop.example/return", Product: opay.Product{Name: "Mug"},
		ExpireAt: opay.Int64String(1 + n%2),
	})
	j.order(ref, "create", create)
	if rng.IntN(3) == 0 {
		j.order(ref, "close", c.call(t, next(), pathClose, opay.PaymentCloseRequest{Reference: ref, Country: "EG"}))
	}
	j.order(ref, "status", c.call(t, next(), pathStatus, opay.CashierStatusRequest{Reference: ref, Country: "EG"}))
}

// createInvoice creates an invoice due in an hour, or (short) in 100 s so
// that the clock's advances expire it during the run.
func (c *cluster) createInvoice(t *testing.T, j *journal, i int, short bool) {
	due := c.nodes[i%len(c.nodes)].clock.Now().Add(time.Hour)
	if short {
		due = c.nodes[i%len(c.nodes)].clock.Now().Add(100 * time.Second)
	}
	a := c.call(t, i, pathInvoiceCreate, opay.CreateInvoiceRequest{
		Amount: opay.Amount{Total: int64(10000 + i), Currency: "EGP"}, Country: "EG",
		Customer: opay.InvoiceCustomer{CustomerName: "Ahmed", CustomerMobile: "+201088889999"},
		DueTime:  opay.Int64String(due.Unix()), Name: "Invoice", Description: "cluster test",
	})
	if a.Code != opay.CodeSuccess {
		t.Errorf("node %d: createSingleInvoice: %s %s", a.node, a.Code, a.Message)
		return
	}
	var d opay.InvoiceData
	if err := json.Unmarshal(a.Data, &d); err != nil {
		t.Errorf("createSingleInvoice data: %v", err)
		return
	}
	j.mu.Lock()
	j.created[d.InvoiceNo] = d
	j.mu.Unlock()
	j.invoice(d.InvoiceNo, "create", a)
}

// createProductsTogether has every node add n products at the same time and
// returns their productNos.
func (c *cluster) createProductsTogether(t *testing.T, n int) []string {
	var mu sync.Mutex
	var nos []string
	var wg sync.WaitGroup
	for _, nd := range c.nodes {
		for i := range n {
			wg.Go(func() {
				p := &opaygate.Product{MerchantID: c.m.ID, MerchantProductNo: fmt.Sprintf("SKU-%d-%d", nd.i, i),
					Name: "Thing", Price: 1500, Currency: "EGP"}
				if err := nd.svc.Products.CreateProduct(context.Background(), p); err != nil {
					t.Errorf("node %d: create product: %v", nd.i, err)
					return
				}
				mu.Lock()
				nos = append(nos, p.ProductNo)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	return nos
}

// waitSwept waits until no order matching where is open and past its time.
func (c *cluster) waitSwept(t *testing.T, where string) {
	t.Helper()
	q := "SELECT COUNT(*) FROM orders WHERE status IN ('INITIAL', 'PENDING') AND " + where
	deadline := time.Now().Add(15 * time.Second)
	for {
		n := c.rows(t, q)[0][0]
		if n == "0" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sweepers left %s expired orders open", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ops lists the operations of a journal's records, for failure messages.
func ops(rs []record) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "\n  %-9s node %d → %s %q %s", r.op, r.ans.node, r.ans.Code, r.ans.Message, r.ans.Data)
	}
	return b.String()
}
