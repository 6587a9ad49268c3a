package opay_test

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate/opay"
)

// The test vector of METHODS.md §11.
const (
	v2Timestamp = "1631106688000"
	v2Body      = `{"amount":{"currency":"EGP","total":400},"country":"EG","failureCode":"01582",` +
		`"failureReason":"Invalid CVV/CVC.","notifyId":"68d9b42c1e694ebc921af92b76804d23",` +
		`"orderNo":"211005140885652282","reference":"92631092","status":"FAIL",` +
		`"timestamp":1633411815591,"type":"MACQUIRING_CALLBACK","extras":{}}`
	v2Signature = "69808627272ba0daf1b4a1ee22ed4ee4f9ea95d8b545f505a2506845bba739313f05945138743677442c01dff2d6c09565ecf76b4c898adb069dff046703cb27"
)

// hmacSHA512 is HMAC (RFC 2104) written out by hand over SHA-512 (block 128 bytes), sharing
// no code with the package's crypto/hmac use.
func hmacSHA512(key, msg []byte) []byte {
	const block = 128
	if len(key) > block {
		k := sha512.Sum512(key)
		key = k[:]
	}
	ipad, opad := make([]byte, block), make([]byte, block)
	copy(ipad, key)
	copy(opad, key)
	for i := range block {
		ipad[i] ^= 0x36
		opad[i] ^= 0x5c
	}
	inner := sha512.Sum512(append(ipad, msg...))
	outer := sha512.Sum512(append(opad, inner[:]...))
	return outer[:]
}

func v2Header(ts, sig string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("MerchantId", "256612345678901")
	h.Set("RequestTimestamp", ts)
	h.Set("Authorization", sig)
	h.Set("Signature", sig)
	return h
}

// stamped returns the vector's body signed as sent d from now.
func stamped(d time.Duration) http.Header {
	ts := strconv.FormatInt(time.Now().Add(d).UnixMilli(), 10)
	return v2Header(ts, opay.SignCallbackV2(ts, []byte(v2Body), vectorKey))
}

func TestCallbackV2_SpecVector(t *testing.T) {
	if len(v2Body) != 296 {
		t.Fatalf("body has %d bytes", len(v2Body))
	}
	if got := hex.EncodeToString(hmacSHA512([]byte(vectorKey), []byte(v2Timestamp+v2Body))); got != v2Signature {
		t.Fatalf("hand-written HMAC-SHA512 = %s", got)
	}
	if got := opay.SignCallbackV2(v2Timestamp, []byte(v2Body), vectorKey); got != v2Signature {
		t.Fatalf("SignCallbackV2 = %s", got)
	}
	// Stamped in 2021: only with the window off.
	n, err := opay.ParseCallbackRequest(v2Header(v2Timestamp, v2Signature), []byte(v2Body), vectorKey, opay.WithRequestWindow(-1))
	if err != nil {
		t.Fatal(err)
	}
	if n.Version != "v2" || n.Type != opay.CallbackV2Type || n.OrderNo != "211005140885652282" || n.Reference != "92631092" ||
		n.Status != opay.StatusFail || n.Amount != (opay.Amount{Total: 400, Currency: "EGP"}) || n.Country != "EG" ||
		n.FailureCode != "01582" || n.DisplayedFailure != "Invalid CVV/CVC." || n.NotifyID != "68d9b42c1e694ebc921af92b76804d23" ||
		!n.Timestamp.Equal(time.UnixMilli(1633411815591)) || n.Refunded || n.Refund != nil || n.V2 == nil || n.V2.Amount.Total != 400 {
		t.Errorf("notification %+v", n)
	}
}

