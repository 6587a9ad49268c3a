package opay_test

import (
	"context"
	"crypto/sha3"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate/opay"
)

// The callback of API.md section 6, signed as its test vector says.
const (
	vectorKey       = "OPAYPRV16357783346230.07653446106051542"
	vectorString    = `{Amount:"60000",Currency:"EGP",Reference:"04123390",Refunded:f,Status:"SUCCESS",Timestamp:"2026-11-20T10:00:00Z",Token:"261120000000000001",TransactionID:"261120000000000001"}`
	vectorSignature = "3913a7310b89a4ddfcb7f0d35cf76a9c21c174c14d63d168fbdf0670f6c2fcc216722954da98cb1398fcf6bc0e7cd237dcce6c148cd3ffa61e5edbb29478e211"
	vectorBody      = `{"payload":{"amount":"60000","channel":"Web","country":"EG","currency":"EGP",` +
		`"displayedFailure":"","fee":"0","feeCurrency":"EGP","instrumentType":"VALU",` +
		`"reference":"04123390","refunded":false,"status":"SUCCESS",` +
		`"timestamp":"2026-11-20T10:00:00Z","token":"261120000000000001","transactionId":"261120000000000001",` +
		`"updated_at":"2026-11-20T10:00:00Z"},` +
		`"sha512":"` + vectorSignature + `","type":"transaction-status"}`
)

var vectorTime = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// hmacSHA3 is HMAC (RFC 2104) written out by hand over SHA3-512, whose block size — the
// sponge's rate — is 72 bytes. It shares no code with the package's crypto/hmac use, so the
// vector is checked twice.
func hmacSHA3(key, msg []byte) []byte {
	const block = 72
	if len(key) > block {
		k := sha3.Sum512(key)
		key = k[:]
	}
	ipad, opad := make([]byte, block), make([]byte, block)
	copy(ipad, key)
	copy(opad, key)
	for i := range block {
		ipad[i] ^= 0x36
		opad[i] ^= 0x5c
	}
	inner := sha3.Sum512(append(ipad, msg...))
	outer := sha3.Sum512(append(opad, inner[:]...))
	return outer[:]
}

func TestCallbackVector_IndependentHMAC(t *testing.T) {
	if got := hex.EncodeToString(hmacSHA3([]byte(vectorKey), []byte(vectorString))); got != vectorSignature {
		t.Fatalf("hand-written HMAC-SHA3-512 = %s\nspec vector              = %s", got, vectorSignature)
	}
}

func TestParseCallback_SpecVector(t *testing.T) {
	n, err := opay.ParseCallback([]byte(vectorBody), vectorKey)
	if err != nil {
		t.Fatal(err)
	}
	want := opay.Notification{
		Version: "v1", Type: "transaction-status", Reference: "04123390", OrderNo: "261120000000000001",
		Status: opay.StatusSuccess, Amount: opay.Amount{Total: 60000, Currency: "EGP"},
		Fee: opay.Amount{Total: 0, Currency: "EGP"}, Country: "EG", Channel: "Web",
		InstrumentType: "VALU", Timestamp: vectorTime,
	}
	got := *n
	got.Payload = opay.CallbackPayload{}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if n.Payload.UpdatedAt != "2026-11-20T10:00:00Z" || !n.Status.Known() || !n.Status.Final() {
		t.Errorf("payload %+v", n.Payload)
	}
	// The signature the package computes is the hand-written HMAC's.
	if s := opay.SignCallback(n.Payload, vectorKey); s != hex.EncodeToString(hmacSHA3([]byte(vectorKey), []byte(opay.CallbackSignatureString(n.Payload)))) {
		t.Errorf("SignCallback disagrees with the independent HMAC: %s", s)
	}
}

func TestParseCallback_Rejects(t *testing.T) {
	tests := []struct {
		name string
		body string
		key  string
		want error
	}{
		{"TamperedAmount", strings.Replace(vectorBody, `"amount":"60000"`, `"amount":"6000000"`, 1), vectorKey, opay.ErrCallbackSignature},
		{"TamperedStatus", strings.Replace(vectorBody, `"status":"SUCCESS"`, `"status":"FAIL"`, 1), vectorKey, opay.ErrCallbackSignature},
		{"TamperedRefunded", strings.Replace(vectorBody, `"refunded":false`, `"refunded":true`, 1), vectorKey, opay.ErrCallbackSignature},
		{"WrongKey", vectorBody, "OPAYPRV-other", opay.ErrCallbackSignature},
		{"EmptyKey", vectorBody, "", opay.ErrCallbackSignature},
		{"NoSignature", strings.Replace(vectorBody, vectorSignature, "", 1), vectorKey, opay.ErrCallbackSignature},
		{"SignatureNotHex", strings.Replace(vectorBody, vectorSignature, "zz"+vectorSignature[2:], 1), vectorKey, opay.ErrCallbackSignature},
		{"NotJSON", "amount=60000", vectorKey, opay.ErrCallbackMalformed},
		{"Empty", "", vectorKey, opay.ErrCallbackMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := opay.ParseCallback([]byte(tt.body), tt.key)
			if !errors.Is(err, tt.want) || n != nil {
				t.Errorf("ParseCallback = %v, %v; want %v", n, err, tt.want)
			}
		})
	}
}

