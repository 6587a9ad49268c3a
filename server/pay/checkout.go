package pay

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
)

// The hosted checkout (cashierUrl): GET /checkout?orderToken=… shows whatever the order waits
// for — the pay methods, the ValU plans, the OTP, the customer's step outside the API — or, once it is final, expired or closed, the
// result. Each form posts to /checkout/<step> with the order's token and is answered with a
// redirect back to GET /checkout (Post/Redirect/Get); a refused step comes back as ?error=KEY,
// a key of a fixed list, so no text from a request is ever shown. The steps call the same
// OrderService methods as the API, so the state machine, the callbacks and the dashboard all
// see one order.
//
// The token is the only credential: 128 random bits that only the merchant and its customer
// know, as OPay's cashierUrl works. There is no session and no CSRF token (docs/PAGES.md says
// why).

// CheckoutURL is an order's hosted checkout page: its cashierUrl.
func (p *Pages) CheckoutURL(token string) string {
	return p.publicURL + "/checkout?orderToken=" + token
}

// checkout is an order on its hosted page, with what the page needs around it.
type checkout struct {
	o        *opaygate.Order
	m        *opaygate.Merchant
	merchant string // the name shown
	lang     string // the invoice's language for invoice orders, else EN
}

// orderView is an order as the customer pages show it.
type orderView struct {
	Token       string
	OrderNo     string
	Reference   string
	Product     string
	Description string
	Items       []itemView // the productList the merchant sent, if any
	Amount      string
	LeftMS      int64           // milliseconds left at rendering, for the countdown
	TimeLeft    string          // the same as text
	Methods     []template.HTML // the sections of the methods the customer may choose
	Plans       []planView
	Country     string
	Account     string        // the ValU account, masked
	OTPSent     string        // where the OTP went, said in the method's words
	Card        string        // the card, masked
	Waiting     template.HTML // the method's part of the waiting page
	QRImage     string        // the waiting step's QR code as an image (a relative URL), if any
	Simulate    string        // the simulator page (relative), in the sandbox while the order waits outside the API
	MethodTitle string        // the translation key of the order's method's name
	Outcome     string        // success, failed, expired, closed, cancelled
	Reason      string        // why it failed, translated when the code is known
	Back        string        // where the result page sends the customer
	BackLabel   string        // the translation key of that link
	ForInvoice  bool
	// The customer's mobile number from userInfo, to pre-fill the sections' fields: as the
	// Egyptian wallets take it (01…) and in international form; "" when it fits neither.
	Mobile, Phone string
	Email         string // userInfo's email, when it looks like one
	// OtherMethods: the page shows only the OPay wallet (evokeOpay) and links to the others.
	OtherMethods bool
}

// itemView is one line of an order's product list.
type itemView struct {
	Name     string
	Quantity int64
	Price    string // "" when the merchant sent none
}

// planView is one ValU plan.
type planView struct {
	Months int
	EMI    string
	Fee    string
	Down   string
	Total  string
}

// checkoutErrors are the ?error= keys the pages understand; anything else is ignored.
var checkoutErrors = map[string]bool{
	"account": true, "plan": true, "otp": true, "otp_format": true, "otp_expired": true,
	"resend_limit": true, "card_number": true, "card_expiry": true, "card_cvv": true,
	"card_name": true, "method": true, "pin_format": true,
}