func TestCallbackV2_Rejects(t *testing.T) {
	with := func(edit func(h http.Header)) http.Header { h := stamped(0); edit(h); return h }
	sig := func(h http.Header) string { return h.Get("Signature") }
	tests := []struct {
		name   string
		header http.Header
		body   string
		key    string
		opts   []opay.CallbackOption
		want   error // nil: accepted
	}{
		{"Accepted", stamped(0), v2Body, vectorKey, nil, nil},
		{"OnlyAuthorization", with(func(h http.Header) { h.Del("Signature") }), v2Body, vectorKey, nil, nil},
		{"OnlySignature", with(func(h http.Header) { h.Del("Authorization") }), v2Body, vectorKey, nil, nil},
		{"UppercaseHexWithBearer", with(func(h http.Header) {
			h.Set("Authorization", "Bearer "+strings.ToUpper(sig(h)))
			h.Del("Signature")
		}), v2Body, vectorKey, nil, nil},
		{"ErrTamperedAmount", stamped(0), strings.Replace(v2Body, `"total":400`, `"total":40000`, 1), vectorKey, nil, opay.ErrCallbackSignature},
		{"ErrTamperedStatus", stamped(0), strings.Replace(v2Body, `"status":"FAIL"`, `"status":"SUCCESS"`, 1), vectorKey, nil, opay.ErrCallbackSignature},
		{"ErrReformattedBody", stamped(0), strings.Replace(v2Body, `,"country"`, `, "country"`, 1), vectorKey, nil, opay.ErrCallbackSignature},
		{"ErrWrongKey", stamped(0), v2Body, "OPAYPRV-other", nil, opay.ErrCallbackSignature},
		{"ErrEmptyKey", stamped(0), v2Body, "", nil, opay.ErrCallbackSignature},
		{"ErrNoTimestamp", with(func(h http.Header) { h.Del("RequestTimestamp") }), v2Body, vectorKey, nil, opay.ErrCallbackSignature},
		{"ErrTimestampNotANumber", with(func(h http.Header) { h.Set("RequestTimestamp", "2021-09-08T13:11:28Z") }), v2Body, vectorKey, nil, opay.ErrCallbackSignature},
		{"ErrTimestampChanged", with(func(h http.Header) {
			ms, _ := strconv.ParseInt(h.Get("RequestTimestamp"), 10, 64)
			h.Set("RequestTimestamp", strconv.FormatInt(ms+1, 10))
		}), v2Body, vectorKey, nil, opay.ErrCallbackSignature},
		{"ErrNoSignature", with(func(h http.Header) { h.Del("Signature"); h.Del("Authorization") }), v2Body, vectorKey, nil, opay.ErrCallbackSignature},
		{"ErrBodyOnlySignature", with(func(h http.Header) {
			h.Set("Signature", opay.SignCallbackV2("", []byte(v2Body), vectorKey))
			h.Del("Authorization")
		}), v2Body, vectorKey, nil, opay.ErrCallbackSignature},
		{"ErrStale", stamped(-5*time.Minute - time.Second), v2Body, vectorKey, nil, opay.ErrCallbackTooOld},
		{"ErrFromTheFuture", stamped(5*time.Minute + time.Second), v2Body, vectorKey, nil, opay.ErrCallbackTooOld},
		{"ErrVector2021", v2Header(v2Timestamp, v2Signature), v2Body, vectorKey, nil, opay.ErrCallbackTooOld},
		{"WiderWindow", stamped(-time.Hour), v2Body, vectorKey, []opay.CallbackOption{opay.WithRequestWindow(2 * time.Hour)}, nil},
		{"WindowOff", v2Header(v2Timestamp, v2Signature), v2Body, vectorKey, []opay.CallbackOption{opay.WithRequestWindow(-1)}, nil},
		// WithMaxAge judges the body's timestamp (the change, 2021) on WithNow's clock.
		{"ErrMaxAgeOfTheChange", stamped(0), v2Body, vectorKey, []opay.CallbackOption{opay.WithMaxAge(time.Hour)}, opay.ErrCallbackTooOld},
		{"MaxAgeOnGatewayClock", stamped(0), v2Body, vectorKey, []opay.CallbackOption{opay.WithMaxAge(time.Hour),
			opay.WithNow(func() time.Time { return time.UnixMilli(1633411815591).Add(time.Minute) })}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := opay.ParseCallbackRequest(tt.header, []byte(tt.body), tt.key, tt.opts...)
			if tt.want == nil && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("ParseCallbackRequest = %+v, %v; want %v", n, err, tt.want)
			}
		})
	}
}

// VerifyCallbackV2 compares with the real clock: the vector, stamped in 2021, is stale, and
// the same body stamped now verifies.
func TestVerifyCallbackV2(t *testing.T) {
	if err := opay.VerifyCallbackV2(v2Header(v2Timestamp, v2Signature), []byte(v2Body), vectorKey); !errors.Is(err, opay.ErrCallbackTooOld) {
		t.Fatalf("the 2021 vector: %v", err)
	}
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	h := v2Header(now, opay.SignCallbackV2(now, []byte(v2Body), vectorKey))
	if err := opay.VerifyCallbackV2(h, []byte(v2Body), vectorKey); err != nil {
		t.Fatal(err)
	}
	if err := opay.VerifyCallbackV2(h, []byte(v2Body+" "), vectorKey); !errors.Is(err, opay.ErrCallbackSignature) {
		t.Fatalf("changed body: %v", err)
	}
	h.Del("RequestTimestamp")
	if err := opay.VerifyCallbackV2(h, []byte(v2Body), vectorKey); !errors.Is(err, opay.ErrCallbackSignature) {
		t.Fatalf("no timestamp: %v", err)
	}
}

// ParseCallback has only the body, and a v2 callback is signed in its headers.
func TestParseCallback_V2NeedsHeaders(t *testing.T) {
	_, err := opay.ParseCallback([]byte(v2Body), vectorKey)
	if !errors.Is(err, opay.ErrCallbackSignature) || !strings.Contains(err.Error(), "ParseCallbackRequest") {
		t.Fatalf("ParseCallback(v2) = %v", err)
	}
}

// CallbackHandler takes v1 and v2 callbacks alike.
func TestCallbackHandler_V2(t *testing.T) {
	var got []*opay.Notification
	h := opay.CallbackHandler(vectorKey, func(ctx context.Context, n *opay.Notification) error {
		got = append(got, n)
		return nil
	})
	post := func(header http.Header, body string) int {
		r := httptest.NewRequest(http.MethodPost, "/opay/callback", strings.NewReader(body))
		r.Header = header
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	if code := post(v2Header(now, opay.SignCallbackV2(now, []byte(v2Body), vectorKey)), v2Body); code != http.StatusOK {
		t.Fatalf("good v2: %d", code)
	}
	if code := post(v2Header(now, opay.SignCallbackV2(now, []byte(v2Body), "other")), v2Body); code != http.StatusUnauthorized {
		t.Fatalf("bad v2 signature: %d", code)
	}
	if code := post(v2Header(v2Timestamp, v2Signature), v2Body); code != http.StatusBadRequest {
		t.Fatalf("stale v2: %d", code)
	}
	if code := post(http.Header{"Content-Type": {"application/json"}}, vectorBody); code != http.StatusOK {
		t.Fatalf("v1: %d", code)
	}
	if len(got) != 2 || got[0].Version != "v2" || got[0].NotifyID == "" || got[1].Version != "v1" {
		t.Fatalf("notifications %+v", got)
	}
}
