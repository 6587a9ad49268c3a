package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/sqlstore"
)

// requests reads the request log from the database, as /_sandbox/requests does over HTTP.
func TestRequestsCLI(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "opaygate.db")
	db, err := sqlstore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	logged := []*opaygate.APIRequest{
		{At: at, RequestID: "r1", Method: "POST", Path: "/api/v1/international/cashier/status", MerchantID: "256612345678901",
			Known: true, HTTPStatus: 200, Code: "00000", Duration: 1200 * time.Microsecond,
			RequestBody: `{"reference":"a","country":"EG"}`, ResponseBody: `{"code":"00000","message":"SUCCESSFUL","data":{"status":"INITIAL"}}`},
		{At: at.Add(time.Second), RequestID: "r2", Method: "POST", Path: "/api/v1/international/cashier/status",
			MerchantID: "256612345678901", Known: true, HTTPStatus: 200, Code: "02000", Duration: 300 * time.Microsecond,
			Detail: "the signature matches no accepted form of this body", RequestBody: `{"reference":"b"}`,
			ResponseBody: `{"code":"02000","message":"authentication failed.","data":null}`},
		{At: at.Add(2 * time.Second), RequestID: "r3", Method: "POST", Path: "/api/v1/international/payment/create",
			MerchantID: "999", HTTPStatus: 200, Code: "02000", Detail: "MerchantId 999 is not a merchant of this gateway"},
	}
	if err := sqlstore.NewRequestLogService(db).AddRequests(ctx, logged); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OPAYGATE_DB": path}

	code, out, errOut := RunCLI(t, env, "", "requests")
	if code != 0 || strings.Count(out, "\n") != 4 || !strings.Contains(out, "international/cashier/status") ||
		!strings.Contains(out, "2026-11-28 10:00:01.000") || !strings.Contains(out, "the signature matches no accepted form") {
		t.Fatalf("requests: %d\n%s%s", code, out, errOut)
	}
	if _, out, _ = RunCLI(t, env, "", "requests", "--merchant", "256612345678901", "--failed"); strings.Count(out, "\n") != 2 ||
		!strings.Contains(out, "02000") || strings.Contains(out, "00000") {
		t.Fatalf("requests --failed:\n%s", out)
	}
	code, out, _ = RunCLI(t, env, "", "requests", "--json", "--code", "02000", "--limit", "1")
	var list []opaygate.APIRequestJSON
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 1 || list[0].RequestID != "r3" ||
		list[0].KnownMerchant || list[0].At != "2026-11-28T10:00:02.000Z" {
		t.Fatalf("requests --json: %d %v\n%s", code, err, out)
	}
	code, out, _ = RunCLI(t, env, "", "requests", strconv.FormatInt(list[0].ID-2, 10))
	if code != 0 || !strings.Contains(out, "answer:      HTTP 200, code 00000, in 1.2ms") ||
		!strings.Contains(out, "{\n  \"reference\": \"a\",\n  \"country\": \"EG\"\n}") || !strings.Contains(out, `"status": "INITIAL"`) {
		t.Fatalf("requests ID:\n%s", out)
	}
	if _, out, _ = RunCLI(t, env, "", "requests", strconv.FormatInt(list[0].ID, 10)); !strings.Contains(out, "999 (no such merchant)") ||
		!strings.Contains(out, "why:         MerchantId 999 is not a merchant") || !strings.Contains(out, "request body:\n(empty)") {
		t.Fatalf("requests ID of a stranger:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"requests", "12345"}, exitError, "no request 12345"},
		{[]string{"requests", "--limit", "0"}, exitUsage, "--limit 0"},
		{[]string{"requests", "x"}, exitUsage, `"x" is not a request id`},
		{[]string{"requests", "1", "2"}, exitUsage, "at most one REQUEST_ID"},
	} {
		if code, _, errOut := RunCLI(t, env, "", tc.args...); code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: %d %q, want %d %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}
