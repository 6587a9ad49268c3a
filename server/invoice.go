package server

import (
	"context"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// Limits of an invoice's products.
const (
	maxProducts = 100
	maxQuantity = 1_000_000
	// maxEpoch is 9999-12-31T23:59:59Z: later "seconds" are milliseconds sent by mistake.
	maxEpoch = 253402300799
)

// createInvoice issues an e-invoice (spec 4.4). The catalog lookup of the products and the
// amount they add up to are the service's: this handler checks the request's own shape.
func (s *Server) createInvoice(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.CreateInvoiceRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	inv, items, fee, err := s.newInvoice(req)
	if err != nil {
		return nil, err
	}
	if err := m.Check(opaygate.FuncInvoice, inv.Country); err != nil {
		return nil, err
	}
	inv.MerchantID = m.ID
	if err := s.svc.Invoices.CreateInvoice(ctx, inv, items, fee); err != nil {
		return nil, err
	}
	return s.invoiceData(inv), nil
}

// invoiceDetails reports an invoice; reads show an Unpaid invoice past its due date as Expired.
func (s *Server) invoiceDetails(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	no, err := invoiceNo(body)
	if err != nil {
		return nil, err
	}
	if err := m.Check(opaygate.FuncInvoice, ""); err != nil {
		return nil, err
	}
	inv, err := s.svc.Invoices.FindInvoice(ctx, m.ID, no)
	if err != nil {
		return nil, err
	}
	return s.invoiceData(inv), nil
}

// cancelInvoice answers the JSON string "true", as OPay documents it; a Paid or Expired invoice
// answers 02014 with "false" (see the error table).
func (s *Server) cancelInvoice(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	no, err := invoiceNo(body)
	if err != nil {
		return nil, err
	}
	if err := m.Check(opaygate.FuncInvoice, ""); err != nil {
		return nil, err
	}
	if _, err := s.svc.Invoices.CancelInvoice(ctx, m.ID, no); err != nil {
		return nil, err
	}
	return "true", nil
}

// invoiceStatistics counts the merchant's invoices created in a range of epoch seconds.
func (s *Server) invoiceStatistics(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.InvoiceStatisticsRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	start, end := int64(req.StartCreateTime), int64(req.EndCreateTime)
	for _, f := range []struct {
		field string
		v     int64
	}{{"startCreateTime", start}, {"endCreateTime", end}} {
		switch {
		case f.v == 0:
			return nil, invalid("%s is required", f.field)
		case f.v < 0 || f.v > maxEpoch:
			return nil, invalid("%s must be a timestamp in epoch seconds", f.field)
		}
	}
	switch {
	case start > end:
		return nil, invalid("startCreateTime must not be after endCreateTime")
	case end-start > 366*24*3600:
		return nil, invalid("the range from startCreateTime to endCreateTime must not exceed 366 days")
	}
	if err := m.Check(opaygate.FuncInvoice, ""); err != nil {
		return nil, err
	}
	// Both bounds are whole seconds and inclusive: the end second counts to its last instant,
	// so an invoice created at 12:00:00.5 is within endCreateTime 12:00:00.
	from, to := time.Unix(start, 0).UTC(), time.Unix(end, 0).UTC().Add(time.Second-time.Nanosecond)
	lines, err := s.svc.Invoices.InvoiceStats(ctx, m.ID, from, to)
	if err != nil {
		return nil, err
	}
	return statistics(lines, m.Currency()), nil
}

// newInvoice validates createSingleInvoice's request and turns it into the domain's terms.
func (s *Server) newInvoice(req opay.CreateInvoiceRequest) (*opaygate.Invoice, []opaygate.InvoiceItem, opaygate.ServiceFee, error) {
	var fee opaygate.ServiceFee
	currency, err := country("country", req.Country)
	if err != nil {
		return nil, nil, fee, err
	}
	if err := opaygate.CheckText("name", req.Name, opaygate.MaxNameLength, true); err != nil {
		return nil, nil, fee, err
	}
	if err := opaygate.CheckTextLines("description", req.Description, opaygate.MaxTextLength, false, true); err != nil {
		return nil, nil, fee, err
	}
	lang := req.Lang
	switch lang {
	case "":
		lang = opay.LangEN
	case opay.LangEN, opay.LangAR:
	default:
		return nil, nil, fee, invalid("lang must be EN or AR")
	}
	notify := req.NotifyMethod
	switch notify {
	case "":
		notify = opay.NotifyBoth
	case opay.NotifyBoth, opay.NotifyEmail, opay.NotifySMS:
	default:
		return nil, nil, fee, invalid("notifyMethod must be BOTH, EMAIL or SMS")
	}
	if err := customer(req.Customer, req.Country, notify); err != nil {
		return nil, nil, fee, err
	}
	due, err := dueTime(int64(req.DueTime), s.svc.Clock.Now())
	if err != nil {
		return nil, nil, fee, err
	}
	items, err := invoiceItems(req.ProductList, req.RelationProduct)
	if err != nil {
		return nil, nil, fee, err
	}
	if err := invoiceAmount(req.Amount, currency, req.RelationProduct); err != nil {
		return nil, nil, fee, err
	}
	if req.ServiceFee != nil {
		if fee, err = serviceFee(*req.ServiceFee, currency); err != nil {
			return nil, nil, fee, err
		}
	}
	inv := &opaygate.Invoice{
		Name:            req.Name,
		Description:     req.Description,
		DueTime:         due,
		Country:         req.Country,
		Currency:        currency,
		Amount:          req.Amount.Total,
		Lang:            lang,
		NotifyMethod:    notify,
		RelationProduct: req.RelationProduct,
		Customer: opaygate.Customer{
			Name:   req.Customer.CustomerName,
			Mobile: req.Customer.CustomerMobile,
			Email:  req.Customer.CustomerEmail,
		},
	}
	return inv, items, fee, nil
}

// customer validates the payer. The name is required; SMS needs a mobile number, EMAIL an
// address, BOTH at least one of them (the invoice is sent through whichever is given).
func customer(c opay.InvoiceCustomer, country, notify string) error {
	if err := opaygate.CheckText("customer.customerName", c.CustomerName, opaygate.MaxNameLength, true); err != nil {
		return err
	}
	switch {
	case notify == opay.NotifySMS && c.CustomerMobile == "":
		return invalid("customer.customerMobile is required")
	case notify == opay.NotifyEmail && c.CustomerEmail == "":
		return invalid("customer.customerEmail is required")
	case c.CustomerMobile == "" && c.CustomerEmail == "":
		return invalid("customer.customerMobile or customer.customerEmail is required")
	}
	if c.CustomerMobile != "" {
		if err := mobile(c.CustomerMobile, country); err != nil {
			return err
		}
	}
	if c.CustomerEmail != "" {
		if err := opaygate.CheckText("customer.customerEmail", c.CustomerEmail, opaygate.MaxNameLength, false); err != nil {
			return err
		}
		a, err := mail.ParseAddress(c.CustomerEmail)
		if err != nil || a.Address != c.CustomerEmail {
			return invalid("customer.customerEmail must be an email address")
		}
	}
	return nil
}

// mobileFormats are the accepted customer mobile numbers: E.164 with the invoice country's
// code, then the 10-digit national mobile number without its trunk 0 (Egypt: 1 then 9
// digits, e.g. +201088889999; Nigeria: 7, 8 or 9 then 9 digits, e.g. +2348031234567).
var mobileFormats = map[string]struct {
	prefix  string
	leading string // allowed first national digits
	example string
}{
	"EG": {prefix: "+20", leading: "1", example: "+201088889999"},
	"NG": {prefix: "+234", leading: "789", example: "+2348031234567"},
}

// mobile validates a customer mobile number with OPay's two documented messages.
func mobile(s, country string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c == '+' && i == 0) {
			return invalid("Invalid characters in mobile number.")
		}
	}
	f := mobileFormats[country]
	national, ok := strings.CutPrefix(s, f.prefix)
	if !ok || len(national) != 10 || !strings.ContainsRune(f.leading, rune(national[0])) {
		return invalid("Mobile number format should be like this %s", f.example)
	}
	return nil
}

