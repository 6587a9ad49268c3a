package sqlstore_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/sqlstore"
)

func TestCreateOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		o := e.mustOrder(t, &opaygate.Order{Reference: "ref-1", Amount: 1000, ReturnURL: "https://m.example/r"})
		if !regexp.MustCompile(`^\d{18}$`).MatchString(o.OrderNo) || o.Status != opaygate.StatusInitial ||
			len(o.Token) != 32 || o.Currency != "EGP" {
			t.Fatalf("created %+v", o)
		}
		// The number is the day of creation and the id in 12 digits, on both backends
		// (PostgreSQL draws and formats it inside the insert).
		if want := o.CreatedAt.Format("060102") + fmt.Sprintf("%012d", o.ID); o.ID <= 0 || o.OrderNo != want {
			t.Fatalf("order %d numbered %s, want %s", o.ID, o.OrderNo, want)
		}
		if evs, err := e.svc.Orders.OrderEvents(ctx, o.ID); err != nil || len(evs) != 1 || evs[0].To != opaygate.StatusInitial {
			t.Fatalf("timeline of a new order: %v, %+v", err, evs)
		}
		if got := e.find(t, opaygate.OrderKey{Reference: "ref-1"}); got.OrderNo != o.OrderNo || got.ReturnURL != o.ReturnURL {
			t.Fatalf("by reference: %+v", got)
		}
		if got := e.find(t, opaygate.OrderKey{OrderNo: o.OrderNo, Country: "EG"}); got.Reference != "ref-1" {
			t.Fatalf("by orderNo: %+v", got)
		}
		t.Run("ErrNotFoundOtherCountry", func(t *testing.T) {
			_, err := e.svc.Orders.FindOrder(ctx, e.m.ID, opaygate.OrderKey{OrderNo: o.OrderNo, Country: "NG"})
			wantCode(t, err, opaygate.ENOTFOUND)
			_, err = e.svc.Orders.FindOrderStatus(ctx, e.m.ID, opaygate.OrderKey{OrderNo: o.OrderNo, Country: "NG"})
			wantCode(t, err, opaygate.ENOTFOUND)
		})
		t.Run("ErrNotFoundOtherMerchant", func(t *testing.T) {
			_, err := e.svc.Orders.FindOrder(ctx, e.other.ID, opaygate.OrderKey{OrderNo: o.OrderNo})
			wantCode(t, err, opaygate.ENOTFOUND)
			_, err = e.svc.Orders.FindOrderStatus(ctx, e.other.ID, opaygate.OrderKey{Reference: "ref-1"})
			wantCode(t, err, opaygate.ENOTFOUND)
			_, err = e.svc.Orders.FindOrderStatus(ctx, e.m.ID, opaygate.OrderKey{})
			wantCode(t, err, opaygate.EINVALID)
			_, err = e.svc.Orders.CloseOrder(ctx, e.other.ID, opaygate.OrderKey{Reference: "ref-1"})
			wantCode(t, err, opaygate.ENOTFOUND)
			// By orderNo or id the merchant is checked after the read, not in the query.
			_, err = e.svc.Orders.CloseOrder(ctx, e.other.ID, opaygate.OrderKey{OrderNo: o.OrderNo})
			wantCode(t, err, opaygate.ENOTFOUND)
			_, err = e.svc.Orders.CloseOrder(ctx, e.other.ID, opaygate.OrderKey{ID: o.ID})
			wantCode(t, err, opaygate.ENOTFOUND)
			_, err = e.svc.Orders.FindOrderStatus(ctx, e.other.ID, opaygate.OrderKey{OrderNo: o.OrderNo})
			wantCode(t, err, opaygate.ENOTFOUND)
			if got := e.find(t, opaygate.OrderKey{Reference: "ref-1"}); got.Status != opaygate.StatusInitial {
				t.Fatalf("another merchant's close moved the order to %s", got.Status)
			}
			if e.db.Dialect() == sqlstore.Postgres {
				// Another merchant's guess never waits for (nor takes) the owner's row lock.
				release, err := sqlstore.HoldLock(e.db, `SELECT id FROM orders WHERE id = ? FOR UPDATE`, o.ID)
				if err != nil {
					t.Fatal(err)
				}
				defer release()
				short, cancel := context.WithTimeout(ctx, 2*time.Second)
				defer cancel()
				_, err = e.svc.Orders.CloseOrder(short, e.other.ID, opaygate.OrderKey{OrderNo: o.OrderNo})
				wantCode(t, err, opaygate.ENOTFOUND)
			}
		})
		t.Run("ErrDuplicateReference", func(t *testing.T) {
			err := e.svc.Orders.CreateOrder(ctx, &opaygate.Order{MerchantID: e.m.ID, Reference: "ref-1", Country: "EG", Amount: 5})
			wantCode(t, err, opaygate.EDUPLICATE)
			var de *opaygate.Error
			if !asError(err, &de) || de.Existing == nil || de.Existing.No != o.OrderNo || de.Existing.Status != "INITIAL" {
				t.Fatalf("duplicate does not carry the order: %+v", de)
			}
		})
		t.Run("SameReferenceOtherMerchant", func(t *testing.T) {
			e.mustOrder(t, &opaygate.Order{MerchantID: e.other.ID, Reference: "ref-1", Amount: 1000})
		})
		t.Run("CheckoutFields", func(t *testing.T) {
			// cashier/create's page and customer fields (METHODS.md §8.y) come back as stored,
			// on a hosted order and on a payment/create one.
			in := e.mustOrder(t, &opaygate.Order{Reference: "fields-1", Amount: 1000, DisplayName: "Campus Store",
				VisitSource: "nativeApp", EvokeOpay: true, ClientIP: "2001:db8::1"})
			got := e.find(t, opaygate.OrderKey{OrderNo: in.OrderNo})
			if got.DisplayName != "Campus Store" || got.VisitSource != "nativeApp" || !got.EvokeOpay || got.ClientIP != "2001:db8::1" {
				t.Errorf("hosted order: %q %q %v %q", got.DisplayName, got.VisitSource, got.EvokeOpay, got.ClientIP)
			}
			pay := e.mustOrder(t, &opaygate.Order{Reference: "fields-2", Amount: 60000, PayMethod: opaygate.PayMethodValU,
				ValUAccount: "01012345678", ClientIP: "203.0.113.9"})
			if got := e.find(t, opaygate.OrderKey{OrderNo: pay.OrderNo}); got.ClientIP != "203.0.113.9" || got.EvokeOpay || got.DisplayName != "" {
				t.Errorf("payment: %q %v %q", got.ClientIP, got.EvokeOpay, got.DisplayName)
			}
		})
		t.Run("ErrPayMethod", func(t *testing.T) {
			err := e.svc.Orders.CreateOrder(ctx, &opaygate.Order{MerchantID: e.m.ID, Reference: "pm", Country: "EG", Amount: 5, PayMethod: "Bitcoin"})
			wantCode(t, err, opaygate.EPAYMETHOD)
		})
	})
}

