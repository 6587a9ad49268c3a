package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/simulator"
)

// testPayoutKeys are four keys made once for the test binary: every sandbox the tests start
// gives its four demo merchants one each, instead of generating 2048-bit keys every time.
var testPayoutKeys = sync.OnceValue(func() [4]*rsa.PrivateKey {
	var keys [4]*rsa.PrivateKey
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	return keys
})

var payoutKeysHanded atomic.Int64

func init() {
	newPayoutKey = func() (*rsa.PrivateKey, error) {
		return testPayoutKeys()[payoutKeysHanded.Add(1)%4], nil
	}
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCLI_MerchantPayoutKey: set a key from a file and from stdin in each accepted form, show
// its fingerprint and the audit trail, refuse bad keys saying why, remove it.
func TestCLI_MerchantPayoutKey(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	const id = "100000000000001"
	run := func(stdin string, args ...string) (int, string, string) {
		t.Helper()
		return RunCLI(t, nil, stdin, append(args, "--db", db)...)
	}
	if code, out, errOut := run("", "merchant", "add", "--id", id, "--name", "Shop", "--countries", "NG"); code != 0 {
		t.Fatalf("add: %d %s %s", code, out, errOut)
	}
	code, out, _ := run("", "merchant", "payout-key", "show", id)
	if code != 0 || !strings.Contains(out, "has no payout key") {
		t.Fatalf("show without a key: %d %s", code, out)
	}

	key := testPayoutKeys()[0]
	fp := opaygate.PayoutKeyFingerprint(&key.PublicKey)
	spki, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pub := writePEM(t, dir, "pub.pem", "PUBLIC KEY", spki)
	code, out, errOut := run("", "merchant", "payout-key", "set", id, "--file", pub)
	if code != 0 || out != "merchant "+id+" payout key set: "+fp+" (RSA 2048 bits)\n" {
		t.Fatalf("set: %d %q %s", code, out, errOut)
	}
	code, out, _ = run(base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&key.PublicKey)),
		"merchant", "payout-key", "set", "--file", "-", id)
	if code != 0 || !strings.Contains(out, fp) {
		t.Fatalf("set from stdin, base64 PKCS#1: %d %s", code, out)
	}
	code, out, _ = run("", "merchant", "payout-key", "show", id)
	if code != 0 || !strings.Contains(out, "payout key: "+fp+" (RSA 2048 bits)") ||
		!strings.Contains(out, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}))) ||
		!strings.Contains(out, "by cli: none -> "+fp) || strings.Count(out, "changed ") != 1 {
		t.Fatalf("show: %d\n%s", code, out)
	}

	privDER, _ := x509.MarshalPKCS8PrivateKey(key)
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"PrivateKey":  {[]string{"--file", writePEM(t, dir, "priv.pem", "PRIVATE KEY", privDER)}, "this is a private key"},
		"NotAKey":     {[]string{"--file", writePEM(t, dir, "junk.pem", "PUBLIC KEY", []byte("junk"))}, "not a valid SPKI or PKCS#1"},
		"MissingFile": {[]string{"--file", filepath.Join(dir, "none.pem")}, "no such file"},
		"NoFile":      {nil, "give --file"},
		"UnknownFlag": {[]string{"--file", pub, "--key", "x"}, "flag provided but not defined"},
	} {
		t.Run("Err"+name, func(t *testing.T) {
			code, out, errOut := run("", append([]string{"merchant", "payout-key", "set", id}, tc.args...)...)
			if code == 0 || !strings.Contains(errOut, tc.want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %q", code, out, errOut, tc.want)
			}
		})
	}
	if code, _, errOut := run("", "merchant", "payout-key", "set", "999999999999999", "--file", pub); code != 1 ||
		!strings.Contains(errOut, "no merchant 999999999999999") {
		t.Fatalf("unknown merchant: %d %s", code, errOut)
	}
	code, out, _ = run("", "merchant", "payout-key", "remove", id)
	if code != 0 || !strings.Contains(out, "has no payout key now") {
		t.Fatalf("remove: %d %s", code, out)
	}
	code, out, _ = run("", "merchant", "payout-key", "show", id)
	if code != 0 || !strings.Contains(out, "has no payout key") || !strings.Contains(out, "by cli: "+fp+" -> none") {
		t.Fatalf("show after remove: %d %s", code, out)
	}
	if code, out, _ := RunCLI(t, nil, "", "merchant", "payout-key", "-h"); code != 0 ||
		!strings.Contains(out, "opaygate merchant payout-key set") || !strings.Contains(out, "-file") {
		t.Fatalf("payout-key -h: %d %s", code, out)
	}
	for _, sub := range []string{"set", "show", "remove"} {
		if code, out, _ := RunCLI(t, nil, "", "merchant", "payout-key", sub, "-h"); code != 0 ||
			!strings.Contains(out, "Usage: opaygate merchant payout-key "+sub) || !strings.Contains(out, "Example") {
			t.Fatalf("payout-key %s -h: %d %s", sub, code, out)
		}
	}
}

