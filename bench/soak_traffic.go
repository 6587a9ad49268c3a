package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opaygate/opaygate/opay"
)

// soakCounters are what the traffic counts while it runs.
type soakCounters struct {
	ops        atomic.Int64
	slowOpened atomic.Int64
	slowCut    atomic.Int64

	mu       sync.Mutex
	errors   map[string]int64
	firstErr string
	paid     []paidOrder // SUCCESS orders not yet refunded
	refs     []string    // references that exist, for status reads
}

type paidOrder struct {
	orderNo string
	amount  int64
}

// maxInFlight bounds the operations running at once: a gateway that falls
// behind the rate shows as "overload" errors, not as an unbounded pile of
// goroutines in the load generator.
const maxInFlight = 512

// maxRemembered bounds the references kept for status reads and the paid
// orders kept for refunds, so the driver's memory stays flat too.
const maxRemembered = 10_000

func (s *soak) fail(kind string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errors[kind]++
	if s.firstErr == "" && err != nil {
		s.firstErr = err.Error()
	}
}

func (s *soak) errorCount() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, v := range s.errors {
		n += v
	}
	return n
}

// traffic starts cfg.Rate operations a second until ctx ends, and waits for
// the ones running.
func (s *soak) traffic(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, maxInFlight)
	t := time.NewTicker(time.Second / time.Duration(s.cfg.Rate))
	defer t.Stop()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		select {
		case slots <- struct{}{}:
		default:
			s.fail("overload", errors.New("more than 512 operations in flight"))
			continue
		}
		w := &worker{id: i, env: s.e, rng: rand.New(rand.NewPCG(rng.Uint64(), uint64(i)))}
		pick := rng.IntN(100)
		wg.Go(func() {
			defer func() { <-slots }()
			// An operation that started finishes even when the soak's
			// time is up, so that what it made due is known.
			err := s.operation(context.WithoutCancel(ctx), w, pick)
			s.ops.Add(1)
			if err != nil {
				kind := "error"
				var ce *callError
				if errors.As(err, &ce) {
					kind = ce.kind
				}
				s.fail(kind, err)
			}
		})
	}
}

// operation is one of the mix, by pick in [0, 100): a ValU payment 30%, a
// declined one 5%, a hosted-checkout order closed 15% or left open 15%, a
// status read 25%, a refund of a paid order 10%.
func (s *soak) operation(ctx context.Context, w *worker, pick int) error {
	switch {
	case pick < 30:
		return s.pay(ctx, w, 10_000+w.rng.Int64N(990_000), opay.StatusSuccess)
	case pick < 35:
		return s.pay(ctx, w, 51, opay.StatusFail) // the sandbox declines 51: Insufficient funds
	case pick < 50:
		return s.checkout(ctx, w, true)
	case pick < 65:
		return s.checkout(ctx, w, false)
	case pick < 90:
		return s.status(ctx, w)
	default:
		return s.refund(ctx, w)
	}
}

func (s *soak) remember(ref string) {
	s.mu.Lock()
	if len(s.refs) < maxRemembered {
		s.refs = append(s.refs, ref)
	} else {
		s.refs[rand.IntN(len(s.refs))] = ref
	}
	s.mu.Unlock()
}

// pay is payment/create VALU, a plan and the OTP; want is its final status.
func (s *soak) pay(ctx context.Context, w *worker, amount int64, want string) error {
	ref := w.freshReference("P")
	body, _ := json.Marshal(opay.PaymentCreateRequest{
		Amount: opay.Amount{Total: amount, Currency: "EGP"}, CallbackURL: s.e.callbackURL, Country: "EG",
		PayMethod: opay.PayMethodValU, Product: opay.Product{Name: "Fridge", Description: "A cold one"},
		Reference: ref, ReturnURL: "https://merchant.example/return", ValUAccountNumber: "01012345678",
	})
	var created opay.PaymentCreateData
	if err := s.callInto(ctx, pathPaymentCreate, body, &created); err != nil {
		return err
	}
	s.remember(ref)
	month, _ := json.Marshal(opay.InputInstallmentMonthRequest{Country: "EG", Months: 6, OrderNo: created.OrderNo})
	if _, err := s.c.call(ctx, s.e.gateway, pathMonth, month); err != nil {
		return err
	}
	otp, _ := json.Marshal(opay.InputOTPRequest{Country: "EG", OTP: "123456", OrderNo: created.OrderNo})
	var done opay.InputOTPData
	if err := s.callInto(ctx, pathOTP, otp, &done); err != nil {
		return err
	}
	if done.Status != want {
		return &callError{kind: "status " + done.Status, msg: "input-otp, want " + want}
	}
	s.rc.expect(created.OrderNo, done.Status, false)
	if done.Status == opay.StatusSuccess {
		s.mu.Lock()
		if len(s.paid) < maxRemembered {
			s.paid = append(s.paid, paidOrder{orderNo: created.OrderNo, amount: amount})
		}
		s.mu.Unlock()
	}
	return nil
}