func TestValUFlow(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		o := e.mustOrder(t, &opaygate.Order{Reference: "valu-1", Amount: 60000, PayMethod: opaygate.PayMethodValU,
			ValUAccount: "01012345678"})
		if o.Status != opaygate.StatusPending || o.Step != opaygate.StepPlan || len(o.Plans) != 6 ||
			o.Plans[0].EMI != 11400 || o.Plans[1].EMI != 9900 || o.Plans[0].Fee != 1800 {
			t.Fatalf("created %+v", o)
		}
		key := opaygate.OrderKey{OrderNo: o.OrderNo}
		t.Run("ErrOTPBeforePlan", func(t *testing.T) {
			_, err := e.svc.Orders.SubmitOTP(ctx, e.m.ID, key, "123456")
			wantCode(t, err, opaygate.EORDERSTATE)
		})
		t.Run("ErrMonthsNotOffered", func(t *testing.T) {
			_, err := e.svc.Orders.SelectPlan(ctx, e.m.ID, key, 8)
			wantCode(t, err, opaygate.EINVALID)
		})
		got, err := e.svc.Orders.SelectPlan(ctx, e.m.ID, key, 12)
		if err != nil || got.Step != opaygate.StepOTP || got.Months != 12 {
			t.Fatalf("select plan: %+v %v", got, err)
		}
		if stored := e.find(t, key); stored.Months != 12 || stored.Step != opaygate.StepOTP {
			t.Fatalf("stored after select plan: months %d, step %s", stored.Months, stored.Step)
		}
		code, _ := e.net.LastOTP(o.OrderNo)
		if len(code) != 6 {
			t.Fatalf("OTP %q", code)
		}
		wrong := "000000"
		if code == wrong {
			wrong = "000001"
		}
		for left := 4; left >= 1; left-- {
			_, err := e.svc.Orders.SubmitOTP(ctx, e.m.ID, key, wrong)
			wantCode(t, err, opaygate.EOTPINVALID)
			if want := "invalid otp, " + string(rune('0'+left)) + " attempts left"; opaygate.ErrorMessage(err) != want {
				t.Fatalf("message %q, want %q", opaygate.ErrorMessage(err), want)
			}
		}
		done, err := e.svc.Orders.SubmitOTP(ctx, e.m.ID, key, code)
		if err != nil || done.Status != opaygate.StatusSuccess {
			t.Fatalf("correct OTP: %+v %v", done, err)
		}
		if got := e.find(t, key); got.Status != opaygate.StatusSuccess {
			t.Fatalf("stored status %s", got.Status)
		}
		if cbs := e.callbacks(t, o.ID); len(cbs) != 1 || cbs[0] != "SUCCESS" {
			t.Fatalf("callbacks %v, want one SUCCESS", cbs)
		}
		t.Run("ErrCloseSuccess", func(t *testing.T) {
			_, err := e.svc.Orders.CloseOrder(ctx, e.m.ID, key)
			wantCode(t, err, opaygate.EORDERSTATE)
		})
		t.Run("ErrOTPAfterSuccess", func(t *testing.T) {
			_, err := e.svc.Orders.SubmitOTP(ctx, e.m.ID, key, code)
			wantCode(t, err, opaygate.EORDERSTATE)
		})
		events, err := e.svc.Orders.OrderEvents(ctx, o.ID)
		if err != nil || len(events) != 3 || events[2].To != opaygate.StatusSuccess {
			t.Fatalf("timeline %d events, %v", len(events), err)
		}
	})
}

