package server

import (
	"net/http"
	"strings"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// The sandbox's view of the merchants' balances (METHODS.md §10.4): read them, and top up a
// merchant's cash so that its payouts can be tried beyond the demo merchants' opening cash.

// sandboxBalance is one currency of a merchant's balance, in minor units.
type sandboxBalance struct {
	MerchantID string `json:"merchantId"`
	Currency   string `json:"currency"`
	Unsettled  int64  `json:"unsettled"`
	Cash       int64  `json:"cash"`
}

func balanceView(b opaygate.Balance) sandboxBalance {
	return sandboxBalance{MerchantID: b.MerchantID, Currency: b.Currency, Unsettled: b.Unsettled, Cash: b.Cash}
}

// sandboxBalances answers GET /_sandbox/balance?merchantId=…: the merchant's balance in every
// currency it has one in.
func (s *Server) sandboxBalances(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.URL.Query().Get("merchantId"))
	if id == "" {
		s.fail(w, r, invalid("merchantId is required"))
		return
	}
	if _, err := s.svc.Merchants.FindMerchant(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.svc.Ledger.Balances(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	views := make([]sandboxBalance, 0, len(list))
	for _, b := range list {
		views = append(views, balanceView(b))
	}
	s.ok(w, r, views)
}

// sandboxCredit answers POST /_sandbox/balance/credit {merchantId, currency, amount, reference?}:
// amount minor units more cash. A reference makes the credit idempotent.
func (s *Server) sandboxCredit(w http.ResponseWriter, r *http.Request) {
	body, status, err := readBody(w, r)
	if err != nil {
		s.writeStatus(w, r, status, err)
		return
	}
	var req struct {
		MerchantID string           `json:"merchantId"`
		Currency   string           `json:"currency"`
		Amount     opay.Int64String `json:"amount"`
		Reference  string           `json:"reference"`
	}
	if err := decode(body, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	switch {
	case req.MerchantID == "":
		err = invalid("merchantId is required")
	case !opaygate.KnownCurrency(req.Currency):
		err = invalid("currency must be the currency of a supported country (EGP, NGN)")
	case req.Amount <= 0 || int64(req.Amount) > opaygate.MaxAmount:
		err = invalid("amount must be a positive number of minor units, at most %d", opaygate.MaxAmount)
	case len(req.Reference) > 64:
		err = invalid("reference must be at most 64 characters")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := s.svc.Ledger.Credit(r.Context(), req.MerchantID, req.Currency, int64(req.Amount), req.Reference)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.ok(w, r, balanceView(b))
}
