package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/simulator"
	"github.com/opaygate/opaygate/sqlstore"
)

// withPayouts makes e's services answer payouts a second after they are made.
func (e *env) withPayouts() {
	e.svc = sqlstore.NewServices(e.db, sqlstore.Deps{Methods: method.Default(), Clock: e.clock, ValU: e.net, OTP: e.net,
		Acquirer: e.net, Settler: e.net, Payouts: simulator.New(simulator.PayoutDelay(time.Second))})
}

func bankPayout(m *opaygate.Merchant, ref string, amount int64, accountNo string) *opaygate.Payout {
	return &opaygate.Payout{MerchantID: m.ID, Reference: ref, PayoutType: opaygate.PayoutBankTransfer, Country: "NG",
		Currency: "NGN", Amount: amount, Language: "en_US", NotifyURL: "https://m.example/payouts",
		Payee: opaygate.Payee{AccountBankCode: "058", AccountName: "Ada", AccountNo: accountNo}}
}

// TestPayouts: a payout takes its amount from the cash in the transaction that creates it,
// only when the cash covers it; the network's answer finishes it with one notification, and
// a failure gives the money back. Both backends.
func TestPayouts(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.withPayouts()
		cash := func() int64 { t.Helper(); return e.balanceOf(t, "NGN").Cash }

		err := e.svc.Payouts.CreatePayout(ctx, bankPayout(e.m, "po-poor", 100, "0123456789"))
		wantCode(t, err, opaygate.EBALANCE)
		err = e.svc.Payouts.CreatePayout(ctx, bankPayout(e.m, "po-huge", opaygate.MaxAmount+1, "0123456789"))
		wantCode(t, err, opaygate.EINVALID)
		_, err = e.svc.Payouts.FindPayout(ctx, e.m.ID, opaygate.PayoutKey{Reference: "po-poor"})
		wantCode(t, err, opaygate.ENOTFOUND)

		if _, err := e.svc.Ledger.Credit(ctx, e.m.ID, "NGN", 100000, ""); err != nil {
			t.Fatal(err)
		}
		ok := bankPayout(e.m, "po-1", 30000, "0123456789")
		if err := e.svc.Payouts.CreatePayout(ctx, ok); err != nil {
			t.Fatal(err)
		}
		if ok.Status != opaygate.PayoutPending || len(ok.OrderNo) != 18 || ok.DueAt.IsZero() {
			t.Fatalf("created %+v", ok)
		}
		if got := cash(); got != 70000 {
			t.Fatalf("cash after a payout of 30000: %d", got)
		}
		err = e.svc.Payouts.CreatePayout(ctx, bankPayout(e.m, "po-1", 10, "0123456789"))
		wantCode(t, err, opaygate.EDUPLICATE)
		bad := bankPayout(e.m, "po-2", 20000, "0123451005")
		if err := e.svc.Payouts.CreatePayout(ctx, bad); err != nil {
			t.Fatal(err)
		}
		if got := cash(); got != 50000 {
			t.Fatalf("cash after two payouts: %d", got)
		}
		if n, err := e.svc.Payouts.CompletePayouts(ctx, 10); err != nil || n != 0 {
			t.Fatalf("completed before due: %d %v", n, err)
		}
		e.clock.Advance(2 * time.Second)
		if n, err := e.svc.Payouts.CompletePayouts(ctx, 10); err != nil || n != 2 {
			t.Fatalf("completed %d %v", n, err)
		}
		got, err := e.svc.Payouts.FindPayout(ctx, e.m.ID, opaygate.PayoutKey{OrderNo: ok.OrderNo})
		if err != nil || got.Status != opaygate.PayoutSuccess || got.ErrorCode != "" {
			t.Fatalf("good payout %+v %v", got, err)
		}
		_, err = e.svc.Payouts.FindPayout(ctx, e.other.ID, opaygate.PayoutKey{OrderNo: ok.OrderNo})
		wantCode(t, err, opaygate.ENOTFOUND)
		got, err = e.svc.Payouts.FindPayout(ctx, e.m.ID, opaygate.PayoutKey{Reference: "po-2"})
		if err != nil || got.Status != opaygate.PayoutFail || got.ErrorCode != "01005" || got.ErrorMsg != "Incorrect Account Number" {
			t.Fatalf("bad payout %+v %v", got, err)
		}
		if got := cash(); got != 70000 {
			t.Fatalf("cash after the failed payout came back: %d", got)
		}
		_, err = e.svc.Payouts.FinishPayout(ctx, ok.OrderNo, opaygate.PayoutResult{})
		wantCode(t, err, opaygate.EORDERSTATE)
		kinds, err := sqlstore.QueryStrings(e.db, `SELECT status || ' ' || order_no || ' ' || CAST(payout_id AS TEXT)
			FROM callbacks WHERE payout_id IS NOT NULL ORDER BY id`)
		if err != nil || len(kinds) != 2 || kinds[0] != fmt.Sprintf("SUCCESS %s %d", ok.OrderNo, ok.ID) ||
			kinds[1] != fmt.Sprintf("FAIL %s %d", bad.OrderNo, bad.ID) {
			t.Fatalf("notifications %v %v", kinds, err)
		}
		cbs, err := e.svc.Callbacks.ClaimCallbacks(ctx, 10, time.Minute)
		if err != nil || len(cbs) != 2 || cbs[0].PayoutID != ok.ID || cbs[0].OrderID != 0 || cbs[1].FailureCode != "01005" {
			t.Fatalf("claimed %+v %v", cbs, err)
		}
		e.verifyLedger(t)
	})
}