// TestMerchantRowNotLocked: on PostgreSQL a payment's writes take no lock on the merchant's
// row (a foreign key's check would take FOR KEY SHARE on it, making every concurrent write of
// the merchant share a MultiXact there): the whole ValU flow, with its event rows, callback
// and ledger entries, completes while another transaction holds the merchant's row FOR UPDATE.
func TestMerchantRowNotLocked(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		if e.db.Dialect() != sqlstore.Postgres {
			return // SQLite has no row locks: its writes wait for the one writer, not for a row
		}
		release, err := sqlstore.HoldLock(e.db, `SELECT id FROM merchants WHERE id = ? FOR UPDATE`, e.m.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		o := &opaygate.Order{MerchantID: e.m.ID, Reference: "unlocked", Country: "EG", ProductName: "Shoes",
			Amount: 60000, PayMethod: opaygate.PayMethodValU, ValUAccount: "01012345678"}
		if err := e.svc.Orders.CreatePayment(ctx, o, nil); err != nil {
			t.Fatalf("create while the merchant's row is locked: %v", err)
		}
		key := opaygate.OrderKey{OrderNo: o.OrderNo}
		if _, err := e.svc.Orders.SelectPlan(ctx, e.m.ID, key, 6); err != nil {
			t.Fatalf("select plan: %v", err)
		}
		code, _ := e.net.LastOTP(o.OrderNo)
		done, err := e.svc.Orders.SubmitOTP(ctx, e.m.ID, key, code)
		if err != nil || done.Status != opaygate.StatusSuccess {
			t.Fatalf("OTP while the merchant's row is locked: %+v %v", done, err)
		}
		if cbs := e.callbacks(t, o.ID); len(cbs) != 1 || cbs[0] != "SUCCESS" {
			t.Fatalf("callbacks %v, want one SUCCESS", cbs)
		}
	})
}

