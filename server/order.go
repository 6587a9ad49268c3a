package server

import (
	"context"
	"fmt"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/server/internal/validate"
)

// cashierCreate creates a hosted-checkout order (spec 4.2).
func (s *Server) cashierCreate(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.CashierCreateRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	o, err := s.newOrder(ctx, m, orderFields{
		fn: opaygate.FuncCashier, channel: opaygate.ChannelWeb, returnRequired: true,
		reference: req.Reference, country: req.Country, amount: req.Amount,
		returnURL: req.ReturnURL, callbackURL: req.CallbackURL, cancelURL: req.CancelURL,
		product: req.Product, productList: req.ProductList, payMethod: req.PayMethod, user: req.UserInfo,
		expireAt: req.ExpireAt,
	})
	if err != nil {
		return nil, err
	}
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
		expireAt: req.ExpireAt,
	})
	if err != nil {
		return nil, err
	}
	switch req.PayMethod {
	case opay.PayMethodValU:
		if !validate.ValUAccount(req.ValUAccountNumber) {
			return nil, invalid("valUAccountNumber must be 01 followed by 9 digits")
		}
		o.ValUAccount = req.ValUAccountNumber
		err = s.svc.Orders.CreateOrder(ctx, o)
	case opay.PayMethodBankCard:
		card, cerr := bankCard(req.BankCard)
		if cerr != nil {
			return nil, cerr
		}
		if card.Enable3DS && o.ReturnURL == "" {
			// The 3-D Secure page must send its customer back somewhere.
			return nil, invalid("returnUrl is required with bankcard.enable3DS")
		}
		err = s.svc.Orders.CreateCardOrder(ctx, o, card)
	default:
		return nil, errPayMethod
	}
	if err != nil {
		return nil, err
	}
	d := opay.PaymentCreateData{
		Reference:  o.Reference,
		OrderNo:    o.OrderNo,
		NextAction: nextAction(o),
		Status:     string(o.Status),
		Amount:     amountOf(o),
		VAT:        vatOf(o),
	}
	if d.NextAction != nil && d.NextAction.ActionType == opay.ActionRedirect3DS {
		d.NextAction.RedirectURL = s.pay.ThreeDSURL(o.Token)
	}
	d.FailureCode, d.FailureReason = failureOf(o)
	return d, nil
}

// cashierStatus reports an order; reads show an expired order as CLOSE.
func (s *Server) cashierStatus(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.CashierStatusRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	key, err := orderKey(req.OrderNo, req.Reference, req.Country, true)
	if err != nil {
		return nil, err
	}
	o, err := s.svc.Orders.FindOrder(ctx, m.ID, key)
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
		IsVoided:   o.Voided,
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
	key, err := orderKey(req.OrderNo, req.Reference, req.Country, true)
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
	key, err := orderKey(req.OrderNo, req.Reference, req.Country, false)
	if err != nil {
		return nil, err
	}
	switch {
	case req.Months <= 0:
		return nil, invalid("months must be a positive integer")
	case req.Months > 1200:
		return nil, invalid("months must be one of the offered plans")
	}
	o, err := s.svc.Orders.SelectPlan(ctx, m.ID, key, int(req.Months))
	if err != nil {
		return nil, err
	}
	return actionData(o), nil
}

