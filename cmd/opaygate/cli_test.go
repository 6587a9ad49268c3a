package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/opaygate/opaygate/opay"
)

func TestCLI_Usage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stdout+stderr
	}{
		{"NoCommand", nil, 2, "Usage:"},
		{"UnknownCommand", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"Help", []string{"-h"}, 0, "Examples:"},
		{"ServeUnknownFlag", []string{"serve", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{"ServeBadMode", []string{"serve", "--mode", "prod"}, 2, `--mode "prod"`},
		{"ServeBadAddr", []string{"serve", "--addr", "8080"}, 2, "--addr"},
		{"ServeBadLogFormat", []string{"serve", "--log-format", "xml"}, 2, "--log-format"},
		{"ServeBadPublicURL", []string{"serve", "--public-url", "ftp://x"}, 2, "--public-url"},
		{"ServeStrayArgument", []string{"serve", "now"}, 2, `unexpected argument "now"`},
		{"MerchantNoSubcommand", []string{"merchant"}, 2, "missing subcommand"},
		{"MerchantUnknownSubcommand", []string{"merchant", "delete"}, 2, `unknown subcommand "delete"`},
		{"ProductNoSubcommand", []string{"product"}, 2, "missing subcommand"},
		{"SignNoKey", []string{"sign"}, 2, "no key: give --key, or set OPAYGATE_PRIVATE_KEY or OPAY_PRIVATE_KEY"},
		{"SignBadTimestamp", []string{"sign", "--key", "k", "--timestamp", "yesterday"}, 2, "--timestamp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := RunCLI(t, nil, "", tc.args...)
			if code != 0 && tc.args != nil && stdout != "" {
				t.Errorf("a failed command wrote to stdout:\n%s", stdout)
			}
			if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
				t.Fatalf("exit %d, want %d; output does not contain %q:\n%s%s", code, tc.code, tc.want, stdout, stderr)
			}
		})
	}
}

// Every command answers -h with its usage and an example, on stdout, exit 0.
func TestCLI_HelpEverywhere(t *testing.T) {
	for _, args := range [][]string{
		{"serve"}, {"migrate"}, {"merchant"}, {"merchant", "add"}, {"merchant", "list"},
		{"merchant", "disable"}, {"merchant", "enable"}, {"product"}, {"product", "add"},
		{"product", "list"}, {"sign"}, {"callback"}, {"callback", "list"}, {"callback", "resend"},
		{"callback", "test"}, {"version"}, {"healthcheck"}, {"balance"}, {"ledger"}, {"ledger", "verify"},
	} {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			code, stdout, stderr := RunCLI(t, nil, "", append(args, "-h")...)
			if code != 0 || strings.Count(stdout, "Usage: opaygate "+strings.Join(args, " ")) != 1 ||
				!strings.Contains(stdout, "Example") || stderr != "" {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
		})
	}
}