func TestOTPRules(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		t.Run("FifthWrongFails", func(t *testing.T) {
			o, code := e.valuAtOTP(t, "lock", 60000)
			wrong := "999999"
			if code == wrong {
				wrong = "999998"
			}
			var err error
			for i := 0; i < 5; i++ {
				_, err = e.svc.Orders.SubmitOTP(ctx, e.m.ID, opaygate.OrderKey{Reference: "lock"}, wrong)
				wantCode(t, err, opaygate.EOTPINVALID)
			}
			if msg := opaygate.ErrorMessage(err); msg != "invalid otp, 0 attempts left" {
				t.Fatalf("last message %q", msg)
			}
			got := e.find(t, opaygate.OrderKey{Reference: "lock"})
			if got.Status != opaygate.StatusFail || got.FailureCode != opaygate.FailOTPAttempts {
				t.Fatalf("after 5 wrong: %s %s", got.Status, got.FailureCode)
			}
			_, err = e.svc.Orders.SubmitOTP(ctx, e.m.ID, opaygate.OrderKey{OrderNo: o.OrderNo}, code)
			wantCode(t, err, opaygate.EORDERSTATE)
		})
		t.Run("Expired", func(t *testing.T) {
			_, code := e.valuAtOTP(t, "otp-exp", 60000)
			e.clock.Advance(opaygate.OTPValidity + time.Second)
			_, err := e.svc.Orders.SubmitOTP(ctx, e.m.ID, opaygate.OrderKey{Reference: "otp-exp"}, code)
			wantCode(t, err, opaygate.EOTPEXPIRED)
			if _, err := e.svc.Orders.ResendOTP(ctx, e.m.ID, opaygate.OrderKey{Reference: "otp-exp"}); err != nil {
				t.Fatal(err)
			}
			fresh, _ := e.net.LastOTP(e.find(t, opaygate.OrderKey{Reference: "otp-exp"}).OrderNo)
			if fresh != code {
				if _, err := e.svc.Orders.SubmitOTP(ctx, e.m.ID, opaygate.OrderKey{Reference: "otp-exp"}, code); opaygate.ErrorCode(err) != opaygate.EOTPINVALID {
					t.Fatalf("old OTP after resend: %v", err)
				}
			}
			o, err := e.svc.Orders.SubmitOTP(ctx, e.m.ID, opaygate.OrderKey{Reference: "otp-exp"}, fresh)
			if err != nil || o.Status != opaygate.StatusSuccess {
				t.Fatalf("fresh OTP: %v", err)
			}
		})
		t.Run("ResendLimit", func(t *testing.T) {
			e.valuAtOTP(t, "resend", 60000)
			for i := 0; i < opaygate.OTPMaxResends; i++ {
				if _, err := e.svc.Orders.ResendOTP(ctx, e.m.ID, opaygate.OrderKey{Reference: "resend"}); err != nil {
					t.Fatalf("resend %d: %v", i+1, err)
				}
			}
			_, err := e.svc.Orders.ResendOTP(ctx, e.m.ID, opaygate.OrderKey{Reference: "resend"})
			wantCode(t, err, opaygate.EORDERSTATE)
		})
		t.Run("SandboxOTP", func(t *testing.T) {
			e.valuAtOTP(t, "sandbox", 60000)
			o, err := e.svc.Orders.SubmitOTP(ctx, e.m.ID, opaygate.OrderKey{Reference: "sandbox"}, "123456")
			if err != nil || o.Status != opaygate.StatusSuccess {
				t.Fatalf("sandbox OTP: %v", err)
			}
		})
	})
}

