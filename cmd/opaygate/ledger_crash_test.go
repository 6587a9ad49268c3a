package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

// The demo merchant's opening cash in each currency (METHODS.md §10.4).
const openingCash = 100_000_000

// TestLedger_VerifiedAcrossKill is the crash test of issue 13: several goroutines pay (VALU),
// refund and pay out (RSA-signed, some to a wallet that fails later and gives the money back)
// against a sandbox that is killed with SIGKILL in the middle. The ledger must verify right
// after the kill, and again once a restarted gateway has finished every refund and payout; the
// merchant's cash must then be the opening cash plus what was paid, minus what was refunded
// and paid out, reading the outcome of every request whose answer the kill swallowed.
func TestLedger_VerifiedAcrossKill(t *testing.T) {
	for _, backend := range sqlstoretest.Backends {
		t.Run(string(backend), func(t *testing.T) {
			db := sqlstoretest.URL(t, backend) // PostgreSQL: skipped outside CI when absent, saying so
			ledgerCrash(t, db)
		})
	}
}

// crashOp is one request the traffic made, with what its answer said.
type crashOp struct {
	kind   string // payment, refund, payout
	ref    string
	amount int64
	order  string // a refund's original orderNo
	fails  bool   // a payout to an account or wallet ending 1005
	// currency is a payout's (EGP to a wallet, NGN to a bank account); payments and refunds
	// are all in EGP.
	currency string
	acked    bool   // the gateway answered 00000 (for a payment: the OTP's SUCCESS)
	answer   string // the code of a refusal, or the transport error
	after    string // what the gateway says of it after the restart
}

type crashTraffic struct {
	url, notify string
	rsaKey      *rsa.PrivateKey
	client      *http.Client

	mu  sync.Mutex
	ops []*crashOp
}

// record adds op once its answer is in (deferred by its maker), as the test counts the ops
// while the traffic runs.
func (tr *crashTraffic) record(op *crashOp) {
	tr.mu.Lock()
	tr.ops = append(tr.ops, op)
	tr.mu.Unlock()
}

// post sends one signed request; an error is a transport failure (the kill), a code other than
// 00000 is in the envelope.
func (tr *crashTraffic) post(path string, req, data any) (string, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return "", err
	}
	auth := opay.AuthorizationHeader(body, demoKey)
	if strings.Contains(path, "/payout/") {
		sig, err := opay.SignRSA(body, tr.rsaKey)
		if err != nil {
			return "", err
		}
		auth = "Bearer " + sig
	}
	r, err := http.NewRequest(http.MethodPost, tr.url+path, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("MerchantId", demoMerchant)
	r.Header.Set("Authorization", auth)
	resp, err := tr.client.Do(r)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	var env Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return "", fmt.Errorf("HTTP %d, not an envelope: %.200s", resp.StatusCode, raw)
	}
	if env.Code == "00000" && data != nil {
		if err := json.Unmarshal(env.Data, data); err != nil {
			return "", fmt.Errorf("%s: data %s: %w", path, env.Data, err)
		}
	}
	return env.Code, nil
}

