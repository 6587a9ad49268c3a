package server

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/opay"
)

// cashierCreate creates a hosted-checkout order (spec 4.2).
func (s *Server) cashierCreate(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.CashierCreateRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	// Field errors (02001) come before the function checks of newOrder (02002).
	if err := checkPageFields(&req); err != nil {
		return nil, err
	}
	o, err := s.newOrder(ctx, m, orderFields{
		fn: opaygate.FuncCashier, channel: opaygate.ChannelWeb, returnRequired: true,
		reference: req.Reference, country: req.Country, amount: req.Amount,
		returnURL: req.ReturnURL, callbackURL: req.CallbackURL, cancelURL: req.CancelURL,
		product: req.Product, productList: req.ProductList, payMethod: req.PayMethod, user: req.UserInfo,
		expireAt: req.ExpireAt, clientIP: req.UserClientIP,
	})
	if err != nil {
		return nil, err
	}
	o.DisplayName, o.VisitSource, o.EvokeOpay = req.DisplayName, req.CustomerVisitSource, bool(req.EvokeOpay)
	if err := s.svc.Orders.CreateOrder(ctx, o); err != nil {
		return nil, err
	}
	return opay.CashierCreateData{
		Reference:  o.Reference,
		OrderNo:    o.OrderNo,
		CashierURL: s.pay.CheckoutURL(o.Token),
		Status:     string(o.Status),
		Amount:     amountOf(o),
		VAT:        vatOf(o),
	}, nil
}

// paymentCreate starts a server-to-server payment: VALU offers plans; BankCard goes as far as
// it can at once (SUCCESS or FAIL), or waits at REDIRECT_3DS with the page's redirectUrl.
func (s *Server) paymentCreate(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.PaymentCreateRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.PayMethod == "" {
		return nil, invalid("payMethod is required")
	}
	o, err := s.newOrder(ctx, m, orderFields{
		fn: "", channel: opaygate.ChannelAPI,
		reference: req.Reference, country: req.Country, amount: req.Amount,
		returnURL: req.ReturnURL, callbackURL: req.CallbackURL,
		product: req.Product, productList: req.ProductList, payMethod: req.PayMethod, user: req.UserInfo,
		expireAt: req.ExpireAt, clientIP: req.UserClientIP,
	})
	if err != nil {
		return nil, err
	}
	// newOrder found the method; its own fields come next.
	pm, _ := s.svc.Methods.Lookup(req.PayMethod)
	params, err := pm.Params(&req)
	if err != nil {
		return nil, err
	}
	if params, err = s.withToken(ctx, m, params); err != nil {
		return nil, err
	}
	if err := s.svc.Orders.CreatePayment(ctx, o, params); err != nil {
		return nil, err
	}
	return s.paymentData(o), nil
}

// paymentData is the answer of payment/create and input-pin: the order, what it waits for,
// and its failure when it failed.
func (s *Server) paymentData(o *opaygate.Order) opay.PaymentCreateData {
	d := opay.PaymentCreateData{
		Reference:  o.Reference,
		OrderNo:    o.OrderNo,
		NextAction: s.nextAction(o),
		Status:     string(o.Status),
		Amount:     amountOf(o),
		VAT:        vatOf(o),
	}
	d.FailureCode, d.FailureReason = failureOf(o)
	return d
}

// cashierStatus reports an order; reads show an expired order as CLOSE.
func (s *Server) cashierStatus(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.CashierStatusRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	key, err := orderKey(m, req.OrderNo, req.Reference, req.Country, true)
	if err != nil {
		return nil, err
	}
	o, err := s.svc.Orders.FindOrderStatus(ctx, m.ID, key)
	if err != nil {
		return nil, err
	}
	d := opay.CashierStatusData{
		Reference:  o.Reference,
		OrderNo:    o.OrderNo,
		Status:     string(o.Status),
		VAT:        vatOf(o),
		Amount:     amountOf(o),
		CreateTime: o.CreatedAt.UnixMilli(),
		IsVoided:   isVoided(o),
	}
	d.FailureCode, d.FailureReason = failureOf(o)
	return d, nil
}

// paymentClose closes an unpaid order; closing a closed order again answers the same.
func (s *Server) paymentClose(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.PaymentCloseRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	key, err := orderKey(m, req.OrderNo, req.Reference, req.Country, true)
	if err != nil {
		return nil, err
	}
	o, err := s.svc.Orders.CloseOrder(ctx, m.ID, key)
	if err != nil {
		return nil, err
	}
	return opay.PaymentCloseData{
		Reference:   o.Reference,
		OrderNo:     o.OrderNo,
		Country:     o.Country,
		Amount:      amountOf(o),
		OrderStatus: string(o.Status),
	}, nil
}

