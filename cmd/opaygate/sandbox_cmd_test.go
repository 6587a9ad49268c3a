package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/opaytest"
)

// checkoutOrder creates a hosted-checkout order on gw whose customer has not chosen yet.
func checkoutOrder(t *testing.T, gw *opaytest.Gateway, ref string, amount int64) string {
	t.Helper()
	d, err := gw.Client().CreateCashier(context.Background(), opay.CashierCreateRequest{Reference: ref, Country: "EG",
		Amount: opay.Amount{Total: amount, Currency: "EGP"}, ReturnURL: "https://shop.example/r", Product: opay.Product{Name: "Tea"}})
	if err != nil {
		t.Fatal(err)
	}
	return d.OrderNo
}

// sandboxAnswer decodes what 'opaygate sandbox' printed.
func sandboxAnswer(t *testing.T, stdout string) (code string, d struct {
	Status, FailureCode, PayMethod string
	NextAction                     *opay.NextAction
}) {
	t.Helper()
	var r struct {
		Code string
		Data json.RawMessage
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("stdout is not an answer: %v\n%s", err, stdout)
	}
	if len(r.Data) > 0 && string(r.Data) != "null" {
		if err := json.Unmarshal(r.Data, &d); err != nil {
			t.Fatal(err)
		}
	}
	return r.Code, d
}

func TestSandboxCmd(t *testing.T) {
	gw := opaytest.New(t)
	env := map[string]string{"OPAY_BASE_URL": gw.URL}

	t.Run("PayWithValU", func(t *testing.T) {
		orderNo := checkoutOrder(t, gw, "cli-valu", 60000)
		code, stdout, stderr := RunCLI(t, env, "", "sandbox", "pay", orderNo, "--method", "VALU", "--months", "6")
		if c, d := sandboxAnswer(t, stdout); code != 0 || c != "00000" || d.Status != "SUCCESS" || d.PayMethod != "VALU" {
			t.Fatalf("exit %d, %+v\n%s%s", code, d, stdout, stderr)
		}
	})
	t.Run("Fail51", func(t *testing.T) {
		orderNo := checkoutOrder(t, gw, "cli-fail", 1000)
		code, stdout, stderr := RunCLI(t, env, "", "sandbox", "pay", orderNo, "--method", "MWALLET", "--fail", "51")
		if _, d := sandboxAnswer(t, stdout); code != 0 || d.Status != "FAIL" || d.FailureCode != "51" {
			t.Fatalf("exit %d, %+v\n%s%s", code, d, stdout, stderr)
		}
	})
	t.Run("StepByStep", func(t *testing.T) {
		orderNo := checkoutOrder(t, gw, "cli-steps", 60000)
		for _, step := range [][]string{{"start", "--method", "VALU"}, {"plan"}, {"otp"}} {
			code, stdout, stderr := RunCLI(t, env, "", append([]string{"sandbox", step[0], orderNo}, step[1:]...)...)
			if code != 0 {
				t.Fatalf("%s: exit %d\n%s%s", step[0], code, stdout, stderr)
			}
		}
		if st, err := gw.Client().CashierStatus(context.Background(), opay.CashierStatusRequest{OrderNo: orderNo, Country: "EG"}); err != nil || st.Status != "SUCCESS" {
			t.Errorf("status %+v %v", st, err)
		}
	})
	t.Run("WalletField", func(t *testing.T) {
		orderNo := checkoutOrder(t, gw, "cli-field", 1000)
		code, stdout, _ := RunCLI(t, env, "", "sandbox", "scan", orderNo, "--method", "MWALLET", "--field", "walletAccount=01000000057")
		if _, d := sandboxAnswer(t, stdout); code != 0 || d.FailureCode != "57" {
			t.Fatalf("exit %d\n%s", code, stdout)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		orderNo := checkoutOrder(t, gw, "cli-refused", 1000)
		code, stdout, stderr := RunCLI(t, env, "", "sandbox", "otp", orderNo)
		if c, _ := sandboxAnswer(t, stdout); code != 1 || c != "02010" ||
			!strings.Contains(stderr, "order is not waiting for INPUT_OTP (it is INITIAL)") || !strings.Contains(stderr, "request id") {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		code, _, stderr = RunCLI(t, env, "", "sandbox", "pay", "261128999999999999")
		if code != 1 || !strings.Contains(stderr, "02006") {
			t.Fatalf("unknown order: exit %d %s", code, stderr)
		}
	})
	t.Run("UsageErrors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"sandbox"}, "which action"},
			{[]string{"sandbox", "refund", "1"}, `unknown action "refund"`},
			{[]string{"sandbox", "pay"}, "which order"},
			{[]string{"sandbox", "pay", "1", "2"}, `unexpected argument "2"`},
			{[]string{"sandbox", "pay", "1", "--field", "novalue"}, "name=value"},
			{[]string{"sandbox", "pay", "1", "--base-url", "localhost:8080"}, "--base-url"},
		} {
			code, _, stderr := RunCLI(t, env, "", tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("%v: exit %d, want 2 and %q: %s", tc.args, code, tc.want, stderr)
			}
		}
		if code, stdout, _ := RunCLI(t, env, "", "sandbox", "-h"); code != 0 || !strings.Contains(stdout, "opaygate sandbox pay 261128000000000001 --fail 51") {
			t.Errorf("help: exit %d\n%s", code, stdout)
		}
	})
	t.Run("Token", func(t *testing.T) {
		// A sandbox others can reach wants its token, which comes from the environment.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if r.Header.Get("Authorization") != "Bearer 0123456789abcdef0123" || r.URL.Path != "/_sandbox/orders/decline" {
				w.WriteHeader(http.StatusUnauthorized)
				w.Write([]byte(`{"code":"02000","message":"authentication failed."}`))
				return
			}
			w.Write([]byte(`{"code":"00000","message":"SUCCESSFUL","data":{"status":"FAIL","failureCode":"05"}}`))
		}))
		defer srv.Close()
		code, _, stderr := RunCLI(t, map[string]string{"OPAY_BASE_URL": srv.URL}, "", "sandbox", "decline", "1")
		if code != 1 || !strings.Contains(stderr, "OPAYGATE_SANDBOX_TOKEN") {
			t.Errorf("without the token: exit %d %s", code, stderr)
		}
		code, stdout, stderr := RunCLI(t, map[string]string{"OPAY_BASE_URL": srv.URL, "OPAYGATE_SANDBOX_TOKEN": "0123456789abcdef0123"}, "", "sandbox", "decline", "1")
		if code != 0 {
			t.Errorf("with the token: exit %d %s%s", code, stdout, stderr)
		}
	})
}
