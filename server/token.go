package server

import (
	"context"
	"fmt"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/opay"
)

// Card tokens (METHODS.md §9): token/create, token/query and token/delete, and a payment's
// opayToken resolved to its card. The merchant function is token; without a token store the
// routes answer 02002.

// Bounds of a token's fields.
const (
	maxTokenReference = 64
	maxCustomerID     = 64
)

// duplicateTokenReference is OPay's answer to a token/create whose reference was used
// before: not 02004, the sample on OPay's delete-card-token page.
func duplicateTokenReference(detail string) error {
	return &wireError{code: "20000", message: "Duplicate merchant order number", detail: detail}
}

// tokensFor refuses a merchant that may not use tokens, or a gateway without a token store.
func (s *Server) tokensFor(m *opaygate.Merchant) error {
	if s.svc.Tokens == nil {
		return opaygate.Errorf(opaygate.ENOTCONFIGURED, "this gateway keeps no card tokens")
	}
	return m.Check(opaygate.FuncToken, "")
}

// tokenCreate tokenises a card. No acquirer is asked: a decline test card tokenises fine and
// declines when it pays.
func (s *Server) tokenCreate(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	if err := s.tokensFor(m); err != nil {
		return nil, err
	}
	var req opay.TokenCreateRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := opaygate.CheckText("reference", req.Reference, maxTokenReference, true); err != nil {
		return nil, err
	}
	// The card is read exactly as payment/create's bankcard is; its errors name the field.
	card, err := cardOf(&opay.BankCard{CardHolderName: req.CardHolderName, CardNumber: req.CardNumber, CVV: req.CVV,
		ExpiryMonth: req.ExpiryMonth, ExpiryYear: req.ExpiryYear})
	if err != nil {
		return nil, err
	}
	if req.CardHolderName == "" {
		return nil, invalid("cardHolderName is required")
	}
	if card.Expired(s.svc.Clock.Now()) {
		return nil, invalid("card is expired")
	}
	ci := req.CustomerInfo
	if err := opaygate.CheckText("customerInfo.customerId", ci.CustomerID, maxCustomerID, true); err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, value string }{{"customerInfo.customerName", ci.CustomerName},
		{"customerInfo.customerEmail", ci.CustomerEmail}, {"customerInfo.customerMobile", ci.CustomerMobile}} {
		if err := opaygate.CheckText(f.name, f.value, opaygate.MaxNameLength, false); err != nil {
			return nil, err
		}
	}
	t := &opaygate.CardToken{MerchantID: m.ID, Reference: req.Reference,
		Customer:   opaygate.TokenCustomer{ID: ci.CustomerID, Name: ci.CustomerName, Email: ci.CustomerEmail, Mobile: ci.CustomerMobile},
		HolderName: req.CardHolderName, Brand: opaygate.CardBrand(card.BIN()), FirstSix: card.BIN(), LastFour: card.Last4(),
		ExpiryMonth: card.ExpiryMonth, ExpiryYear: card.ExpiryYear}
	if err := s.svc.Tokens.CreateToken(ctx, t); err != nil {
		if opaygate.ErrorCode(err) == opaygate.EDUPLICATE {
			return nil, duplicateTokenReference(opaygate.ErrorMessage(err))
		}
		return nil, err
	}
	return tokenData(t), nil
}

// cardOf reads a card as payment/create's BankCard method does.
func cardOf(c *opay.BankCard) (opaygate.Card, error) {
	req := opay.PaymentCreateRequest{BankCard: c}
	params, err := method.BankCard{}.Params(&req)
	if err != nil {
		return opaygate.Card{}, err
	}
	return params.(opaygate.Card), nil
}

