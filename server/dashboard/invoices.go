package dashboard

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// invoicesPage is the data of the invoice listing.
type invoicesPage struct {
	Invoices []*opaygate.Invoice
	Status   string
	Statuses []opaygate.InvoiceStatus
	Pager    pager
}

// invoices lists the merchant's invoices, newest first, optionally of one status.
func (d *Dashboard) invoices(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	data := invoicesPage{Statuses: opaygate.InvoiceStatuses()}
	f := opaygate.InvoiceFilter{MerchantID: v.m.ID, Limit: pageSize}
	if st := opaygate.InvoiceStatus(q.Get("status")); slices.Contains(data.Statuses, st) {
		f.Status, data.Status = st, string(st)
	}
	pageNo := pageNumber(q)
	f.Offset = (pageNo - 1) * pageSize
	list, total, err := d.svc.Invoices.ListInvoices(r.Context(), f)
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	data.Invoices = list
	data.Pager = newPager("/dashboard/invoices", q, pageNo, total)
	d.render(w, r, http.StatusOK, "invoices", v, page{Title: "Invoices", Nav: "invoices", Data: data})
}

// invoiceForm is the new-invoice form, as typed, so a refused form comes back filled in.
type invoiceForm struct {
	Name, Description, Country, Due     string
	CustomerName, Mobile, Email, Notify string
	Lang, Amount, FeeRate, FixedFee     string
	Lines                               []invoiceLine
	Countries, NotifyMethods, Languages []string
	MinDue                              string
}

// invoiceLine is one catalog product with the quantity picked (0: not on the invoice).
type invoiceLine struct {
	Product  *opaygate.Product
	Quantity string
}

func (d *Dashboard) newInvoicePage(w http.ResponseWriter, r *http.Request, v *visit) {
	now := d.svc.Clock.Now()
	f := invoiceForm{Country: firstOr(v.m.Countries, ""), Notify: opay.NotifyBoth, Lang: opay.LangEN,
		Due: date(now.AddDate(0, 0, 7))}
	d.showInvoiceForm(w, r, v, http.StatusOK, "", f)
}

func (d *Dashboard) showInvoiceForm(w http.ResponseWriter, r *http.Request, v *visit, status int, problem string, f invoiceForm) {
	products, err := d.svc.Products.ListProducts(r.Context(), v.m.ID)
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	picked := make(map[string]string, len(f.Lines))
	for _, l := range f.Lines {
		picked[l.Product.MerchantProductNo] = l.Quantity
	}
	f.Lines = f.Lines[:0]
	for _, p := range products {
		f.Lines = append(f.Lines, invoiceLine{Product: p, Quantity: picked[p.MerchantProductNo]})
	}
	f.Countries = v.m.Countries
	f.NotifyMethods = []string{opay.NotifyBoth, opay.NotifyEmail, opay.NotifySMS}
	f.Languages = []string{opay.LangEN, opay.LangAR}
	f.MinDue = date(d.svc.Clock.Now().AddDate(0, 0, 1))
	d.render(w, r, status, "invoice_new", v, page{Title: "New invoice", Nav: "invoices", Error: problem, Data: f})
}

// createInvoice issues an invoice through the same validation as createSingleInvoice: the
// form is turned into that request. Picking products makes it a relationProduct invoice whose
// amount is the products' total; with none picked the free amount is the invoice's.
func (d *Dashboard) createInvoice(w http.ResponseWriter, r *http.Request, v *visit) {
	pf := r.PostForm
	f := invoiceForm{
		Name: strings.TrimSpace(pf.Get("name")), Description: strings.TrimSpace(pf.Get("description")),
		Country: pf.Get("country"), Due: pf.Get("due"), CustomerName: strings.TrimSpace(pf.Get("customer_name")),
		Mobile: strings.TrimSpace(pf.Get("customer_mobile")), Email: strings.TrimSpace(pf.Get("customer_email")),
		Notify: pf.Get("notify"), Lang: pf.Get("lang"), Amount: pf.Get("amount"),
		FeeRate: strings.TrimSpace(pf.Get("fee_rate")), FixedFee: pf.Get("fixed_fee"),
	}
	nos, qtys := pf["product"], pf["quantity"]
	for i, no := range nos {
		q := ""
		if i < len(qtys) {
			q = strings.TrimSpace(qtys[i])
		}
		f.Lines = append(f.Lines, invoiceLine{Product: &opaygate.Product{MerchantProductNo: no}, Quantity: q})
	}
	inv, items, fee, err := d.invoiceRequest(v, f)
	if err == nil {
		err = v.m.Check(opaygate.FuncInvoice, inv.Country)
	}
	if err == nil {
		inv.MerchantID = v.m.ID
		err = d.svc.Invoices.CreateInvoice(r.Context(), inv, items, fee)
	}
	if err != nil {
		status, msg, ok := formError(err)
		if !ok {
			d.fail(w, r, v, err)
			return
		}
		d.showInvoiceForm(w, r, v, status, msg, f)
		return
	}
	d.redirect(w, r, "/dashboard/invoices/"+inv.InvoiceNo+"?ok=created")
}