// validToken reports whether s looks like a token the gateway makes (32 lowercase hex), so
// junk never reaches the database.
func validToken(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// loadCheckout finds the order behind a token, or answers the request itself (404 page,
// error page) and returns false.
func (p *Pages) loadCheckout(w http.ResponseWriter, r *http.Request, token string) (*checkout, bool) {
	if !validToken(token) {
		p.payNotFound(w, r, "")
		return nil, false
	}
	ctx := r.Context()
	o, err := p.orders.FindOrderByToken(ctx, token)
	if opaygate.ErrorCode(err) == opaygate.ENOTFOUND {
		p.payNotFound(w, r, "")
		return nil, false
	} else if err != nil {
		p.payFailed(w, r, "", err)
		return nil, false
	}
	c := &checkout{o: o, lang: "EN"}
	if c.m, err = p.merchants.FindMerchant(ctx, o.MerchantID); err != nil {
		p.payFailed(w, r, "", err)
		return nil, false
	}
	c.merchant = c.m.Name
	o.MerchantName, o.InstallmentBanks = c.m.Name, c.m.InstallmentBanks // as StartPayment finds them
	if c.merchant == "" {
		c.merchant = c.m.ID
	}
	if o.DisplayName != "" {
		c.merchant = o.DisplayName // cashier/create's displayName: a sub-merchant's name
	}
	if o.InvoiceNo != "" {
		// An invoice's order speaks the invoice's language. Failing to read it costs only
		// the translation.
		if inv, err := p.invoices.FindInvoice(ctx, o.MerchantID, o.InvoiceNo); err == nil {
			c.lang = inv.Lang
		}
	}
	return c, true
}

// view builds the page of a checkout.
func (p *Pages) checkoutView(c *checkout, title string) *payView {
	v := p.newPayView(c.lang, title)
	v.Merchant = c.merchant
	o, now := c.o, p.clock.Now()
	ov := &orderView{
		Token: o.Token, OrderNo: o.OrderNo, Reference: o.Reference, Product: o.ProductName,
		Description: o.ProductDescription, Amount: formatAmount(o.Amount, o.Currency),
		LeftMS: max(o.ExpireAt.Sub(now).Milliseconds(), 0), TimeLeft: timeLeft(o.ExpireAt.Sub(now)),
		Country: o.Country, Account: maskAccount(o.ValUAccount),
		ForInvoice: o.InvoiceID != 0,
	}
	ov.OTPSent = v.T("otp.sent", ov.Account)
	if m, ok := p.methods.Lookup(o.PayMethod); ok {
		if t, ok := m.(method.OTPTarget); ok {
			key, arg := t.OTPSent(o)
			ov.OTPSent = v.T(key, arg)
		}
	}
	if o.CardLast4 != "" {
		ov.Card = "•••• " + o.CardLast4
	}
	for _, item := range o.Products {
		it := itemView{Name: item.Name, Quantity: item.Quantity}
		if item.Price > 0 {
			it.Price = formatAmount(item.Price, o.Currency)
		}
		ov.Items = append(ov.Items, it)
	}
	for _, plan := range o.Plans {
		ov.Plans = append(ov.Plans, planView{Months: plan.Months, EMI: formatAmount(plan.EMI, o.Currency),
			Fee: formatAmount(plan.Fee, o.Currency), Down: formatAmount(plan.DownPayment, o.Currency),
			Total: formatAmount(plan.DownPayment+plan.Fee+plan.EMI*int64(plan.Months), o.Currency)})
	}
	prefill(ov, o)
	p.outcome(v, ov, o)
	v.Order = ov
	return v
}

// offered lists the methods the customer of c may choose: those the checkout offers in the
// order's country, enabled for the merchant, narrowed to the order's payMethod if it has one.
// A live gateway leaves out the methods only the sandbox simulates: it has no network to
// report their customer's step, so the order would wait for nothing.
func (p *Pages) offered(c *checkout) []method.Method {
	var list []method.Method
	for _, m := range p.methods.Checkout(c.o.Country) {
		if !p.sandboxPages() && p.methods.Simulated(m) {
			continue
		}
		if (c.o.PayMethod == "" || c.o.PayMethod == m.Name()) && c.m.Check(m.Function(), c.o.Country) == nil {
			list = append(list, m)
		}
	}
	return list
}

// renderSections renders the section of each method offered, with the page's view; a method
// with nothing to offer the order (method.Sectioner) is left out.
func (p *Pages) renderSections(v *payView, o *opaygate.Order, methods []method.Method) ([]template.HTML, error) {
	var out []template.HTML
	for _, m := range methods {
		sv := *v
		if v.Sandbox {
			sv.Hints = m.SandboxHints()
		}
		if s, ok := m.(method.Sectioner); ok {
			var show bool
			if sv.Data, show = s.Section(o); !show && o.PayMethod != m.Name() {
				continue
			}
		}
		var b strings.Builder
		if err := p.sections.ExecuteTemplate(&b, "method-"+m.Name(), &sv); err != nil {
			return nil, fmt.Errorf("section of %s: %w", m.Name(), err)
		}
		// html/template escaped it as it wrote it.
		out = append(out, template.HTML(b.String()))
	}
	return out, nil
}

// outcome fills in how a final order ended and where the result page sends the customer:
// back to returnUrl after a payment, to cancelUrl (if any) when it was cancelled or closed.
func (p *Pages) outcome(v *payView, ov *orderView, o *opaygate.Order) {
	switch {
	case o.Status == opaygate.StatusSuccess:
		ov.Outcome = "success"
	case o.Status == opaygate.StatusFail:
		ov.Outcome = "failed"
	case o.FailureCode == opaygate.FailExpired:
		ov.Outcome = "expired"
	case o.FailureCode == opaygate.FailCancelled:
		ov.Outcome = "cancelled"
	case o.Status == opaygate.StatusClose:
		ov.Outcome = "closed"
	default:
		return
	}
	ov.Reason = o.FailureReason
	if k, ok := reasonKeys[o.FailureReason]; ok {
		ov.Reason = v.T(k)
	}
	ov.Back, ov.BackLabel = o.ReturnURL, "result.back"
	if (ov.Outcome == "cancelled" || ov.Outcome == "closed" || ov.Outcome == "expired") && o.CancelURL != "" {
		ov.Back = o.CancelURL
	}
	if ov.ForInvoice {
		ov.BackLabel = "result.back.invoice"
	}
}

// maskAccount shows a ValU account (a mobile number) by its first two and last four digits.
func maskAccount(a string) string { return opaygate.MaskIdentifier(a) }

// checkoutPage shows the step the order is at.
func (p *Pages) checkoutPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c, ok := p.loadCheckout(w, r, q.Get("orderToken"))
	if !ok {
		return
	}
	o := c.o
	if o.Status == opaygate.StatusPending && o.Step == opaygate.Step3DS {
		p.payRedirect(w, r, "/3ds?orderToken="+o.Token)
		return
	}
	var page, title string
	switch {
	case o.Status.Final():
		page, title = "result", "result.title"
	case o.Status == opaygate.StatusPending && o.Step == opaygate.StepPlan:
		page, title = "plan", "plan.title"
	case o.Status == opaygate.StatusPending && o.Step == opaygate.StepOTP:
		page, title = "otp", "otp.title"
	case o.Status == opaygate.StatusPending && o.Step == opaygate.StepPIN:
		page, title = "pin", "pin.title"
	case waitingPage(o):
		page, title = "waiting", "waiting.title"
	default:
		page, title = "checkout", "checkout.title"
	}
	v := p.checkoutView(c, title)
	if page != "result" {
		switch key := q.Get("error"); {
		case key == "otp":
			v.Error = v.T("error.otp", max(opaygate.OTPMaxAttempts-o.OTPAttempts, 0))
		case key == "pin":
			if page == "pin" { // else a later step: the PIN was right in the end
				v.Error = v.T("error.pin", max(opaygate.PINMaxAttempts-o.OTPAttempts, 0))
			}
		case checkoutErrors[key] || p.text["EN"]["error."+key] != "" && key != "":
			v.Error = v.T("error." + key)
		}
		if q.Get("notice") == "resent" {
			v.Notice = v.T("notice.resent")
		}
	}
	if v.Sandbox && page == "otp" {
		v.OTPHint, _ = p.sandbox.LastOTP(o.OrderNo)
	}
	if v.Sandbox && page == "pin" {
		v.PINHint = method.SandboxPIN
	}
	var err error
	switch page {
	case "checkout":
		var methods []method.Method
		methods, v.Order.OtherMethods = evoked(o, p.offered(c), q)
		v.Order.Methods, err = p.renderSections(v, o, methods)
	case "waiting":
		err = p.waitingStep(v, o)
	}
	if err != nil {
		p.payFailed(w, r, c.lang, err)
		return
	}
	p.renderPay(w, r, http.StatusOK, page, v)
}