// checkout is cashier/create with the public key, then payment/close when
// closing (a CLOSE callback) or nothing (the order stays INITIAL).
func (s *soak) checkout(ctx context.Context, w *worker, closing bool) error {
	ref := w.freshReference("C")
	body, _ := json.Marshal(opay.CashierCreateRequest{
		Reference: ref, Country: "EG", Amount: opay.Amount{Total: 1_000 + w.rng.Int64N(100_000), Currency: "EGP"},
		ReturnURL: "https://merchant.example/return", CallbackURL: s.e.callbackURL,
		Product: opay.Product{Name: "Kettle", Description: "1.7 l"},
	})
	data, err := s.c.callPublic(ctx, s.e.gateway, pathCashierCreate, body)
	if err != nil {
		return err
	}
	var created opay.CashierCreateData
	if err := json.Unmarshal(data, &created); err != nil {
		return &callError{kind: "bad answer", msg: err.Error()}
	}
	s.remember(ref)
	if !closing {
		return nil
	}
	closeBody, _ := json.Marshal(opay.PaymentCloseRequest{OrderNo: created.OrderNo, Country: "EG"})
	var closed opay.PaymentCloseData
	if err := s.callInto(ctx, opay.PathPaymentClose, closeBody, &closed); err != nil {
		return err
	}
	if closed.OrderStatus != opay.StatusClose {
		return &callError{kind: "status " + closed.OrderStatus, msg: "payment/close"}
	}
	s.rc.expect(created.OrderNo, opay.StatusClose, false)
	return nil
}

// status reads an order the soak created.
func (s *soak) status(ctx context.Context, w *worker) error {
	s.mu.Lock()
	ref := ""
	if len(s.refs) > 0 {
		ref = s.refs[w.rng.IntN(len(s.refs))]
	}
	s.mu.Unlock()
	if ref == "" {
		return s.checkout(ctx, w, false)
	}
	_, err := s.c.call(ctx, s.e.gateway, pathStatus, statusBody(ref))
	return err
}

// refund refunds a paid order in full, once: the sandbox completes it a
// second later with a refunded: true callback.
func (s *soak) refund(ctx context.Context, w *worker) error {
	s.mu.Lock()
	var p paidOrder
	if n := len(s.paid); n > 0 {
		i := w.rng.IntN(n)
		p = s.paid[i]
		s.paid[i] = s.paid[n-1]
		s.paid = s.paid[:n-1]
	}
	s.mu.Unlock()
	if p.orderNo == "" {
		return s.pay(ctx, w, 10_000+w.rng.Int64N(990_000), opay.StatusSuccess)
	}
	body, _ := json.Marshal(opay.RefundCreateRequest{
		Amount: opay.Amount{Total: p.amount, Currency: "EGP"}, Country: "EG", OriginalOrderNo: p.orderNo,
		Reference: w.freshReference("R"), RefundReason: "soak",
	})
	var r opay.RefundData
	if err := s.callInto(ctx, opay.PathRefundCreate, body, &r); err != nil {
		return err
	}
	s.rc.expect(p.orderNo, opay.StatusSuccess, true)
	return nil
}

func (s *soak) callInto(ctx context.Context, path string, body []byte, v any) error {
	data, err := s.c.call(ctx, s.e.gateway, path, body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &callError{kind: "bad answer", msg: fmt.Sprintf("%s: %v", path, err)}
	}
	return nil
}

// slowClient opens connections that send a request's headers and then its
// body a byte a second, again and again until ctx ends: the gateway must cut
// them off without them costing the other clients anything.
func (s *soak) slowClient(ctx context.Context, i int) {
	// Spread the first connections over a second rather than opening all at once.
	select {
	case <-ctx.Done():
		return
	case <-time.After(time.Duration(i%50) * 20 * time.Millisecond):
	}
	head := "POST " + pathStatus + " HTTP/1.1\r\nHost: " + s.addr + "\r\nContent-Type: application/json\r\n" +
		"MerchantId: " + s.c.merchant.ID + "\r\nAuthorization: Bearer 00\r\nContent-Length: 4096\r\n\r\n"
	for ctx.Err() == nil {
		conn, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
		if err != nil {
			s.fail("slow client dial", err)
			sleepCtx(ctx, time.Second)
			continue
		}
		s.slowOpened.Add(1)
		if s.trickle(ctx, conn, head) {
			s.slowCut.Add(1)
		}
		conn.Close()
	}
}

// trickle writes head, then a byte a second; it reports whether the server
// ended the connection (rather than ctx).
func (s *soak) trickle(ctx context.Context, conn net.Conn, head string) bool {
	write := func(p string) bool {
		conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, err := conn.Write([]byte(p))
		return err == nil
	}
	if !write(head) {
		return true
	}
	// The server answering (a 4xx or a timeout's 50003) ends the exchange too.
	answered := make(chan struct{})
	go func() {
		defer close(answered)
		buf := make([]byte, 512)
		conn.Read(buf) // returns on an answer, a close, or our own Close
	}()
	for range 4096 {
		select {
		case <-ctx.Done():
			return false
		case <-answered:
			return true
		case <-time.After(time.Second):
		}
		if !write(" ") {
			return true
		}
	}
	return false
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