// TestPayoutsRace: 50 payouts racing for cash that covers 10 of them: exactly 10 are made,
// the cash ends at 0, never below, and the ledger verifies. Both backends.
func TestPayoutsRace(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.withPayouts()
		if _, err := e.svc.Ledger.Credit(ctx, e.m.ID, "NGN", 10*700, ""); err != nil {
			t.Fatal(err)
		}
		var made, refused atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 50 {
			wg.Go(func() {
				<-start
				err := e.svc.Payouts.CreatePayout(ctx, bankPayout(e.m, fmt.Sprintf("race-%d", i), 700, "0123456789"))
				switch opaygate.ErrorCode(err) {
				case "":
					made.Add(1)
				case opaygate.EBALANCE:
					refused.Add(1)
				default:
					t.Errorf("payout %d: %v", i, err)
				}
			})
		}
		// A folder runs meanwhile: folding must not let a payout see money twice.
		stop := e.keepFolding(t, 1, 3)
		close(start)
		wg.Wait()
		stop()
		if made.Load() != 10 || refused.Load() != 40 {
			t.Fatalf("made %d, refused %d; want 10 and 40", made.Load(), refused.Load())
		}
		if b := e.balanceOf(t, "NGN"); b.Cash != 0 {
			t.Fatalf("cash %d after spending it all", b.Cash)
		}
		e.verifyLedger(t)
	})
}

// TestPayoutFee: the merchant's fee leaves the cash with the amount, is kept on the payout,
// and comes back with it when the payout fails; a negative fee is refused.
func TestPayoutFee(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.withPayouts()
		fee := int64(150)
		if _, err := e.svc.Merchants.UpdateMerchant(ctx, e.m.ID, opaygate.MerchantUpdate{PayoutFee: &fee}); err != nil {
			t.Fatal(err)
		}
		neg := int64(-1)
		_, err := e.svc.Merchants.UpdateMerchant(ctx, e.m.ID, opaygate.MerchantUpdate{PayoutFee: &neg})
		wantCode(t, err, opaygate.EINVALID)
		if _, err := e.svc.Ledger.Credit(ctx, e.m.ID, "NGN", 1150, ""); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.svc.Payouts.CreatePayout(ctx, bankPayout(e.m, "fee-0", 1001, "0123456789")), opaygate.EBALANCE)
		p := bankPayout(e.m, "fee-1", 1000, "0123451010")
		if err := e.svc.Payouts.CreatePayout(ctx, p); err != nil || p.Fee != 150 {
			t.Fatalf("payout %+v %v", p, err)
		}
		if b := e.balanceOf(t, "NGN"); b.Cash != 0 {
			t.Fatalf("cash %d after amount and fee", b.Cash)
		}
		if _, err := e.svc.Payouts.FinishPayout(ctx, p.OrderNo, opaygate.PayoutResult{ErrorCode: "01010", ErrorMsg: "Insufficient Fund"}); err != nil {
			t.Fatal(err)
		}
		if b := e.balanceOf(t, "NGN"); b.Cash != 1150 {
			t.Fatalf("cash %d after the failure", b.Cash)
		}
		e.verifyLedger(t)
	})
}

// heldBank is a payout network that answers only when the test lets it.
type heldBank struct {
	asked   chan string
	release chan struct{}
}

func (b heldBank) PayoutDelay() time.Duration { return time.Second }

func (b heldBank) Pay(p *opaygate.Payout) opaygate.PayoutResult {
	b.asked <- p.OrderNo
	<-b.release
	return opaygate.PayoutResult{ErrorCode: "01005", ErrorMsg: "Incorrect Account Number"}
}

// TestPayoutNetworkOutsideTransaction: while the bank takes its time over a payout, no
// transaction is open for it: another writer finishes the same payout meanwhile (on SQLite
// the one writer would otherwise wait for the bank), and the late answer then changes
// nothing. Both backends.
func TestPayoutNetworkOutsideTransaction(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		bank := heldBank{asked: make(chan string), release: make(chan struct{})}
		e.svc = sqlstore.NewServices(e.db, sqlstore.Deps{Methods: method.Default(), Clock: e.clock, ValU: e.net,
			OTP: e.net, Acquirer: e.net, Settler: e.net, Payouts: bank})
		if _, err := e.svc.Ledger.Credit(ctx, e.m.ID, "NGN", 1000, ""); err != nil {
			t.Fatal(err)
		}
		p := bankPayout(e.m, "held-1", 1000, "0123456789")
		if err := e.svc.Payouts.CreatePayout(ctx, p); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(2 * time.Second)
		type result struct {
			n   int
			err error
		}
		done := make(chan result, 1)
		go func() {
			n, err := e.svc.Payouts.CompletePayouts(ctx, 10)
			done <- result{n, err}
		}()
		if got := <-bank.asked; got != p.OrderNo {
			t.Fatalf("the bank was asked about %s", got)
		}
		quick, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := e.svc.Payouts.FinishPayout(quick, p.OrderNo, opaygate.PayoutResult{Success: true}); err != nil {
			t.Fatalf("finishing the payout while the bank is asked: %v", err)
		}
		close(bank.release)
		if r := <-done; r.err != nil || r.n != 0 {
			t.Fatalf("completed %d %v after another finished it", r.n, r.err)
		}
		got, err := e.svc.Payouts.FindPayout(ctx, e.m.ID, opaygate.PayoutKey{OrderNo: p.OrderNo})
		if err != nil || got.Status != opaygate.PayoutSuccess {
			t.Fatalf("payout %+v %v, want the first answer (SUCCESS)", got, err)
		}
		if b := e.balanceOf(t, "NGN"); b.Cash != 0 {
			t.Fatalf("cash %d: the late FAIL gave the money back", b.Cash)
		}
		e.verifyLedger(t)
	})
}
