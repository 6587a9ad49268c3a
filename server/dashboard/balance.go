package dashboard

import (
	"net/http"

	"github.com/opaygate/opaygate"
)

// The Balance page: the merchant's UNSETTLED_ACCOUNT and CASH_ACCOUNT in each currency, the
// numbers payout/balance answers, and the latest ledger entries that made them
// (METHODS.md §10.4).

// balanceEntries is how many of the latest entries the page lists.
const balanceEntries = 50

type balancePage struct {
	Balances []opaygate.Balance
	Entries  []*opaygate.LedgerEntry
}

func (d *Dashboard) balance(w http.ResponseWriter, r *http.Request, v *visit) {
	var data balancePage
	var err error
	if data.Balances, err = d.svc.Ledger.Balances(r.Context(), v.m.ID); err != nil {
		d.fail(w, r, v, err)
		return
	}
	if data.Entries, err = d.svc.Ledger.Entries(r.Context(), v.m.ID, "", balanceEntries); err != nil {
		d.fail(w, r, v, err)
		return
	}
	d.render(w, r, http.StatusOK, "balance", v, page{Title: "Balance", Nav: "balance", Data: data})
}
