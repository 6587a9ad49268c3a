package notify_test

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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/notify"
	"github.com/opaygate/opaygate/simulator"
	"github.com/opaygate/opaygate/sqlstore"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

// t0 is where every test's clock starts; it moves only when a test says so.
var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// fixture is a migrated database with the services, a clock that stands
// still until advanced, and merchant A whose webhook is the receiver.
type fixture struct {
	db    *sqlstore.DB
	svc   *sqlstore.Services
	clock *opaygate.OffsetClock
	net   *simulator.Network
	m     *opaygate.Merchant
}

func newFixture(t testing.TB, dialect sqlstore.Dialect, webhook string) *fixture {
	t.Helper()
	f := &fixture{db: sqlstoretest.Open(t, dialect), clock: opaygate.NewOffsetClock(fixedClock{t0}), net: simulator.New()}
	f.svc = f.services(f.db)
	priv, pub := opaygate.NewKeyPair()
	f.m = &opaygate.Merchant{ID: "256612345678901", Name: "A", PrivateKey: priv, PublicKey: pub,
		Countries: opaygate.Countries(), Functions: opaygate.AllFunctions(), WebhookURL: webhook}
	if err := f.svc.Merchants.CreateMerchant(context.Background(), f.m); err != nil {
		t.Fatal(err)
	}
	return f
}

// services returns the services on db (another node's connection to the
// same database, for instance) with the fixture's clock and network.
func (f *fixture) services(db *sqlstore.DB) *sqlstore.Services {
	return f.servicesWith(db, nil)
}

// servicesWith is services with onCallback run after every commit that made
// a callback due, as a gateway wires its worker's Wake.
func (f *fixture) servicesWith(db *sqlstore.DB, onCallback func()) *sqlstore.Services {
	return sqlstore.NewServices(db, sqlstore.Deps{Methods: method.Default(), Clock: f.clock, ValU: f.net, OTP: f.net, Acquirer: f.net,
		Settler: f.net, OnCallback: onCallback})
}

// worker returns a worker on the fixture's services with cfg's settings, the
// fixture's clock and local targets allowed unless cfg is live.
func (f *fixture) worker(cfg notify.Config) *notify.Worker {
	cfg.Clock = f.clock
	return notify.New(cfg, f.svc.Callbacks, f.svc.Merchants)
}

func localConfig() notify.Config {
	cfg := notify.DefaultConfig()
	cfg.AllowPrivate = true
	cfg.Interval = 10 * time.Millisecond
	return cfg
}