// payFormError refuses a form before any service is asked: the page shows the message of key.
type payFormError string

func (e payFormError) Error() string { return "form: " + string(e) }

// formCheckout reads a form of a checkout page and the order its orderToken names, or answers
// the request itself (a 404 page for a form too large or a token unknown) and returns false.
func (p *Pages) formCheckout(w http.ResponseWriter, r *http.Request) (*checkout, bool) {
	if err := parsePayForm(w, r); err != nil {
		p.payNotFound(w, r, "")
		return nil, false
	}
	return p.loadCheckout(w, r, r.PostForm.Get("orderToken"))
}

// step is one customer action on the order; it returns where to send the customer ("" means
// back to the checkout page).
type step func(ctx context.Context, c *checkout, form url.Values) (string, error)

// checkoutStep runs one step from a form and redirects. invalidKey is the message key of the
// step's own EINVALID errors.
func (p *Pages) checkoutStep(w http.ResponseWriter, r *http.Request, invalidKey string, fn step) {
	c, ok := p.formCheckout(w, r)
	if !ok {
		return
	}
	back := "/checkout?orderToken=" + c.o.Token
	target, err := fn(r.Context(), c, r.PostForm)
	var fe payFormError
	switch {
	case err == nil:
		if target == "" {
			target = back
		}
	case errors.As(err, &fe):
		target = back + "&error=" + string(fe)
	default:
		switch opaygate.ErrorCode(err) {
		case opaygate.EORDERSTATE:
			// Another tab, a double click or the clock got there first: the page shows
			// the order as it is now.
			target = back
		case opaygate.EOTPINVALID:
			target = back + "&error=otp"
		case opaygate.EOTPEXPIRED:
			target = back + "&error=otp_expired"
		case opaygate.EPAYMETHOD:
			target = back + "&error=method"
		case opaygate.EINVALID:
			target = back + "&error=" + invalidKey
		case opaygate.ENOTFOUND:
			p.payNotFound(w, r, c.lang)
			return
		default:
			p.payFailed(w, r, c.lang, err)
			return
		}
	}
	p.payRedirect(w, r, target)
}

