package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/opaygate/opaygate/bench/bulkload"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/sqlstore"
)

// The scenarios, in the order they run.
const (
	Baseline   = "baseline"
	Status     = "status"
	ValUCreate = "valu-create"
	ValUFlow   = "valu-flow"
	Invoice    = "invoice"
)

// Scenarios lists every scenario in its running order.
func Scenarios() []string { return []string{Baseline, Status, ValUCreate, ValUFlow, Invoice} }

// API paths the scenarios call.
const (
	pathCashierCreate = "/api/v1/international/cashier/create"
	pathStatus        = "/api/v1/international/cashier/status"
	pathPaymentCreate = "/api/v1/international/payment/create"
	pathMonth         = "/api/v1/payment/action/input-installment-month"
	pathOTP           = "/api/v1/payment/action/input-otp"
	pathInvoiceCreate = "/api/v1/international/invoice/createSingleInvoice"
	pathInvoice       = "/api/v1/international/invoice/getInvoiceDetails"
)

// scenario is one kind of operation that every worker repeats. An operation
// is what the scenario counts per second: one request, or a whole payment
// (three requests), or an invoice created and read back (two).
type scenario struct {
	name     string
	unit     string // what one operation is, for the table
	requests int    // per operation
	writes   bool   // whether operations write (and so commit)
	op       func(ctx context.Context, w *worker) error
}

// refs names orders that exist: the references of a bulk load's indexes
// [0, n), or the references a preload through the API created.
type refs struct {
	prefix string
	n      int
	list   []string
}

func (r refs) pick(rng *rand.Rand) string {
	if r.list != nil {
		return r.list[rng.IntN(len(r.list))]
	}
	return bulkload.Reference(r.prefix, rng.IntN(r.n))
}

func (r refs) size() int {
	if r.list != nil {
		return len(r.list)
	}
	return r.n
}

// worker is one concurrent client with random numbers of its own.
type worker struct {
	id  int
	rng *rand.Rand
	env *env
}

// env is what the scenarios need to know about the run.
type env struct {
	c           *client
	gateway     string // base URL of the gateway
	baseline    string // base URL of the baseline handler
	callbackURL string
	runID       string // makes this run's references fresh
	seq         atomic.Int64
	statusRefs  refs
	// writeStats reads the in-process SQLite's group-commit counters:
	// transactions committed and the writes they carried. Nil elsewhere.
	writeStats func() sqlstore.GroupCommitStats
	// cpu reads the CPU time of the gateway's process and of PostgreSQL's; nil reads nothing.
	cpu *cpuClock
	// postgresStats reads PostgreSQL's own counters when the gateway's
	// database is PostgreSQL and the benchmark can reach it. Nil elsewhere.
	postgresStats func(context.Context) (sqlstore.PostgresStats, error)
}

// freshReference is unique across the run's workers, rounds and runs.
func (w *worker) freshReference(kind string) string {
	return w.env.runID + kind + strconv.FormatInt(w.env.seq.Add(1), 10)
}

func statusBody(ref string) []byte {
	return []byte(`{"country":"EG","reference":"` + ref + `"}`)
}

func (e *env) scenario(name string) (scenario, error) {
	switch name {
	case Baseline:
		return scenario{name: name, unit: "request", requests: 1, op: func(ctx context.Context, w *worker) error {
			_, err := e.c.call(ctx, e.baseline, pathStatus, statusBody(e.statusRefs.pick(w.rng)))
			return err
		}}, nil
	case Status:
		if e.statusRefs.size() == 0 {
			return scenario{}, fmt.Errorf("scenario %s needs preloaded orders (--preload)", name)
		}
		return scenario{name: name, unit: "request", requests: 1, op: func(ctx context.Context, w *worker) error {
			_, err := e.c.call(ctx, e.gateway, pathStatus, statusBody(e.statusRefs.pick(w.rng)))
			return err
		}}, nil
	case ValUCreate:
		return scenario{name: name, unit: "create", requests: 1, writes: true, op: func(ctx context.Context, w *worker) error {
			_, err := e.createValU(ctx, w, "C")
			return err
		}}, nil
	case ValUFlow:
		return scenario{name: name, unit: "payment", requests: 3, writes: true, op: e.valuFlow}, nil
	case Invoice:
		return scenario{name: name, unit: "invoice", requests: 2, writes: true, op: e.invoice}, nil
	}
	return scenario{}, fmt.Errorf("unknown scenario %q (known: %v)", name, Scenarios())
}

