package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/server/internal/httplog"
)

// messageUnavailable is the one thing an internal error ever says.
const messageUnavailable = opay.MessageUnavailable

// wireCode says how a domain error code is answered: its code, and its message when OPay's
// pages fix one. Without a fixed message the domain message is the wire message (the
// gateway's own codes, 02010–02014, and 02006, whose message names the object).
type wireCode struct {
	code     string
	fixed    string
	fallback string
}

// codes is the one table from domain error codes to wire codes and messages (spec section 3).
// EINVALID's message depends on the endpoint and the sentence: see invalidMessage.
var codes = map[string]wireCode{
	opaygate.EINVALID:         {code: opay.CodeInvalidParams, fixed: opay.MessageInvalidParams},
	opaygate.EUNAUTHENTICATED: {code: opay.CodeAuthFailed, fixed: opay.MessageAuthFailed},
	opaygate.ENOTCONFIGURED:   {code: opay.CodeNotConfigured, fixed: opay.MessageNotConfigured},
	opaygate.EPAYMETHOD:       {code: opay.CodePayMethod, fixed: opay.MessagePayMethod},
	opaygate.EDUPLICATE:       {code: opay.CodeDuplicate, fixed: opay.MessageDuplicate},
	opaygate.ENOTFOUND:        {code: opay.CodeNotFound, fallback: "not found."},
	opaygate.EDISABLED:        {code: opay.CodeMerchantDisabled, fixed: opay.MessageMerchantDisabled},
	opaygate.EINTERNAL:        {code: opay.CodeUnavailable, fixed: messageUnavailable},
	opaygate.EORDERSTATE:      {code: opay.CodeOrderState, fallback: "order status does not allow this action"},
	opaygate.EOTPINVALID:      {code: opay.CodeOTPInvalid, fallback: "invalid otp"},
	opaygate.EOTPEXPIRED:      {code: opay.CodeOTPExpired, fallback: "otp expired, request a new one"},
	opaygate.EREFUNDEXCEEDS:   {code: opay.CodeRefundExceeds, fixed: "refund amount exceeds the refundable amount"},
	opaygate.EINVOICESTATE:    {code: opay.CodeInvoiceState, fallback: "invoice status does not allow this action"},
}

// The gateway's own codes carry their detail in the message, after this prefix (spec
// section 3 allows it for codes OPay does not document).
var detailPrefix = map[string]string{
	opaygate.EORDERSTATE:   "order status does not allow this action: ",
	opaygate.EINVOICESTATE: "invoice status does not allow this action: ",
}

// invoiceSentences are the 02001 messages of OPay's invoice pages. Each is the whole message
// of its answer, as printed there, instead of "request params not valid.".
var invoiceSentences = map[string]bool{
	"Invalid characters in mobile number.":                                              true,
	"Mobile number format should be like this +201088889999":                            true,
	"Mobile number format should be like this +2348031234567":                           true, // NG's example
	"Merchant Product ID does not exist, please create it in merchant dashboard first.": true,
	"Please merge the same products.":                                                   true,
	"Products is required.":                                                             true,
	"Invoice amount can not be 0":                                                       true,
}

// parametersPaths are the endpoints of OPay's ValU page, whose 02001 reads "request
// parameters not valid.". The action endpoints share it: resend-otp is one of them.
var parametersPaths = map[string]bool{
	"/api/v1/international/payment/create":           true,
	"/api/v1/payment/action/input-installment-month": true,
	"/api/v1/payment/action/input-otp":               true,
	"/api/v1/payment/action/resend-otp":              true,
}

// invalidMessage is the body's message of a 02001 answered on path.
func invalidMessage(path, detail string) string {
	switch {
	case invoiceSentences[detail]:
		return detail
	case parametersPaths[path]:
		return opay.MessageInvalidParameters
	}
	return opay.MessageInvalidParams
}

// wireError is an answer already in wire terms, for the few cases no domain code describes
// (a recovered panic, a server too busy to read a body), with an optional detail.
type wireError struct {
	code, message, detail string
}

func (e *wireError) Error() string { return e.code + " " + e.message }

// invalid is a 02001 naming a field and its problem. The body says OPay's sentence; the
// field and the problem go to the X-Opaygate-Detail header and the log line.
func invalid(format string, args ...any) error { return opaygate.Invalid(format, args...) }

// answer is an error in wire terms: the envelope's code, message and data, and the detail
// for the header and the log. internal marks an error whose Go text only the log may see.
type answer struct {
	code, message, detail string
	data                  json.RawMessage
	internal              bool
}

