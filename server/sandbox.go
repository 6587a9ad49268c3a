package server

import (
	"net/http"
	"time"

	"github.com/opaygate/opaygate"
)

// The sandbox control API — only in sandbox mode, i.e. when Services.Sandbox is not nil. It is
// a development tool: it takes no merchant credentials, only the sandbox token when one is
// configured (sandboxauth.go), and every answer uses the API's envelope
// ({"code","message","data"}).
//
//	GET  /_sandbox/otp?orderNo=<orderNo>
//	GET  /_sandbox/otp?merchantId=<merchantId>&reference=<reference>
//	     The last OTP sent for an order: data {"orderNo":"…","otp":"123456"}.
//	     02006 when there is no such order or no OTP was sent for it.
//	GET  /_sandbox/clock
//	     The sandbox clock: data {"now":"<RFC 3339>","nowMs":<epoch ms>}.
//	POST /_sandbox/clock/advance   body {"seconds":N} or {"minutes":N} (or both, added)
//	     Moves the clock forward (never back, at most 366 days at a time) and answers like
//	     GET /_sandbox/clock. Orders and OTPs then expire as if that time had passed.
//	POST /_sandbox/reset
//	     Deletes all orders, invoices and recorded OTPs and reloads the demo data; data null.
//	GET  /_sandbox/callbacks?merchantId=&orderNo=&state=&limit=
//	     Callbacks, newest first, each with its payload (unsigned), delivery state and every
//	     attempt (at, httpStatus, error, durationMs). All filters are optional.
//	POST /_sandbox/callbacks/resend   body {"id":N}
//	     Makes a callback due now as a fresh round of retries (its history is kept) and answers
//	     it like the list does; 02006 when there is no such callback.
//	POST /_sandbox/orders/<action>   pay, decline, start, plan, pin, otp, 3ds, cancel,
//	     abandon, expire: the order's customer (sandbox_orders.go, sandbox_customer.go).
//	GET  /_sandbox/messages?orderNo=…   what the sandbox "sent" the order's customer.

// sandboxOTPData is the answer of GET /_sandbox/otp.
type sandboxOTPData struct {
	OrderNo string `json:"orderNo"`
	OTP     string `json:"otp"`
}

// sandboxClockData is the answer of the clock routes.
type sandboxClockData struct {
	Now   string `json:"now"`
	NowMs int64  `json:"nowMs"`
}

func (s *Server) sandboxOTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	orderNo := q.Get("orderNo")
	if orderNo == "" {
		merchantID, ref := q.Get("merchantId"), q.Get("reference")
		if merchantID == "" || ref == "" {
			s.fail(w, r, invalid("orderNo, or merchantId and reference, is required"))
			return
		}
		o, err := s.svc.Orders.FindOrder(r.Context(), merchantID, opaygate.OrderKey{Reference: ref})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		orderNo = o.OrderNo
	}
	otp, ok := s.svc.Sandbox.LastOTP(orderNo)
	if !ok {
		s.fail(w, r, opaygate.Errorf(opaygate.ENOTFOUND, "otp not found."))
		return
	}
	s.ok(w, r, sandboxOTPData{OrderNo: orderNo, OTP: otp})
}

func (s *Server) sandboxClock(w http.ResponseWriter, r *http.Request) {
	s.ok(w, r, s.clockData())
}

func (s *Server) sandboxAdvance(w http.ResponseWriter, r *http.Request) {
	body, status, err := readBody(w, r)
	if err != nil {
		s.writeStatus(w, r, status, err)
		return
	}
	var req struct {
		Seconds int64 `json:"seconds"`
		Minutes int64 `json:"minutes"`
	}
	if err := decode(body, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	const maxSeconds = 366 * 24 * 3600
	if req.Seconds < 0 || req.Minutes < 0 || req.Seconds > maxSeconds || req.Minutes > maxSeconds/60 ||
		req.Seconds+req.Minutes*60 == 0 || req.Seconds+req.Minutes*60 > maxSeconds {
		s.fail(w, r, invalid("seconds or minutes must be a positive integer, at most 366 days in all"))
		return
	}
	s.svc.Sandbox.Advance(time.Duration(req.Seconds+req.Minutes*60) * time.Second)
	s.ok(w, r, s.clockData())
}

func (s *Server) sandboxReset(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.Sandbox.Reset(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.ok(w, r, nil)
}

func (s *Server) clockData() sandboxClockData {
	now := s.svc.Clock.Now().UTC()
	return sandboxClockData{Now: now.Format(time.RFC3339Nano), NowMs: now.UnixMilli()}
}
