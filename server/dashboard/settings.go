package dashboard

import (
	"net/http"
	"strings"

	"github.com/opaygate/opaygate"
)

// settingsPage is the data of the settings page.
type settingsPage struct {
	Name, WebhookURL string
	CallbackVersion  opaygate.CallbackVersion
	CallbackVersions []opaygate.CallbackVersion
}

func settingsOf(m *opaygate.Merchant) settingsPage {
	return settingsPage{Name: m.Name, WebhookURL: m.WebhookURL, CallbackVersion: m.CallbackVersion.OrDefault(),
		CallbackVersions: opaygate.CallbackVersions()}
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