// inputOTP submits the OTP. A malformed one is refused here; a well-formed wrong one counts as
// an attempt in the service.
func (s *Server) inputOTP(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.InputOTPRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	key, err := orderKey(req.OrderNo, req.Reference, req.Country, false)
	if err != nil {
		return nil, err
	}
	switch {
	case req.OTP == "":
		return nil, invalid("otp is required")
	case len(req.OTP) != opaygate.OTPLength || !validate.Digits(req.OTP):
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

// resendOTP issues a new OTP for an order waiting for one.
func (s *Server) resendOTP(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	var req opay.ResendOTPRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	key, err := orderKey(req.OrderNo, req.Reference, req.Country, false)
	if err != nil {
		return nil, err
	}
	o, err := s.svc.Orders.ResendOTP(ctx, m.ID, key)
	if err != nil {
		return nil, err
	}
	return actionData(o), nil
}

var errPayMethod = opaygate.Errorf(opaygate.EPAYMETHOD, "payMethod not support.")

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
}

// newOrder validates the common fields of a new order (spec 4.1) and checks that the merchant
// may use the function, the pay method and the country. How expireAt was read, when it was
// not plain minutes, goes to the answer's X-Opaygate-Warning.
func (s *Server) newOrder(ctx context.Context, m *opaygate.Merchant, f orderFields) (*opaygate.Order, error) {
	if err := validate.Reference("reference", f.reference); err != nil {
		return nil, err
	}
	currency, err := country("country", f.country)
	if err != nil {
		return nil, err
	}
	if err := amount("amount", f.amount, currency); err != nil {
		return nil, err
	}
	if err := validate.AbsURL("returnUrl", f.returnURL, f.returnRequired); err != nil {
		return nil, err
	}
	if err := validate.AbsURL("callbackUrl", f.callbackURL, false); err != nil {
		return nil, err
	}
	if err := validate.AbsURL("cancelUrl", f.cancelURL, false); err != nil {
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
	if err := validate.Text("product.name", f.product.Name, validate.MaxName, false); err != nil {
		return nil, err
	}
	if err := validate.TextLines("product.description", f.product.Description, validate.MaxText, false, true); err != nil {
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
			if err := validate.Text(c.field, c.value, validate.MaxName, false); err != nil {
				return nil, err
			}
		}
	}
	now := s.svc.Clock.Now()
	lifetime, note, err := opaygate.OrderLifetime(int64(f.expireAt), now)
	if err != nil {
		return nil, err
	}

	fn := f.fn
	switch f.payMethod {
	case "":
	case opay.PayMethodValU:
		if f.country != "EG" {
			return nil, errPayMethod
		}
		if fn == "" {
			fn = opaygate.FuncValU
		} else if err := m.Check(opaygate.FuncValU, ""); err != nil {
			return nil, err
		}
	case opay.PayMethodBankCard:
		if fn == "" {
			fn = opaygate.FuncBankCard
		} else if err := m.Check(opaygate.FuncBankCard, ""); err != nil {
			return nil, err
		}
	default:
		return nil, errPayMethod
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
		Currency:           currency,
		Amount:             f.amount.Total,
		VAT:                m.VAT(f.amount.Total),
		PayMethod:          f.payMethod,
		Channel:            f.channel,
		ProductName:        name,
		ProductDescription: f.product.Description,
		Products:           products,
		ReturnURL:          f.returnURL,
		CallbackURL:        f.callbackURL,
		CancelURL:          f.cancelURL,
		User:               user,
		ExpireAt:           now.Add(lifetime),
		CreatedAt:          now,
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
		if err := validate.Text(field("name"), it.Name, maxProductName, true); err != nil {
			return nil, err
		}
		if err := validate.Text(field("productId"), string(it.ProductID), validate.MaxName, false); err != nil {
			return nil, err
		}
		if err := validate.TextLines(field("description"), it.Description, validate.MaxText, false, true); err != nil {
			return nil, err
		}
		if err := validate.AbsURL(field("imageUrl"), it.ImageURL, false); err != nil {
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
func orderKey(orderNo, ref, ctry string, countryRequired bool) (opaygate.OrderKey, error) {
	key := opaygate.OrderKey{OrderNo: orderNo, Reference: ref, Country: ctry}
	switch {
	case orderNo == "" && ref == "":
		return key, invalid("orderNo or reference is required")
	case orderNo != "":
		if err := validate.Reference("orderNo", orderNo); err != nil {
			return key, err
		}
		key.Reference = ""
	default:
		if err := validate.Reference("reference", ref); err != nil {
			return key, err
		}
	}
	if ctry != "" || countryRequired {
		if _, err := country("country", ctry); err != nil {
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

// nextAction says what a PENDING order waits for.
func nextAction(o *opaygate.Order) *opay.NextAction {
	if o.Status != opaygate.StatusPending {
		return nil
	}
	switch o.Step {
	case opaygate.StepPlan:
		plans := make([]opay.Plan, len(o.Plans))
		for i, p := range o.Plans {
			money := func(n int64) opay.Amount { return opay.Amount{Total: n, Currency: o.Currency} }
			plans[i] = opay.Plan{Months: p.Months, DownPayment: money(p.DownPayment), Fee: money(p.Fee), EMI: money(p.EMI)}
		}
		return &opay.NextAction{ActionType: opay.ActionInstallmentMonth, Plans: plans}
	case opaygate.StepOTP:
		return &opay.NextAction{ActionType: opay.ActionOTP}
	case opaygate.Step3DS:
		return &opay.NextAction{ActionType: opay.ActionRedirect3DS}
	}
	return nil
}

// actionData is the answer of input-installment-month and resend-otp.
func actionData(o *opaygate.Order) opay.ActionData {
	return opay.ActionData{
		Reference:  o.Reference,
		OrderNo:    o.OrderNo,
		NextAction: nextAction(o),
		Status:     string(o.Status),
		Amount:     amountOf(o),
		VAT:        vatOf(o),
	}
}
