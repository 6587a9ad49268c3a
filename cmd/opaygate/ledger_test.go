package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opaygate/opaygate"
)

// TestCLI_BalanceAndLedgerVerify: balance prints what the ledger holds; ledger verify passes a
// clean ledger and names a tampered balance, with exit 1.
func TestCLI_BalanceAndLedgerVerify(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "l.db")
	db, svcs, err := migratedStore(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := opaygate.NewKeyPair()
	m := &opaygate.Merchant{ID: "100000000000009", Name: "Ledger", PrivateKey: priv, PublicKey: pub,
		Status: opaygate.MerchantActive, Countries: opaygate.Countries(), Functions: opaygate.AllFunctions()}
	if err := svcs.Merchants.CreateMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	if _, err := svcs.Ledger.Credit(ctx, m.ID, "NGN", 123456, "c-1"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, stdout, stderr := RunCLI(t, nil, "", "balance", "--db", dbPath, "--entries", "5", m.ID)
	if code != 0 || !strings.Contains(stdout, "₦1,234.56") || !strings.Contains(stdout, "credit") || !strings.Contains(stdout, "c-1") {
		t.Fatalf("balance: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = RunCLI(t, nil, "", "balance", "--db", dbPath, "100000000000000")
	if code != 1 || !strings.Contains(stderr, "no merchant 100000000000000") {
		t.Fatalf("balance of nobody: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = RunCLI(t, nil, "", "ledger", "verify", "--db", dbPath)
	if code != 0 || !strings.Contains(stdout, "ledger OK") || !strings.Contains(stdout, "(1 entries)") {
		t.Fatalf("verify: exit %d\n%s%s", code, stdout, stderr)
	}

	db, svcs, err = migratedStore(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svcs.Ledger.Fold(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := db.WritePool().Exec(`UPDATE balances SET total = total - 1`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, stdout, stderr = RunCLI(t, nil, "", "ledger", "verify", "--db", dbPath)
	if code != 1 || !strings.Contains(stdout, "100000000000009") || !strings.Contains(stdout, "stored total is 123455") ||
		!strings.Contains(stderr, "1 difference(s) found") {
		t.Fatalf("verify after tampering: exit %d\n%s%s", code, stdout, stderr)
	}
}
