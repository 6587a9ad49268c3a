package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opaygate/opaygate/opay"
)

// fuzzPaths are the routes whose request decoding FuzzDecodeRequest explores.
var fuzzPaths = []string{
	pathCashierCreate, pathStatus, pathClose, pathPaymentCreate, pathMonth, pathOTP, pathResendOTP,
	pathInvoiceCreate, pathInvoice, pathCancelInvoice, pathInvoiceStats,
}

// FuzzDecodeRequest sends arbitrary, correctly signed bodies to every route: the answer is
// always the envelope with a code, never a panic, never 50003 and never Go's own words.
// Its seed corpus is in testdata/fuzz/FuzzDecodeRequest. Inputs that create orders write to
// SQLite, which makes minimizing a new input slow; -fuzzminimizetime=5s keeps runs lively:
//
//	go test ./server -run '^$' -fuzz FuzzDecodeRequest -fuzztime 60s -fuzzminimizetime 5s
func FuzzDecodeRequest(f *testing.F) {
	e := newTestServer(f)
	h := e.srv.Config.Handler
	for i, body := range []string{
		`{"reference":"f-1","country":"EG","amount":{"total":"100","currency":"EGP"},"returnUrl":"https://m.example/r","product":{"name":"n"}}`,
		`{"orderNo":"260101000000000001","country":"EG"}`,
		`{"amount":{"total":60000,"currency":"EGP"},"country":"EG","payMethod":"VALU","product":{"name":"n"},"reference":"f-2","valUAccountNumber":"01012345678"}`,
		`{"months":"6","reference":"f-2"}`,
		`{"otp":"123456","reference":"f-2"}`,
	} {
		f.Add(uint8(i), []byte(body))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := fuzzPaths[int(route)%len(fuzzPaths)]
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set("MerchantId", e.A.ID)
		req.Header.Set("Authorization", opay.AuthorizationHeader(body, e.A.PrivateKey))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if rec.Code != http.StatusOK && rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("HTTP %d", rec.Code)
		}
		var resp opay.Response
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.Code == "" {
			t.Fatalf("not an envelope: %v: %s", err, rec.Body.Bytes())
		}
		if resp.Code == opay.CodeUnavailable {
			t.Fatalf("internal error for %q: %s", body, rec.Body.Bytes())
		}
		checkNoLeak(t, resp.Message)
	})
}
