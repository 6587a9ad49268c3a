package cluster_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/sqlstore"
)

// The demo merchant of OPay's documentation, which the sandbox seeds.
const (
	demoID  = "256612345678901"
	demoKey = "OPAYPRV16357783346230.07653446106051542"
)

// unavailableBound is the longest any request may take while the database is
// gone: a correctness bound (no client hangs), not a speed target.
const unavailableBound = 5 * time.Second

// probe is one request of the traffic and what it got.
type probe struct {
	start, end time.Time
	op, ref    string
	code       string
}

func (p probe) took() time.Duration { return p.end.Sub(p.start) }

// traffic is clients sending creates, and status reads of orders they were
// told were created, to one gateway until halted.
type traffic struct {
	g      *gateway
	mu     sync.Mutex
	probes []probe
	stop   chan struct{}
	wg     sync.WaitGroup
}

func drive(g *gateway, clients int) *traffic {
	tr := &traffic{g: g, stop: make(chan struct{})}
	for c := range clients {
		tr.wg.Go(func() {
			acked := ""
			for i := 0; ; i++ {
				select {
				case <-tr.stop:
					return
				default:
				}
				ref := fmt.Sprintf("o-%d-%d", c, i)
				p := g.call(pathPaymentCreate, ref, valuRequest(ref))
				tr.record(p)
				if p.code == opay.CodeSuccess {
					acked = ref
				}
				if acked != "" {
					tr.record(g.call(pathStatus, acked, opay.CashierStatusRequest{Reference: acked, Country: "EG"}))
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	return tr
}

func (tr *traffic) record(p probe) {
	tr.mu.Lock()
	tr.probes = append(tr.probes, p)
	tr.mu.Unlock()
}

// halt stops the clients and returns every probe, in order of start.
func (tr *traffic) halt() []probe {
	close(tr.stop)
	tr.wg.Wait()
	slices.SortFunc(tr.probes, func(a, b probe) int { return a.start.Compare(b.start) })
	return tr.probes
}

// call sends a signed request as the demo merchant. A transport error or an
// answer that is not the envelope is recorded as code "transport".
func (g *gateway) call(path, ref string, body any) probe {
	b, _ := json.Marshal(body)
	p := probe{op: path, ref: ref, code: "transport", start: time.Now()}
	defer func() { p.end = time.Now() }()
	req, _ := http.NewRequest("POST", g.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("MerchantId", demoID)
	req.Header.Set("Authorization", opay.AuthorizationHeader(b, demoKey))
	resp, err := g.client.Do(req)
	if err != nil {
		p.end = time.Now()
		return p
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env opay.Response
	if json.Unmarshal(raw, &env) == nil && resp.StatusCode == http.StatusOK {
		p.code = env.Code
	}
	p.end = time.Now()
	return p
}

// window is the probes that started at or after from and ended by to.
func window(ps []probe, from, to time.Time) []probe {
	var out []probe
	for _, p := range ps {
		if !p.start.Before(from) && !p.end.After(to) {
			out = append(out, p)
		}
	}
	return out
}

// outage is when the database was lost (the failure began), surely down (the
// failure is complete), back (the repair began) and up (it accepts
// connections again).
type outage struct{ lost, down, back, up time.Time }

// checkOutage holds the probes of one outage against the contract: until it
// began every answer is 00000; while the database is surely gone every answer
// is 50003; no request ever takes longer than bound; once the database is back
// the node answers 00000 again by itself within recoverBound, and from then on
// only 00000; and every order acknowledged with 00000 is still there.
func checkOutage(t *testing.T, g *gateway, db string, ps []probe, o outage, bound, recoverBound time.Duration) {
	t.Helper()
	var slowest time.Duration
	for _, p := range ps {
		slowest = max(slowest, p.took())
		if p.took() > bound {
			t.Errorf("%s %s took %s (%s), more than %s", p.op, p.ref, p.took().Round(time.Millisecond), p.code, bound)
		}
		if p.code != opay.CodeSuccess && p.code != opay.CodeUnavailable {
			t.Errorf("%s %s answered %s", p.op, p.ref, p.code)
		}
	}
	for _, p := range window(ps, time.Time{}, o.lost) {
		if p.code != opay.CodeSuccess {
			t.Errorf("before the outage %s %s answered %s", p.op, p.ref, p.code)
		}
	}
	during := window(ps, o.down, o.back)
	var worst time.Duration
	for _, p := range during {
		worst = max(worst, p.took())
		if p.code != opay.CodeUnavailable {
			t.Errorf("during the outage %s %s answered %s", p.op, p.ref, p.code)
		}
	}
	if len(during) < 3 {
		t.Errorf("only %d requests ran during the outage", len(during))
	}

	// Recovery: the first 00000 after the database is back, then only 00000.
	var recovered time.Time
	for _, p := range window(ps, o.back, time.Now()) {
		if recovered.IsZero() {
			if p.code == opay.CodeSuccess {
				recovered = p.end
			}
			continue
		}
		if p.start.After(recovered) && p.code != opay.CodeSuccess {
			t.Errorf("after recovering, %s %s answered %s", p.op, p.ref, p.code)
		}
	}
	switch {
	case recovered.IsZero():
		t.Fatalf("the node never answered 00000 again")
	case recovered.Sub(o.up) > recoverBound:
		t.Errorf("the node answered 00000 again %s after the database was back, more than %s", recovered.Sub(o.up), recoverBound)
	}
	if !g.alive() {
		t.Fatal("the node exited; it must ride out the outage")
	}

	// Nothing acknowledged was lost. (A create answered 50003 may or may
	// not have been stored: its outcome is unknown, which is why a retry
	// with the same reference answers 02004 with the orderNo.)
	stored := map[string]bool{}
	inspect := openInspector(t, sqlstore.Postgres, db)
	rows, err := inspect.Query(`SELECT reference FROM orders WHERE merchant_id = $1`, demoID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ref string
		rows.Scan(&ref)
		stored[ref] = true
	}
	rows.Close()
	acked := 0
	for _, p := range ps {
		if p.op == pathPaymentCreate && p.code == opay.CodeSuccess {
			acked++
			if !stored[p.ref] {
				t.Errorf("order %s was acknowledged with 00000 and is gone", p.ref)
			}
		}
	}
	t.Logf("%d requests, %d orders acknowledged and all stored; %d while the database was gone, all 50003, the slowest in %s (slowest overall %s); first 00000 %s after the database accepted connections again",
		len(ps), acked, len(during), worst.Round(time.Millisecond), slowest.Round(time.Millisecond), max(0, recovered.Sub(o.up)).Round(time.Millisecond))
}

// TestOutageCrash: PostgreSQL dies mid-traffic (pg_ctl stop -m immediate,
// which kills every backend at once) and comes back. The node answers 50003
// within the bound, /healthz says 503, and without a restart the node
// answers 00000 and /healthz 200 once PostgreSQL is back.
func TestOutageCrash(t *testing.T) {
	pg := startPostgres(t)
	g := startGateway(t, pg.url())
	tr := drive(g, 4)
	time.Sleep(time.Second)

	lost := time.Now()
	pg.crash()
	down := time.Now()
	time.Sleep(300 * time.Millisecond)
	code, took := g.health()
	if code != http.StatusServiceUnavailable || took > unavailableBound {
		t.Errorf("/healthz during the outage: %d in %s, want 503 within %s", code, took, unavailableBound)
	}
	t.Logf("/healthz during the outage: %d in %s", code, took.Round(time.Millisecond))
	time.Sleep(1500 * time.Millisecond)

	restart := time.Now()
	pg.start()
	up := time.Now()
	t.Logf("PostgreSQL restarted (crash recovery) in %s", up.Sub(restart).Round(time.Millisecond))
	time.Sleep(1500 * time.Millisecond)
	if code, took := g.health(); code != http.StatusOK {
		t.Errorf("/healthz after the outage: %d in %s, want 200", code, took)
	}
	ps := tr.halt()
	checkOutage(t, g, pg.url(), ps, outage{lost, down, restart, up}, unavailableBound, 5*time.Second)
}

// TestOutagePartition: the network to PostgreSQL goes silent mid-traffic —
// nothing is refused or closed, bytes just stop arriving, as when a host dies
// or a partition falls. Only deadlines end such waits: with --request-timeout
// 2s every request answers 50003 within 3 s, /healthz 503, and once the
// network heals the node answers 00000 again by itself.
func TestOutagePartition(t *testing.T) {
	pg := startPostgres(t)
	net := newPartition(t, fmt.Sprintf("127.0.0.1:%d", pg.port))
	const timeout = 2 * time.Second
	g := startGateway(t, fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable", net.addr()),
		"--request-timeout", timeout.String())
	tr := drive(g, 6)
	time.Sleep(time.Second)

	net.cut()
	down := time.Now()
	code, took := g.health()
	if code != http.StatusServiceUnavailable || took > timeout+time.Second {
		t.Errorf("/healthz during the partition: %d in %s, want 503 within %s", code, took, timeout+time.Second)
	}
	t.Logf("/healthz during the partition: %d in %s", code, took.Round(time.Millisecond))
	time.Sleep(3 * time.Second)

	heal := time.Now()
	net.heal()
	time.Sleep(1500 * time.Millisecond)
	if code, took := g.health(); code != http.StatusOK {
		t.Errorf("/healthz after the partition: %d in %s, want 200", code, took)
	}
	ps := tr.halt()
	checkOutage(t, g, pg.url(), ps, outage{down, down, heal, heal}, timeout+time.Second, 5*time.Second)
}
