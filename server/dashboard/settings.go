package dashboard

import (
	"net/http"
	"strings"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/server/internal/httplog"
)

// settingsPage is the data of the settings page.
type settingsPage struct {
	Name, WebhookURL string
	CallbackVersion  opaygate.CallbackVersion
	CallbackVersions []opaygate.CallbackVersion
	payoutKeyView
}

// payoutKeyView is the payout key's part of the page: the text area and what the stored key
// is. PayoutKey is the merchant's key, or what it typed when that was refused.
type payoutKeyView struct {
	PayoutKey         string
	PayoutFingerprint string // of the stored key; "" when none
	PayoutBits        int
	PayoutError       string // why the typed key was refused
}

func settingsOf(m *opaygate.Merchant) settingsPage {
	p := settingsPage{Name: m.Name, WebhookURL: m.WebhookURL, CallbackVersion: m.CallbackVersion.OrDefault(),
		CallbackVersions: opaygate.CallbackVersions()}
	p.PayoutKey = m.PayoutPublicKey
	if pub, err := opaygate.ParsePayoutKey(m.PayoutPublicKey); err == nil {
		p.PayoutFingerprint, p.PayoutBits = opaygate.PayoutKeyFingerprint(pub), pub.N.BitLen()
	}
	return p
}

// updatePayoutKey replaces the merchant's payout public key (METHODS.md §10.1) with the one
// pasted, under the rules of `opaygate merchant payout-key set`; an empty text area removes
// it, which refuses every payout request until another is set. The change is audited with
// both fingerprints, by the store and in the log.
func (d *Dashboard) updatePayoutKey(w http.ResponseWriter, r *http.Request, v *visit) {
	text := strings.TrimSpace(r.PostFormValue("payout_public_key"))
	key := ""
	var err error
	if text != "" {
		key, err = opaygate.NormalizePayoutKey(text)
	}
	if err != nil {
		f := settingsOf(v.m)
		f.PayoutKey, f.PayoutError = text, opaygate.ErrorMessage(err)
		d.render(w, r, http.StatusUnprocessableEntity, "settings", v, page{Title: "Settings", Nav: "settings",
			Error: "The payout public key was not saved: " + f.PayoutError, Data: f})
		return
	}
	old := settingsOf(v.m).PayoutFingerprint
	m, err := d.svc.Merchants.UpdateMerchant(r.Context(), v.m.ID, opaygate.MerchantUpdate{PayoutPublicKey: &key, By: "dashboard"})
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	d.log.Info("payout public key changed", "merchant_id", m.ID, "request_id", httplog.From(r.Context()).ID,
		"from", old, "to", settingsOf(m).PayoutFingerprint, "by", "dashboard")
	d.redirect(w, r, "/dashboard/settings?ok=saved")
}

// settings shows the merchant's name, default webhook URL, callback version and public key.
// The private key is never shown here: it can only be replaced (rotateKey).
func (d *Dashboard) settings(w http.ResponseWriter, r *http.Request, v *visit) {
	d.render(w, r, http.StatusOK, "settings", v, page{Title: "Settings", Nav: "settings", Data: settingsOf(v.m)})
}

// updateSettings changes the merchant's name, default webhook URL and callback version. A form
// without callback_version (an older page) leaves the version alone; one with it must say v1
// or v2, as `opaygate merchant update --callback-version` must.
func (d *Dashboard) updateSettings(w http.ResponseWriter, r *http.Request, v *visit) {
	f := settingsOf(v.m)
	f.Name, f.WebhookURL = strings.TrimSpace(r.PostFormValue("name")), strings.TrimSpace(r.PostFormValue("webhook_url"))
	upd := opaygate.MerchantUpdate{Name: &f.Name, WebhookURL: &f.WebhookURL}
	err := opaygate.CheckText("name", f.Name, opaygate.MaxNameLength, true)
	if err == nil {
		err = opaygate.CheckURL("webhook URL", f.WebhookURL, false)
	}
	if _, sent := r.PostForm["callback_version"]; sent && err == nil {
		f.CallbackVersion = opaygate.CallbackVersion(r.PostFormValue("callback_version"))
		upd.CallbackVersion = &f.CallbackVersion
		err = f.CallbackVersion.Check()
	}
	if err == nil {
		_, err = d.svc.Merchants.UpdateMerchant(r.Context(), v.m.ID, upd)
	}
	if err != nil {
		status, msg, ok := formError(err)
		if !ok {
			d.fail(w, r, v, err)
			return
		}
		d.render(w, r, status, "settings", v, page{Title: "Settings", Nav: "settings", Error: msg, Data: f})
		return
	}
	d.redirect(w, r, "/dashboard/settings?ok=saved")
}

// newKeyPage is the one page that ever shows a private key: the answer to the rotation.
type newKeyPage struct {
	PrivateKey string
}

// rotateKey replaces the merchant's private key with a fresh one and shows it once, in the
// answer to this POST (no-store, never logged, never redirected to). The old key stops
// authenticating at once. The public key stays: it is embedded in the merchant's checkout
// pages and is no secret.
func (d *Dashboard) rotateKey(w http.ResponseWriter, r *http.Request, v *visit) {
	if r.PostFormValue("confirm") != "yes" {
		d.render(w, r, http.StatusUnprocessableEntity, "settings", v, page{Title: "Settings", Nav: "settings",
			Error: "Tick the box to confirm that the current private key stops working.",
			Data:  settingsOf(v.m)})
		return
	}
	private, _ := opaygate.NewKeyPair()
	m, err := d.svc.Merchants.UpdateMerchant(r.Context(), v.m.ID, opaygate.MerchantUpdate{PrivateKey: &private})
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	v.m = m
	d.render(w, r, http.StatusOK, "key", v, page{Title: "New private key", Nav: "settings", Data: newKeyPage{PrivateKey: private}})
}
