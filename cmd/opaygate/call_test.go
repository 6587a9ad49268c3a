package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/opaytest"
)

// callEnv is the environment that points 'opaygate call' at a test gateway.
func callEnv(gw *opaytest.Gateway) map[string]string {
	return map[string]string{
		"OPAY_MERCHANT_ID": gw.Merchant.ID,
		"OPAY_PRIVATE_KEY": gw.Merchant.PrivateKey,
		"OPAY_BASE_URL":    gw.URL,
	}
}

// answerOf decodes what 'opaygate call' printed.
func answerOf(t *testing.T, stdout string) opay.Response {
	t.Helper()
	var r opay.Response
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("stdout is not an answer: %v\n%s", err, stdout)
	}
	return r
}

func TestCall_Help(t *testing.T) {
	code, stdout, stderr := RunCLI(t, nil, "", "call", "-h")
	if code != 0 || stderr != "" || strings.Count(stdout, "Usage: opaygate call") != 1 || !strings.Contains(stdout, "Examples:") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, e := range callEndpoints {
		if !strings.Contains(stdout, e.path) || !strings.Contains(stdout, e.example) {
			t.Errorf("the usage lacks %s or its example", e.path)
		}
		if !json.Valid([]byte(e.example)) {
			t.Errorf("the example of %s is not JSON", e.names[0])
		}
	}
	if code, stdout, _ := RunCLI(t, nil, "", "-h"); code != 0 || !strings.Contains(stdout, "call ") {
		t.Errorf("the command list lacks call:\n%s", stdout)
	}
}

func TestCall_UsageErrors(t *testing.T) {
	gw := opaytest.New(t)
	env := callEnv(gw)
	noKey := map[string]string{"OPAY_MERCHANT_ID": gw.Merchant.ID, "OPAY_BASE_URL": gw.URL}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		stdin string
		args  []string
		want  string
	}{
		{"NoEndpoint", env, "", []string{"call"}, "which endpoint"},
		{"UnknownEndpoint", env, "", []string{"call", "cashier/refund", "--data", "{}"}, `unknown endpoint "cashier/refund"`},
		{"TwoEndpoints", env, "", []string{"call", "status", "close", "--data", "{}"}, `unexpected argument "close"`},
		{"NoPrivateKey", noKey, "", []string{"call", "status", "--data", "{}"}, "OPAY_PRIVATE_KEY"},
		{"NoBody", env, "", []string{"call", "status"}, "no request body"},
		{"BlankStdin", env, " \n", []string{"call", "status"}, "no request body"},
		{"NotJSON", env, "", []string{"call", "status", "--data", "reference=x"}, "not JSON"},
		{"MissingFile", env, "", []string{"call", "status", "--data", "@/nonexistent/body.json"}, "--data"},
		{"BadBaseURL", env, "", []string{"call", "status", "--data", "{}", "--base-url", "localhost:8080"}, "--base-url"},
		{"UnknownFlag", env, "", []string{"call", "status", "--verbose"}, "-verbose"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := RunCLI(t, tc.env, tc.stdin, tc.args...)
			if code != 2 || stdout != "" || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, want 2 and %q\nstdout: %s\nstderr: %s", code, tc.want, stdout, stderr)
			}
		})
	}
}