// pay makes a VALU payment and, every other time it succeeds, refunds part of it.
func (tr *crashTraffic) pay(worker, i int) {
	ref := fmt.Sprintf("crash-%d-%d", worker, i)
	op := &crashOp{kind: "payment", ref: ref, amount: int64(10_000 + 100*worker + i)}
	defer tr.record(op)
	var o orderData
	steps := []struct {
		path string
		req  any
	}{
		{"/api/v1/international/payment/create", map[string]any{
			"amount": amount{op.amount, "EGP"}, "callbackUrl": tr.notify, "country": "EG", "payMethod": "VALU",
			"product": product{Name: "fridge", Description: "a fridge"}, "reference": ref,
			"returnUrl": "https://shop.example.com/return", "valUAccountNumber": "01012345678"}},
		{"/api/v1/payment/action/input-installment-month", nil},
		{"/api/v1/payment/action/input-otp", nil},
	}
	for k, s := range steps {
		req := s.req
		switch k {
		case 1:
			req = map[string]any{"country": "EG", "months": 6, "orderNo": o.OrderNo}
		case 2:
			req = map[string]any{"country": "EG", "otp": "123456", "orderNo": o.OrderNo}
		}
		code, err := tr.post(s.path, req, &o)
		if err != nil || code != "00000" {
			op.answer = fmt.Sprint(code, err)
			return
		}
	}
	if o.Status != "SUCCESS" {
		op.answer = "status " + o.Status
		return
	}
	op.acked = true
	if i%2 == 1 {
		return
	}
	r := &crashOp{kind: "refund", ref: ref + "-r", amount: op.amount / 3, order: o.OrderNo}
	defer tr.record(r)
	var d opay.RefundData
	code, err := tr.post(opay.PathRefundCreate, opay.RefundCreateRequest{Reference: r.ref, OriginalOrderNo: o.OrderNo,
		Country: "EG", RefundWay: "Original", Amount: opay.Amount{Total: r.amount, Currency: "EGP"},
		CallbackURL: tr.notify}, &d)
	r.acked = err == nil && code == "00000"
	r.answer = fmt.Sprint(code, err)
}

// payout pays out, in turn, to an EG wallet and to an NG bank account; every third one goes
// to a wallet or account ending 1005, which the sandbox bank refuses after --payout-delay.
func (tr *crashTraffic) payout(worker, i int) {
	op := &crashOp{kind: "payout", ref: fmt.Sprintf("crash-po-%d-%d", worker, i), amount: int64(5_000 + 10*worker + i),
		fails: i%3 == 0, currency: "EGP"}
	last4 := fmt.Sprintf("%04d", i%10000)
	if op.fails {
		last4 = "1005"
	}
	req := opay.PayoutCreateRequest{PayoutType: "OpayWallet", NotifyURL: tr.notify, MerchantOrderNo: op.ref,
		Country: "EG", Amount: opay.Int64String(op.amount), Currency: "EGP", Language: "en_US",
		MetaData: opay.PayoutMetaData{CustomerName: "Crash Test", Phone: fmt.Sprintf("+2010%04d", worker) + last4}}
	if i%2 == 1 {
		op.currency = "NGN"
		req.PayoutType, req.Country, req.Currency = "BankTransfer", "NG", "NGN"
		req.MetaData = opay.PayoutMetaData{AccountBankCode: "058", AccountName: "Crash Test",
			AccountNo: fmt.Sprintf("01%04d", worker) + last4}
	}
	defer tr.record(op)
	var d opay.PayoutCreateData
	code, err := tr.post(opay.PathPayoutCreate, req, &d)
	op.acked = err == nil && code == "00000"
	op.answer = fmt.Sprint(code, err)
}

