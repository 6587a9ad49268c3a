package dashboard

import (
	"net/http"
	"strings"

	"github.com/opaygate/opaygate"
)

// settingsPage is the data of the settings page.
type settingsPage struct {
	Name, WebhookURL string
}

// settings shows the merchant's name, default webhook URL and public key. The private key is
// never shown here: it can only be replaced (rotateKey).
func (d *Dashboard) settings(w http.ResponseWriter, r *http.Request, v *visit) {
	d.render(w, r, http.StatusOK, "settings", v, page{Title: "Settings", Nav: "settings",
		Data: settingsPage{Name: v.m.Name, WebhookURL: v.m.WebhookURL}})
}

// updateSettings changes the merchant's name and default webhook URL.
func (d *Dashboard) updateSettings(w http.ResponseWriter, r *http.Request, v *visit) {
	f := settingsPage{Name: strings.TrimSpace(r.PostFormValue("name")), WebhookURL: strings.TrimSpace(r.PostFormValue("webhook_url"))}
	err := opaygate.CheckText("name", f.Name, opaygate.MaxNameLength, true)
	if err == nil {
		err = opaygate.CheckURL("webhook URL", f.WebhookURL, false)
	}
	if err == nil {
		_, err = d.svc.Merchants.UpdateMerchant(r.Context(), v.m.ID, opaygate.MerchantUpdate{Name: &f.Name, WebhookURL: &f.WebhookURL})
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
			Data:  settingsPage{Name: v.m.Name, WebhookURL: v.m.WebhookURL}})
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
