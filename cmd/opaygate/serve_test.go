package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opaygate/opaygate/opay"
)

const (
	demoMerchant = "256612345678901"
	demoKey      = "OPAYPRV16357783346230.07653446106051542"
)

type amount struct {
	Total    int64  `json:"total"`
	Currency string `json:"currency"`
}

type product struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type orderData struct {
	Reference  string `json:"reference"`
	OrderNo    string `json:"orderNo"`
	Status     string `json:"status"`
	CashierURL string `json:"cashierUrl"`
}

func cashierCreate(tb testing.TB, p *Proc, publicKey, reference string, total int64) orderData {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{
		"reference": reference,
		"country":   "EG",
		"amount":    amount{total, "EGP"},
		"returnUrl": "https://shop.example.com/return",
		"product":   product{Name: "durable goods"},
	})
	var o orderData
	if env := Call(tb, p.URL, "/api/v1/international/cashier/create", demoMerchant, "Bearer "+publicKey, body, &o); env.Code != "00000" {
		tb.Fatalf("cashier/create %s: %s %s", reference, env.Code, env.Message)
	}
	return o
}

func orderStatus(tb testing.TB, p *Proc, orderNo string) orderData {
	tb.Helper()
	var o orderData
	Signed(tb, p.URL, "/api/v1/international/cashier/status", demoMerchant, demoKey,
		map[string]string{"orderNo": orderNo, "country": "EG"}, &o)
	return o
}

// Every order the gateway acknowledged is on disk: kill -9 right after the
// last answer loses nothing, and each order comes back in its exact state.
func TestServe_DurableAcrossKill(t *testing.T) {
	db := filepath.Join(t.TempDir(), "opaygate.db")
	p := MustServe(t, db)
	publicKey := p.PublicKey(t, demoMerchant)

	want := map[string]orderData{} // by orderNo
	for i := range 50 {
		o := cashierCreate(t, p, publicKey, fmt.Sprintf("durable-%02d", i), int64(1000+i))
		if o.Status != "INITIAL" {
			t.Fatalf("new order %s is %s", o.OrderNo, o.Status)
		}
		if i%5 == 0 {
			var closed struct {
				OrderStatus string `json:"orderStatus"`
			}
			Signed(t, p.URL, "/api/v1/international/payment/close", demoMerchant, demoKey,
				map[string]string{"orderNo": o.OrderNo, "country": "EG"}, &closed)
			if closed.OrderStatus != "CLOSE" {
				t.Fatalf("closed order %s is %s", o.OrderNo, closed.OrderStatus)
			}
			o.Status = "CLOSE"
		}
		want[o.OrderNo] = o
	}
	// ValU orders reach the other statuses: PENDING, SUCCESS, and FAIL by the
	// amount trigger 51 at the final step.
	for i, total := range []int64{60000, 60000, 51} {
		ref := fmt.Sprintf("durable-valu-%d", i)
		var o orderData
		Signed(t, p.URL, "/api/v1/international/payment/create", demoMerchant, demoKey, map[string]any{
			"amount": amount{total, "EGP"}, "callbackUrl": "https://shop.example.com/cb", "country": "EG",
			"payMethod": "VALU", "product": product{Name: "fridge", Description: "a fridge"},
			"reference": ref, "returnUrl": "https://shop.example.com/return", "valUAccountNumber": "01012345678",
		}, &o)
		if i > 0 {
			Signed(t, p.URL, "/api/v1/payment/action/input-installment-month", demoMerchant, demoKey,
				map[string]any{"country": "EG", "months": 6, "orderNo": o.OrderNo}, &o)
			Signed(t, p.URL, "/api/v1/payment/action/input-otp", demoMerchant, demoKey,
				map[string]any{"country": "EG", "otp": "123456", "orderNo": o.OrderNo}, &o)
		}
		wantStatus := []string{"PENDING", "SUCCESS", "FAIL"}[i]
		if o.Status != wantStatus {
			t.Fatalf("ValU order %s is %s, want %s", ref, o.Status, wantStatus)
		}
		o.Reference = ref
		want[o.OrderNo] = o
	}

	p.Signal(t, syscall.SIGKILL)
	p.Wait(t, 10*time.Second)

	p2 := MustServe(t, db)
	if got := p2.PublicKey(t, demoMerchant); got != publicKey {
		t.Errorf("public key changed across restarts: %s, was %s", got, publicKey)
	}
	for orderNo, w := range want {
		got := orderStatus(t, p2, orderNo)
		if got.Status != w.Status || got.Reference != w.Reference {
			t.Errorf("order %s after kill -9: %s %s, want %s %s", orderNo, got.Reference, got.Status, w.Reference, w.Status)
		}
	}
}