// invoiceRequest turns the form into createSingleInvoice's request and validates it as the
// API does.
func (d *Dashboard) invoiceRequest(v *visit, f invoiceForm) (*opaygate.Invoice, []opaygate.InvoiceItem, opaygate.ServiceFee, error) {
	var none opaygate.ServiceFee
	currency := opaygate.CurrencyOf(f.Country)
	req := opay.CreateInvoiceRequest{
		Country: f.Country, Name: f.Name, Description: f.Description, Lang: f.Lang, NotifyMethod: f.Notify,
		Customer: opay.InvoiceCustomer{CustomerName: f.CustomerName, CustomerMobile: f.Mobile, CustomerEmail: f.Email},
	}
	due, err := parseDate("due date", f.Due)
	if err != nil {
		return nil, nil, none, err
	}
	// Due at the end of the chosen day (UTC), so "today" is still payable today.
	req.DueTime = opay.Int64String(due.Add(24*time.Hour - time.Second).Unix())
	for _, l := range f.Lines {
		if l.Quantity == "" {
			continue
		}
		n, err := strconv.ParseInt(l.Quantity, 10, 64)
		if err != nil || n < 0 {
			return nil, nil, none, errForm("the quantity of %s must be a whole number", l.Product.MerchantProductNo)
		} else if n == 0 {
			continue
		}
		req.ProductList = append(req.ProductList, opay.InvoiceItem{MerchantProductNo: l.Product.MerchantProductNo,
			Quantity: opay.Int64String(n)})
	}
	req.RelationProduct = len(req.ProductList) > 0
	if !req.RelationProduct {
		if strings.TrimSpace(f.Amount) == "" {
			return nil, nil, none, errForm("pick at least one product, or give an amount")
		}
		total, err := parseMoney("amount", f.Amount)
		if err != nil {
			return nil, nil, none, err
		}
		req.Amount = opay.Amount{Total: total, Currency: currency}
	}
	if f.FeeRate != "" || strings.TrimSpace(f.FixedFee) != "" {
		sf := &opay.ServiceFee{Currency: currency, FeeRate: opay.Decimal(f.FeeRate)}
		if strings.TrimSpace(f.FixedFee) != "" {
			fixed, err := parseMoney("fixed fee", f.FixedFee)
			if err != nil {
				return nil, nil, none, err
			}
			sf.FixedFee = opay.Int64String(fixed)
		}
		req.ServiceFee = sf
	}
	return d.svc.ValidateInvoice(req)
}

// invoicePage is the data of one invoice's page.
type invoicePage struct {
	Invoice   *opaygate.Invoice
	Link      string
	CanCancel bool
}

func (d *Dashboard) invoice(w http.ResponseWriter, r *http.Request, v *visit) {
	d.showInvoice(w, r, v, http.StatusOK, "")
}

func (d *Dashboard) showInvoice(w http.ResponseWriter, r *http.Request, v *visit, status int, problem string) {
	no := r.PathValue("invoiceNo")
	if !opaygate.Digits(no) || len(no) > 32 {
		d.notFound(w, r, v)
		return
	}
	inv, err := d.svc.Invoices.FindInvoice(r.Context(), v.m.ID, no)
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	data := invoicePage{Invoice: inv, Link: d.svc.InvoiceLink(inv.Token), CanCancel: inv.Status == opaygate.InvoiceUnpaid}
	d.render(w, r, status, "invoice", v, page{Title: "Invoice " + inv.InvoiceNo, Nav: "invoices", Error: problem, Data: data})
}

// cancelInvoice cancels an Unpaid invoice; a Paid or Expired one says why it cannot be.
func (d *Dashboard) cancelInvoice(w http.ResponseWriter, r *http.Request, v *visit) {
	no := r.PathValue("invoiceNo")
	if !opaygate.Digits(no) || len(no) > 32 {
		d.notFound(w, r, v)
		return
	}
	if _, err := d.svc.Invoices.CancelInvoice(r.Context(), v.m.ID, no); err != nil {
		status, msg, ok := formError(err)
		if !ok {
			d.fail(w, r, v, err)
			return
		}
		d.showInvoice(w, r, v, status, msg)
		return
	}
	d.redirect(w, r, "/dashboard/invoices/"+no+"?ok=cancelled")
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}
