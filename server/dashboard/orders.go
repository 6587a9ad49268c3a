package dashboard

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/opaygate/opaygate"
)

// ordersPage is the data of the order listing.
type ordersPage struct {
	Orders   []*opaygate.Order
	Filter   url.Values
	Statuses []opaygate.OrderStatus
	Methods  []string
	Pager    pager
	Problems []string // filters that were ignored, and why
}

// orders lists the merchant's orders, newest first, filtered by status, pay method and
// creation date (UTC days, both ends included), or searched by reference or orderNo.
func (d *Dashboard) orders(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	f := opaygate.OrderFilter{MerchantID: v.m.ID, Limit: pageSize}
	data := ordersPage{Filter: q, Methods: d.svc.Methods,
		Statuses: []opaygate.OrderStatus{opaygate.StatusInitial, opaygate.StatusPending, opaygate.StatusSuccess,
			opaygate.StatusFail, opaygate.StatusClose}}
	if st := opaygate.OrderStatus(q.Get("status")); st != "" {
		if slices.Contains(data.Statuses, st) {
			f.Status = st
		} else {
			data.Problems = append(data.Problems, "unknown status ignored")
		}
	}
	switch m := q.Get("method"); {
	case m == "":
	case slices.Contains(d.svc.Methods, m):
		f.PayMethod = m
	default:
		data.Problems = append(data.Problems, "unknown pay method ignored")
	}
	if s := q.Get("from"); s != "" {
		if t, err := parseDate("from", s); err == nil {
			f.From = t
		} else {
			data.Problems = append(data.Problems, opaygate.ErrorMessage(err))
		}
	}
	if s := q.Get("to"); s != "" {
		if t, err := parseDate("to", s); err == nil {
			f.To = t.AddDate(0, 0, 1)
		} else {
			data.Problems = append(data.Problems, opaygate.ErrorMessage(err))
		}
	}
	f.Search = strings.TrimSpace(q.Get("q"))
	if len(f.Search) > 128 {
		f.Search = f.Search[:128]
	}
	pageNo := pageNumber(q)
	f.Offset = (pageNo - 1) * pageSize
	list, total, err := d.svc.Orders.ListOrders(r.Context(), f)
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	data.Orders = list
	data.Pager = newPager("/dashboard/orders", q, pageNo, total)
	d.render(w, r, http.StatusOK, "orders", v, page{Title: "Orders", Nav: "orders", Data: data})
}

// orderPage is the data of one order's page.
type orderPage struct {
	Order      *opaygate.Order
	Events     []*opaygate.OrderEvent
	Callbacks  []*opaygate.Callback
	Refunds    []*opaygate.Refund
	HasRefunds bool // the gateway has refunds at all
	// HasCallbacks says whether the callback outbox is wired; when it is not the page says
	// that callbacks cannot be shown here.
	HasCallbacks bool
	CanClose     bool
	CanRefund    bool
	Refundable   int64
	Refund       refundForm
}

type refundForm struct {
	Reference string
	Amount    string
	Reason    string
}

// order shows one order with its timeline, callbacks and refunds.
func (d *Dashboard) order(w http.ResponseWriter, r *http.Request, v *visit) {
	d.showOrder(w, r, v, http.StatusOK, "", refundForm{})
}

func (d *Dashboard) showOrder(w http.ResponseWriter, r *http.Request, v *visit, status int, problem string, rf refundForm) {
	o, ok := d.findOrder(w, r, v)
	if !ok {
		return
	}
	ctx := r.Context()
	events, err := d.svc.Orders.OrderEvents(ctx, o.ID)
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	data := orderPage{Order: o, Events: events, CanClose: !o.Status.Final(), Refund: rf,
		HasRefunds: d.svc.Refunds != nil, HasCallbacks: d.svc.Callbacks != nil}
	if d.svc.Callbacks != nil {
		if data.Callbacks, err = d.svc.Callbacks.ListCallbacks(ctx, opaygate.CallbackFilter{
			MerchantID: v.m.ID, OrderNo: o.OrderNo, Limit: 100}); err != nil {
			d.fail(w, r, v, err)
			return
		}
	}
	if d.svc.Refunds != nil {
		if data.Refunds, err = d.svc.Refunds.ListRefunds(ctx, v.m.ID, opaygate.OrderKey{ID: o.ID}); err != nil {
			d.fail(w, r, v, err)
			return
		}
		data.Refundable = o.Amount - o.Refunded
		data.CanRefund = o.Status == opaygate.StatusSuccess && data.Refundable > 0
		if data.Refund.Reference == "" {
			data.Refund.Reference = "RF" + o.OrderNo + "-" + strconv.Itoa(len(data.Refunds)+1)
		}
		if data.Refund.Amount == "" {
			data.Refund.Amount = major(data.Refundable)
		}
	}
	d.render(w, r, status, "order", v, page{Title: "Order " + o.OrderNo, Nav: "orders", Error: problem, Data: data})
}