// toWire maps err, answered on path, to the envelope. Anything that is not a domain error is
// internal: it is logged by the caller and answered 50003 without its text.
func toWire(err error, path string) answer {
	var we *wireError
	if errors.As(err, &we) {
		return answer{code: we.code, message: we.message, detail: we.detail}
	}
	var e *opaygate.Error
	if !errors.As(err, &e) {
		return answer{code: opay.CodeUnavailable, message: messageUnavailable, internal: true}
	}
	wc, ok := codes[e.Code]
	if !ok {
		return answer{code: opay.CodeUnavailable, message: messageUnavailable, internal: true}
	}
	a := answer{code: wc.code, message: wc.fixed, detail: e.Message}
	switch {
	case e.Code == opaygate.EINVALID:
		a.message = invalidMessage(path, e.Message)
	case a.message == "" && e.Message == "":
		a.message = wc.fallback
	case a.message == "":
		a.message = e.Message
		if p := detailPrefix[e.Code]; p != "" && !strings.HasPrefix(a.message, p) {
			a.message = p + a.message
		}
	}
	switch e.Code {
	case opaygate.EDUPLICATE:
		// OPay answers 02004 with data null; the object that holds the reference is named
		// in the detail only, and a client recovers it with cashier/status by reference.
		if x := e.Existing; x != nil {
			a.detail = fmt.Sprintf("reference %s is already used by %s (%s)", x.Reference, x.No, x.Status)
		}
	case opaygate.EINVOICESTATE:
		// cancelInvoice answers the JSON string "false" (OPay's documented shape), and it
		// is the only endpoint whose invoice state can refuse an action.
		a.data = json.RawMessage(`"false"`)
	case opaygate.EINTERNAL:
		a.internal = true
	}
	if a.detail == a.message {
		a.detail = ""
	}
	return a
}

// fail answers err with HTTP 200, as every API answer is.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.writeStatus(w, r, http.StatusOK, err)
}

// writeStatus answers err with the given HTTP status. The detail goes to the request's log
// line, and to the X-Opaygate-Detail header except for a failed authentication in live mode,
// which tells a stranger nothing.
func (s *Server) writeStatus(w http.ResponseWriter, r *http.Request, status int, err error) {
	a := toWire(err, r.URL.Path)
	x := httplog.From(r.Context())
	if a.internal {
		// Only the log sees the Go error; the client sees 50003.
		s.log.Error("internal error", "request_id", x.ID, "path", r.URL.Path, "err", err)
	}
	if a.detail != "" {
		x.Detail = a.detail
		if a.code != opay.CodeAuthFailed || s.cfg.Mode != "live" {
			w.Header().Set(opay.HeaderDetail, headerValue(a.detail))
		}
	}
	s.write(w, r, status, opay.Response{Code: a.code, Message: a.message, Data: a.data})
}

// warn notes for the answer's X-Opaygate-Warning header, and its log line, that a value was
// read differently from how it was sent. An answer that fails does not carry it.
func warn(ctx context.Context, msg string) { httplog.From(ctx).Warning = msg }

// maxHeaderValue bounds a detail header: a field path and its problem fit in far less.
const maxHeaderValue = 512

// headerValue makes s safe for a header: printable ASCII only, other runes escaped as Go
// would quote them, at most maxHeaderValue bytes.
func headerValue(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		if b.Len() >= maxHeaderValue {
			return b.String()[:maxHeaderValue]
		}
	}
	return b.String()
}

// ok answers 00000 with data.
func (s *Server) ok(w http.ResponseWriter, r *http.Request, data any) {
	raw, err := marshal(data)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if x := httplog.From(r.Context()); x.Warning != "" {
		w.Header().Set(opay.HeaderWarning, headerValue(x.Warning))
	}
	s.write(w, r, http.StatusOK, opay.Response{Code: opay.CodeSuccess, Message: opay.MessageSuccess, Data: raw})
}

func (s *Server) write(w http.ResponseWriter, r *http.Request, status int, resp opay.Response) {
	x := httplog.From(r.Context())
	x.Code, x.Status, x.Wrote = resp.Code, status, true
	body, err := envelope(resp)
	if err != nil {
		s.log.Error("encode response", "request_id", x.ID, "err", err)
		body = []byte(`{"code":"50003","message":"` + messageUnavailable + `","data":null}`)
	}
	x.Answer = body
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// envelope is marshal(resp) for a resp whose Data is compact JSON or nil (null), as marshal's
// output and the answers' literals are: the data, most of an answer's bytes, is copied, not
// encoded again (TestEnvelope holds the two to the same bytes).
func envelope(resp opay.Response) ([]byte, error) {
	head, err := marshal(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{resp.Code, resp.Message})
	if err != nil {
		return nil, err
	}
	data := resp.Data
	if data == nil {
		data = json.RawMessage("null")
	}
	out := make([]byte, 0, len(head)+len(`,"data":`)+len(data))
	out = append(out, head[:len(head)-1]...) // without its closing brace
	out = append(out, `,"data":`...)
	out = append(out, data...)
	return append(out, '}'), nil
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