func TestCLI_Migrate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.db")
	code, stdout, stderr := RunCLI(t, nil, "", "migrate", "--db", db)
	if code != 0 || !strings.Contains(stdout, "applied 001_init.sql") {
		t.Fatalf("first migrate: exit %d\n%s%s", code, stdout, stderr)
	}
	// The database also comes from the environment.
	code, stdout, stderr = RunCLI(t, map[string]string{"OPAYGATE_DB": db}, "", "migrate")
	if code != 0 || !strings.Contains(stdout, "up to date") {
		t.Fatalf("second migrate: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestCLI_Merchant(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.db")
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return RunCLI(t, nil, "", append(args, "--db", db)...)
	}

	code, stdout, stderr := run("merchant", "add", "--id", "100000000000001", "--name", "Given Keys",
		"--private-key", "OPAYPRVsecret", "--public-key", "OPAYPUBpublic", "--countries", "EG",
		"--functions", "cashier,valu", "--webhook-url", "https://shop.example.com/hook", "--require-v2",
		"--callback-version", "v2")
	if code != 0 || !strings.Contains(stdout, "100000000000001") || !strings.Contains(stdout, "OPAYPUBpublic") {
		t.Fatalf("add: exit %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, "OPAYPRVsecret") {
		t.Fatal("add printed a private key it was given")
	}

	code, stdout, stderr = run("merchant", "add", "--name", "Generated Keys")
	if code != 0 || !strings.Contains(stdout, "private key: OPAYPRV") || !strings.Contains(stderr, "will not be shown again") {
		t.Fatalf("add with generated keys: exit %d\n%s%s", code, stdout, stderr)
	}

	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"ErrDuplicate":       {[]string{"--id", "100000000000001", "--name", "Again"}, 1, "already exists"},
		"ErrBadID":           {[]string{"--id", "42", "--name", "x"}, 2, "15 digits"},
		"ErrNoName":          {[]string{"--id", "100000000000002"}, 2, "--name is required"},
		"ErrUnknownCountry":  {[]string{"--name", "x", "--countries", "EG,KE"}, 2, `unknown country "KE"`},
		"ErrUnknownFunction": {[]string{"--name", "x", "--functions", "cashier,crypto"}, 2, `unknown function "crypto"`},
		"ErrSameKeys":        {[]string{"--name", "x", "--private-key", "k", "--public-key", "k"}, 2, "must differ"},
		"ErrCallbackVersion": {[]string{"--name", "x", "--callback-version", "v3"}, 2, `--callback-version "v3" is not v1 or v2`},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := run(append([]string{"merchant", "add"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d (want %d)\n%s%s", code, tc.code, stdout, stderr)
			}
		})
	}

	code, stdout, stderr = run("merchant", "list")
	if code != 0 || !strings.Contains(stdout, "Given Keys") || !strings.Contains(stdout, "Generated Keys") {
		t.Fatalf("list: exit %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout, "OPAYPRV") {
		t.Fatalf("list shows a private key:\n%s", stdout)
	}
	line := lineWith(stdout, "100000000000001")
	for _, want := range []string{"active", "EG", "cashier,valu", "yes", " v2 ", "https://shop.example.com/hook", "OPAYPUBpublic"} {
		if !strings.Contains(line, want) {
			t.Errorf("list line %q lacks %q", line, want)
		}
	}

	// Flags may follow the positional merchant id.
	if code, stdout, stderr = RunCLI(t, nil, "", "merchant", "disable", "100000000000001", "--db", db); code != 0 {
		t.Fatalf("disable: exit %d\n%s%s", code, stdout, stderr)
	}
	_, stdout, _ = run("merchant", "list")
	if !strings.Contains(lineWith(stdout, "100000000000001"), "disabled") {
		t.Fatalf("not disabled:\n%s", stdout)
	}
	if code, stdout, stderr = run("merchant", "enable", "100000000000001"); code != 0 {
		t.Fatalf("enable: exit %d\n%s%s", code, stdout, stderr)
	}
	_, stdout, _ = run("merchant", "list")
	if !strings.Contains(lineWith(stdout, "100000000000001"), "active") {
		t.Fatalf("not enabled again:\n%s", stdout)
	}

	if code, _, stderr = run("merchant", "disable", "999999999999999"); code != 1 || !strings.Contains(stderr, "no merchant") {
		t.Fatalf("disable unknown: exit %d, %s", code, stderr)
	}
	if code, _, _ = run("merchant", "enable"); code != 2 {
		t.Fatalf("enable without id: exit %d, want 2", code)
	}
}

func TestCLI_Product(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return RunCLI(t, nil, "", append(args, "--db", db)...)
	}
	if code, stdout, stderr := run("merchant", "add", "--id", "100000000000001", "--name", "Shop"); code != 0 {
		t.Fatalf("merchant add: %s%s", stdout, stderr)
	}
	code, stdout, stderr := run("product", "add", "--merchant", "100000000000001", "--merchant-product-no", "SKU-1",
		"--name", "T-shirt", "--price", "25000", "--description", "cotton", "--image", "https://shop.example.com/t.png")
	if code != 0 || !strings.Contains(stdout, "SKU-1") {
		t.Fatalf("product add: exit %d\n%s%s", code, stdout, stderr)
	}

	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"ErrDuplicate":       {[]string{"--merchant", "100000000000001", "--merchant-product-no", "SKU-1", "--name", "x", "--price", "1"}, 1, "already has product"},
		"ErrUnknownMerchant": {[]string{"--merchant", "999999999999999", "--merchant-product-no", "SKU-2", "--name", "x", "--price", "1"}, 1, "no merchant"},
		"ErrNoMerchant":      {[]string{"--merchant-product-no", "SKU-2", "--name", "x", "--price", "1"}, 2, "--merchant is required"},
		"ErrZeroPrice":       {[]string{"--merchant", "100000000000001", "--merchant-product-no", "SKU-2", "--name", "x"}, 2, "--price"},
		"ErrBadCurrency":     {[]string{"--merchant", "100000000000001", "--merchant-product-no", "SKU-2", "--name", "x", "--price", "1", "--currency", "USD"}, 2, "--currency"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := run(append([]string{"product", "add"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d (want %d)\n%s%s", code, tc.code, stdout, stderr)
			}
		})
	}

	code, stdout, stderr = run("product", "list", "--merchant", "100000000000001")
	line := lineWith(stdout, "SKU-1")
	if code != 0 || !strings.Contains(line, "T-shirt") || !strings.Contains(line, "25000") || !strings.Contains(line, "EGP") {
		t.Fatalf("product list: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, _ = run("product", "list"); code != 2 {
		t.Fatalf("product list without --merchant: exit %d, want 2", code)
	}
}

