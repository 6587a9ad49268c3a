package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha3"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/sqlstore"
)

// callbackReceiver is a merchant endpoint that checks each callback's signature with its own
// HMAC-SHA3-512 over the string of spec section 6, and counts deliveries per notification.
type callbackReceiver struct {
	key string

	mu       sync.Mutex
	hold     time.Duration  // how long each request waits before it is answered
	arrivals map[string]int // transactionId/status/refunded → requests received
	counts   map[string]int // transactionId/status/refunded → deliveries acknowledged
	bad      []string
}

func newCallbackReceiver(key string) *callbackReceiver {
	return &callbackReceiver{key: key, arrivals: map[string]int{}, counts: map[string]int{}}
}

func (rc *callbackReceiver) setHold(d time.Duration) {
	rc.mu.Lock()
	rc.hold = d
	rc.mu.Unlock()
}

func (rc *callbackReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var msg struct {
		Payload map[string]any `json:"payload"`
		SHA512  string         `json:"sha512"`
		Type    string         `json:"type"`
	}
	err := json.Unmarshal(body, &msg)
	p := msg.Payload
	refunded := "f"
	if p["refunded"] == true {
		refunded = "t"
	}
	signed := fmt.Sprintf(`{Amount:"%s",Currency:"%s",Reference:"%s",Refunded:%s,Status:"%s",Timestamp:"%s",Token:"%s",TransactionID:"%s"}`,
		p["amount"], p["currency"], p["reference"], refunded, p["status"], p["timestamp"], p["token"], p["transactionId"])
	mac := hmac.New(func() hash.Hash { return sha3.New512() }, []byte(rc.key))
	mac.Write([]byte(signed))
	key := fmt.Sprintf("%s/%s/%v", p["transactionId"], p["status"], p["refunded"])
	rc.mu.Lock()
	if err != nil || msg.Type != "transaction-status" || hex.EncodeToString(mac.Sum(nil)) != msg.SHA512 {
		rc.bad = append(rc.bad, string(body))
		rc.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.arrivals[key]++
	hold := rc.hold
	rc.mu.Unlock()
	if hold > 0 {
		select {
		case <-time.After(hold):
		case <-r.Context().Done():
			return // the gateway is gone: never acknowledged
		}
	}
	rc.mu.Lock()
	rc.counts[key]++
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// received reports how many distinct notifications arrived and how many requests in all.
func (rc *callbackReceiver) received() (distinct, requests int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, n := range rc.arrivals {
		requests += n
	}
	return len(rc.arrivals), requests
}

func (rc *callbackReceiver) snapshot() (map[string]int, []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	counts := make(map[string]int, len(rc.counts))
	for k, v := range rc.counts {
		counts[k] = v
	}
	return counts, append([]string(nil), rc.bad...)
}

// sandboxCallback is what GET /_sandbox/callbacks shows of one callback.
type sandboxCallback struct {
	ID       int64
	OrderNo  string
	Status   string
	Refunded bool
	State    string
	Attempts int
	History  []struct {
		HTTPStatus int
		Error      string
	}
}

func listCallbacks(tb testing.TB, p *Proc) []sandboxCallback {
	tb.Helper()
	resp, err := http.Get(p.URL + "/_sandbox/callbacks?limit=500")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Code string
		Data []sandboxCallback
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Code != "00000" {
		tb.Fatalf("list callbacks: %s %v", env.Code, err)
	}
	return env.Data
}

func advanceSandbox(tb testing.TB, p *Proc, seconds int) {
	tb.Helper()
	resp, err := http.Post(p.URL+"/_sandbox/clock/advance", "application/json", strings.NewReader(fmt.Sprintf(`{"seconds":%d}`, seconds)))
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
}

// Payments whose callbacks are due while the merchant's receiver is down; the gateway is killed
// with SIGKILL before it could deliver any; after a restart, with the receiver up, every
// callback arrives. Duplicates are counted and reported.
func TestCallbacks_DeliveredAcrossKill(t *testing.T) {
	db := filepath.Join(t.TempDir(), "opaygate.db")
	receiverAddr := FreeAddr(t) // nothing listens there yet: the receiver is down
	target := "http://" + receiverAddr + "/opay"
	p := MustServe(t, db, "--callback-timeout", "2s")
	publicKey := p.PublicKey(t, demoMerchant)

	want := map[string]bool{} // transactionId/status/refunded
	var paid []string
	for i := range 8 {
		total := int64(60000 + i)
		if i == 7 {
			total = 51 // the sandbox's "insufficient funds" trigger: FAIL at the OTP
		}
		o := valuPaid(t, p, fmt.Sprintf("kill-valu-%d", i), total, target)
		want[o.OrderNo+"/"+o.Status+"/false"] = true
		if o.Status == "SUCCESS" {
			paid = append(paid, o.OrderNo)
		}
	}
	for i := range 4 {
		body, _ := json.Marshal(map[string]any{
			"reference": fmt.Sprintf("kill-cashier-%d", i), "country": "EG", "amount": amount{1000, "EGP"},
			"returnUrl": "https://shop.example.com/return", "callbackUrl": target, "product": product{Name: "mug"},
		})
		var o orderData
		if env := Call(t, p.URL, "/api/v1/international/cashier/create", demoMerchant, "Bearer "+publicKey, body, &o); env.Code != "00000" {
			t.Fatalf("cashier/create: %s %s", env.Code, env.Message)
		}
		Signed(t, p.URL, "/api/v1/international/payment/close", demoMerchant, demoKey,
			map[string]string{"orderNo": o.OrderNo, "country": "EG"}, nil)
		want[o.OrderNo+"/CLOSE/false"] = true
	}
	// A refund, still PENDING when the gateway dies: it succeeds after the restart.
	var refund struct{ OrderStatus string }
	Signed(t, p.URL, "/api/v1/international/payment/refund/create", demoMerchant, demoKey, map[string]any{
		"reference": "kill-refund-1", "originalOrderNo": paid[0], "country": "EG", "refundWay": "Original",
		"amount": amount{1000, "EGP"}, "callbackUrl": target,
	}, &refund)
	if refund.OrderStatus != "PENDING" {
		t.Fatalf("refund is %s", refund.OrderStatus)
	}
	want[paid[0]+"/SUCCESS/true"] = true

	// Let the worker try (and fail) each due callback at least once, so that the kill finds
	// callbacks in the middle of their retries.
	deadline := time.Now().Add(20 * time.Second)
	for {
		list := listCallbacks(t, p)
		tried := 0
		for _, c := range list {
			if c.Attempts > 0 {
				tried++
			}
		}
		if len(list) == len(want)-1 && tried == len(list) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20s %d of %d callbacks tried", tried, len(list))
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.Signal(t, syscall.SIGKILL)
	p.Wait(t, 10*time.Second)

	ln, err := net.Listen("tcp", receiverAddr)
	if err != nil {
		t.Fatalf("the receiver cannot listen on %s: %v", receiverAddr, err)
	}
	rc := newCallbackReceiver(demoKey)
	srv := &http.Server{Handler: rc}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	p2 := MustServe(t, db, "--callback-timeout", "2s")
	// The sandbox clock restarts at wall time with the process. Moving it a minute on stands for
	// waiting: it passes the backoff of the failed attempts (at most 30 s in the sandbox), any
	// lease the killed process held (timeout + 30 s) and the refund's 5 s delay.
	advanceSandbox(t, p2, 65)
	deadline = time.Now().Add(30 * time.Second)
	for {
		counts, bad := rc.snapshot()
		if len(bad) > 0 {
			t.Fatalf("the receiver refused %d callbacks: %s", len(bad), bad[0])
		}
		missing := 0
		for k := range want {
			if counts[k] == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d callbacks never arrived; got %v", missing, len(want), counts)
		}
		time.Sleep(50 * time.Millisecond)
	}
	counts, _ := rc.snapshot()
	duplicates := 0
	for k, n := range counts {
		if !want[k] {
			t.Errorf("unexpected callback %s", k)
		}
		duplicates += n - 1
	}
	// The receiver has answered; the gateway records each answer just after.
	var list []sandboxCallback
	for deadline = time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		list = listCallbacks(t, p2)
		delivered := 0
		for _, c := range list {
			if c.State == "delivered" {
				delivered++
			}
		}
		if delivered == len(want) || time.Now().After(deadline) {
			break
		}
	}
	retried := 0
	for _, c := range list {
		if c.State != "delivered" {
			t.Errorf("callback %d of %s is %s", c.ID, c.OrderNo, c.State)
		}
		if len(c.History) >= 2 && strings.Contains(c.History[0].Error, "refused") {
			retried++
		}
	}
	t.Logf("%d callbacks across a kill -9: all delivered, %d duplicates, %d delivered after failed attempts before the kill",
		len(want), duplicates, retried)
	if retried != len(want)-1 {
		t.Errorf("%d callbacks show failed attempts before the kill, want %d", retried, len(want)-1)
	}
}

// valuPaid creates a VALU payment of total with callbackUrl target and pays it.
func valuPaid(tb testing.TB, p *Proc, ref string, total int64, target string) orderData {
	tb.Helper()
	var o orderData
	Signed(tb, p.URL, "/api/v1/international/payment/create", demoMerchant, demoKey, map[string]any{
		"amount": amount{total, "EGP"}, "callbackUrl": target, "country": "EG", "payMethod": "VALU",
		"product": product{Name: "fridge", Description: "a fridge"}, "reference": ref,
		"returnUrl": "https://shop.example.com/return", "valUAccountNumber": "01012345678",
	}, &o)
	Signed(tb, p.URL, "/api/v1/payment/action/input-installment-month", demoMerchant, demoKey,
		map[string]any{"country": "EG", "months": 6, "orderNo": o.OrderNo}, &o)
	Signed(tb, p.URL, "/api/v1/payment/action/input-otp", demoMerchant, demoKey,
		map[string]any{"country": "EG", "otp": "123456", "orderNo": o.OrderNo}, &o)
	return o
}

// The gateway is killed while the receiver holds its requests: those callbacks reached the
// merchant but their answers never reached the gateway, so after the restart they are sent
// again. This is the at-least-once half of the contract; the test counts the duplicates.
func TestCallbacks_KilledMidDelivery(t *testing.T) {
	db := filepath.Join(t.TempDir(), "opaygate.db")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rc := newCallbackReceiver(demoKey)
	rc.setHold(time.Minute)
	srv := &http.Server{Handler: rc}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	target := "http://" + ln.Addr().String() + "/opay"

	p := MustServe(t, db, "--callback-timeout", "5s", "--callback-workers", "4")
	const n = 6
	want := map[string]bool{}
	for i := range n {
		o := valuPaid(t, p, fmt.Sprintf("mid-%d", i), int64(1000+i), target)
		want[o.OrderNo+"/SUCCESS/false"] = true
	}
	deadline := time.Now().Add(20 * time.Second)
	for distinct, _ := rc.received(); distinct < 4; distinct, _ = rc.received() {
		if time.Now().After(deadline) {
			t.Fatalf("only %d callbacks reached the receiver after 20s", distinct)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.Signal(t, syscall.SIGKILL)
	p.Wait(t, 10*time.Second)
	inFlight, _ := rc.received()
	rc.setHold(0)

	p2 := MustServe(t, db, "--callback-timeout", "5s")
	advanceSandbox(t, p2, 65) // past the killed process's leases (timeout + 30 s)
	deadline = time.Now().Add(30 * time.Second)
	for {
		counts, _ := rc.snapshot()
		if len(counts) == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d callbacks acknowledged after 30s", len(counts), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	counts, bad := rc.snapshot()
	_, requests := rc.received()
	for k := range counts {
		if !want[k] {
			t.Errorf("unexpected callback %s", k)
		}
	}
	if len(bad) > 0 {
		t.Fatalf("refused: %v", bad)
	}
	duplicates := requests - n
	t.Logf("%d callbacks, %d in flight at the kill: %d requests, %d duplicates (every in-flight one sent again, as at-least-once allows)",
		n, inFlight, requests, duplicates)
	if duplicates > inFlight {
		t.Errorf("%d duplicates but only %d callbacks were in flight at the kill", duplicates, inFlight)
	}
}

// callback list and resend work on the database, as the sandbox API does over HTTP.
func TestCallbackCLI(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "opaygate.db")
	db, err := sqlstore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svcs := sqlstore.NewServices(db, sqlstore.Deps{})
	m := &opaygate.Merchant{ID: "100000000000001", Name: "Shop", PrivateKey: "k", PublicKey: "p",
		Countries: opaygate.Countries(), Functions: opaygate.AllFunctions()}
	if err := svcs.Merchants.CreateMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OPAYGATE_DB": path}

	code, out, errOut := RunCLI(t, env, "", "merchant", "update", m.ID, "--webhook-url", "https://shop.example.com/opay")
	if code != 0 || !strings.Contains(out, "webhook: https://shop.example.com/opay") {
		t.Fatalf("merchant update: %d %q %q", code, out, errOut)
	}
	o := &opaygate.Order{MerchantID: m.ID, Reference: "cli-1", Country: "EG", Amount: 1000, ProductName: "Mug"}
	if err := svcs.Orders.CreateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	if _, err := svcs.Orders.CloseOrder(ctx, m.ID, opaygate.OrderKey{OrderNo: o.OrderNo}); err != nil {
		t.Fatal(err)
	}
	claimed, err := svcs.Callbacks.ClaimCallbacks(ctx, 1, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	if _, err := svcs.Callbacks.RecordAttempt(ctx, claimed[0], opaygate.CallbackAttempt{At: time.Now(), HTTPStatus: 200,
		Duration: 42 * time.Millisecond}, opaygate.DefaultRetrySchedule()); err != nil {
		t.Fatal(err)
	}

	code, out, errOut = RunCLI(t, env, "", "callback", "list", "--merchant", m.ID)
	if code != 0 || !strings.Contains(out, o.OrderNo) || !strings.Contains(out, "delivered") ||
		!strings.Contains(out, "HTTP 200") || !strings.Contains(out, "42ms") || !strings.Contains(out, "https://shop.example.com/opay") ||
		!strings.Contains(lineWith(out, o.OrderNo), " v1 ") {
		t.Fatalf("callback list: %d\n%s%s", code, out, errOut)
	}
	id := strconv.FormatInt(claimed[0].ID, 10)
	code, out, errOut = RunCLI(t, env, "", "callback", "resend", id)
	if code != 0 || !strings.Contains(out, "pending again") || !strings.Contains(out, "1 earlier attempts kept") {
		t.Fatalf("callback resend: %d %q %q", code, out, errOut)
	}
	if _, out, _ = RunCLI(t, env, "", "callback", "list", "--state", "pending"); !strings.Contains(out, o.OrderNo) {
		t.Fatalf("the re-sent callback is not pending:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"callback", "resend", "999"}, exitError, "no callback 999"},
		{[]string{"callback", "resend", "x"}, exitUsage, "is not a callback id"},
		{[]string{"callback", "list", "--state", "lost"}, exitUsage, "is not pending, delivered or dead"},
		{[]string{"callback"}, exitUsage, "missing subcommand"},
		{[]string{"callback", "replay"}, exitUsage, "unknown subcommand"},
		{[]string{"merchant", "update", m.ID}, exitUsage, "nothing to change"},
		{[]string{"merchant", "update", m.ID, "--webhook-url", "ftp://x"}, exitUsage, "not an http(s) URL"},
		{[]string{"merchant", "update", "999999999999999", "--webhook-url", ""}, exitError, "no merchant"},
		{[]string{"merchant", "update", m.ID, "--callback-version", "V2"}, exitUsage, `--callback-version "V2" is not v1 or v2`},
	} {
		code, _, errOut := RunCLI(t, env, "", tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d %q, want %d %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	if code, out, _ := RunCLI(t, env, "", "merchant", "update", m.ID, "--webhook-url", ""); code != 0 || !strings.Contains(out, "webhook: none; callbacks: v1") {
		t.Errorf("removing the webhook: %d %q", code, out)
	}
	if code, out, _ := RunCLI(t, env, "", "merchant", "update", m.ID, "--callback-version", "v2"); code != 0 || !strings.Contains(out, "callbacks: v2") {
		t.Errorf("switching to v2: %d %q", code, out)
	}
	if got, err := svcs.Merchants.FindMerchant(ctx, m.ID); err != nil || got.CallbackVersion != opaygate.CallbackV2 {
		t.Errorf("after --callback-version v2: %+v %v", got, err)
	}
}

func TestCallbackConfig(t *testing.T) {
	cfg := DefaultConfig()
	env := map[string]string{"OPAYGATE_CALLBACK_TIMEOUT": "3s", "OPAYGATE_CALLBACK_WORKERS": "8",
		"OPAYGATE_CALLBACK_ALLOW_PRIVATE": "true", "OPAYGATE_REFUND_DELAY": "1s",
		"OPAYGATE_CALLBACK_ALLOW_TARGETS": "10.0.0.5:8080,10.1.0.0/16", "OPAYGATE_PAYOUT_DELAY": "2s",
		"OPAYGATE_SETTLEMENT_DELAY": "1h"}
	if err := cfg.applyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	want := CallbackConfig{Timeout: 3 * time.Second, Workers: 8, AllowPrivate: true, RefundDelay: time.Second,
		AllowTargets: "10.0.0.5:8080,10.1.0.0/16", PayoutDelay: 2 * time.Second,
		SettlementDelay: optionalDuration{d: time.Hour, set: true}}
	if cfg.Callbacks != want {
		t.Fatalf("callbacks %+v, want %+v", cfg.Callbacks, want)
	}
	// Unset, the settlement delay is the mode's: at once in the sandbox, a day live.
	def := DefaultCallbackConfig()
	if def.settlementDelay(ModeSandbox) != 0 || def.settlementDelay(ModeLive) != opaygate.DefaultSettlementDelay ||
		cfg.Callbacks.settlementDelay(ModeSandbox) != time.Hour {
		t.Errorf("settlement delays: %s %s %s", def.settlementDelay(ModeSandbox), def.settlementDelay(ModeLive),
			cfg.Callbacks.settlementDelay(ModeSandbox))
	}
	live := DefaultCallbackConfig().notifyConfig(ModeLive, false, nil, nil)
	if live.Schedule != opaygate.DefaultRetrySchedule() || live.AllowPrivate || live.Timeout != 10*time.Second {
		t.Errorf("live: %+v", live)
	}
	sandbox := DefaultCallbackConfig().notifyConfig(ModeSandbox, false, nil, nil)
	if sandbox.Schedule != opaygate.SandboxRetrySchedule() || !sandbox.AllowPrivate || sandbox.Interval != 250*time.Millisecond {
		t.Errorf("sandbox: %+v", sandbox)
	}
	exposed := CallbackConfig{AllowTargets: "10.0.0.5:8080"}.notifyConfig(ModeSandbox, true, nil, nil)
	if exposed.AllowPrivate || len(exposed.AllowTargets) != 1 || exposed.Schedule != opaygate.SandboxRetrySchedule() {
		t.Errorf("sandbox reachable from the network: %+v", exposed)
	}
	if (CallbackConfig{AllowPrivate: true}).notifyConfig(ModeSandbox, true, nil, nil).AllowPrivate != true {
		t.Error("--callback-allow-private does not apply to a sandbox reachable from the network")
	}
	listed := CallbackConfig{AllowTargets: "10.0.0.5:8080"}.notifyConfig(ModeLive, false, nil, nil)
	if listed.AllowPrivate || len(listed.AllowTargets) != 1 || listed.AllowTargets[0].String() != "10.0.0.5:8080" {
		t.Errorf("live with an allow-list: %+v", listed)
	}
	if err := (CallbackConfig{AllowPrivate: true}).guard(false).CheckURL("http://10.0.0.5/cb"); err != nil {
		t.Errorf("live with --callback-allow-private refuses a private callbackUrl: %v", err)
	}
	if err := (CallbackConfig{}).guard(false).CheckURL("http://10.0.0.5/cb"); err == nil {
		t.Error("live accepts a private callbackUrl")
	}
	custom := CallbackConfig{Timeout: time.Second, Workers: 1, RetryFirst: time.Minute, GiveUp: 24 * time.Hour}.notifyConfig(ModeLive, false, nil, nil)
	if custom.Schedule != (opaygate.RetrySchedule{First: time.Minute, Max: time.Hour, GiveUpAfter: 24 * time.Hour}) {
		t.Errorf("custom: %+v", custom.Schedule)
	}
	for name, c := range map[string]CallbackConfig{
		"ErrTimeout":    {Workers: 1},
		"ErrWorkers":    {Timeout: time.Second},
		"ErrNegative":   {Timeout: time.Second, Workers: 1, GiveUp: -time.Second},
		"ErrCap":        {Timeout: time.Second, Workers: 1, RetryFirst: time.Minute, RetryMax: time.Second},
		"ErrTargetName": {Timeout: time.Second, Workers: 1, AllowTargets: "receiver.internal:8080"},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	bad := DefaultConfig()
	if err := bad.applyEnv(func(k string) string {
		return map[string]string{"OPAYGATE_CALLBACK_GIVE_UP": "forever"}[k]
	}); err == nil {
		t.Error("OPAYGATE_CALLBACK_GIVE_UP=forever accepted")
	}
}
