package server

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

// invoiceLink is an invoice's link in OPay's form: the public URL, then ?vid= and the token
// ("https://cashier.opaycheckout.com?vid=8d0a…" on OPay's page).
func (s *Server) invoiceLink(token string) string { return s.cfg.PublicURL + "?vid=" + token }

// root serves GET /: the invoice page when the URL is an invoice link, else the API's 404.
func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Has("vid") {
		s.invoicePage(w, r)
		return
	}
	s.notFound(w, r)
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
func (s *Server) loadInvoice(w http.ResponseWriter, r *http.Request, vid string) (*opaygate.Invoice, bool) {
	if !validToken(vid) {
		s.payNotFound(w, r, "")
		return nil, false
	}
	inv, err := s.svc.Invoices.FindInvoiceByToken(r.Context(), vid)
	if opaygate.ErrorCode(err) == opaygate.ENOTFOUND {
		s.payNotFound(w, r, "")
		return nil, false
	} else if err != nil {
		s.payFailed(w, r, "", err)
		return nil, false
	}
	return inv, true
}

func (s *Server) invoicePage(w http.ResponseWriter, r *http.Request) {
	inv, ok := s.loadInvoice(w, r, r.URL.Query().Get("vid"))
	if !ok {
		return
	}
	merchant, err := s.merchantName(r, inv.MerchantID)
	if err != nil {
		s.payFailed(w, r, inv.Lang, err)
		return
	}
	v := s.newPayView(inv.Lang, "invoice.title")
	v.Merchant = merchant
	iv := &invoiceView{
		Vid: inv.Token, InvoiceNo: inv.InvoiceNo, Name: inv.Name, Description: inv.Description,
		Customer: inv.Customer.Name, Status: string(inv.Status), StatusClass: strings.ToLower(string(inv.Status)),
		Due: formatTime(inv.DueTime), Subtotal: formatAmount(inv.Amount, inv.Currency),
		Fee: formatAmount(inv.ServiceFee, inv.Currency), HasFee: inv.ServiceFee != 0,
		Total:   formatAmount(inv.Amount+inv.ServiceFee, inv.Currency),
		Payable: inv.Status == opaygate.InvoiceUnpaid,
	}
	for _, p := range inv.Products {
		iv.Lines = append(iv.Lines, invoicePageLine{Name: p.Name, Description: p.Description, Quantity: p.Quantity,
			Price: formatAmount(p.Price, p.Currency), Total: formatAmount(p.Price*p.Quantity, p.Currency)})
	}
	v.Invoice = iv
	if inv.Name != "" {
		v.Title = inv.Name
	}
	s.renderPay(w, r, http.StatusOK, "invoice", v)
}

// invoicePay starts (or resumes) paying the invoice. An invoice that is no longer Unpaid
// comes back to its page, which says why.
func (s *Server) invoicePay(w http.ResponseWriter, r *http.Request) {
	if err := parsePayForm(w, r); err != nil {
		s.payNotFound(w, r, "")
		return
	}
	inv, ok := s.loadInvoice(w, r, r.PostForm.Get("vid"))
	if !ok {
		return
	}
	page := s.invoiceLink(inv.Token)
	if inv.Status != opaygate.InvoiceUnpaid {
		s.payRedirect(w, r, page)
		return
	}
	o, err := s.svc.Invoices.PayInvoice(r.Context(), inv.ID, page)
	switch opaygate.ErrorCode(err) {
	case "":
		s.payRedirect(w, r, "/checkout?orderToken="+o.Token)
	case opaygate.EINVOICESTATE:
		s.payRedirect(w, r, page)
	default:
		s.payFailed(w, r, inv.Lang, err)
	}
}
