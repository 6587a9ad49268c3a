package pay

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"rsc.io/qr"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/server/internal/httplog"
)

// The waiting page: an order that waits for its customer's step outside the API — a QR code to
// scan, a request to approve in a wallet, a USSD code to dial — shows what to do, and re-reads
// itself every 5 seconds with a meta refresh (no JavaScript needed) until the order is final,
// when the checkout shows the result instead. What to do is the method's (method.Waiter and
// its template "waiting-<Name>"); the summary, the countdown, the re-reading, the QR image and
// the sandbox's simulator link are this page's, so a new method needs nothing here.
//
// An order the acquirer is deciding (in flight) shows the same page without a method part:
// it is final within moments, and the page must not offer to pay it again meanwhile.

// qrScale is how many image pixels one module of a QR code takes. At 8 a code carrying a
// simulator URL (about 50 modules with its quiet zone) is a ~400 px PNG: sharp when the page
// shows it at 240 CSS pixels on a 2x screen, and a few kilobytes.
const qrScale = 8

// waitingPage reports whether the checkout shows o's waiting page.
func waitingPage(o *opaygate.Order) bool {
	if o.Status.Final() {
		return false
	}
	return o.Step == opaygate.StepExternal || o.Step == opaygate.StepAuthorizing
}

// waiting asks o's method what its customer must do, if it says.
func (p *Pages) waiting(o *opaygate.Order) (method.Waiting, bool) {
	if o.Status != opaygate.StatusPending || o.Step != opaygate.StepExternal {
		return method.Waiting{}, false
	}
	m, ok := p.methods.Lookup(o.PayMethod)
	if !ok {
		return method.Waiting{}, false
	}
	w, ok := m.(method.Waiter)
	if !ok {
		return method.Waiting{}, false
	}
	return w.Waiting(o, p.Links()), true
}

// waitingStep fills in the waiting page of o: the method's part, its QR image and, in the
// sandbox, the simulator link.
func (p *Pages) waitingStep(v *payView, o *opaygate.Order) error {
	v.Refresh = true
	if o.Step != opaygate.StepExternal {
		return nil
	}
	if v.Sandbox {
		v.Order.Simulate = "simulate?orderToken=" + o.Token
	}
	w, ok := p.waiting(o)
	if !ok {
		return nil
	}
	v.Waiting = &w
	if w.QRCode != "" {
		v.Order.QRImage = "checkout/qr?orderToken=" + o.Token
	}
	var b strings.Builder
	if err := p.sections.ExecuteTemplate(&b, "waiting-"+o.PayMethod, v); err != nil {
		return fmt.Errorf("waiting step of %s: %w", o.PayMethod, err)
	}
	// html/template escaped it as it wrote it.
	v.Order.Waiting = template.HTML(b.String())
	return nil
}

// checkoutQR answers the QR code of an order's waiting step as a PNG, drawn here so that the
// page needs no other site (the CSP allows images from this host only) and the payload, which
// names the order, goes to nobody else. An order with no code to show is a 404 page.
func (p *Pages) checkoutQR(w http.ResponseWriter, r *http.Request) {
	c, ok := p.loadCheckout(w, r, r.URL.Query().Get("orderToken"))
	if !ok {
		return
	}
	wt, ok := p.waiting(c.o)
	if !ok || wt.QRCode == "" {
		p.payNotFound(w, r, c.lang)
		return
	}
	code, err := qr.Encode(wt.QRCode, qr.M)
	if err != nil {
		p.payFailed(w, r, c.lang, fmt.Errorf("qr code of %s: %w", c.o.OrderNo, err))
		return
	}
	code.Scale = qrScale
	png := code.PNG()
	// The pages' headers (no caching: the code goes with a waiting order; no framing; no
	// referrer), with the image's own type.
	p.site.Headers(w)
	w.Header().Set("Content-Type", "image/png")
	httplog.Record(r, http.StatusOK)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(png)
	}
}
