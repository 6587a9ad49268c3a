package server

import (
	"strings"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// maxProductName bounds a productList line's name (METHODS.md §8.y). The other bounds are
// validate's, shared with the pages and the dashboard.
const maxProductName = 100

// country validates a country code and returns its currency.
func country(field, c string) (string, error) {
	if c == "" {
		return "", invalid("%s is required", field)
	}
	cur := opaygate.CurrencyOf(c)
	if cur == "" {
		return "", invalid("%s must be one of %s", field, strings.Join(opaygate.Countries(), ", "))
	}
	return cur, nil
}

// amount validates a positive amount in the currency of the country.
func amount(field string, a opay.Amount, currency string) error {
	if a.Total <= 0 || a.Total > opaygate.MaxAmount {
		return invalid("%s.total must be a positive integer of at most 10^13", field)
	}
	return amountCurrency(field, a.Currency, currency)
}

func amountCurrency(field, got, want string) error {
	switch {
	case got == "":
		return invalid("%s.currency is required", field)
	case !opaygate.KnownCurrency(got):
		return invalid("%s.currency must be one of EGP, NGN", field)
	case got != want:
		return invalid("%s.currency must be %s for this country", field, want)
	}
	return nil
}

// checkCallbackURL validates a callbackUrl and, where the gateway guards callback targets
// (Config.CallbackTargets), refuses one that delivery would refuse: better a 02001 now than a
// callback retried against a closed door for days. It resolves nothing, so it costs no
// network call and holds no transaction open; a name that resolves to an internal address is
// refused by delivery instead (notify.Guard.CheckURL).
func (s *Server) checkCallbackURL(u string) error { return s.checkTargetURL("callbackUrl", u) }

// checkTargetURL is checkCallbackURL for any field the gateway will POST to (a payout's
// notifyUrl).
func (s *Server) checkTargetURL(field, u string) error {
	if err := opaygate.CheckURL(field, u, false); err != nil || u == "" {
		return err
	}
	if s.cfg.CallbackTargets == nil {
		return nil
	}
	if err := s.cfg.CallbackTargets.CheckURL(u); err != nil {
		return invalid("%s must not name an internal address: %v", field, err)
	}
	return nil
}