// tokenQuery reads one token (opayToken wins when both are given) or a customer's tokens.
func (s *Server) tokenQuery(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	if err := s.tokensFor(m); err != nil {
		return nil, err
	}
	var req opay.TokenQueryRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	switch {
	case req.OpayToken != "":
		t, err := s.findToken(ctx, m, req.OpayToken)
		if err != nil {
			return nil, err
		}
		return tokenData(t), nil
	case req.CustomerID != "":
		if err := opaygate.CheckText("customerId", req.CustomerID, maxCustomerID, true); err != nil {
			return nil, err
		}
		list, err := s.svc.Tokens.CustomerTokens(ctx, m.ID, req.CustomerID)
		if err != nil {
			return nil, err
		}
		d := opay.CustomerTokensData{Customer: opay.TokenCustomer{CustomerID: req.CustomerID}, CardTokens: []opay.CardToken{}}
		for i, t := range list {
			if i == 0 { // the newest token's details describe the customer
				d.Customer = customerOf(t)
			}
			td := tokenData(t)
			d.CardTokens = append(d.CardTokens, opay.CardToken{OpayToken: td.OpayToken, Brand: td.Brand,
				ExpiryYear: td.ExpiryYear, ExpiryMonth: td.ExpiryMonth, CreateTimestamp: td.CreateTimestamp,
				LastFourDigits: td.LastFourDigits, FirstSixDigits: td.FirstSixDigits})
		}
		return d, nil
	}
	return nil, invalid("opayToken or customerId is required")
}

// tokenDelete deletes a token; it stays stored for audit.
func (s *Server) tokenDelete(ctx context.Context, m *opaygate.Merchant, body []byte) (any, error) {
	if err := s.tokensFor(m); err != nil {
		return nil, err
	}
	var req opay.TokenQueryRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.OpayToken == "" {
		return nil, invalid("opayToken is required")
	}
	if !opaygate.ValidCardToken(req.OpayToken) {
		return nil, opaygate.Errorf(opaygate.ENOTFOUND, "token not found.")
	}
	if err := s.svc.Tokens.DeleteToken(ctx, m.ID, req.OpayToken); err != nil {
		return nil, err
	}
	return nil, nil
}

// findToken finds a usable token of the merchant; a malformed one is not found either.
func (s *Server) findToken(ctx context.Context, m *opaygate.Merchant, token string) (*opaygate.CardToken, error) {
	if !opaygate.ValidCardToken(token) {
		return nil, opaygate.Errorf(opaygate.ENOTFOUND, "token not found.")
	}
	return s.svc.Tokens.FindToken(ctx, m.ID, token)
}

// withToken fills in the card of a payment made with a token (METHODS.md §9.3): the method
// read the token's value, storage has the card's kept digits and expiry. Any other params
// pass unchanged.
func (s *Server) withToken(ctx context.Context, m *opaygate.Merchant, params any) (any, error) {
	card, ok := params.(opaygate.Card)
	if !ok || card.Token == "" {
		return params, nil
	}
	if s.svc.Tokens == nil {
		return nil, opaygate.Errorf(opaygate.ENOTFOUND, "token not found.")
	}
	t, err := s.findToken(ctx, m, card.Token)
	if err != nil {
		return nil, err
	}
	paid := t.Card(card.CVV)
	paid.Enable3DS = card.Enable3DS
	return paid, nil
}

func customerOf(t *opaygate.CardToken) opay.TokenCustomer {
	return opay.TokenCustomer{CustomerID: t.Customer.ID, CustomerName: t.Customer.Name,
		CustomerEmail: t.Customer.Email, CustomerMobile: t.Customer.Mobile}
}

func tokenData(t *opaygate.CardToken) opay.TokenData {
	return opay.TokenData{OpayToken: t.Token, Brand: t.Brand,
		ExpiryYear: fmt.Sprintf("%02d", t.ExpiryYear%100), ExpiryMonth: fmt.Sprintf("%02d", t.ExpiryMonth),
		CreateTimestamp: t.CreatedAt.Unix(), LastFourDigits: t.LastFour, FirstSixDigits: t.FirstSix,
		CustomerInfo: customerOf(t)}
}
