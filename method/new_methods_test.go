package method_test

import (
	"reflect"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
)

// TestIssue12Methods: the methods on payment/create and the hosted checkout (CardDebit on
// payment/create only), sandbox-only but for BankInstallment and CardDebit, and the NG card's
// steps after a PIN.
func TestIssue12Methods(t *testing.T) {
	set := method.Default()
	for name, sandboxOnly := range map[string]bool{
		opaygate.PayMethodReferenceCode: true, opaygate.PayMethodBankTransfer: true,
		opaygate.PayMethodBankAccount: true, opaygate.PayMethodBankInstallment: false,
		opaygate.PayMethodCardDebit: false,
	} {
		m, ok := set.Lookup(name)
		if !ok {
			t.Fatalf("%s missing", name)
		}
		onCheckout := name != opaygate.PayMethodCardDebit
		if !m.OnAPI() || m.OnCheckout() != onCheckout || method.SandboxOnly(m) != sandboxOnly {
			t.Errorf("%s: api %v checkout %v sandbox-only %v", name, m.OnAPI(), m.OnCheckout(), method.SandboxOnly(m))
		}
	}
	card := method.BankCard{}
	for bin, want := range map[string]opaygate.Move{
		method.BINPinOTP: {Status: opaygate.StatusPending, Step: opaygate.StepOTP, SendOTP: true},
		method.BINPin:    opaygate.Authorize(),
	} {
		if got := card.Next(&opaygate.Order{CardBIN: bin}, opaygate.StepPIN); !reflect.DeepEqual(got, want) {
			t.Errorf("after the PIN of %s: %+v, want %+v", bin, got, want)
		}
	}
	bi := method.BankInstallment{}
	if got := bi.Catalogue(nil, 40_000); len(got) != 0 {
		t.Errorf("plans for 400 EGP: %+v", got)
	}
	if got := bi.Catalogue(nil, 0); len(got) != 3 {
		t.Errorf("catalogue %+v", got)
	}
	// A merchant's own catalogue replaces the gateway's.
	own := []method.InstallmentBank{{Code: "HSBC", Name: "HSBC Egypt",
		Plans: []method.InstallmentPlan{{Months: 24, FeeRate: "7.5", Min: 100_000, Max: 1_000_000}}}}
	if got := bi.Catalogue(own, 200_000); len(got) != 1 || got[0].Code != "HSBC" {
		t.Errorf("merchant catalogue %+v", got)
	}
	if got := bi.Catalogue(own, 50_000); len(got) != 0 {
		t.Errorf("merchant catalogue below its minimum %+v", got)
	}
}