// dueTime validates a due date in epoch seconds, which must be in the future.
func dueTime(sec int64, now time.Time) (time.Time, error) {
	switch {
	case sec == 0:
		return time.Time{}, invalid("dueTime is required")
	case sec < 0 || sec > maxEpoch:
		return time.Time{}, invalid("dueTime must be a timestamp in epoch seconds")
	}
	due := time.Unix(sec, 0).UTC()
	if !due.After(now) {
		return time.Time{}, invalid("dueTime must be in the future")
	}
	return due, nil
}

// invoiceItems validates productList: each product once, positive quantities.
func invoiceItems(list []opay.InvoiceItem, relation bool) ([]opaygate.InvoiceItem, error) {
	if relation && len(list) == 0 {
		return nil, invalid("Products is required.")
	}
	if len(list) > maxProducts {
		return nil, invalid("productList must have at most %d products", maxProducts)
	}
	items := make([]opaygate.InvoiceItem, 0, len(list))
	seen := make(map[string]bool, len(list))
	for _, it := range list {
		if err := opaygate.CheckText("productList.merchantProductNo", it.MerchantProductNo, opaygate.MaxNameLength, true); err != nil {
			return nil, err
		}
		if it.Quantity <= 0 || it.Quantity > maxQuantity {
			return nil, invalid("productList.quantity must be a positive integer of at most %d", maxQuantity)
		}
		if seen[it.MerchantProductNo] {
			return nil, invalid("Please merge the same products.")
		}
		seen[it.MerchantProductNo] = true
		items = append(items, opaygate.InvoiceItem{MerchantProductNo: it.MerchantProductNo, Quantity: int64(it.Quantity)})
	}
	return items, nil
}