// inputInstallmentMonth records the customer's ValU plan, which sends an OTP.
func (s *Server) inputInstallmentMonth(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.InputInstallmentMonthRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	key, err := orderKey(m, req.OrderNo, req.Reference, req.Country, false)
	if err != nil {
		return nil, err
	}
	switch {
	case req.Months <= 0:
		return nil, invalid("months must be a positive integer")
	case !opaygate.ValidTenor(int64(req.Months)):
		return nil, invalid("months must be one of the offered plans")
	}
	o, err := s.svc.Orders.SelectPlan(ctx, m.ID, key, int(req.Months))
	if err != nil {
		return nil, err
	}
	return s.actionData(o), nil
}

// inputOTP submits the OTP. A malformed one is refused here; a well-formed wrong one counts as
// an attempt in the service.
func (s *Server) inputOTP(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.InputOTPRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	key, err := orderKey(m, req.OrderNo, req.Reference, req.Country, false)
	if err != nil {
		return nil, err
	}
	switch {
	case req.OTP == "":
		return nil, invalid("otp is required")
	case !opaygate.ValidOTP(req.OTP):
		return nil, invalid("otp must be %d digits", opaygate.OTPLength)
	}
	o, err := s.svc.Orders.SubmitOTP(ctx, m.ID, key, req.OTP)
	if err != nil {
		return nil, err
	}
	d := opay.InputOTPData{
		Reference: o.Reference,
		OrderNo:   o.OrderNo,
		Status:    string(o.Status),
		Amount:    amountOf(o),
		VAT:       vatOf(o),
	}
	d.FailureCode, d.FailureReason = failureOf(o)
	return d, nil
}

// inputPIN submits an NG card's PIN. A malformed one is refused here; a well-formed wrong one
// counts as an attempt in the service. The PIN is never logged: it goes to the network only.
func (s *Server) inputPIN(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.InputPINRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	key, err := orderKey(m, req.OrderNo, req.Reference, req.Country, false)
	if err != nil {
		return nil, err
	}
	switch {
	case req.PIN == "":
		return nil, invalid("pin is required")
	case len(req.PIN) < 4 || len(req.PIN) > 6 || !opaygate.Digits(req.PIN):
		return nil, invalid("pin must be 4 to 6 digits")
	}
	o, err := s.svc.Orders.SubmitPIN(ctx, m.ID, key, req.PIN)
	if err != nil {
		return nil, err
	}
	return s.paymentData(o), nil
}

// getBankInstallment lists the bank installment plans (METHODS.md §8.5), those that take the
// amount when one is given.
func (s *Server) getBankInstallment(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.BankInstallmentRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	currency, err := country("country", req.Country)
	if err != nil {
		return nil, err
	}
	if req.Currency != currency {
		return nil, invalid("currency must be %s for country %s", currency, req.Country)
	}
	var total int64
	if req.Amount != nil {
		if err := amount("amount", *req.Amount, currency); err != nil {
			return nil, err
		}
		total = req.Amount.Total
	}
	pm, ok := s.svc.Methods.Lookup(opaygate.PayMethodBankInstallment)
	bi, isBI := pm.(method.BankInstallment)
	if !ok || !isBI || !method.Offered(pm, req.Country, false) {
		return nil, opaygate.Errorf(opaygate.EPAYMETHOD, "payMethod %s is not offered in %s", opaygate.PayMethodBankInstallment, req.Country)
	}
	if err := m.Check(opaygate.FuncBankInstallment, req.Country); err != nil {
		return nil, err
	}
	money := func(n int64) opay.Amount { return opay.Amount{Total: n, Currency: currency} }
	banks := []opay.InstallmentBank{}
	for _, b := range bi.Catalogue(m.InstallmentBanks, total) {
		ib := opay.InstallmentBank{BankCode: b.Code, BankName: b.Name}
		for _, p := range b.Plans {
			ib.Plans = append(ib.Plans, opay.InstallmentPlan{Months: p.Months, FeeRate: p.FeeRate,
				MinAmount: money(p.Min), MaxAmount: money(p.Max)})
		}
		banks = append(banks, ib)
	}
	return banks, nil
}

// resendOTP issues a new OTP for an order waiting for one.
func (s *Server) resendOTP(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.ResendOTPRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	key, err := orderKey(m, req.OrderNo, req.Reference, req.Country, false)
	if err != nil {
		return nil, err
	}
	o, err := s.svc.Orders.ResendOTP(ctx, m.ID, key)
	if err != nil {
		return nil, err
	}
	return s.actionData(o), nil
}

