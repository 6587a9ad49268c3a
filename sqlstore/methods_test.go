package sqlstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/sqlstore"
)

// ngCard is an NG non-3DS card on its way to CreatePayment.
func ngCard(number string) opaygate.Card {
	return opaygate.Card{Number: number, CVV: "123", ExpiryMonth: 12, ExpiryYear: 2039}
}

func (e *env) cardPayment(t *testing.T, ref, number string) *opaygate.Order {
	t.Helper()
	o := &opaygate.Order{MerchantID: e.m.ID, Reference: ref, Country: "NG", Amount: 1000, ProductName: "Rice",
		PayMethod: opaygate.PayMethodBankCard, CallbackURL: "https://m.example/cb"}
	if err := e.svc.Orders.CreatePayment(context.Background(), o, ngCard(number)); err != nil {
		t.Fatal(err)
	}
	return o
}

// TestSubmitPIN: the network decides the PIN; the third wrong one fails the order with 55;
// a correct one goes where the card's method says (an OTP with fresh attempts, or the
// acquirer).
func TestSubmitPIN(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		t.Run("PINThenOTP", func(t *testing.T) {
			o := e.cardPayment(t, "pin-otp", "5060990000010106")
			if o.Status != opaygate.StatusPending || o.Step != opaygate.StepPIN {
				t.Fatalf("created %+v", o)
			}
			_, err := e.svc.Orders.SubmitPIN(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, "4321")
			wantCode(t, err, opaygate.EOTPINVALID)
			got, err := e.svc.Orders.SubmitPIN(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, "1234")
			if err != nil || got.Step != opaygate.StepOTP || got.OTPAttempts != 0 {
				t.Fatalf("after pin %+v %v", got, err)
			}
			code, ok := e.net.LastOTP(o.OrderNo)
			if !ok {
				t.Fatal("no OTP sent")
			}
			if got, err := e.svc.Orders.SubmitOTP(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, code); err != nil || got.Status != opaygate.StatusSuccess {
				t.Fatalf("after otp %+v %v", got, err)
			}
		})
		t.Run("ThreeWrong", func(t *testing.T) {
			o := e.cardPayment(t, "pin-wrong", "5061000000010103")
			for range opaygate.PINMaxAttempts {
				_, err := e.svc.Orders.SubmitPIN(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, "0000")
				wantCode(t, err, opaygate.EOTPINVALID)
			}
			got := e.find(t, opaygate.OrderKey{ID: o.ID})
			if got.Status != opaygate.StatusFail || got.FailureCode != "55" || got.FailureReason != "Incorrect PIN" {
				t.Fatalf("after three wrong pins %+v", got)
			}
			_, err := e.svc.Orders.SubmitPIN(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, "1234")
			wantCode(t, err, opaygate.EORDERSTATE)
			if cbs := e.callbacks(t, o.ID); len(cbs) != 1 || cbs[0] != "FAIL" {
				t.Fatalf("callbacks %v", cbs)
			}
		})
		t.Run("PINOnly", func(t *testing.T) {
			o := e.cardPayment(t, "pin-only", "5061000000010103")
			got, err := e.svc.Orders.SubmitPIN(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, "1234")
			if err != nil || got.Status != opaygate.StatusSuccess {
				t.Fatalf("after pin %+v %v", got, err)
			}
		})
		t.Run("ErrNotWaitingForPIN", func(t *testing.T) {
			o := e.cardPayment(t, "pin-otp-only", "5399830000010106")
			if o.Step != opaygate.StepOTP {
				t.Fatalf("created %+v", o)
			}
			_, err := e.svc.Orders.SubmitPIN(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, "1234")
			wantCode(t, err, opaygate.EORDERSTATE)
		})
		t.Run("ErrNoPINChecker", func(t *testing.T) {
			svc := sqlstore.NewServices(e.db, sqlstore.Deps{Methods: method.Default(), Clock: e.clock, ValU: e.net,
				OTP: e.net, Acquirer: acquirerOnly{e.net}})
			o := e.cardPayment(t, "pin-live", "5061000000010103")
			_, err := svc.Orders.SubmitPIN(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}, "1234")
			wantCode(t, err, opaygate.ENOTCONFIGURED)
		})
	})
}