// valu creates a ValU order of amount and takes it through the OTP: SUCCESS,
// or FAIL when amount is a sandbox trigger.
func (f *fixture) valu(t testing.TB, ref string, amount int64, callbackURL string) *opaygate.Order {
	t.Helper()
	ctx := context.Background()
	o := &opaygate.Order{MerchantID: f.m.ID, Reference: ref, Country: "EG", Amount: amount, ProductName: "Fridge",
		PayMethod: opaygate.PayMethodValU, ValUAccount: "01012345678", Channel: opaygate.ChannelAPI, CallbackURL: callbackURL}
	if err := f.svc.Orders.CreatePayment(ctx, o, nil); err != nil {
		t.Fatal(err)
	}
	key := opaygate.OrderKey{OrderNo: o.OrderNo}
	if _, err := f.svc.Orders.SelectPlan(ctx, f.m.ID, key, 6); err != nil {
		t.Fatal(err)
	}
	o, err := f.svc.Orders.SubmitOTP(ctx, f.m.ID, key, "123456")
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// closed creates a hosted-checkout order and closes it.
func (f *fixture) closed(t testing.TB, ref string) *opaygate.Order {
	t.Helper()
	ctx := context.Background()
	o := &opaygate.Order{MerchantID: f.m.ID, Reference: ref, Country: "EG", Amount: 1500, ProductName: "Mug"}
	if err := f.svc.Orders.CreateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	o, err := f.svc.Orders.CloseOrder(ctx, f.m.ID, opaygate.OrderKey{OrderNo: o.OrderNo})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (f *fixture) callbacks(t testing.TB, orderNo string) []*opaygate.Callback {
	t.Helper()
	list, err := f.svc.Callbacks.ListCallbacks(context.Background(), opaygate.CallbackFilter{OrderNo: orderNo, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func (f *fixture) deliverDue(t testing.TB, w *notify.Worker) int {
	t.Helper()
	n, err := w.DeliverDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// signatureString builds the signed string of spec section 6 from a parsed
// payload, independently of package opay.
func signatureString(p map[string]any) string {
	refunded := "f"
	if p["refunded"] == true {
		refunded = "t"
	}
	return fmt.Sprintf(`{Amount:"%s",Currency:"%s",Reference:"%s",Refunded:%s,Status:"%s",Timestamp:"%s",Token:"%s",TransactionID:"%s"}`,
		p["amount"], p["currency"], p["reference"], refunded, p["status"], p["timestamp"], p["token"], p["transactionId"])
}

// independentSign is HMAC-SHA3-512 in hex, written from the spec with the
// standard library only.
func independentSign(s, key string) string {
	mac := hmac.New(func() hash.Hash { return sha3.New512() }, []byte(key))
	mac.Write([]byte(s))
	return hex.EncodeToString(mac.Sum(nil))
}

// delivery is one callback the receiver accepted as genuine.
type delivery struct {
	Payload map[string]any
	At      time.Time
}

// key identifies a notification the way a merchant de-duplicates them.
func (d delivery) key() string {
	return fmt.Sprintf("%s/%s/%v", d.Payload["transactionId"], d.Payload["status"], d.Payload["refunded"])
}

// receiver is a merchant's callback endpoint. It checks every request — the
// method, Content-Type, the body's shape and its signature, recomputed here
// — and answers what respond says (200 by default).
type receiver struct {
	t   testing.TB
	key func() string

	mu         sync.Mutex
	respond    func(n int) (status int, delay time.Duration)
	requests   int
	good       []delivery
	bad        []string
	inFlight   map[string]int // per key, to catch concurrent deliveries
	concurrent []string
	active     int
	maxActive  int
}

func newReceiver(t testing.TB, key func() string) *receiver {
	return &receiver{t: t, key: key, inFlight: map[string]int{}}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.requests++
	n := rc.requests
	rc.active++
	rc.maxActive = max(rc.maxActive, rc.active)
	respond := rc.respond
	rc.mu.Unlock()
	defer func() {
		rc.mu.Lock()
		rc.active--
		rc.mu.Unlock()
	}()

	d, problem := rc.check(r, body)
	if problem != "" {
		rc.mu.Lock()
		rc.bad = append(rc.bad, problem)
		rc.mu.Unlock()
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	k := d.key()
	rc.mu.Lock()
	rc.inFlight[k]++
	if rc.inFlight[k] > 1 {
		rc.concurrent = append(rc.concurrent, k)
	}
	rc.mu.Unlock()
	defer func() {
		rc.mu.Lock()
		rc.inFlight[k]--
		rc.mu.Unlock()
	}()

	status, delay := http.StatusOK, time.Duration(0)
	if respond != nil {
		status, delay = respond(n)
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return // the gateway gave up; this is not an acknowledgement
		}
	}
	if status >= 200 && status <= 299 {
		rc.mu.Lock()
		rc.good = append(rc.good, d)
		rc.mu.Unlock()
	}
	w.WriteHeader(status)
}

func (rc *receiver) check(r *http.Request, body []byte) (delivery, string) {
	var d delivery
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		return d, fmt.Sprintf("%s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
	}
	var msg struct {
		Payload map[string]any `json:"payload"`
		SHA512  string         `json:"sha512"`
		Type    string         `json:"type"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return d, "body is not JSON: " + err.Error()
	}
	if msg.Type != "transaction-status" {
		return d, "type " + msg.Type
	}
	want := []string{"amount", "channel", "country", "currency", "displayedFailure", "fee", "feeCurrency",
		"instrumentType", "reference", "refunded", "status", "timestamp", "token", "transactionId", "updated_at"}
	if len(msg.Payload) != len(want) {
		return d, fmt.Sprintf("payload has %d fields: %s", len(msg.Payload), body)
	}
	for _, k := range want {
		v, ok := msg.Payload[k]
		_, isString := v.(string)
		_, isBool := v.(bool)
		if !ok || (k == "refunded" && !isBool) || (k != "refunded" && !isString) {
			return d, fmt.Sprintf("payload field %s is %T", k, v)
		}
	}
	if got := independentSign(signatureString(msg.Payload), rc.key()); !hmac.Equal([]byte(got), []byte(strings.ToLower(msg.SHA512))) {
		return d, "bad signature on " + string(body)
	}
	return delivery{Payload: msg.Payload, At: time.Now()}, ""
}

func (rc *receiver) setRespond(fn func(n int) (int, time.Duration)) {
	rc.mu.Lock()
	rc.respond = fn
	rc.mu.Unlock()
}

// snapshot returns what the receiver saw so far.
func (rc *receiver) snapshot() (requests int, good []delivery, bad, concurrent []string, maxActive int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.requests, append([]delivery(nil), rc.good...), append([]string(nil), rc.bad...),
		append([]string(nil), rc.concurrent...), rc.maxActive
}

// serve runs rc on ln until the test ends.
func serve(t testing.TB, ln net.Listener, h http.Handler) *http.Server {
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return srv
}

// listen returns a listener on a free loopback port and its URL.
func listen(t testing.TB) (net.Listener, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, "http://" + ln.Addr().String()
}
