package server_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// signV2 returns the headers of a v2-signed request of m stamped ts.
func signV2(m *opaygate.Merchant, ts string, body []byte) map[string]string {
	return map[string]string{"MerchantId": m.ID, "RequestTimestamp": ts,
		"Authorization": "Bearer " + opay.SignTimestamped(ts, body, m.PrivateKey)}
}

// TestReplay is issue 15's replay: a captured v2 request sent again inside its window is
// refused 02000, whatever spelling of the same signature it carries; v1 requests, which have
// no timestamp, are not.
func TestReplay(t *testing.T) {
	e := newTestServer(t, withReplay())
	now := time.Now().Unix()
	status := func(ref string) []byte { return []byte(`{"reference":"` + ref + `","country":"EG"}`) }
	accepted := func(t *testing.T, r result) {
		t.Helper()
		must(t, r, opay.CodeNotFound) // past authentication: there is no such order
	}
	replayed := func(t *testing.T, r result) {
		t.Helper()
		must(t, r, opay.CodeAuthFailed)
		if !strings.Contains(r.Detail, "this timestamped request was already received") {
			t.Fatalf("detail %q", r.Detail)
		}
	}

	t.Run("ErrSameV2Twice", func(t *testing.T) {
		body, ts := status("v2-twice"), strconv.FormatInt(now, 10)
		accepted(t, e.do(t, "POST", pathStatus, body, signV2(e.A, ts, body)))
		replayed(t, e.do(t, "POST", pathStatus, body, signV2(e.A, ts, body)))
	})
	t.Run("ErrSameSignatureOtherSpelling", func(t *testing.T) {
		body, ts := status("v2-spelling"), strconv.FormatInt(now, 10)
		h := signV2(e.A, ts, body)
		accepted(t, e.do(t, "POST", pathStatus, body, h))
		sig := strings.TrimPrefix(h["Authorization"], "Bearer ")
		for _, auth := range []string{sig, "BEARER " + strings.ToUpper(sig)} {
			h["Authorization"] = auth
			replayed(t, e.do(t, "POST", pathStatus, body, h))
		}
		// The signature covers the compact form too, so a re-laid-out body is the same request.
		replayed(t, e.do(t, "POST", pathStatus, []byte(`{ "reference": "v2-spelling", "country": "EG" }`), signV2(e.A, ts, body)))
	})
	t.Run("V1TwiceAccepted", func(t *testing.T) {
		body := status("v1-twice")
		accepted(t, e.do(t, "POST", pathStatus, body, sign(e.A, body)))
		accepted(t, e.do(t, "POST", pathStatus, body, sign(e.A, body)))
	})
	t.Run("DifferentTimestampsAccepted", func(t *testing.T) {
		body := status("v2-stamps")
		for _, ts := range []string{strconv.FormatInt(now, 10), strconv.FormatInt(now+1, 10), strconv.FormatInt(now*1000+1, 10)} {
			accepted(t, e.do(t, "POST", pathStatus, body, signV2(e.A, ts, body)))
		}
	})
	t.Run("OtherMerchantSameStampAccepted", func(t *testing.T) {
		body, ts := status("v2-merchants"), strconv.FormatInt(now, 10)
		accepted(t, e.do(t, "POST", pathStatus, body, signV2(e.A, ts, body)))
		accepted(t, e.do(t, "POST", pathStatus, body, signV2(e.B, ts, body)))
	})
	t.Run("ConcurrentExactlyOneAccepted", func(t *testing.T) {
		body, ts := status("v2-race"), strconv.FormatInt(now, 10)
		var first, refused atomic.Int32
		var wg sync.WaitGroup
		for range 12 {
			wg.Go(func() {
				r, err := e.send("POST", pathStatus, body, signV2(e.A, ts, body))
				switch {
				case err != nil:
					t.Error(err)
				case r.Code == opay.CodeNotFound:
					first.Add(1)
				case r.Code == opay.CodeAuthFailed:
					refused.Add(1)
				default:
					t.Errorf("answer %s (%s)", r.Code, r.Detail)
				}
			})
		}
		wg.Wait()
		if first.Load() != 1 || refused.Load() != 11 {
			t.Fatalf("%d accepted, %d refused; want exactly one accepted", first.Load(), refused.Load())
		}
	})
	t.Run("ErrWrongOTPReplayed", func(t *testing.T) {
		// The attack: a captured wrong OTP replayed until the order fails.
		orderNo := e.toOTP(t, e.A, "v2-otp", 60000)
		body := []byte(fmt.Sprintf(`{"country":"EG","otp":"000000","orderNo":"%s"}`, orderNo))
		ts := strconv.FormatInt(now, 10)
		must(t, e.do(t, "POST", pathOTP, body, signV2(e.A, ts, body)), opay.CodeOTPInvalid)
		for range 5 {
			replayed(t, e.do(t, "POST", pathOTP, body, signV2(e.A, ts, body)))
		}
		o, err := e.svc.Orders.FindOrder(t.Context(), e.A.ID, opaygate.OrderKey{OrderNo: orderNo})
		if err != nil || o.Status == opaygate.StatusFail || o.OTPAttempts != 1 {
			t.Fatalf("order after replays: %+v, %v", o, err)
		}
	})
	t.Run("LogKeepsNoSignature", func(t *testing.T) {
		if strings.Contains(e.logs.String(), opay.SignTimestamped(strconv.FormatInt(now, 10), status("v2-twice"), e.A.PrivateKey)) {
			t.Fatal("the log holds a signature")
		}
	})
}
