package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// messageUnavailable is the one thing an internal error ever says.
const messageUnavailable = "service not available, please try again."

// wireCode says how a domain error code is answered. The message is fixed when fixed is set;
// otherwise it is prefix + the domain message (fallback when that is empty).
type wireCode struct {
	code     string
	fixed    string
	prefix   string
	fallback string
}

// codes is the one table from domain error codes to wire codes and messages (spec section 3).
var codes = map[string]wireCode{
	opaygate.EINVALID:         {code: opay.CodeInvalidParams, prefix: "request params not valid: ", fallback: "invalid request"},
	opaygate.EUNAUTHENTICATED: {code: opay.CodeAuthFailed, fixed: "authentication failed."},
	opaygate.ENOTCONFIGURED:   {code: opay.CodeNotConfigured, fixed: "merchant not configured with this function."},
	opaygate.EPAYMETHOD:       {code: opay.CodePayMethod, fixed: "payMethod not support."},
	opaygate.EDUPLICATE:       {code: opay.CodeDuplicate, fixed: "the payment reference(merchant order number) already exists."},
	opaygate.ENOTFOUND:        {code: opay.CodeNotFound, fallback: "not found."},
	opaygate.EDISABLED:        {code: opay.CodeMerchantDisabled, fixed: "merchant not available."},
	opaygate.EINTERNAL:        {code: opay.CodeUnavailable, fixed: messageUnavailable},
	opaygate.EORDERSTATE:      {code: opay.CodeOrderState, prefix: "order status does not allow this action: ", fallback: "not allowed"},
	opaygate.EOTPINVALID:      {code: opay.CodeOTPInvalid, fallback: "invalid otp"},
	opaygate.EOTPEXPIRED:      {code: opay.CodeOTPExpired, fallback: "otp expired, request a new one"},
	opaygate.EREFUNDEXCEEDS:   {code: opay.CodeRefundExceeds, fixed: "refund amount exceeds the refundable amount"},
	opaygate.EINVOICESTATE:    {code: opay.CodeInvoiceState, prefix: "invoice status does not allow this action: ", fallback: "not allowed"},
}

// wireError is an answer already in wire terms, for the few cases no domain code describes
// (a recovered panic).
type wireError struct {
	code, message string
}

func (e *wireError) Error() string { return e.code + " " + e.message }

// invalid is a 02001 naming a field and its problem.
func invalid(format string, args ...any) error { return opaygate.Invalid(format, args...) }

// toWire maps err to the envelope's code, message and data. Anything that is not a domain
// error is internal: it is logged by the caller and answered 50003 without its text.
func toWire(err error) (code, message string, data json.RawMessage, internal bool) {
	var we *wireError
	if errors.As(err, &we) {
		return we.code, we.message, nil, false
	}
	var e *opaygate.Error
	if !errors.As(err, &e) {
		return opay.CodeUnavailable, messageUnavailable, nil, true
	}
	wc, ok := codes[e.Code]
	if !ok {
		return opay.CodeUnavailable, messageUnavailable, nil, true
	}
	message = wc.fixed
	if message == "" {
		msg := e.Message
		if msg == "" {
			msg = wc.fallback
		}
		message = msg
		if wc.prefix != "" && !strings.HasPrefix(msg, wc.prefix) {
			message = wc.prefix + msg
		}
	}
	switch e.Code {
	case opaygate.EDUPLICATE:
		if e.Existing != nil {
			data, _ = json.Marshal(opay.DuplicateData{
				Reference: e.Existing.Reference, OrderNo: e.Existing.No, Status: e.Existing.Status,
			})
		}
	case opaygate.EINVOICESTATE:
		// cancelInvoice answers the JSON string "false" (OPay's documented shape), and it
		// is the only endpoint whose invoice state can refuse an action.
		data = json.RawMessage(`"false"`)
	case opaygate.EINTERNAL:
		internal = true
	}
	return wc.code, message, data, internal
}

// fail answers err with HTTP 200, as every API answer is.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.writeStatus(w, r, http.StatusOK, err)
}

// writeStatus answers err with the given HTTP status.
func (s *Server) writeStatus(w http.ResponseWriter, r *http.Request, status int, err error) {
	code, message, data, internal := toWire(err)
	if internal {
		// Only the log sees the Go error; the client sees 50003.
		s.log.Error("internal error", "request_id", exchangeOf(r.Context()).id, "path", r.URL.Path, "err", err)
	}
	s.write(w, r, status, opay.Response{Code: code, Message: message, Data: data})
}

// ok answers 00000 with data.
func (s *Server) ok(w http.ResponseWriter, r *http.Request, data any) {
	raw, err := marshal(data)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.write(w, r, http.StatusOK, opay.Response{Code: opay.CodeSuccess, Message: opay.MessageSuccess, Data: raw})
}

func (s *Server) write(w http.ResponseWriter, r *http.Request, status int, resp opay.Response) {
	x := exchangeOf(r.Context())
	x.code, x.status, x.wrote = resp.Code, status, true
	body, err := marshal(resp)
	if err != nil {
		s.log.Error("encode response", "request_id", x.id, "err", err)
		body = []byte(`{"code":"50003","message":"` + messageUnavailable + `","data":null}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// marshal encodes without HTML escaping, so URLs in answers read as they were built.
func marshal(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
