package pay

import (
	"net/http"
	"strings"

	"github.com/opaygate/opaygate"
)

// The invoice page (invoiceLink, spec 4.4): GET /?vid=… — OPay's form of the link, the
// public URL then ?vid= — shows the invoice in its language (the older /pay?vid=… links keep
// working)
// (lang AR renders in Arabic, right to left); its Pay button posts to /pay, which finds or
// creates the order that pays it (InvoiceService.PayInvoice) and sends the customer to that
// order's checkout page. The checkout's result page links back here, where the invoice then
// shows Paid.

// InvoiceLink is an invoice's link in OPay's form: the public URL, then ?vid= and the token
// ("https://cashier.opaycheckout.com?vid=8d0a…" on OPay's page).
func (p *Pages) InvoiceLink(token string) string { return p.publicURL + "?vid=" + token }

// root serves GET /: the invoice page when the URL is an invoice link, else the API's 404.
func (p *Pages) root(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Has("vid") {
		p.invoicePage(w, r)
		return
	}
	p.notFound(w, r)
}

// invoiceView is an invoice as its page shows it.
type invoiceView struct {
	Vid         string
	InvoiceNo   string
	Name        string
	Description string
	Customer    string
	Status      string // Unpaid, Paid, Cancelled, Expired
	StatusClass string
	Due         string
	Lines       []invoicePageLine
	Subtotal    string
	Fee         string
	HasFee      bool
	Total       string
	Payable     bool
}

// invoicePageLine is one product of an invoice.
type invoicePageLine struct {
	Name        string
	Description string
	Quantity    int64
	Price       string
	Total       string
}

// loadInvoice finds the invoice of a link, or answers the request itself.
func (p *Pages) loadInvoice(w http.ResponseWriter, r *http.Request, vid string) (*opaygate.Invoice, bool) {
	if !validToken(vid) {
		p.payNotFound(w, r, "")
		return nil, false
	}
	inv, err := p.invoices.FindInvoiceByToken(r.Context(), vid)
	if opaygate.ErrorCode(err) == opaygate.ENOTFOUND {
		p.payNotFound(w, r, "")
		return nil, false
	} else if err != nil {
		p.payFailed(w, r, "", err)
		return nil, false
	}
	return inv, true
}

func (p *Pages) invoicePage(w http.ResponseWriter, r *http.Request) {
	inv, ok := p.loadInvoice(w, r, r.URL.Query().Get("vid"))
	if !ok {
		return
	}
	merchant, err := p.merchantName(r, inv.MerchantID)
	if err != nil {
		p.payFailed(w, r, inv.Lang, err)
		return
	}
	v := p.newPayView(inv.Lang, "invoice.title")
	v.Merchant = merchant
	iv := &invoiceView{
		Vid: inv.Token, InvoiceNo: inv.InvoiceNo, Name: inv.Name, Description: inv.Description,
		Customer: inv.Customer.Name, Status: string(inv.Status), StatusClass: strings.ToLower(string(inv.Status)),
		Due: formatTime(inv.DueTime), Subtotal: formatAmount(inv.Amount, inv.Currency),
		Fee: formatAmount(inv.ServiceFee, inv.Currency), HasFee: inv.ServiceFee != 0,
		Total:   formatAmount(inv.Amount+inv.ServiceFee, inv.Currency),
		Payable: inv.Status == opaygate.InvoiceUnpaid,
	}
	for _, line := range inv.Products {
		iv.Lines = append(iv.Lines, invoicePageLine{Name: line.Name, Description: line.Description, Quantity: line.Quantity,
			Price: formatAmount(line.Price, line.Currency), Total: formatAmount(line.Price*line.Quantity, line.Currency)})
	}
	v.Invoice = iv
	if inv.Name != "" {
		v.Title = inv.Name
	}
	p.renderPay(w, r, http.StatusOK, "invoice", v)
}

// invoicePay starts (or resumes) paying the invoice. An invoice that is no longer Unpaid
// comes back to its page, which says why.
func (p *Pages) invoicePay(w http.ResponseWriter, r *http.Request) {
	if err := parsePayForm(w, r); err != nil {
		p.payNotFound(w, r, "")
		return
	}
	inv, ok := p.loadInvoice(w, r, r.PostForm.Get("vid"))
	if !ok {
		return
	}
	page := p.InvoiceLink(inv.Token)
	if inv.Status != opaygate.InvoiceUnpaid {
		p.payRedirect(w, r, page)
		return
	}
	o, err := p.invoices.PayInvoice(r.Context(), inv.ID, page)
	switch opaygate.ErrorCode(err) {
	case "":
		p.payRedirect(w, r, "/checkout?orderToken="+o.Token)
	case opaygate.EINVOICESTATE:
		p.payRedirect(w, r, page)
	default:
		p.payFailed(w, r, inv.Lang, err)
	}
}