// acquirerOnly hides every optional interface of the network behind an Acquirer.
type acquirerOnly struct{ a opaygate.Acquirer }

func (a acquirerOnly) Authorize(ctx context.Context, o *opaygate.Order) (opaygate.Decision, error) {
	return a.a.Authorize(ctx, o)
}

// smallCodes is a method whose codes come from a tiny space, so that they collide.
type smallCodes struct{ space int }

func (smallCodes) Name() string { return "SmallCodes" }
func (s smallCodes) Start(_ context.Context, _ opaygate.Network, o *opaygate.Order, _ any, _ time.Time) (opaygate.Move, error) {
	code := fmt.Sprintf("%010d", rand.IntN(s.space))
	o.MethodData = map[string]string{opaygate.DataReferenceCode: code,
		opaygate.DataLookup: opaygate.LookupKey(opaygate.DataReferenceCode, code)}
	return opaygate.Wait(opaygate.StepExternal), nil
}
func (smallCodes) Next(*opaygate.Order, opaygate.Step) opaygate.Move { return opaygate.Authorize() }

type methods map[string]opaygate.Method

func (m methods) Method(name string) (opaygate.Method, bool) { v, ok := m[name]; return v, ok }

// TestLookupUnique: concurrent payments whose codes collide each end with a code no other
// open order holds; a final order's code may be drawn again, and the finder finds the newest.
func TestLookupUnique(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		const n, space = 12, 48
		svc := sqlstore.NewServices(e.db, sqlstore.Deps{Methods: methods{"SmallCodes": smallCodes{space}}, Clock: e.clock,
			ValU: e.net, OTP: e.net, Acquirer: e.net})
		var wg sync.WaitGroup
		orders := make([]*opaygate.Order, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				o := &opaygate.Order{MerchantID: e.m.ID, Reference: fmt.Sprintf("code-%d", i), Country: "NG", Amount: 1000,
					ProductName: "Rice", PayMethod: "SmallCodes"}
				errs[i] = svc.Orders.CreatePayment(ctx, o, nil)
				orders[i] = o
			})
		}
		wg.Wait()
		seen := map[string]bool{}
		for i, o := range orders {
			if errs[i] != nil {
				t.Fatalf("order %d: %v", i, errs[i])
			}
			code := o.MethodData[opaygate.DataReferenceCode]
			if seen[code] {
				t.Fatalf("code %s given to two open orders", code)
			}
			seen[code] = true
			got, err := svc.Orders.FindOrderByIdentifier(ctx, opaygate.DataReferenceCode, code)
			if err != nil || got.ID != o.ID {
				t.Fatalf("find %s: %+v %v", code, got, err)
			}
		}
		_, err := svc.Orders.FindOrderByIdentifier(ctx, opaygate.DataTransferAccount, orders[0].MethodData[opaygate.DataReferenceCode])
		wantCode(t, err, opaygate.ENOTFOUND)

		// Once every order is final, a space of one code serves a new order.
		for _, o := range orders {
			if _, err := svc.Orders.CloseOrder(ctx, e.m.ID, opaygate.OrderKey{ID: o.ID}); err != nil {
				t.Fatal(err)
			}
		}
		one := sqlstore.NewServices(e.db, sqlstore.Deps{Methods: methods{"SmallCodes": smallCodes{1}}, Clock: e.clock,
			ValU: e.net, OTP: e.net, Acquirer: e.net})
		o := &opaygate.Order{MerchantID: e.m.ID, Reference: "code-again", Country: "NG", Amount: 1000, ProductName: "Rice", PayMethod: "SmallCodes"}
		if err := one.Orders.CreatePayment(ctx, o, nil); err != nil {
			t.Fatal(err)
		}
		if got, err := one.Orders.FindOrderByIdentifier(ctx, opaygate.DataReferenceCode, "0000000000"); err != nil || got.ID != o.ID {
			t.Fatalf("newest holder: %+v %v", got, err)
		}
		// A second open order cannot have it: every draw collides.
		o2 := &opaygate.Order{MerchantID: e.m.ID, Reference: "code-taken", Country: "NG", Amount: 1000, ProductName: "Rice", PayMethod: "SmallCodes"}
		if err := one.Orders.CreatePayment(ctx, o2, nil); err == nil {
			t.Fatal("two open orders hold one code")
		}
	})
}

