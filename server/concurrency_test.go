package server_test

import (
	"sync"
	"testing"

	"github.com/opaygate/opaygate/opay"
)

// TestConcurrentCloseAndOTP races 50 closes against 50 correct OTPs on one order: exactly one
// of the two outcomes wins, and every answer agrees with the final state.
func TestConcurrentCloseAndOTP(t *testing.T) {
	e := newTestServer(t)
	orderNo := e.toOTP(t, e.A, "race-1", 60000)
	otp := e.sandboxOTP(t, orderNo)
	lookup := `{"orderNo":"` + orderNo + `","country":"EG"}`

	const n = 50
	type answer struct {
		close bool
		r     result
	}
	answers := make([]answer, 2*n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 2 * n {
		wg.Go(func() {
			<-start
			path, body := pathOTP, []byte(otpBody(orderNo, otp))
			if i%2 == 0 {
				path, body = pathClose, []byte(lookup)
			}
			r, err := e.send("POST", path, body, sign(e.A, body))
			if err != nil {
				t.Error(err)
			}
			answers[i] = answer{path == pathClose, r}
		})
	}
	close(start)
	wg.Wait()

	final := data[opay.CashierStatusData](t, must(t, e.call(t, e.A, pathStatus, lookup), opay.CodeSuccess)).Status
	if final != "CLOSE" && final != "SUCCESS" {
		t.Fatalf("final status %s", final)
	}
	var closed, paid int
	for _, a := range answers {
		switch {
		case a.r.Code == opay.CodeSuccess && a.close:
			closed++
			if s := data[opay.PaymentCloseData](t, a.r).OrderStatus; s != "CLOSE" {
				t.Errorf("close answered %s", s)
			}
		case a.r.Code == opay.CodeSuccess:
			paid++
			if s := data[opay.InputOTPData](t, a.r).Status; s != "SUCCESS" {
				t.Errorf("otp answered %s", s)
			}
		case a.r.Code != opay.CodeOrderState:
			t.Errorf("answer %s %q", a.r.Code, a.r.Message)
		}
	}
	switch final {
	case "SUCCESS":
		if paid != 1 || closed != 0 {
			t.Errorf("final SUCCESS but %d paid and %d closed answers", paid, closed)
		}
	case "CLOSE":
		if paid != 0 || closed != n {
			t.Errorf("final CLOSE but %d paid and %d closed answers", paid, closed)
		}
	}
	t.Logf("final %s: %d paid, %d closed", final, paid, closed)
}

// TestConcurrentDuplicateReference sends 50 payment/create with one reference at once: one
// order, 49 × 02004 carrying its orderNo.
func TestConcurrentDuplicateReference(t *testing.T) {
	e := newTestServer(t)
	const n = 50
	body := bodyBytes(t, valuRequest("race-dup", 60000, "01012345678"))
	answers := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			r, err := e.send("POST", pathPaymentCreate, body, sign(e.A, body))
			if err != nil {
				t.Error(err)
			}
			answers[i] = r
		})
	}
	close(start)
	wg.Wait()

	var created []string
	var dups []string
	for _, r := range answers {
		switch r.Code {
		case opay.CodeSuccess:
			created = append(created, data[opay.PaymentCreateData](t, r).OrderNo)
		case opay.CodeDuplicate:
			if string(r.Data) != "null" {
				t.Errorf("02004 data %s, want null", r.Data)
			}
			dups = append(dups, r.Header.Get(opay.HeaderDetail))
		default:
			t.Errorf("answer %s %q", r.Code, r.Message)
		}
	}
	if len(created) != 1 || len(dups) != n-1 {
		t.Fatalf("%d created, %d duplicates", len(created), len(dups))
	}
	for _, d := range dups {
		if want := "reference race-dup is already used by " + created[0] + " (PENDING)"; d != want {
			t.Errorf("duplicate detail %q, want %q", d, want)
		}
	}
}