func TestCLI_Sign(t *testing.T) {
	// OPay's documentation vector: curl sends the pretty-printed body and the
	// signature is over its compact form.
	const (
		pretty = "{\n\"invoiceNo\": \"20464188\"\n}"
		vector = "Bearer 172b4102c8df516757eafd9d194d176e0b59dc6a8ae879d23493dbc27e9f48d755eb0880cc1b7ce665fc606fcccc227075d5d932f6053585b2381ed13eb62957"
	)
	file := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(file, []byte(pretty), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		env   map[string]string
		stdin string
		args  []string
		want  string
	}{
		{"CompactMatchesDocumentation", nil, pretty, []string{"--compact", "--key", demoKey}, vector},
		{"CompactFromFile", nil, "", []string{"--compact", "--file", file, "--key", demoKey}, vector},
		{"RawBytesAsGiven", nil, pretty, []string{"--key", demoKey}, opay.AuthorizationHeader([]byte(pretty), demoKey)},
		{"KeyFromOPAYGATE_PRIVATE_KEY", map[string]string{"OPAYGATE_PRIVATE_KEY": demoKey, "OPAY_PRIVATE_KEY": "other"}, pretty, []string{"--compact"}, vector},
		{"KeyFromOPAY_PRIVATE_KEY", map[string]string{"OPAY_PRIVATE_KEY": demoKey}, pretty, []string{"--compact"}, vector},
		{"FlagBeatsEnvironment", map[string]string{"OPAYGATE_PRIVATE_KEY": "other"}, pretty, []string{"--compact", "--key", demoKey}, vector},
		{"Timestamped", nil, `{"a":1}`, []string{"--key", demoKey, "--timestamp", "1700000000"},
			"RequestTimestamp: 1700000000\nAuthorization: Bearer " + opay.SignTimestamped("1700000000", []byte(`{"a":1}`), demoKey)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := RunCLI(t, tc.env, tc.stdin, append([]string{"sign"}, tc.args...)...)
			if code != 0 || strings.TrimSpace(stdout) != tc.want {
				t.Fatalf("exit %d\ngot  %q\nwant %q\nstderr %s", code, stdout, tc.want, stderr)
			}
			if strings.Contains(stdout+stderr, demoKey) {
				t.Fatal("sign printed the key")
			}
		})
	}

	t.Run("ErrCompactNotJSON", func(t *testing.T) {
		code, stdout, stderr := RunCLI(t, nil, "not json", "sign", "--compact", "--key", demoKey)
		if code != 1 || stdout != "" || strings.Contains(stderr, demoKey) || !strings.Contains(stderr, "JSON") {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
	})
	t.Run("ErrMissingFile", func(t *testing.T) {
		code, _, stderr := RunCLI(t, nil, "", "sign", "--key", demoKey, "--file", filepath.Join(t.TempDir(), "none"))
		if code != 1 || strings.Contains(stderr, demoKey) {
			t.Fatalf("exit %d, stderr %s", code, stderr)
		}
	})
}

func lineWith(text, s string) string {
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}

// A group's -h lists every subcommand with its flags.
func TestCLI_GroupHelpListsFlags(t *testing.T) {
	for group, want := range map[string][]string{
		"merchant": {"opaygate merchant add", "-webhook-url", "opaygate merchant passwd", "-id", "opaygate merchant disable"},
		"product":  {"opaygate product add", "-merchant-product-no", "opaygate product list"},
		"callback": {"opaygate callback list", "-state", "opaygate callback resend", "opaygate callback test", "-url"},
	} {
		t.Run(group, func(t *testing.T) {
			code, stdout, stderr := RunCLI(t, nil, "", group, "-h")
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			for _, w := range want {
				if !strings.Contains(stdout, w) {
					t.Errorf("%s -h lacks %q:\n%s", group, w, stdout)
				}
			}
		})
	}
}

// TestDefaultGOGC: without GOGC the collector runs at DefaultGOGC; a GOGC set
// in the environment is left to the runtime, which read it at start.
func TestDefaultGOGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	debug.SetGCPercent(100)
	c := &CLI{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	}}
	c.Run(context.Background(), []string{"version"})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set, the CLI changed the collector's target to %d", got)
	}
	c.Getenv = func(string) string { return "" }
	c.Run(context.Background(), []string{"version"})
	if got := debug.SetGCPercent(100); got != DefaultGOGC {
		t.Errorf("without GOGC the collector's target is %d, want %d", got, DefaultGOGC)
	}
}
