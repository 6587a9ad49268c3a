package pay

import (
	"context"
	"net/http"

	"github.com/opaygate/opaygate"
)

// The 3-D Secure page (spec 4.2): where a card payment waiting at REDIRECT_3DS is confirmed or
// cancelled by the cardholder. payment/create's nextAction.redirectUrl points here, and so
// does the hosted checkout's card form. In the sandbox it stands in for the issuer's page:
// Confirm asks the acquirer (the amount triggers and the test cards decide), Cancel fails the
// order with 05.
//
// Afterwards a server-to-server payment returns its customer straight to returnUrl, as the
// spec says; a hosted checkout shows its result page first, which links to returnUrl.

// ThreeDSURL is the 3-D Secure page of an order waiting at REDIRECT_3DS: its redirectUrl.
func (p *Pages) ThreeDSURL(token string) string {
	return p.publicURL + "/3ds?orderToken=" + token
}

// threeDSPage asks the cardholder to confirm; an order not waiting for that goes to the
// checkout page, which shows where it is.
func (p *Pages) threeDSPage(w http.ResponseWriter, r *http.Request) {
	c, ok := p.loadCheckout(w, r, r.URL.Query().Get("orderToken"))
	if !ok {
		return
	}
	if c.o.Status != opaygate.StatusPending || c.o.Step != opaygate.Step3DS {
		p.payRedirect(w, r, "/checkout?orderToken="+c.o.Token)
		return
	}
	v := p.checkoutView(c, "3ds.title")
	p.renderPay(w, r, http.StatusOK, "threeds", v)
}

func (p *Pages) threeDSConfirm(w http.ResponseWriter, r *http.Request) {
	p.threeDSStep(w, r, p.orders.Confirm3DS)
}

func (p *Pages) threeDSCancel(w http.ResponseWriter, r *http.Request) {
	p.threeDSStep(w, r, p.orders.Cancel3DS)
}

// threeDSStep confirms or cancels, then redirects. A second click finds the order final
// (EORDERSTATE) and is sent where the first one was: nothing is paid twice.
func (p *Pages) threeDSStep(w http.ResponseWriter, r *http.Request,
	fn func(ctx context.Context, merchantID string, key opaygate.OrderKey) (*opaygate.Order, error)) {
	c, ok := p.formCheckout(w, r)
	if !ok {
		return
	}
	o, err := fn(r.Context(), c.o.MerchantID, c.key())
	switch opaygate.ErrorCode(err) {
	case "":
	case opaygate.EORDERSTATE:
		// Final already (a second click, another tab) or expired just now: read it again.
		if o, err = p.orders.FindOrderByToken(r.Context(), c.o.Token); err != nil {
			o = c.o
		}
	case opaygate.ENOTFOUND:
		p.payNotFound(w, r, c.lang)
		return
	default:
		p.payFailed(w, r, c.lang, err)
		return
	}
	if o.Status.Final() && o.Channel == opaygate.ChannelAPI && o.ReturnURL != "" {
		p.payRedirect(w, r, o.ReturnURL)
		return
	}
	p.payRedirect(w, r, "/checkout?orderToken="+o.Token)
}