// createValU starts a ValU payment with a fresh reference and returns its
// orderNo. Amounts stay clear of the sandbox's decline triggers.
func (e *env) createValU(ctx context.Context, w *worker, kind string) (string, error) {
	body, err := json.Marshal(opay.PaymentCreateRequest{
		Amount:            opay.Amount{Total: 10_000 + w.rng.Int64N(990_000), Currency: "EGP"},
		CallbackURL:       e.callbackURL,
		Country:           "EG",
		PayMethod:         opay.PayMethodValU,
		Product:           opay.Product{Name: "Washing machine", Description: "8 kg, front loading"},
		Reference:         w.freshReference(kind),
		ReturnURL:         "https://merchant.example/return",
		ValUAccountNumber: "01012345678",
	})
	if err != nil {
		return "", err
	}
	var d outcome
	if err := e.c.callInto(ctx, e.gateway, pathPaymentCreate, body, &d); err != nil {
		return "", err
	}
	if d.Status != opay.StatusPending {
		return "", &callError{kind: "status " + d.Status, msg: "payment/create: " + d.FailureReason}
	}
	return d.OrderNo, nil
}

// outcome is what the driver reads of a payment's answer. It reads no more:
// decoding the whole answer into its typed struct (a created ValU payment carries
// six plans of amounts) cost the load driver, which shares the machine with the
// gateway, a tenth of the machine's CPU in valu-create.
type outcome struct {
	OrderNo       string `json:"orderNo"`
	Status        string `json:"status"`
	FailureReason string `json:"failureReason"`
}

// valuFlow is one complete ValU payment: create, choose a plan, enter the
// sandbox OTP; it must end SUCCESS.
func (e *env) valuFlow(ctx context.Context, w *worker) error {
	orderNo, err := e.createValU(ctx, w, "F")
	if err != nil {
		return err
	}
	month, _ := json.Marshal(opay.InputInstallmentMonthRequest{Country: "EG", Months: 6, OrderNo: orderNo})
	if _, err := e.c.call(ctx, e.gateway, pathMonth, month); err != nil {
		return err
	}
	otp, _ := json.Marshal(opay.InputOTPRequest{Country: "EG", OTP: "123456", OrderNo: orderNo})
	var d outcome
	if err := e.c.callInto(ctx, e.gateway, pathOTP, otp, &d); err != nil {
		return err
	}
	if d.Status != opay.StatusSuccess {
		return &callError{kind: "status " + d.Status, msg: "input-otp: " + d.FailureReason}
	}
	return nil
}

// invoice creates an e-invoice and reads it back.
func (e *env) invoice(ctx context.Context, w *worker) error {
	body, err := json.Marshal(opay.CreateInvoiceRequest{
		Amount:  opay.Amount{Total: 1_000 + w.rng.Int64N(500_000), Currency: "EGP"},
		Country: "EG",
		Customer: opay.InvoiceCustomer{CustomerEmail: "mona.ali@example.com",
			CustomerMobile: "+201088889999", CustomerName: "Mona Ali"},
		Description:  "Invoice " + w.freshReference("I"),
		DueTime:      opay.Int64String(time.Now().Add(7 * 24 * time.Hour).Unix()),
		Lang:         opay.LangEN,
		Name:         "Monthly subscription",
		NotifyMethod: opay.NotifyBoth,
	})
	if err != nil {
		return err
	}
	data, err := e.c.call(ctx, e.gateway, pathInvoiceCreate, body)
	if err != nil {
		return err
	}
	var d opay.InvoiceData
	if err := json.Unmarshal(data, &d); err != nil {
		return &callError{kind: "bad answer", msg: err.Error()}
	}
	details, _ := json.Marshal(opay.InvoiceNoRequest{InvoiceNo: d.InvoiceNo})
	data, err = e.c.call(ctx, e.gateway, pathInvoice, details)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return &callError{kind: "bad answer", msg: err.Error()}
	}
	if d.Status != opay.InvoiceUnpaid {
		return &callError{kind: "status " + d.Status, msg: "getInvoiceDetails"}
	}
	return nil
}
