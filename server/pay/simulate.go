package pay

import (
	"context"
	"net/http"
	"net/url"

	"github.com/opaygate/opaygate"
)

// The simulator page (METHODS.md §8.13), sandbox only: GET /simulate?orderToken=… is a mock
// wallet, bank or kiosk screen for an order waiting for its customer's step outside the API.
// It shows the method, the merchant, the amount and what the customer pays with, and three
// buttons — Approve, Decline with a code, Let it expire — that do what the payment network
// would report, through the same OrderService moves as /_sandbox/orders/pay, decline and
// expire, then send the tester to the order's checkout page, which shows the result. QR codes,
// "Open OPay app" buttons and the waiting page link here, so a tester can pay from a phone.
//
// Its forms carry the order's token as the checkout's do, and for the same reasons need no
// CSRF token (docs/PAGES.md): whoever holds the token could pay the order anyway. A live
// gateway has no such page: 404, as for an unknown token.

// declineCodes are the codes the simulator's Decline offers: the acquirer's test table.
var declineCodes = []string{"05", "13", "51", "54", "57", "62"}

// declineView is one decline code as the simulator's select shows it.
type declineView struct {
	Code   string
	Reason string // translated
}

// SimulateURL is the simulator page of an order (absolute: a QR code carries it to a phone).
func (p *Pages) SimulateURL(token string) string {
	return p.publicURL + "/simulate?orderToken=" + token
}

// simulatePage shows the mock screen; an order that no longer waits for its customer's step
// goes to its checkout page, which shows where it is.
func (p *Pages) simulatePage(w http.ResponseWriter, r *http.Request) {
	if !p.sandboxPages() {
		p.payNotFound(w, r, "")
		return
	}
	q := r.URL.Query()
	c, ok := p.loadCheckout(w, r, q.Get("orderToken"))
	if !ok {
		return
	}
	o := c.o
	if o.Status != opaygate.StatusPending || o.Step != opaygate.StepExternal {
		p.payRedirect(w, r, "/checkout?orderToken="+o.Token)
		return
	}
	v := p.checkoutView(c, "simulate.title")
	if wt, ok := p.waiting(o); ok {
		v.Waiting = &wt
	}
	// The method's name in the page's words; a method the checkout does not offer (an API
	// one such as OpayWalletNgQR) has no words here and shows its payMethod.
	v.Order.MethodTitle = o.PayMethod
	if m, ok := p.methods.Lookup(o.PayMethod); ok {
		if t, ok := p.text[v.Lang][m.Slug()+".title"]; ok {
			v.Order.MethodTitle = t
		}
	}
	for _, code := range declineCodes {
		d, _ := opaygate.DeclineFor(code)
		reason := d.Reason
		if k, ok := reasonKeys[reason]; ok {
			reason = v.T(k)
		}
		v.Codes = append(v.Codes, declineView{Code: code, Reason: reason})
	}
	if q.Get("error") == "decline_code" {
		v.Error = v.T("error.decline_code")
	}
	p.renderPay(w, r, http.StatusOK, "simulate", v)
}

func (p *Pages) simulateApprove(w http.ResponseWriter, r *http.Request) {
	p.simulateStep(w, r, func(ctx context.Context, c *checkout, _ url.Values) (string, error) {
		_, err := p.orders.ReportExternal(ctx, c.o.MerchantID, c.key(), opaygate.Decision{Approved: true})
		return "", err
	})
}

func (p *Pages) simulateDecline(w http.ResponseWriter, r *http.Request) {
	p.simulateStep(w, r, func(ctx context.Context, c *checkout, f url.Values) (string, error) {
		d, ok := opaygate.DeclineFor(f.Get("failureCode"))
		if !ok {
			// Only a hand-made form gets here: the select offers the valid codes.
			return "/simulate?orderToken=" + c.o.Token + "&error=decline_code", nil
		}
		_, err := p.orders.ReportExternal(ctx, c.o.MerchantID, c.key(), d)
		return "", err
	})
}

func (p *Pages) simulateExpire(w http.ResponseWriter, r *http.Request) {
	p.simulateStep(w, r, func(ctx context.Context, c *checkout, _ url.Values) (string, error) {
		_, err := p.orders.ExpireNow(ctx, c.o.MerchantID, c.key())
		return "", err
	})
}

// simulateStep runs one of the simulator's buttons, in the sandbox only, and sends the tester
// to the order's checkout page — also when the order had moved on already (another tab, the
// clock, the merchant closing it): that page shows how it ended.
func (p *Pages) simulateStep(w http.ResponseWriter, r *http.Request, fn step) {
	if !p.sandboxPages() {
		p.payNotFound(w, r, "")
		return
	}
	p.checkoutStep(w, r, "", fn)
}
