package opaytest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"testing"

	"github.com/opaygate/opaygate/opay"
)

// The merchant has a payout key the gateway knows and its opening cash, both kept across a
// reset; WithMerchant's key is the one used.
func TestPayoutKeyAndOpeningCash(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, opts := range map[string][]Option{"Generated": nil, "Given": {WithMerchant(Merchant{PayoutKey: key})}} {
		t.Run(name, func(t *testing.T) {
			gw := New(t, opts...)
			if gw.Merchant.PayoutKey == nil || (name == "Given") != (gw.Merchant.PayoutKey == key) {
				t.Fatalf("payout key %p, given %p", gw.Merchant.PayoutKey, key)
			}
			cash := func() int64 {
				t.Helper()
				b, err := gw.Client().PayoutBalance(ctx, "EG", "EGP", "CASH_ACCOUNT")
				if err != nil {
					t.Fatal(err)
				}
				return b.Balance.Total
			}
			if got := cash(); got != OpeningCash {
				t.Fatalf("cash %d, want %d", got, int64(OpeningCash))
			}
			if _, err := gw.Client().CreatePayout(ctx, opay.PayoutCreateRequest{PayoutType: "OpayWallet",
				NotifyURL: "https://shop.example.com/payouts", MerchantOrderNo: "p1", Country: "EG", Amount: 1000,
				Currency: "EGP", Language: "en_US", MetaData: opay.PayoutMetaData{CustomerName: "Mona", Phone: "+201012345678"}}); err != nil {
				t.Fatal(err)
			}
			if got := cash(); got != OpeningCash-1000 {
				t.Fatalf("cash after a payout %d", got)
			}
			resp, err := http.Post(gw.URL+"/_sandbox/reset", "application/json", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := cash(); got != OpeningCash {
				t.Fatalf("cash after a reset %d, want %d", got, int64(OpeningCash))
			}
			other, _ := rsa.GenerateKey(rand.Reader, 2048)
			_, err = gw.Client(opay.WithPayoutKey(other)).PayoutBalance(ctx, "EG", "EGP", "CASH_ACCOUNT")
			if !errors.Is(err, opay.ErrAuthentication) {
				t.Fatalf("another key: %v, want 02000", err)
			}
		})
	}
}