func TestDeclines(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, amount := range []int64{5, 13, 51, 54, 57, 62} {
			ref := "trigger-" + string(rune('a'+amount%26)) + strings.Repeat("x", int(amount%7))
			e.valuAtOTP(t, ref, amount)
			o, err := e.svc.Orders.SubmitOTP(ctx, e.m.ID, opaygate.OrderKey{Reference: ref}, "123456")
			if err != nil || o.Status != opaygate.StatusFail || o.FailureCode == "" || o.FailureReason == "" {
				t.Fatalf("amount %d: %+v %v", amount, o, err)
			}
		}
		o := e.mustOrder(t, &opaygate.Order{Reference: "no-credit", Amount: 60000, PayMethod: opaygate.PayMethodValU,
			ValUAccount: "01000000051"})
		if o.Status != opaygate.StatusFail || o.FailureCode != "51" || o.FailureReason != "Insufficient funds" {
			t.Fatalf("no credit: %+v", o)
		}
		if cbs := e.callbacks(t, o.ID); len(cbs) != 1 || cbs[0] != "FAIL" {
			t.Fatalf("callbacks %v", cbs)
		}
	})
}

func TestCloseAndExpiry(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		o := e.mustOrder(t, &opaygate.Order{Reference: "close", Amount: 100})
		for i := 0; i < 2; i++ {
			got, err := e.svc.Orders.CloseOrder(ctx, e.m.ID, opaygate.OrderKey{Reference: "close", Country: "EG"})
			if err != nil || got.Status != opaygate.StatusClose || got.FailureCode != opaygate.FailClosed {
				t.Fatalf("close #%d: %+v %v", i+1, got, err)
			}
		}
		if cbs := e.callbacks(t, o.ID); len(cbs) != 1 {
			t.Fatalf("closing twice sent %d callbacks", len(cbs))
		}

		exp := e.mustOrder(t, &opaygate.Order{Reference: "expire", Amount: 100, ExpireAt: e.clock.Now().Add(time.Minute)})
		valu := e.mustOrder(t, &opaygate.Order{Reference: "expire-valu", Amount: 60000, PayMethod: opaygate.PayMethodValU,
			ValUAccount: "01012345678", ExpireAt: e.clock.Now().Add(time.Minute)})
		e.clock.Advance(time.Minute)
		if got := e.find(t, opaygate.OrderKey{Reference: "expire"}); got.Status != opaygate.StatusClose || got.FailureCode != opaygate.FailExpired {
			t.Fatalf("read after expiry: %s", got.Status)
		}
		_, err := e.svc.Orders.SelectPlan(ctx, e.m.ID, opaygate.OrderKey{Reference: "expire-valu"}, 6)
		wantCode(t, err, opaygate.EORDERSTATE)
		if cbs := e.callbacks(t, valu.ID); len(cbs) != 1 || cbs[0] != "CLOSE" {
			t.Fatalf("action on expired order did not close it for good: %v", cbs)
		}
		n, err := e.svc.Orders.ExpireOrders(ctx, 100)
		if err != nil || n != 1 {
			t.Fatalf("sweeper closed %d (%v), want 1", n, err)
		}
		if n, _ := e.svc.Orders.ExpireOrders(ctx, 100); n != 0 {
			t.Fatalf("second sweep closed %d", n)
		}
		if cbs := e.callbacks(t, exp.ID); len(cbs) != 1 || cbs[0] != "CLOSE" {
			t.Fatalf("sweeper callbacks %v", cbs)
		}
		got, err := e.svc.Orders.CloseOrder(ctx, e.m.ID, opaygate.OrderKey{Reference: "expire"})
		if err != nil || got.FailureCode != opaygate.FailExpired {
			t.Fatalf("closing an expired order: %+v %v", got, err)
		}
		list, total, err := e.svc.Orders.ListOrders(ctx, opaygate.OrderFilter{MerchantID: e.m.ID, Status: opaygate.StatusClose})
		if err != nil || total != 3 || len(list) != 3 {
			t.Fatalf("list CLOSE: %d %d %v", len(list), total, err)
		}
	})
}

