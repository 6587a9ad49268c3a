package server

import (
	"context"
	"net/http"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// The sandbox's control of the customer's steps outside the API (METHODS.md §8.13): the
// payment network's side of a QR scan, a wallet approval, a dialled USSD code. Sandbox mode
// only, like the rest of /_sandbox/.
//
//	POST /_sandbox/orders/pay      {"orderNo":"…"} or {"merchantId":"…","reference":"…"}, or a
//	     method identifier, {"referenceCode":"…"} or {"transferAccountNumber":"…"} (the
//	     kiosk's or the bank's view: it knows the code, not the merchant)
//	     The customer did the awaited step; the acquirer then decides as for every payment
//	     (amount triggers, identifier rule): SUCCESS or FAIL. A BankTransfer may say how much
//	     arrived, "amount" (minor units): another amount than the order's fails it with 13.
//	POST /_sandbox/orders/decline  the finder and an optional "failureCode" (05, 13, 51, 54,
//	     57, 62; default 05): FAIL with that code.
//	POST /_sandbox/orders/expire   the finder: CLOSE ORDER_EXPIRED now, without moving the clock.
//
// Each answers the order as cashier/status shows it. An order waiting for something the API
// must do (a plan, an OTP) or already final is 02010; no such order is 02006.

// sandboxOrderRequest finds the order a sandbox control acts on.
type sandboxOrderRequest struct {
	OrderNo               string           `json:"orderNo"`
	MerchantID            string           `json:"merchantId"`
	Reference             string           `json:"reference"`
	ReferenceCode         string           `json:"referenceCode"`
	TransferAccountNumber string           `json:"transferAccountNumber"`
	FailureCode           string           `json:"failureCode"`
	Amount                opay.Int64String `json:"amount"` // pay, BankTransfer: what arrived
}

// sandboxOrderAction runs one control on the order the request names.
func (s *Server) sandboxOrderAction(act func(ctx context.Context, o *opaygate.Order, req sandboxOrderRequest) (*opaygate.Order, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, status, err := readBody(w, r)
		if err != nil {
			s.writeStatus(w, r, status, err)
			return
		}
		var req sandboxOrderRequest
		if err := decode(body, &req); err != nil {
			s.fail(w, r, err)
			return
		}
		ctx := r.Context()
		var o *opaygate.Order
		switch {
		case req.OrderNo != "":
			o, err = s.svc.Orders.FindOrderByNo(ctx, req.OrderNo)
		case req.MerchantID != "" && req.Reference != "":
			o, err = s.svc.Orders.FindOrder(ctx, req.MerchantID, opaygate.OrderKey{Reference: req.Reference})
		case req.ReferenceCode != "":
			o, err = s.svc.Orders.FindOrderByIdentifier(ctx, opaygate.DataReferenceCode, req.ReferenceCode)
		case req.TransferAccountNumber != "":
			o, err = s.svc.Orders.FindOrderByIdentifier(ctx, opaygate.DataTransferAccount, req.TransferAccountNumber)
		default:
			err = invalid("orderNo, merchantId and reference, referenceCode or transferAccountNumber is required")
		}
		if err == nil {
			o, err = act(ctx, o, req)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d := opay.CashierStatusData{Reference: o.Reference, OrderNo: o.OrderNo, Status: string(o.Status),
			VAT: vatOf(o), Amount: amountOf(o), CreateTime: o.CreatedAt.UnixMilli(), IsVoided: o.Voided}
		d.FailureCode, d.FailureReason = failureOf(o)
		s.ok(w, r, d)
	}
}

// sandboxMessage is one message of GET /_sandbox/messages.
type sandboxMessage struct {
	Channel string `json:"channel"`
	To      string `json:"to"`
	Text    string `json:"text"`
	At      string `json:"at"`
}

// sandboxMessages lists what the sandbox "sent" for an order — OTPs, a wallet's
// request-to-pay, notices — newest first:
//
//	GET /_sandbox/messages?orderNo=…   or   ?merchantId=…&reference=…
func (s *Server) sandboxMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var o *opaygate.Order
	var err error
	switch {
	case q.Get("orderNo") != "":
		o, err = s.svc.Orders.FindOrderByNo(r.Context(), q.Get("orderNo"))
	case q.Get("merchantId") != "" && q.Get("reference") != "":
		o, err = s.svc.Orders.FindOrder(r.Context(), q.Get("merchantId"), opaygate.OrderKey{Reference: q.Get("reference")})
	default:
		err = invalid("orderNo, or merchantId and reference, is required")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list := []sandboxMessage{}
	for _, m := range s.svc.Sandbox.Messages(o.OrderNo) {
		list = append(list, sandboxMessage{Channel: m.Channel, To: m.To, Text: m.Text, At: rfc3339(m.At)})
	}
	s.ok(w, r, list)
}

func (s *Server) sandboxPay(ctx context.Context, o *opaygate.Order, req sandboxOrderRequest) (*opaygate.Order, error) {
	d := opaygate.Decision{Approved: true}
	if req.Amount != 0 {
		// Only a transfer's amount is the customer's to get wrong; the other methods charge
		// the order's.
		if o.PayMethod != opaygate.PayMethodBankTransfer {
			return nil, invalid("amount applies to BankTransfer orders only")
		}
		if int64(req.Amount) != o.Amount {
			d, _ = opaygate.DeclineFor("13")
		}
	}
	return s.svc.Orders.ReportExternal(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID}, d)
}

func (s *Server) sandboxDecline(ctx context.Context, o *opaygate.Order, req sandboxOrderRequest) (*opaygate.Order, error) {
	code := req.FailureCode
	if code == "" {
		code = "05"
	}
	d, ok := opaygate.DeclineFor(code)
	if !ok {
		return nil, invalid("failureCode must be one of 05, 13, 51, 54, 57, 62")
	}
	return s.svc.Orders.ReportExternal(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID}, d)
}

func (s *Server) sandboxExpire(ctx context.Context, o *opaygate.Order, _ sandboxOrderRequest) (*opaygate.Order, error) {
	return s.svc.Orders.ExpireNow(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID})
}
