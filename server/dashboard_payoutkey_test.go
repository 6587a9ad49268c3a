package server_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opaygate/opaygate"
)

// TestDashboardPayoutKey: the settings page takes a payout public key under the CLI's rules,
// shows its fingerprint, refuses a bad one saying why (keeping what was typed), removes it
// when emptied, and every change is in the audit trail and the log.
func TestDashboardPayoutKey(t *testing.T) {
	e := newDashEnv(t)
	ctx := context.Background()
	b := e.login(t, e.A)
	if body := b.mustGet(t, "/dashboard/settings"); !strings.Contains(body, "Payout public key") ||
		!strings.Contains(body, "No payout key is set") {
		t.Fatalf("the page offers no payout key:\n%s", body)
	}
	key := payoutKeys()[0]
	fp := opaygate.PayoutKeyFingerprint(&key.PublicKey)
	bare := base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&key.PublicKey))
	b.mustPost(t, "/dashboard/settings/payout-key", url.Values{"payout_public_key": {bare}})
	m, _ := e.svc.Merchants.FindMerchant(ctx, e.A.ID)
	if m.PayoutPublicKey != opaygate.PayoutKeyPEM(&key.PublicKey) {
		t.Fatalf("stored %q", m.PayoutPublicKey)
	}
	// html/template writes + as &#43;, and fingerprints and keys are base64.
	body := html.UnescapeString(b.mustGet(t, "/dashboard/settings"))
	if !strings.Contains(body, fp) || !strings.Contains(body, "RSA 2048 bits") ||
		!strings.Contains(body, m.PayoutPublicKey) {
		t.Fatalf("the page does not show the key and its fingerprint:\n%s", body)
	}

	for name, tc := range map[string]struct{ text, want string }{
		"NotAKey":    {"OPAYPUB123.456", "neither PEM nor base64 DER"},
		"PrivateKey": {"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "this is a private key"},
	} {
		t.Run("Err"+name, func(t *testing.T) {
			p := b.post(t, "/dashboard/settings/payout-key", url.Values{"payout_public_key": {tc.text}})
			if p.status != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(p.body), tc.want) ||
				!strings.Contains(html.UnescapeString(p.body), tc.text) {
				t.Fatalf("%d:\n%s", p.status, p.body)
			}
			if m, _ := e.svc.Merchants.FindMerchant(ctx, e.A.ID); m.PayoutPublicKey != opaygate.PayoutKeyPEM(&key.PublicKey) {
				t.Fatal("a refused key changed the stored one")
			}
		})
	}
	// A form without the CSRF token changes nothing.
	if p := b.postForm(t, "/dashboard/settings/payout-key", url.Values{"payout_public_key": {""}}, nil); p.status == http.StatusSeeOther {
		t.Fatal("a form without the CSRF token was accepted")
	}

	b.mustPost(t, "/dashboard/settings/payout-key", url.Values{"payout_public_key": {""}})
	if m, _ := e.svc.Merchants.FindMerchant(ctx, e.A.ID); m.PayoutPublicKey != "" {
		t.Fatal("an empty text area does not remove the key")
	}
	trail, err := e.svc.Merchants.Audit(ctx, e.A.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(trail) != 2 || trail[0].New != fp || trail[0].By != "dashboard" || trail[1].Old != fp || trail[1].New != "" {
		t.Fatalf("audit trail %+v", trail)
	}
	if logs := e.logs.String(); strings.Count(logs, "payout public key changed") != 2 || !strings.Contains(logs, fp) {
		t.Fatalf("the log does not record the changes:\n%s", logs)
	}
	// Another merchant's page is its own.
	if body := html.UnescapeString(e.login(t, e.B).mustGet(t, "/dashboard/settings")); strings.Contains(body, fp) {
		t.Fatal("merchant B sees A's payout key")
	}
}
