package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/server"
)

// brokenMerchants is a merchant store that fails: it panics, or returns a Go error.
type brokenMerchants struct {
	opaygate.MerchantService
	panic bool
}

func (b brokenMerchants) FindMerchant(ctx context.Context, id string) (*opaygate.Merchant, error) {
	if b.panic {
		panic("boom: nil map in store")
	}
	return nil, errors.New("sql: database is locked (SQLITE_BUSY) at /var/lib/opaygate.db")
}

func serve(t *testing.T, h http.Handler, method, path string, body string) (*httptest.ResponseRecorder, opay.Response) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("MerchantId", "100000000000001")
	req.Header.Set("Authorization", opay.AuthorizationHeader([]byte(body), "k"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var resp opay.Response
	if path != "/healthz" {
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("%s: not an envelope: %s", path, rec.Body.Bytes())
		}
	}
	if rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("X-Request-Id") == "" {
		t.Errorf("%s: headers %v", path, rec.Header())
	}
	return rec, resp
}

func TestInternalErrors(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))

	t.Run("Panic", func(t *testing.T) {
		h := server.New(server.Config{Logger: logger}, server.Services{Merchants: brokenMerchants{panic: true}}).Handler()
		rec, resp := serve(t, h, "POST", pathStatus, `{"reference":"x","country":"EG"}`)
		if rec.Code != http.StatusOK || resp.Code != opay.CodeUnavailable || resp.Message != "service not available, please try again." {
			t.Errorf("answer %d %s", rec.Code, rec.Body.Bytes())
		}
		if strings.Contains(rec.Body.String(), "boom") || !strings.Contains(logs.String(), "boom") {
			t.Errorf("the panic must be logged, not answered")
		}
	})
	t.Run("StorageError", func(t *testing.T) {
		logs.Reset()
		h := server.New(server.Config{Logger: logger}, server.Services{Merchants: brokenMerchants{}}).Handler()
		rec, resp := serve(t, h, "POST", pathStatus, `{"reference":"x","country":"EG"}`)
		if rec.Code != http.StatusOK || resp.Code != opay.CodeUnavailable {
			t.Errorf("answer %d %s", rec.Code, rec.Body.Bytes())
		}
		checkNoLeak(t, rec.Body.String())
		if !strings.Contains(logs.String(), "SQLITE_BUSY") {
			t.Errorf("the error is not logged: %s", logs.String())
		}
	})
	t.Run("HealthDown", func(t *testing.T) {
		h := server.New(server.Config{}, server.Services{Health: func(context.Context) error { return errors.New("down") }}).Handler()
		rec, _ := serve(t, h, "GET", "/healthz", "")
		if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != `{"status":"unavailable"}` {
			t.Errorf("healthz %d %s", rec.Code, rec.Body.Bytes())
		}
	})
	t.Run("LiveHasNoSandbox", func(t *testing.T) {
		h := server.New(server.Config{Mode: "live", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, server.Services{}).Handler()
		for _, p := range []string{"/_sandbox/otp?orderNo=1", "/_sandbox/reset", "/_sandbox/clock/advance"} {
			rec, resp := serve(t, h, "POST", p, `{}`)
			if rec.Code != http.StatusNotFound || resp.Code != opay.CodeInvalidParams {
				t.Errorf("%s: %d %s", p, rec.Code, rec.Body.Bytes())
			}
		}
	})
}