func TestCLI_SignRSA(t *testing.T) {
	dir := t.TempDir()
	key := testPayoutKeys()[1]
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	p8 := writePEM(t, dir, "p8.pem", "PRIVATE KEY", pkcs8)
	p1 := writePEM(t, dir, "p1.pem", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	pretty := "{\n  \"reference\": \"p-1\",\n  \"amount\": \"100\"\n}"
	body := filepath.Join(dir, "body.json")
	if err := os.WriteFile(body, []byte(pretty), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"PKCS8Stdin": {"--rsa", p8}, "PKCS1File": {"--rsa", p1, "--file", body},
		"Compact": {"--rsa", p8, "--compact", "--file", body},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := RunCLI(t, nil, pretty, append([]string{"sign"}, args...)...)
			header := strings.TrimSpace(out)
			if code != 0 || !strings.HasPrefix(header, "Bearer ") || !opay.VerifyRSA([]byte(pretty), header, &key.PublicKey) {
				t.Fatalf("exit %d, %q, %s", code, out, errOut)
			}
			if strings.Contains(out+errOut, "PRIVATE") {
				t.Fatal("sign printed the key")
			}
		})
	}
	spki, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"PublicKey":   {[]string{"--rsa", writePEM(t, dir, "pub.pem", "PUBLIC KEY", spki)}, "this is a public key"},
		"Encrypted":   {[]string{"--rsa", writePEM(t, dir, "enc.pem", "ENCRYPTED PRIVATE KEY", []byte("x"))}, "encrypted"},
		"NotPEM":      {[]string{"--rsa", body}, "not a PEM file"},
		"Damaged":     {[]string{"--rsa", writePEM(t, dir, "bad.pem", "PRIVATE KEY", []byte("x"))}, "damaged PRIVATE KEY"},
		"WithHMACKey": {[]string{"--rsa", p8, "--key", "OPAYPRV1"}, "--timestamp and --key are for HMAC"},
		"Missing":     {[]string{"--rsa", filepath.Join(dir, "none.pem")}, "no such file"},
	} {
		t.Run("Err"+name, func(t *testing.T) {
			code, out, errOut := RunCLI(t, nil, pretty, append([]string{"sign"}, tc.args...)...)
			if code == 0 || out != "" || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %q", code, out, errOut, tc.want)
			}
		})
	}
}

