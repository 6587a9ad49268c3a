package sqlstore_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"testing"

	"github.com/opaygate/opaygate"
)

func TestPayoutKey(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der := x509.MarshalPKCS1PublicKey(&key.PublicKey)
	bare := base64.StdEncoding.EncodeToString(der) // stored normalized, as SPKI PEM
	want := opaygate.PayoutKeyPEM(&key.PublicKey)
	fp := opaygate.PayoutKeyFingerprint(&key.PublicKey)
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if m, _ := e.svc.Merchants.FindMerchant(ctx, e.m.ID); m.PayoutPublicKey != "" {
			t.Fatalf("a new merchant has a payout key: %q", m.PayoutPublicKey)
		}
		got, err := e.svc.Merchants.UpdateMerchant(ctx, e.m.ID, opaygate.MerchantUpdate{PayoutPublicKey: &bare, By: "cli"})
		if err != nil || got.PayoutPublicKey != want {
			t.Fatalf("set: %q, %v", got.PayoutPublicKey, err)
		}
		e.db.ForgetMerchants()
		if m, _ := e.svc.Merchants.FindMerchant(ctx, e.m.ID); m.PayoutPublicKey != want {
			t.Fatalf("read back: %q", m.PayoutPublicKey)
		}
		// The same key again is no change; a bad key changes nothing.
		if _, err := e.svc.Merchants.UpdateMerchant(ctx, e.m.ID, opaygate.MerchantUpdate{PayoutPublicKey: &want, By: "dashboard"}); err != nil {
			t.Fatal(err)
		}
		bad := "OPAYPUB123"
		_, err = e.svc.Merchants.UpdateMerchant(ctx, e.m.ID, opaygate.MerchantUpdate{PayoutPublicKey: &bad, By: "dashboard"})
		wantCode(t, err, opaygate.EINVALID)
		none := ""
		if got, err := e.svc.Merchants.UpdateMerchant(ctx, e.m.ID, opaygate.MerchantUpdate{PayoutPublicKey: &none, By: "dashboard"}); err != nil || got.PayoutPublicKey != "" {
			t.Fatalf("remove: %q, %v", got.PayoutPublicKey, err)
		}
		_, err = e.svc.Merchants.UpdateMerchant(ctx, "999999999999999", opaygate.MerchantUpdate{PayoutPublicKey: &want})
		wantCode(t, err, opaygate.ENOTFOUND)

		trail, err := e.svc.Merchants.Audit(ctx, e.m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(trail) != 2 || trail[0].Old != "" || trail[0].New != fp || trail[0].By != "cli" ||
			trail[1].Old != fp || trail[1].New != "" || trail[1].By != "dashboard" || trail[0].Setting != "payout_public_key" {
			t.Fatalf("audit trail %+v", trail)
		}
		if other, _ := e.svc.Merchants.Audit(ctx, e.other.ID); len(other) != 0 {
			t.Fatalf("another merchant's trail: %+v", other)
		}

		m := &opaygate.Merchant{ID: "100000000000043", PrivateKey: "a", PublicKey: "b", PayoutPublicKey: bare}
		if err := e.svc.Merchants.CreateMerchant(ctx, m); err != nil || m.PayoutPublicKey != want {
			t.Fatalf("create with a key: %q %v", m.PayoutPublicKey, err)
		}
		wantCode(t, e.svc.Merchants.CreateMerchant(ctx, &opaygate.Merchant{ID: "100000000000044", PrivateKey: "a",
			PublicKey: "b", PayoutPublicKey: bad}), opaygate.EINVALID)
	})
}