func TestParseCallback_UppercaseSignature(t *testing.T) {
	body := strings.Replace(vectorBody, vectorSignature, strings.ToUpper(vectorSignature), 1)
	if _, err := opay.ParseCallback([]byte(body), vectorKey); err != nil {
		t.Fatal(err)
	}
}

// A signed callback whose numbers are not minor units is refused even though it verifies.
func TestParseCallback_MalformedButSigned(t *testing.T) {
	p := opay.CallbackPayload{Amount: "600.00", Currency: "EGP", Status: "SUCCESS", Timestamp: "2026-11-20T10:00:00Z"}
	body := callbackBody(t, p, vectorKey)
	if _, err := opay.ParseCallback(body, vectorKey); !errors.Is(err, opay.ErrCallbackMalformed) {
		t.Errorf("err = %v", err)
	}
}

func TestParseCallback_MaxAge(t *testing.T) {
	at := func(d time.Duration) opay.CallbackOption {
		return opay.WithNow(func() time.Time { return vectorTime.Add(d) })
	}
	tests := []struct {
		name string
		now  time.Duration
		ok   bool
	}{
		{"Fresh", time.Minute, true},
		{"AtTheEdge", 5 * time.Minute, true},
		{"TooOld", 5*time.Minute + time.Second, false},
		{"TooFarInTheFuture", -6 * time.Minute, false},
		{"SlightlyAhead", -time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := opay.ParseCallback([]byte(vectorBody), vectorKey, opay.WithMaxAge(5*time.Minute), at(tt.now))
			if tt.ok != (err == nil) || (!tt.ok && !errors.Is(err, opay.ErrCallbackTooOld)) {
				t.Errorf("err = %v", err)
			}
		})
	}
	// Without WithMaxAge, age does not matter: delivery retries resend old callbacks.
	if _, err := opay.ParseCallback([]byte(vectorBody), vectorKey, at(1000*time.Hour)); err != nil {
		t.Errorf("without a window: %v", err)
	}
}

func callbackBody(t *testing.T, p opay.CallbackPayload, key string) []byte {
	t.Helper()
	cb := opay.Callback{Payload: p, SHA512: opay.SignCallback(p, key), Type: "transaction-status"}
	b, err := json.Marshal(cb)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCallbackHandler(t *testing.T) {
	type result struct {
		got    *opay.Notification
		status int
	}
	serve := func(method, body string, fail bool, opts ...opay.CallbackOption) result {
		var r result
		h := opay.CallbackHandler(vectorKey, func(ctx context.Context, n *opay.Notification) error {
			r.got = n
			if fail {
				return errors.New("database down")
			}
			return nil
		}, opts...)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, "/opay/callback", strings.NewReader(body)))
		r.status = w.Code
		if strings.Contains(w.Body.String(), "database down") {
			t.Errorf("the handler leaked fn's error: %s", w.Body)
		}
		return r
	}
	late := opay.WithNow(func() time.Time { return vectorTime.Add(time.Hour) })

	tests := []struct {
		name   string
		method string
		body   string
		fail   bool
		opts   []opay.CallbackOption
		status int
		called bool
	}{
		{"Acknowledged", http.MethodPost, vectorBody, false, nil, 200, true},
		{"BadSignature", http.MethodPost, strings.Replace(vectorBody, `"60000"`, `"1"`, 1), false, nil, 401, false},
		{"Malformed", http.MethodPost, "{", false, nil, 400, false},
		{"Stale", http.MethodPost, vectorBody, false, []opay.CallbackOption{opay.WithMaxAge(time.Minute), late}, 400, false},
		{"NotPost", http.MethodGet, "", false, nil, 405, false},
		{"HandlerFailsSoTheGatewayRetries", http.MethodPost, vectorBody, true, nil, 500, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := serve(tt.method, tt.body, tt.fail, tt.opts...)
			if r.status != tt.status || (r.got != nil) != tt.called {
				t.Errorf("status %d, called %v; want %d, %v", r.status, r.got != nil, tt.status, tt.called)
			}
			if tt.called && r.got.OrderNo != "261120000000000001" {
				t.Errorf("notification %+v", r.got)
			}
		})
	}
}