// orderFields are the parts of cashier/create and payment/create validated alike.
type orderFields struct {
	fn             opaygate.Function // "" when the pay method alone decides
	channel        string
	returnRequired bool

	reference, country                string
	amount                            opay.Amount
	returnURL, callbackURL, cancelURL string
	product                           opay.Product
	productList                       []opay.ProductItem
	payMethod                         string
	user                              *opay.UserInfo
	expireAt                          opay.Int64String
	clientIP                          string
}

// Bounds of cashier/create's page fields (METHODS.md §8.y).
const (
	maxDisplayName = 64
	maxVisitSource = 32
)

// checkPageFields validates what cashier/create says about its hosted page and its customer:
// the name shown instead of the merchant's and where the customer came from. evokeOpay was
// checked by decoding; sn is ignored.
func checkPageFields(req *opay.CashierCreateRequest) error {
	if err := opaygate.CheckText("displayName", req.DisplayName, maxDisplayName, false); err != nil {
		return err
	}
	return opaygate.CheckText("customerVisitSource", req.CustomerVisitSource, maxVisitSource, false)
}

// clientIP is userClientIP as the order keeps it: the address in its canonical form, without
// an IPv6 zone, or "" when it is not an IP address. A bad one is ignored, not refused
// (METHODS.md §8.0): it is the merchant's guess about its customer, not a field of the payment.
func clientIP(s string) string {
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return ""
	}
	return addr.WithZone("").String()
}

// newOrder validates the common fields of a new order (spec 4.1) and checks that the merchant
// may use the function, the pay method and the country. How expireAt was read, when it was
// not plain minutes, goes to the answer's X-Opaygate-Warning.
func (s *Server) newOrder(ctx context.Context, m *opaygate.Merchant, f orderFields) (*opaygate.Order, error) {
	if err := opaygate.CheckReference("reference", f.reference); err != nil {
		return nil, err
	}
	currency, err := country("country", f.country)
	if err != nil {
		return nil, err
	}
	if err := amount("amount", f.amount, currency); err != nil {
		return nil, err
	}
	if err := opaygate.CheckURL("returnUrl", f.returnURL, f.returnRequired); err != nil {
		return nil, err
	}
	if err := s.checkCallbackURL(f.callbackURL); err != nil {
		return nil, err
	}
	if err := opaygate.CheckURL("cancelUrl", f.cancelURL, false); err != nil {
		return nil, err
	}
	products, err := productList(f.productList)
	if err != nil {
		return nil, err
	}
	if f.product.Name == "" && len(products) == 0 {
		if f.product.Description != "" {
			return nil, invalid("product.name is required")
		}
		return nil, invalid("product or productList is required")
	}
	if err := opaygate.CheckText("product.name", f.product.Name, opaygate.MaxNameLength, false); err != nil {
		return nil, err
	}
	if err := opaygate.CheckTextLines("product.description", f.product.Description, opaygate.MaxTextLength, false, true); err != nil {
		return nil, err
	}
	name := f.product.Name
	if name == "" {
		name = products[0].Name
	}
	var user opaygate.UserInfo
	if u := f.user; u != nil {
		user = opaygate.UserInfo{ID: u.UserID, Name: u.UserName, Email: u.UserEmail, Mobile: u.UserMobile}
		for _, c := range []struct{ field, value string }{
			{"userInfo.userId", u.UserID}, {"userInfo.userName", u.UserName},
			{"userInfo.userEmail", u.UserEmail}, {"userInfo.userMobile", u.UserMobile},
		} {
			if err := opaygate.CheckText(c.field, c.value, opaygate.MaxNameLength, false); err != nil {
				return nil, err
			}
		}
	}
	now := s.svc.Clock.Now()
	lifetime, note, err := opaygate.OrderLifetime(int64(f.expireAt), now)
	if err != nil {
		return nil, err
	}

	// The method must be one the gateway has, offered in the country on this endpoint
	// (02003), and enabled for the merchant (02002).
	fn := f.fn
	if f.payMethod != "" {
		pm, ok := s.svc.Methods.Lookup(f.payMethod)
		if !ok || !method.Offered(pm, f.country, f.fn == opaygate.FuncCashier) {
			return nil, opaygate.Errorf(opaygate.EPAYMETHOD, "payMethod %s is not offered in %s on this endpoint", f.payMethod, f.country)
		}
		if s.svc.Methods.Simulated(pm) && s.cfg.Mode == "live" {
			return nil, opaygate.Errorf(opaygate.ENOTCONFIGURED, "payMethod %s has no network connector in live mode", f.payMethod)
		}
		if fn == "" {
			fn = pm.Function()
		} else if err := m.Check(pm.Function(), ""); err != nil {
			return nil, err
		}
	}
	if err := m.Check(fn, f.country); err != nil {
		return nil, err
	}

	if note != "" {
		warn(ctx, note)
	}
	return &opaygate.Order{
		MerchantID:         m.ID,
		Reference:          f.reference,
		Country:            f.country,
		Amount:             f.amount.Total,
		VAT:                m.VAT(f.amount.Total),
		PayMethod:          f.payMethod,
		Channel:            f.channel,
		MerchantName:       m.Name,
		InstallmentBanks:   m.InstallmentBanks,
		ProductName:        name,
		ProductDescription: f.product.Description,
		Products:           products,
		ReturnURL:          f.returnURL,
		CallbackURL:        f.callbackURL,
		CancelURL:          f.cancelURL,
		User:               user,
		ClientIP:           clientIP(f.clientIP),
		Lifetime:           lifetime,
	}, nil
}

