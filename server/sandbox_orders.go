package server

import (
	"context"
	"net/http"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// The sandbox's control of an order's customer (METHODS.md §8.13, docs/sandbox.md "Play the
// customer"): what the customer would do on the checkout, the 3-D Secure page, the wallet or
// the kiosk, over plain JSON, so that a test in any language can drive every method without a
// browser or a signature. Sandbox mode only, like the rest of /_sandbox/.
//
// Every route takes a finder — {"orderNo":"…"}, {"merchantId":"…","reference":"…"}, or a
// method identifier, {"referenceCode":"…"} or {"transferAccountNumber":"…"} (the kiosk's or
// the bank's view: it knows the code, not the merchant) — and answers the order as
// cashier/status shows it, plus its payMethod and, while it waits for one, its nextAction.
// The actions themselves are in sandbox_customer.go.

// sandboxOrderRequest finds the order a sandbox control acts on, and says how the customer
// acts. Every member but the finder is optional and has a sandbox default.
type sandboxOrderRequest struct {
	OrderNo               string `json:"orderNo"`
	MerchantID            string `json:"merchantId"`
	Reference             string `json:"reference"`
	ReferenceCode         string `json:"referenceCode"`
	TransferAccountNumber string `json:"transferAccountNumber"`

	// FailureCode makes the payment end FAIL with that code of OPay's test table, as the
	// customer's bank, wallet or ValU would answer it.
	FailureCode string           `json:"failureCode"`
	Amount      opay.Int64String `json:"amount"` // BankTransfer: what arrived
	Months      opay.Int64String `json:"months"` // ValU's plan; BankInstallment's plan
	OTP         string           `json:"otp"`
	PIN         string           `json:"pin"`

	// PayMethod is the method the customer chooses on the checkout, for an order still
	// INITIAL; the details below are what its form asks.
	PayMethod string `json:"payMethod"`
	sandboxCustomer
}

// sandboxOrderData is the answer of the customer controls: the order as cashier/status shows
// it, plus what a tester needs to act next.
type sandboxOrderData struct {
	opay.CashierStatusData
	PayMethod  string           `json:"payMethod,omitempty"`
	NextAction *opay.NextAction `json:"nextAction,omitempty"`
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
		d := sandboxOrderData{CashierStatusData: opay.CashierStatusData{Reference: o.Reference, OrderNo: o.OrderNo,
			Status: string(o.Status), VAT: vatOf(o), Amount: amountOf(o), CreateTime: o.CreatedAt.UnixMilli(),
			IsVoided: isVoided(o)}, PayMethod: o.PayMethod, NextAction: s.nextAction(o)}
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