func ledgerCrash(t *testing.T, db string) {
	start := time.Now()
	dataDir := t.TempDir()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	flags := []string{"--data-dir", dataDir, "--payout-delay", "200ms", "--refund-delay", "300ms"}
	p := MustServe(t, db, flags...)
	booted := time.Since(start)

	pemText, err := os.ReadFile(sandboxPayoutKeyPath(dataDir, demoMerchant))
	if err != nil {
		t.Fatalf("the sandbox wrote no payout key for %s: %v", demoMerchant, err)
	}
	key, err := parseRSAPrivateKey(pemText)
	if err != nil {
		t.Fatal(err)
	}
	tr := &crashTraffic{url: p.URL, notify: receiver.URL + "/opay", rsaKey: key,
		client: &http.Client{Timeout: 10 * time.Second}}

	// Traffic from several goroutines until the kill; each request the kill interrupts is
	// recorded without an answer.
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				if w%2 == 0 {
					tr.pay(w, i)
				} else {
					tr.payout(w, i)
				}
			}
		})
	}
	// Two seconds of traffic, longer (up to eight) on a machine too slow to have made a few of
	// each kind by then.
	counts := func() map[string]int {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		n := map[string]int{}
		for _, op := range tr.ops {
			if op.acked {
				n[op.kind]++
			} else {
				n[op.kind+" unanswered"]++
			}
		}
		return n
	}
	enough := func(n map[string]int) bool { return n["payment"] >= 3 && n["refund"] >= 1 && n["payout"] >= 3 }
	trafficStart := time.Now()
	for time.Since(trafficStart) < 2*time.Second || !enough(counts()) && time.Since(trafficStart) < 8*time.Second {
		time.Sleep(50 * time.Millisecond)
	}
	stop.Store(true)
	p.Signal(t, syscall.SIGKILL)
	traffic := time.Since(trafficStart)
	p.Wait(t, 10*time.Second)
	wg.Wait()
	n := counts()
	t.Logf("killed after %s of traffic (boot %s): %v", traffic.Round(time.Millisecond), booted.Round(time.Millisecond), n)
	if !enough(n) {
		t.Fatalf("too little traffic before the kill to test anything: %v", n)
	}

	verify := func(when string) {
		t.Helper()
		code, stdout, stderr := RunCLI(t, nil, "", "ledger", "verify", "--db", db)
		if code != 0 || !strings.Contains(stdout, "ledger OK") {
			t.Fatalf("ledger verify %s: exit %d\n%s%s", when, code, stdout, stderr)
		}
		t.Logf("ledger verify %s: %s", when, strings.SplitN(stdout, "\n", 2)[0])
	}
	verify("after the kill")

	p2 := MustServe(t, db, flags...)
	tr.url = p2.URL
	// On the sandbox clock, which restarted with the process: past every refund's and payout's
	// delay, which the restarted workers then finish; past the minute after which the sweeper
	// asks the acquirer again about a payment whose OTP was in flight at the kill; and past
	// every order's expiry (30 minutes), so that a payment the kill left waiting for its OTP
	// ends CLOSE rather than PENDING.
	advanceSandbox(t, p2, 65+31*60)
	want := map[string]int64{"EGP": openingCash, "NGN": openingCash}
	byNumber := map[string]int64{} // what each record should have moved in and out of cash
	swallowed := map[string]int{}  // records made by requests whose answer the kill lost
	deadline := time.Now().Add(10 * time.Second)
	for _, op := range tr.ops {
		for {
			number, moved, done := crashOutcome(t, tr, op)
			if done {
				want[cmp.Or(op.currency, "EGP")] += moved
				if number != "" {
					byNumber[number] += moved
				}
				if !op.acked && number != "" {
					swallowed[op.kind]++
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s %s is still unfinished 10s after the restart", op.kind, op.ref)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("made though unanswered: %v", swallowed)
	verify("after the restart")

	resp, err := http.Get(p2.URL + "/_sandbox/balance?merchantId=" + demoMerchant)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Code string
		Data []struct {
			Currency        string
			Unsettled, Cash int64
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Code != "00000" {
		t.Fatalf("balance: %s %v", env.Code, err)
	}
	if len(env.Data) != len(want) {
		t.Fatalf("balances %+v, want EGP and NGN", env.Data)
	}
	for _, b := range env.Data {
		if b.Cash != want[b.Currency] || b.Unsettled != 0 {
			t.Errorf("%s cash %d, unsettled %d; want cash %d (opening %d + payments − refunds − payouts not failed), unsettled 0",
				b.Currency, b.Cash, b.Unsettled, want[b.Currency], int64(openingCash))
		}
		t.Logf("%s cash %d = opening %d %+d", b.Currency, b.Cash, int64(openingCash), b.Cash-openingCash)
	}
	if t.Failed() {
		crashDifferences(t, db, byNumber)
		for _, op := range tr.ops {
			if !op.acked {
				t.Logf("unanswered %s %s %d: before the kill %q, after the restart %q", op.kind, op.ref, op.amount, op.answer, op.after)
			}
		}
	}
	t.Logf("%d requests; %s in all", len(tr.ops), time.Since(start).Round(time.Millisecond))
}

// crashDifferences lists the records whose cash entries differ from what the test expects.
func crashDifferences(t *testing.T, db string, want map[string]int64) {
	t.Helper()
	store, svcs, err := openStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	entries, err := svcs.Ledger.Entries(context.Background(), demoMerchant, "", 100000)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	kinds := map[string][]string{}
	for _, e := range entries {
		if e.Account == "CASH_ACCOUNT" && e.Kind != "opening" {
			got[e.Ref] += e.Delta
			kinds[e.Ref] = append(kinds[e.Ref], fmt.Sprintf("%s %s %d", e.Currency, e.Kind, e.Delta))
		}
	}
	for ref, d := range got {
		if want[ref] != d {
			t.Errorf("%s moved %d in cash (%v), the test expects %d", ref, d, kinds[ref], want[ref])
		}
	}
	for ref, d := range want {
		if _, ok := got[ref]; !ok && d != 0 {
			t.Errorf("%s moved nothing in cash, the test expects %d", ref, d)
		}
	}
}

// crashOutcome reads what became of op after the restart and returns how it moved the
// merchant's cash, or done false while it is still PENDING. A request the gateway answered must
// have the outcome it announced; one whose answer was lost may or may not exist.
func crashOutcome(t *testing.T, tr *crashTraffic, op *crashOp) (number string, moved int64, done bool) {
	t.Helper()
	switch op.kind {
	case "payment":
		var o opay.CashierStatusData
		code, err := tr.post(opay.PathCashierStatus, opay.CashierStatusRequest{Reference: op.ref, Country: "EG"}, &o)
		op.after = fmt.Sprint(code, " ", o.OrderNo, " ", o.Status)
		switch {
		case err != nil:
			t.Fatalf("cashier/status %s: %v", op.ref, err)
		case code == opay.CodeNotFound && !op.acked:
			return "", 0, true
		case code != "00000":
			t.Fatalf("cashier/status %s: %s (answered before the kill: %v %s)", op.ref, code, op.acked, op.answer)
		case o.Status == "INITIAL" || o.Status == "PENDING":
			return "", 0, false // in flight, or not expired yet
		case op.acked && o.Status != "SUCCESS":
			t.Fatalf("payment %s was SUCCESS before the kill and is %s after", op.ref, o.Status)
		case o.Status == "SUCCESS":
			return o.OrderNo, op.amount, true
		}
		return o.OrderNo, 0, true
	case "refund":
		var d opay.RefundData
		code, err := tr.post(opay.PathRefundQuery, opay.RefundQueryRequest{Reference: op.ref, Country: "EG"}, &d)
		switch {
		case err != nil:
			t.Fatalf("refund/query %s: %v", op.ref, err)
		case code == opay.CodeNotFound && !op.acked:
			return "", 0, true
		case code != "00000":
			t.Fatalf("refund/query %s: %s (answered before the kill: %v %s)", op.ref, code, op.acked, op.answer)
		case d.OrderStatus == "PENDING":
			return "", 0, false
		case d.OrderStatus != "SUCCESS":
			t.Fatalf("refund %s is %s", op.ref, d.OrderStatus)
		}
		return d.OrderNo, -op.amount, true
	}
	var d opay.PayoutQueryData
	code, err := tr.post(opay.PathPayoutQuery, opay.PayoutQueryRequest{Reference: op.ref}, &d)
	switch {
	case err != nil:
		t.Fatalf("payout/queryorder %s: %v", op.ref, err)
	case code == opay.CodePayoutNotFound && !op.acked:
		return "", 0, true
	case code != "00000":
		t.Fatalf("payout/queryorder %s: %s (answered before the kill: %v %s)", op.ref, code, op.acked, op.answer)
	case d.OrderStatus == "PENDING" || d.OrderStatus == "INITIAL":
		return "", 0, false
	case op.fails && (d.OrderStatus != "FAIL" || d.ErrorCode != opay.CodeIncorrectAccount):
		t.Fatalf("payout %s to a wallet ending 1005 is %s %q", op.ref, d.OrderStatus, d.ErrorCode)
	case op.fails:
		return d.OrderNo, 0, true // its money came back
	case d.OrderStatus != "SUCCESS":
		t.Fatalf("payout %s is %s %s", op.ref, d.OrderStatus, d.ErrorCode)
	}
	return d.OrderNo, -op.amount, true
}