// maxProductList bounds cashier/create's productList (METHODS.md §8.y).
const maxProductList = 50

// productList validates the product list real clients send instead of, or next to, product:
// each line needs a name; quantity defaults to 1; price is optional and never checked
// against the amount.
func productList(list []opay.ProductItem) ([]opaygate.OrderProduct, error) {
	if len(list) > maxProductList {
		return nil, invalid("productList must have at most %d products", maxProductList)
	}
	products := make([]opaygate.OrderProduct, 0, len(list))
	for i, it := range list {
		field := func(name string) string { return fmt.Sprintf("productList[%d].%s", i, name) }
		if err := opaygate.CheckText(field("name"), it.Name, maxProductName, true); err != nil {
			return nil, err
		}
		if err := opaygate.CheckText(field("productId"), string(it.ProductID), opaygate.MaxNameLength, false); err != nil {
			return nil, err
		}
		if err := opaygate.CheckTextLines(field("description"), it.Description, opaygate.MaxTextLength, false, true); err != nil {
			return nil, err
		}
		if err := opaygate.CheckURL(field("imageUrl"), it.ImageURL, false); err != nil {
			return nil, err
		}
		quantity := int64(it.Quantity)
		switch {
		case quantity == 0:
			quantity = 1
		case quantity < 0 || quantity > maxQuantity:
			return nil, invalid("%s must be a positive integer of at most %d", field("quantity"), maxQuantity)
		}
		if it.Price < 0 || int64(it.Price) > opaygate.MaxAmount {
			return nil, invalid("%s must be minor units, 0 to 10^13", field("price"))
		}
		products = append(products, opaygate.OrderProduct{ID: string(it.ProductID), Name: it.Name,
			Description: it.Description, Price: int64(it.Price), Quantity: quantity, ImageURL: it.ImageURL})
	}
	return products, nil
}

// orderKey validates how a request names an order: by orderNo if present, else by reference.
// A country the merchant is not enabled for is 02002 (spec 4.1), before any lookup.
func orderKey(m *opaygate.Merchant, orderNo, ref, ctry string, countryRequired bool) (opaygate.OrderKey, error) {
	key := opaygate.OrderKey{OrderNo: orderNo, Reference: ref, Country: ctry}
	switch {
	case orderNo == "" && ref == "":
		return key, invalid("orderNo or reference is required")
	case orderNo != "":
		if err := opaygate.CheckReference("orderNo", orderNo); err != nil {
			return key, err
		}
		key.Reference = ""
	default:
		if err := opaygate.CheckReference("reference", ref); err != nil {
			return key, err
		}
	}
	if ctry != "" || countryRequired {
		if _, err := country("country", ctry); err != nil {
			return key, err
		}
		if err := m.Check("", ctry); err != nil {
			return key, err
		}
	}
	return key, nil
}

func amountOf(o *opaygate.Order) opay.Amount {
	return opay.Amount{Total: o.Amount, Currency: o.Currency}
}

func vatOf(o *opaygate.Order) opay.Amount { return opay.Amount{Total: o.VAT, Currency: o.Currency} }

// failureOf returns an order's failure, which the wire shows only for FAIL and CLOSE.
func failureOf(o *opaygate.Order) (code, reason string) {
	if o.Status != opaygate.StatusFail && o.Status != opaygate.StatusClose {
		return "", ""
	}
	return o.FailureCode, o.FailureReason
}

// nextAction says what a PENDING order waits for, in its method's words.
func (s *Server) nextAction(o *opaygate.Order) *opay.NextAction {
	m, ok := s.svc.Methods.Lookup(o.PayMethod)
	if !ok {
		return nil
	}
	return m.NextAction(o, s.pay.Links())
}

// actionData is the answer of input-installment-month and resend-otp.
func (s *Server) actionData(o *opaygate.Order) opay.ActionData {
	return opay.ActionData{
		Reference:  o.Reference,
		OrderNo:    o.OrderNo,
		NextAction: s.nextAction(o),
		Status:     string(o.Status),
		Amount:     amountOf(o),
		VAT:        vatOf(o),
	}
}