// SIGTERM lets a request that is already being received finish, then the
// process exits 0.
func TestServe_GracefulShutdown(t *testing.T) {
	p := MustServe(t, filepath.Join(t.TempDir(), "opaygate.db"))
	publicKey := p.PublicKey(t, demoMerchant)
	body, _ := json.Marshal(map[string]any{
		"reference": "in-flight", "country": "EG", "amount": amount{5000, "EGP"},
		"returnUrl": "https://shop.example.com/return", "product": product{Name: "slow upload"},
	})

	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, p.URL+"/api/v1/international/cashier/create", pr)
	req.ContentLength = int64(len(body))
	req.Header.Set("MerchantId", demoMerchant)
	req.Header.Set("Authorization", "Bearer "+publicKey)
	type result struct {
		env Envelope
		err error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var env Envelope
		err = json.NewDecoder(resp.Body).Decode(&env)
		done <- result{env, err}
	}()

	half := len(body) / 2
	if _, err := pw.Write(body[:half]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the server is now reading the request
	p.Signal(t, syscall.SIGTERM)

	// The listener closes at once: new connections are refused.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(p.URL, "http://"), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections 5s after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}

	if _, err := pw.Write(body[half:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	r := <-done
	if r.err != nil {
		t.Fatalf("in-flight request failed: %v", r.err)
	}
	if r.env.Code != "00000" {
		t.Fatalf("in-flight request answered %s %s", r.env.Code, r.env.Message)
	}
	if code := p.Wait(t, 15*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM\nstderr:\n%s", code, p.stderr.String())
	}
}

func TestServe_Live(t *testing.T) {
	db := filepath.Join(t.TempDir(), "live.db")

	t.Run("RefusesWithoutMerchants", func(t *testing.T) {
		p := StartProc(t, "serve", "--mode", "live", "--addr", FreeAddr(t), "--db", db)
		if code := p.Wait(t, 60*time.Second); code != 1 {
			t.Fatalf("exit code %d, want 1", code)
		}
		stderr := p.stderr.String()
		if line := lineWith(stderr, "opaygate: "); !strings.Contains(line, "needs at least one merchant") ||
			!strings.Contains(line, "opaygate merchant add --db "+db) {
			t.Fatalf("stderr does not say what to do in one line:\n%s", stderr)
		}
	})

	t.Run("StartsWithAMerchantAndHasNoSandbox", func(t *testing.T) {
		add := StartProc(t, "merchant", "add", "--db", db, "--id", "123456789012345", "--name", "Live Shop",
			"--private-key", "OPAYPRVlive", "--public-key", "OPAYPUBlive")
		if code := add.Wait(t, 60*time.Second); code != 0 {
			t.Fatalf("merchant add: exit %d: %s", code, add.stderr.String())
		}
		p := MustServe(t, db, "--mode", "live")
		if out := p.stdout.String(); !strings.Contains(out, "mode:      live") || strings.Contains(out, "OPAYPRV") {
			t.Errorf("live banner:\n%s", out)
		}
		for _, path := range []string{"/_sandbox/reset", "/_sandbox/clock/advance"} {
			resp, err := http.Post(p.URL+path, "application/json", strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("POST %s: HTTP %d in live mode, want 404", path, resp.StatusCode)
			}
		}
		resp, err := http.Get(p.URL + "/_sandbox/otp?orderNo=1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /_sandbox/otp: HTTP %d in live mode, want 404", resp.StatusCode)
		}

		body := []byte(`{"reference":"live-1","country":"EG","amount":{"total":1000,"currency":"EGP"},` +
			`"returnUrl":"https://shop.example.com/r","product":{"name":"x"}}`)
		if env := Call(t, p.URL, "/api/v1/international/cashier/create", "123456789012345", "Bearer OPAYPUBlive", body, nil); env.Code != "00000" {
			t.Errorf("live cashier/create: %s %s", env.Code, env.Message)
		}
		p.Signal(t, syscall.SIGTERM)
		if code := p.Wait(t, 15*time.Second); code != 0 {
			t.Errorf("exit code %d after SIGTERM", code)
		}
	})
}

func TestServe_BindError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	db := filepath.Join(t.TempDir(), "x.db")
	code, _, stderr := RunCLI(t, nil, "", "serve", "--addr", ln.Addr().String(), "--db", db)
	if code != 1 || !strings.Contains(stderr, "listen") {
		t.Fatalf("exit %d, stderr %q; want 1 and a listen error", code, stderr)
	}
	// The port is taken before the database is touched: no file, no migration.
	if matches, _ := filepath.Glob(db + "*"); len(matches) > 0 {
		t.Fatalf("serve on a busy port created %v", matches)
	}
}

// The banner says the demo keys with asterisks are the documentation's own,
// not masked by the gateway.
func TestRun_BannerExplainsDemoKeys(t *testing.T) {
	_, stdout, _ := MustMain(t)
	banner := stdout.String()
	if !strings.Contains(banner, "OPAYPRV*******0187828") || !strings.Contains(banner, "not masked by opaygate") {
		t.Fatalf("banner:\n%s", banner)
	}
}

func authFor(body []byte) string { return opay.AuthorizationHeader(body, demoKey) }