// TestRaceCloseVsOTP: 50 closes race 50 correct OTPs on one order; exactly
// one outcome wins and every answer agrees with it.
func TestRaceCloseVsOTP(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		_, code := e.valuAtOTP(t, "race", 60000)
		key := opaygate.OrderKey{Reference: "race"}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var closedOK, paidOK, closeRefused, otpRefused int
		for i := 0; i < 50; i++ {
			wg.Add(2)
			go func() {
				defer wg.Done()
				o, err := e.svc.Orders.CloseOrder(ctx, e.m.ID, key)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && o.Status == opaygate.StatusClose:
					closedOK++
				case opaygate.ErrorCode(err) == opaygate.EORDERSTATE:
					closeRefused++
				default:
					t.Errorf("close: %v", err)
				}
			}()
			go func() {
				defer wg.Done()
				o, err := e.svc.Orders.SubmitOTP(ctx, e.m.ID, key, code)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && o.Status == opaygate.StatusSuccess:
					paidOK++
				case opaygate.ErrorCode(err) == opaygate.EORDERSTATE:
					otpRefused++
				default:
					t.Errorf("otp: %v", err)
				}
			}()
		}
		wg.Wait()
		final := e.find(t, key)
		switch final.Status {
		case opaygate.StatusSuccess:
			if paidOK != 1 || closedOK != 0 || closeRefused != 50 || otpRefused != 49 {
				t.Fatalf("SUCCESS but paid=%d closed=%d", paidOK, closedOK)
			}
		case opaygate.StatusClose:
			if paidOK != 0 || closedOK != 50 || otpRefused != 50 {
				t.Fatalf("CLOSE but paid=%d closed=%d otpRefused=%d", paidOK, closedOK, otpRefused)
			}
		default:
			t.Fatalf("final status %s", final.Status)
		}
		if cbs := e.callbacks(t, final.ID); len(cbs) != 1 || cbs[0] != string(final.Status) {
			t.Fatalf("callbacks %v for final %s", cbs, final.Status)
		}
	})
}

// TestRaceDuplicateReference: 50 creates with one reference make one order.
func TestRaceDuplicateReference(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var created []string
		var dupNos []string
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := &opaygate.Order{MerchantID: e.m.ID, Reference: "same", Country: "EG", Amount: 60000,
					PayMethod: opaygate.PayMethodValU, ValUAccount: "01012345678"}
				err := e.svc.Orders.CreatePayment(context.Background(), o, nil)
				mu.Lock()
				defer mu.Unlock()
				var de *opaygate.Error
				switch {
				case err == nil:
					created = append(created, o.OrderNo)
				case asError(err, &de) && de.Code == opaygate.EDUPLICATE && de.Existing != nil:
					dupNos = append(dupNos, de.Existing.No)
				default:
					t.Errorf("create: %v", err)
				}
			}()
		}
		wg.Wait()
		if len(created) != 1 || len(dupNos) != 49 {
			t.Fatalf("created %d, duplicates %d", len(created), len(dupNos))
		}
		for _, no := range dupNos {
			if no != created[0] {
				t.Fatalf("duplicate carries %s, want %s", no, created[0])
			}
		}
	})
}