// TestLookupUniqueOnTheCheckout: the hosted checkout's path (StartPayment on an INITIAL order)
// draws again when the identifier collides, as payment/create does.
func TestLookupUniqueOnTheCheckout(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		const n, space = 8, 24
		svc := sqlstore.NewServices(e.db, sqlstore.Deps{Methods: methods{"SmallCodes": smallCodes{space}}, Clock: e.clock,
			ValU: e.net, OTP: e.net, Acquirer: e.net})
		orders := make([]*opaygate.Order, n)
		for i := range n {
			o := &opaygate.Order{MerchantID: e.m.ID, Reference: fmt.Sprintf("page-code-%d", i), Country: "NG", Amount: 1000,
				ProductName: "Rice"}
			if err := svc.Orders.CreateOrder(ctx, o); err != nil {
				t.Fatal(err)
			}
			orders[i] = o
		}
		var wg sync.WaitGroup
		started := make([]*opaygate.Order, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				started[i], errs[i] = svc.Orders.StartPayment(ctx, e.m.ID, opaygate.OrderKey{ID: orders[i].ID}, "SmallCodes", nil)
			})
		}
		wg.Wait()
		seen := map[string]bool{}
		for i, o := range started {
			if errs[i] != nil {
				t.Fatalf("order %d: %v", i, errs[i])
			}
			code := o.MethodData[opaygate.DataReferenceCode]
			if seen[code] || o.Step != opaygate.StepExternal {
				t.Fatalf("order %d: code %s (seen %v), step %s", i, code, seen[code], o.Step)
			}
			seen[code] = true
			if got, err := svc.Orders.FindOrderByIdentifier(ctx, opaygate.DataReferenceCode, code); err != nil || got.ID != o.ID {
				t.Fatalf("find %s: %+v %v", code, got, err)
			}
		}
	})
}

// TestRefundWayTable: NG refunds take the way OPay's table fixes for the order's method.
func TestRefundWayTable(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		o := &opaygate.Order{MerchantID: e.m.ID, Reference: "rw-card", Country: "NG", Amount: 100000, ProductName: "Rice",
			PayMethod: opaygate.PayMethodBankCard}
		if err := e.svc.Orders.CreatePayment(ctx, o, ngCard("4111111111111111")); err != nil || o.Status != opaygate.StatusSuccess {
			t.Fatalf("card %+v %v", o, err)
		}
		refund := func(ref, way, bank string) (*opaygate.Refund, error) {
			r := &opaygate.Refund{MerchantID: e.m.ID, Reference: ref, Amount: 100, Way: way, BankCode: bank, BankAccountNo: bank}
			return r, e.svc.Refunds.CreateRefund(ctx, r, opaygate.OrderKey{OrderNo: o.OrderNo})
		}
		_, err := refund("rw-1", opaygate.RefundWayOriginal, "058")
		wantCode(t, err, opaygate.EINVALID)
		_, err = refund("rw-2", "", "")
		wantCode(t, err, opaygate.EINVALID) // BankAccount needs the account
		if r, err := refund("rw-3", "", "058"); err != nil || r.Way != opaygate.RefundWayBankAccount {
			t.Fatalf("missing way: %+v %v", r, err)
		}
		eg := &opaygate.Order{MerchantID: e.m.ID, Reference: "rw-eg", Country: "EG", Amount: 100000, ProductName: "Tea",
			PayMethod: opaygate.PayMethodBankCard}
		if err := e.svc.Orders.CreatePayment(ctx, eg, ngCard("4111111111111111")); err != nil {
			t.Fatal(err)
		}
		r := &opaygate.Refund{MerchantID: e.m.ID, Reference: "rw-eg-1", Amount: 100}
		if err := e.svc.Refunds.CreateRefund(ctx, r, opaygate.OrderKey{OrderNo: eg.OrderNo}); err != nil || r.Way != opaygate.RefundWayOriginal {
			t.Fatalf("EG: %+v %v", r, err)
		}
	})
}