func TestCall_Endpoints(t *testing.T) {
	gw := opaytest.New(t)
	env := callEnv(gw)
	ctx := context.Background()
	d, err := gw.Client().CreatePayment(ctx, opay.PaymentCreateRequest{Reference: "cli-1", Country: "EG",
		PayMethod: opay.PayMethodValU, Amount: opay.Amount{Total: 60000, Currency: "EGP"},
		Product: opay.Product{Name: "Phone"}, ValUAccountNumber: opaytest.ValUAccount})
	if err != nil {
		t.Fatal(err)
	}
	status := `{"reference":"cli-1","country":"EG"}`

	t.Run("ShortName", func(t *testing.T) {
		code, stdout, stderr := RunCLI(t, env, "", "call", "status", "--data", status)
		r := answerOf(t, stdout)
		if code != 0 || stderr != "" || r.Code != "00000" || !strings.Contains(string(r.Data), d.OrderNo) {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		if !strings.Contains(stdout, "\n  \"code\": \"00000\"") || !strings.Contains(stdout, "\n    \"orderNo\"") {
			t.Errorf("not pretty-printed:\n%s", stdout)
		}
		if strings.Index(stdout, `"reference"`) > strings.Index(stdout, `"orderNo"`) {
			t.Errorf("the answer's field order changed:\n%s", stdout)
		}
	})
	t.Run("FullPath", func(t *testing.T) {
		code, stdout, stderr := RunCLI(t, env, "", "call", opay.PathCashierStatus, "--data", status)
		if code != 0 || answerOf(t, stdout).Code != "00000" {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
	})
	t.Run("OPayName", func(t *testing.T) {
		code, stdout, stderr := RunCLI(t, env, "", "call", "getInvoicesStatistics",
			"--data", `{"startCreateTime":1700000000,"endCreateTime":1710000000}`)
		if code != 0 || answerOf(t, stdout).Code != "00000" {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
	})
	// A pretty-printed file is compacted, and the compact bytes are what is signed and sent.
	t.Run("FileWithWhitespace", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "body.json")
		body := "{\n  \"orderNo\": \"" + d.OrderNo + "\",\n  \"country\": \"EG\",\n  \"months\": 6\n}\n"
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := RunCLI(t, env, "", "call", "installment", "--data", "@"+file)
		if code != 0 || !strings.Contains(stdout, opay.ActionOTP) {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
	})
	t.Run("Stdin", func(t *testing.T) {
		body := `{"orderNo":"` + d.OrderNo + `","otp":"` + gw.LastOTP(d.OrderNo) + `"}`
		code, stdout, stderr := RunCLI(t, env, body, "call", "input-otp")
		if code != 0 || !strings.Contains(stdout, `"status": "SUCCESS"`) {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
	})
	t.Run("FlagsOverrideTheEnvironment", func(t *testing.T) {
		wrong := map[string]string{"OPAY_MERCHANT_ID": "999999999999999", "OPAY_PRIVATE_KEY": "wrong", "OPAY_BASE_URL": "http://127.0.0.1:1"}
		code, stdout, stderr := RunCLI(t, wrong, "", "call", "status", "--data", status,
			"--merchant-id", gw.Merchant.ID, "--private-key", gw.Merchant.PrivateKey, "--base-url", gw.URL)
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
	})
}

// cashier/create goes with the public key when there is one, else with a signature.
func TestCall_CashierCreateAuth(t *testing.T) {
	gw := opaytest.New(t)
	body := func(ref string) string {
		return `{"reference":"` + ref + `","country":"EG","amount":{"total":1000,"currency":"EGP"},` +
			`"returnUrl":"https://shop.example.com/r","product":{"name":"Shoes"}}`
	}
	publicOnly := map[string]string{"OPAY_MERCHANT_ID": gw.Merchant.ID, "OPAY_PRIVATE_KEY": "not-the-key",
		"OPAY_PUBLIC_KEY": gw.Merchant.PublicKey, "OPAY_BASE_URL": gw.URL}
	code, stdout, stderr := RunCLI(t, publicOnly, "", "call", "cashier/create", "--data", body("pub"))
	if code != 0 || !strings.Contains(stdout, "cashierUrl") {
		t.Fatalf("with the public key: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = RunCLI(t, callEnv(gw), "", "call", "cashier", "--data", body("sig"))
	if code != 0 || !strings.Contains(stdout, "cashierUrl") {
		t.Fatalf("signed: exit %d\n%s%s", code, stdout, stderr)
	}
}

// A non-00000 answer is printed and exits 1, with the code and request id on stderr.
func TestCall_APIErrorExits1(t *testing.T) {
	gw := opaytest.New(t)
	code, stdout, stderr := RunCLI(t, callEnv(gw), "", "call", "status", "--data", `{"reference":"nope","country":"EG"}`)
	r := answerOf(t, stdout)
	if code != 1 || r.Code != opay.CodeNotFound {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "02006 payment not found.") || !strings.Contains(stderr, "request id ") ||
		strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr %q", stderr)
	}
	bad := callEnv(gw)
	bad["OPAY_PRIVATE_KEY"] = "OPAYPRV-wrong"
	code, stdout, stderr = RunCLI(t, bad, "", "call", "status", "--data", `{"reference":"x","country":"EG"}`)
	if code != 1 || answerOf(t, stdout).Code != opay.CodeAuthFailed {
		t.Errorf("wrong key: exit %d\n%s", code, stdout)
	}
	// The sandbox's reason is on stderr, and the key is not.
	if !strings.Contains(stderr, "02000 authentication failed.: the signature matches no accepted form") ||
		strings.Contains(stderr, "OPAYPRV-wrong") {
		t.Errorf("stderr %q", stderr)
	}
}

func TestCall_NobodyListening(t *testing.T) {
	env := map[string]string{"OPAY_MERCHANT_ID": "256612345678901", "OPAY_PRIVATE_KEY": "k",
		"OPAY_BASE_URL": "http://" + FreeAddr(t)}
	code, stdout, stderr := RunCLI(t, env, "", "call", "status", "--data", `{"reference":"x","country":"EG"}`)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "opaygate: call: ") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}

// The real binary, as a shell script would use it.
func TestCall_Binary(t *testing.T) {
	bin := MustBinary(t)
	gw := opaytest.New(t)
	run := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "OPAY_MERCHANT_ID="+gw.Merchant.ID,
			"OPAY_PRIVATE_KEY="+gw.Merchant.PrivateKey, "OPAY_BASE_URL="+gw.URL)
		out, err := cmd.Output()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	code, out := run("call", "invoice/create", "--data", `{"country":"EG","name":"May","amount":{"total":5000,"currency":"EGP"},`+
		`"customer":{"customerName":"Mona","customerMobile":"+201088889999"},"dueTime":4102444800}`)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	var inv struct{ Data opay.InvoiceData }
	if err := json.Unmarshal([]byte(out), &inv); err != nil || inv.Data.Status != opay.InvoiceUnpaid {
		t.Fatalf("%v\n%s", err, out)
	}
	if code, out := run("call", "invoice/cancel", "--data", `{"invoiceNo":"`+inv.Data.InvoiceNo+`"}`); code != 0 {
		t.Fatalf("cancel: exit %d\n%s", code, out)
	}
	if code, _ := run("call", "invoice/details", "--data", `{"invoiceNo":"00000000"}`); code != 1 {
		t.Errorf("a missing invoice: exit %d, want 1", code)
	}
	if code, _ := run("call", "nonsense", "--data", `{}`); code != 2 {
		t.Errorf("an unknown endpoint: exit %d, want 2", code)
	}
}