// findOrder loads the order named by the path, answering 404 for anything that is not one of
// this merchant's orders.
func (d *Dashboard) findOrder(w http.ResponseWriter, r *http.Request, v *visit) (*opaygate.Order, bool) {
	no := r.PathValue("orderNo")
	if !opaygate.Digits(no) || len(no) > 32 {
		d.notFound(w, r, v)
		return nil, false
	}
	o, err := d.svc.Orders.FindOrder(r.Context(), v.m.ID, opaygate.OrderKey{OrderNo: no})
	if err != nil {
		d.fail(w, r, v, err)
		return nil, false
	}
	return o, true
}

// closeOrder closes an open order through the same state machine as payment/close.
func (d *Dashboard) closeOrder(w http.ResponseWriter, r *http.Request, v *visit) {
	no := r.PathValue("orderNo")
	if !opaygate.Digits(no) || len(no) > 32 {
		d.notFound(w, r, v)
		return
	}
	if _, err := d.svc.Orders.CloseOrder(r.Context(), v.m.ID, opaygate.OrderKey{OrderNo: no}); err != nil {
		status, msg, ok := formError(err)
		if !ok {
			d.fail(w, r, v, err)
			return
		}
		d.showOrder(w, r, v, status, msg, refundForm{})
		return
	}
	d.redirect(w, r, "/dashboard/orders/"+no+"?ok=closed")
}

// refundOrder refunds part or all of a SUCCESS order to the instrument that paid it.
func (d *Dashboard) refundOrder(w http.ResponseWriter, r *http.Request, v *visit) {
	no := r.PathValue("orderNo")
	if d.svc.Refunds == nil {
		d.fail(w, r, v, opaygate.Errorf(opaygate.ENOTCONFIGURED, "refunds are not available on this gateway"))
		return
	}
	if !opaygate.Digits(no) || len(no) > 32 {
		d.notFound(w, r, v)
		return
	}
	rf := refundForm{Reference: strings.TrimSpace(r.PostFormValue("reference")),
		Amount: r.PostFormValue("amount"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	err := v.m.Check(opaygate.FuncRefund, "")
	if err == nil {
		err = opaygate.CheckReference("reference", rf.Reference)
	}
	if err == nil {
		err = opaygate.CheckText("reason", rf.Reason, opaygate.MaxNameLength, false)
	}
	var amount int64
	if err == nil {
		amount, err = parseMoney("amount", rf.Amount)
	}
	if err == nil {
		err = d.svc.Refunds.CreateRefund(r.Context(), &opaygate.Refund{MerchantID: v.m.ID, Reference: rf.Reference,
			Amount: amount, Way: opaygate.RefundWayOriginal, Reason: rf.Reason}, opaygate.OrderKey{OrderNo: no})
	}
	if err != nil {
		status, msg, ok := formError(err)
		if !ok {
			d.fail(w, r, v, err)
			return
		}
		d.showOrder(w, r, v, status, msg, rf)
		return
	}
	d.redirect(w, r, "/dashboard/orders/"+no+"?ok=refunded")
}

// resendCallback makes one of the order's callbacks due again. The outbox finds callbacks by
// id alone, so the callback is checked to be this merchant's and this order's first.
func (d *Dashboard) resendCallback(w http.ResponseWriter, r *http.Request, v *visit) {
	no := r.PathValue("orderNo")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if d.svc.Callbacks == nil || err != nil || id <= 0 || !opaygate.Digits(no) {
		d.notFound(w, r, v)
		return
	}
	c, err := d.svc.Callbacks.FindCallback(r.Context(), id)
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	if c.MerchantID != v.m.ID || c.OrderNo != no {
		d.notFound(w, r, v)
		return
	}
	if _, err := d.svc.Callbacks.ResendCallback(r.Context(), id); err != nil {
		d.fail(w, r, v, err)
		return
	}
	d.redirect(w, r, "/dashboard/orders/"+no+"?ok=resent#callbacks")
}