// invoiceAmount validates the amount: required unless the products define it, in which case a
// given amount must still be well-formed (the service checks it equals their sum).
func invoiceAmount(a opay.Amount, currency string, relation bool) error {
	switch {
	case a.Total == 0 && relation:
		if a.Currency != "" {
			return amountCurrency("amount", a.Currency, currency)
		}
		return nil
	case a.Total == 0:
		return invalid("Invoice amount can not be 0")
	}
	return amount("amount", a, currency)
}

// serviceFee validates the fee and converts feeRate (percent, at most two decimals) to basis
// points without floats.
func serviceFee(f opay.ServiceFee, currency string) (opaygate.ServiceFee, error) {
	var fee opaygate.ServiceFee
	if f.Currency != "" {
		if err := amountCurrency("serviceFee", f.Currency, currency); err != nil {
			return fee, err
		}
	}
	bp, ok := basisPoints(string(f.FeeRate))
	if !ok {
		return fee, invalid("serviceFee.feeRate must be a percentage from 0 to 100 with at most 2 decimals")
	}
	if f.FixedFee < 0 || int64(f.FixedFee) > opaygate.MaxAmount {
		return fee, invalid("serviceFee.fixedFee must be a non-negative integer of at most 10^13")
	}
	return opaygate.ServiceFee{RateBP: bp, FixedFee: int64(f.FixedFee)}, nil
}