// TestSandboxPayoutKeys: the first start writes one key file per demo merchant and stores its
// public half; a restart keeps both; a file gone is reported, not replaced; a reset database
// takes the file's key back.
func TestSandboxPayoutKeys(t *testing.T) {
	m, stdout, _ := MustMain(t)
	dir, _ := m.Config.dataDir()
	ctx := context.Background()
	banner := stdout.String()
	demo := simulator.DemoMerchants()
	for _, d := range demo {
		path := sandboxPayoutKeyPath(dir, d.ID)
		info, err := os.Stat(path)
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, mode %v", path, err, info.Mode())
		}
		private, err := readPayoutPrivateKey(path)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := m.gw.Services.Merchants.FindMerchant(ctx, d.ID)
		if err != nil || stored.PayoutPublicKey != opaygate.PayoutKeyPEM(&private.PublicKey) ||
			stored.Check(opaygate.FuncPayout, "") != nil {
			t.Fatalf("merchant %s: %v, key %q, functions %v", d.ID, err, stored.PayoutPublicKey, stored.Functions)
		}
		if line := lineWith(banner, path); !strings.Contains(line, d.ID) || !strings.Contains(line, opaygate.PayoutKeyFingerprint(&private.PublicKey)) {
			t.Errorf("banner line %q", line)
		}
	}

	// A second start over the same database and directory changes nothing.
	first, _ := os.ReadFile(sandboxPayoutKeyPath(dir, demo[0].ID))
	if err := os.Remove(sandboxPayoutKeyPath(dir, demo[1].ID)); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	m2 := &Main{Config: m.Config, Stdout: &out}
	files, err := func() ([]payoutKeyFile, error) {
		if _, err := m2.seed(ctx, m.gw.Services); err != nil {
			return nil, err
		}
		m2.printPayoutKeys(&out)
		return m2.payoutKeys, nil
	}()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(sandboxPayoutKeyPath(dir, demo[0].ID)); string(again) != string(first) {
		t.Error("a restart rewrote a key file")
	}
	if _, err := os.Stat(sandboxPayoutKeyPath(dir, demo[1].ID)); err == nil {
		t.Error("a restart silently replaced a removed key file")
	}
	if files[1].Problem == "" || !strings.Contains(out.String(), demo[1].ID+": "+sandboxPayoutKeyPath(dir, demo[1].ID)+": the file is gone") {
		t.Errorf("the banner does not say the file is gone:\n%s", out.String())
	}
	for i, f := range files {
		if i != 1 && f.Problem != "" {
			t.Errorf("%s: %s", f.MerchantID, f.Problem)
		}
	}

	// A reset database (no payout key) takes the existing file's key, never a new one.
	none := ""
	if _, err := m.gw.Services.Merchants.UpdateMerchant(ctx, demo[0].ID, opaygate.MerchantUpdate{PayoutPublicKey: &none}); err != nil {
		t.Fatal(err)
	}
	if _, err := m2.seed(ctx, m.gw.Services); err != nil {
		t.Fatal(err)
	}
	private, _ := readPayoutPrivateKey(sandboxPayoutKeyPath(dir, demo[0].ID))
	if got, _ := m.gw.Services.Merchants.FindMerchant(ctx, demo[0].ID); got.PayoutPublicKey != opaygate.PayoutKeyPEM(&private.PublicKey) {
		t.Error("the merchant did not get the file's key back")
	}
}

// A sandbox without a data directory, or one it cannot write, starts without payout keys and
// says so.
func TestSandboxPayoutKeysNowhere(t *testing.T) {
	var out strings.Builder
	(&Main{Config: Config{DB: "postgres://db.example/opaygate"}}).printPayoutKeys(&out)
	if !strings.Contains(out.String(), "give --data-dir") {
		t.Errorf("banner without a data directory:\n%s", out.String())
	}
	m, _, _ := MustMain(t)
	ctx := context.Background()
	none := ""
	id := simulator.DemoMerchants()[0].ID
	merchant, err := m.gw.Services.Merchants.UpdateMerchant(ctx, id, opaygate.MerchantUpdate{PayoutPublicKey: &none})
	if err != nil {
		t.Fatal(err)
	}
	files, err := provisionPayoutKeys(ctx, m.gw.Services.Merchants, []*opaygate.Merchant{merchant}, filepath.Join(t.TempDir(), "gone"))
	if err != nil || len(files) != 1 || !strings.Contains(files[0].Problem, "no payout key: write the key file") {
		t.Fatalf("%+v, %v", files, err)
	}
}