func (c *checkout) key() opaygate.OrderKey { return opaygate.OrderKey{ID: c.o.ID} }

// checkoutStart starts the method whose section the customer filled in. A method not offered
// for this order (another country, not enabled, or not the order's payMethod) is refused with
// the "method" message; the method's own form decides what else is refused.
func (p *Pages) checkoutStart(w http.ResponseWriter, r *http.Request) {
	m, ok := p.methods.BySlug(r.PathValue("method"))
	if !ok {
		p.payNotFound(w, r, "")
		return
	}
	p.checkoutStep(w, r, m.Refused(), func(ctx context.Context, c *checkout, f url.Values) (string, error) {
		params, problem := m.Form(f)
		if problem != "" {
			return "", payFormError(problem)
		}
		if !slices.ContainsFunc(p.offered(c), func(o method.Method) bool { return o.Name() == m.Name() }) {
			return "", payFormError("method")
		}
		o, err := p.orders.StartPayment(ctx, c.o.MerchantID, c.key(), m.Name(), params)
		if err != nil {
			return "", err
		}
		if o.Status == opaygate.StatusPending && o.Step == opaygate.Step3DS {
			return "/3ds?orderToken=" + o.Token, nil
		}
		if w, ok := p.waiting(o); ok && w.HandOff && w.App != "" {
			return w.App, nil // the wallet's or lender's own page (absolute)
		}
		return "", nil
	})
}

// checkoutPlan records the chosen plan, which sends the OTP.
func (p *Pages) checkoutPlan(w http.ResponseWriter, r *http.Request) {
	p.checkoutStep(w, r, "plan", func(ctx context.Context, c *checkout, f url.Values) (string, error) {
		months, err := strconv.Atoi(f.Get("months"))
		if err != nil || !opaygate.ValidTenor(int64(months)) {
			return "", payFormError("plan")
		}
		_, err = p.orders.SelectPlan(ctx, c.o.MerchantID, c.key(), months)
		return "", err
	})
}

// checkoutOTP submits the OTP: a right one completes the payment.
func (p *Pages) checkoutOTP(w http.ResponseWriter, r *http.Request) {
	p.checkoutStep(w, r, "otp_format", func(ctx context.Context, c *checkout, f url.Values) (string, error) {
		otp := stripSpaces(f.Get("otp"))
		if !opaygate.ValidOTP(otp) {
			return "", payFormError("otp_format")
		}
		_, err := p.orders.SubmitOTP(ctx, c.o.MerchantID, c.key(), otp)
		return "", err
	})
}

// checkoutPIN submits an NG card's PIN: a right one goes on to the OTP or the acquirer; the
// third wrong one fails the order (55), which the result page then shows. The PIN is never
// echoed back nor logged.
func (p *Pages) checkoutPIN(w http.ResponseWriter, r *http.Request) {
	p.checkoutStep(w, r, "pin_format", func(ctx context.Context, c *checkout, f url.Values) (string, error) {
		pin := stripSpaces(f.Get("pin"))
		if len(pin) < 4 || len(pin) > 6 || !opaygate.Digits(pin) {
			return "", payFormError("pin_format")
		}
		_, err := p.orders.SubmitPIN(ctx, c.o.MerchantID, c.key(), pin)
		if opaygate.ErrorCode(err) == opaygate.EOTPINVALID {
			return "", payFormError("pin")
		}
		return "", err
	})
}

// checkoutResend sends a new OTP.
func (p *Pages) checkoutResend(w http.ResponseWriter, r *http.Request) {
	p.checkoutStep(w, r, "otp", func(ctx context.Context, c *checkout, f url.Values) (string, error) {
		o := c.o
		if o.Status == opaygate.StatusPending && o.Step == opaygate.StepOTP && o.OTPResends >= opaygate.OTPMaxResends {
			return "", payFormError("resend_limit")
		}
		if _, err := p.orders.ResendOTP(ctx, o.MerchantID, c.key()); err != nil {
			return "", err
		}
		return "/checkout?orderToken=" + o.Token + "&notice=resent", nil
	})
}

// checkoutCancel closes the order for the customer and sends them to the merchant's cancelUrl,
// or to the result page when there is none. An order that is already final is not touched:
// the customer sees how it ended instead of being told it was cancelled.
func (p *Pages) checkoutCancel(w http.ResponseWriter, r *http.Request) {
	p.checkoutStep(w, r, "", func(ctx context.Context, c *checkout, f url.Values) (string, error) {
		o, err := p.orders.CancelOrder(ctx, c.o.MerchantID, c.key())
		if err != nil {
			return "", err
		}
		return o.CancelURL, nil
	})
}

func stripSpaces(s string) string { return strings.Join(strings.Fields(s), "") }