// basisPoints parses a percentage from 0 to 100 with at most two decimals ("2.5" → 250). An
// empty rate is 0. Trailing zeros beyond two decimals carry no precision and are accepted.
func basisPoints(s string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	whole, frac, dot := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	if !opaygate.Digits(whole) || len(frac) > 2 || (frac != "" && !opaygate.Digits(frac)) || (dot && len(whole) == 0) {
		return 0, false
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 3 {
		return 0, false
	}
	var bp int64
	for _, c := range whole {
		bp = bp*10 + int64(c-'0')
	}
	bp *= 100
	frac += strings.Repeat("0", 2-len(frac))
	bp += int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	return bp, bp <= 10000
}

// invoiceNo decodes the request of getInvoiceDetails and cancelInvoice.
func invoiceNo(body []byte) (string, error) {
	var req opay.InvoiceNoRequest
	if err := decode(body, &req); err != nil {
		return "", err
	}
	switch {
	case req.InvoiceNo == "":
		return "", invalid("invoiceNo is required")
	case len(req.InvoiceNo) > 32 || !opaygate.Digits(req.InvoiceNo):
		return "", invalid("invoiceNo must be a string of at most 32 digits")
	}
	return req.InvoiceNo, nil
}

// invoiceData is an invoice as the wire shows it.
func (s *Server) invoiceData(inv *opaygate.Invoice) opay.InvoiceData {
	products := make([]opay.InvoiceProduct, len(inv.Products))
	for i, p := range inv.Products {
		currency := p.Currency
		if currency == "" {
			currency = inv.Currency
		}
		products[i] = opay.InvoiceProduct{
			ProductNo:         p.ProductNo,
			MerchantProductNo: p.MerchantProductNo,
			Name:              p.Name,
			Image:             p.Image,
			Description:       p.Description,
			Price:             opay.Amount{Total: p.Price, Currency: currency},
			Quantity:          p.Quantity,
		}
	}
	return opay.InvoiceData{
		InvoiceNo:       inv.InvoiceNo,
		Status:          string(inv.Status),
		InvoiceLink:     s.pay.InvoiceLink(inv.Token),
		InvoiceName:     inv.Name,
		Description:     inv.Description,
		DueDate:         inv.DueTime.Unix(),
		Amount:          opay.Amount{Total: inv.Amount, Currency: inv.Currency},
		Products:        products,
		Customer:        opay.InvoiceCustomerData{Name: inv.Customer.Name, Mobile: inv.Customer.Mobile, Email: inv.Customer.Email},
		Country:         inv.Country,
		MerchantID:      inv.MerchantID,
		Lang:            inv.Lang,
		NotifyMethod:    inv.NotifyMethod,
		PaymentType:     "opaylink",
		TotalServiceFee: opay.Amount{Total: inv.ServiceFee, Currency: inv.Currency},
	}
}

// statistics shapes the service's lines into the answer. Every key lists the same currencies
// (zero-filled), one entry per currency; with a single currency — the usual case — each key is
// one {count, amount} object (see opay.InvoiceStats). With no invoices at all the entries are
// zero in the merchant's first country's currency.
func statistics(lines []opaygate.InvoiceStat, fallback string) opay.InvoiceStatisticsData {
	var currencies []string
	for _, l := range lines {
		if !slices.Contains(currencies, l.Currency) {
			currencies = append(currencies, l.Currency)
		}
	}
	if len(currencies) == 0 {
		currencies = []string{fallback}
	}
	slices.Sort(currencies)
	entries := func(keep func(opaygate.InvoiceStatus) bool) opay.InvoiceStats {
		out := make(opay.InvoiceStats, len(currencies))
		for i, c := range currencies {
			out[i].Amount.Currency = c
			for _, l := range lines {
				if l.Currency == c && keep(l.Status) {
					out[i].Count += l.Count
					out[i].Amount.Total += l.Amount
				}
			}
		}
		return out
	}
	is := func(s opaygate.InvoiceStatus) func(opaygate.InvoiceStatus) bool {
		return func(t opaygate.InvoiceStatus) bool { return t == s }
	}
	return opay.InvoiceStatisticsData{
		Paid:      entries(is(opaygate.InvoicePaid)),
		Unpaid:    entries(is(opaygate.InvoiceUnpaid)),
		Cancelled: entries(is(opaygate.InvoiceCancelled)),
		Expired:   entries(is(opaygate.InvoiceExpired)),
		Total:     entries(func(opaygate.InvoiceStatus) bool { return true }),
	}
}
