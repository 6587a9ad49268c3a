package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLI_MerchantInstallments: show the gateway's catalogue, set one from a file (read back
// from the database), refuse a bad one saying what is wrong, and give the default back.
func TestCLI_MerchantInstallments(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	run := func(stdin string, args ...string) (int, string, string) {
		t.Helper()
		return RunCLI(t, nil, stdin, append(args, "--db", db)...)
	}
	if code, out, errOut := run("", "merchant", "add", "--id", "100000000000001", "--name", "Shop", "--countries", "EG"); code != 0 {
		t.Fatalf("add: %d %s %s", code, out, errOut)
	}
	code, out, errOut := run("", "merchant", "installments", "100000000000001")
	if code != 0 || !strings.Contains(errOut, "the gateway's installment catalogue") || !strings.Contains(out, `"bankCode": "NBE"`) {
		t.Fatalf("show: %d\n%s%s", code, out, errOut)
	}

	plans := filepath.Join(dir, "plans.json")
	if err := os.WriteFile(plans, []byte(`[{"bankCode":"HSBC","bankName":"HSBC Egypt",
		"plans":[{"months":24,"feeRate":"7.5","minAmount":100000,"maxAmount":1000000}]}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run("", "merchant", "installments", "--file", plans, "100000000000001")
	if code != 0 || !strings.Contains(errOut, "now has its own") || !strings.Contains(out, `"feeRate": "7.5"`) {
		t.Fatalf("set: %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run("", "merchant", "installments", "100000000000001")
	if code != 0 || !strings.Contains(out, `"bankCode": "HSBC"`) || strings.Contains(out, "NBE") {
		t.Fatalf("read back: %d\n%s", code, out)
	}

	for name, tc := range map[string]struct{ stdin, want string }{
		"ErrNotJSON":      {`{"bankCode":"X"}`, "is not a catalogue"},
		"ErrUnknownField": {`[{"bankCode":"X","bankName":"X","plans":[],"rate":1}]`, `unknown field "rate"`},
		"ErrEmpty":        {`[]`, "1 to 50 banks"},
		"ErrFeeRate":      {`[{"bankCode":"X","bankName":"X","plans":[{"months":6,"feeRate":"5%","minAmount":1,"maxAmount":2}]}]`, "bank X, 6 months: feeRate must be a percent"},
		"ErrMonthsTwice": {`[{"bankCode":"X","bankName":"X","plans":[{"months":6,"feeRate":"0","minAmount":1,"maxAmount":2},` +
			`{"months":6,"feeRate":"1","minAmount":1,"maxAmount":2}]}]`, "two plans of 6 months"},
		"ErrRange": {`[{"bankCode":"X","bankName":"X","plans":[{"months":6,"feeRate":"0","minAmount":5,"maxAmount":2}]}]`, "at most maxAmount"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := run(tc.stdin, "merchant", "installments", "--file", "-", "100000000000001")
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
		})
	}
	if code, out, _ := run("", "merchant", "installments", "100000000000001"); !strings.Contains(out, "HSBC") {
		t.Fatalf("a refused file changed the catalogue: %d\n%s", code, out)
	}

	code, out, errOut = run("", "merchant", "installments", "--default", "100000000000001")
	if code != 0 || !strings.Contains(errOut, "now has the gateway's") || !strings.Contains(out, "CIB") {
		t.Fatalf("default: %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := run("", "merchant", "installments", "999999999999999"); code == 0 || !strings.Contains(errOut, "no merchant 999999999999999") {
		t.Fatalf("unknown merchant: %d %s", code, errOut)
	}
}
