package server

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/opaygate/opaygate"
)

// TestErrorTable checks the one mapping from domain errors to the wire: OPay's message in the
// body, what was wrong in the detail.
func TestErrorTable(t *testing.T) {
	const statusPath, otpPath = "/api/v1/international/cashier/status", "/api/v1/payment/action/input-otp"
	for _, tc := range []struct {
		err                         error
		path                        string
		code, message, detail, data string
		internal                    bool
	}{
		{opaygate.Invalid("amount.total must be a positive integer"), statusPath, "02001", "request params not valid.", "amount.total must be a positive integer", "", false},
		{opaygate.Invalid("otp must be 6 digits"), otpPath, "02001", "request parameters not valid.", "otp must be 6 digits", "", false},
		{opaygate.Invalid("Products is required."), "/api/v1/international/invoice/createSingleInvoice", "02001", "Products is required.", "", "", false},
		{opaygate.Invalid("Products is required."), otpPath, "02001", "Products is required.", "", "", false},
		{opaygate.Errorf(opaygate.EUNAUTHENTICATED, "bad signature for key X"), statusPath, "02000", "authentication failed.", "bad signature for key X", "", false},
		{opaygate.Errorf(opaygate.ENOTCONFIGURED, "no NG"), statusPath, "02002", "merchant not configured with this function.", "no NG", "", false},
		{opaygate.Errorf(opaygate.EPAYMETHOD, "x"), statusPath, "02003", "payMethod not support.", "x", "", false},
		{&opaygate.Error{Code: opaygate.EDUPLICATE, Existing: &opaygate.Existing{Reference: "r", No: "1", Status: "PENDING"}}, statusPath,
			"02004", "the payment reference already exists.", "reference r is already used by 1 (PENDING)", "", false},
		{opaygate.Errorf(opaygate.ENOTFOUND, "payment not found."), statusPath, "02006", "payment not found.", "", "", false},
		{opaygate.Errorf(opaygate.ENOTFOUND, ""), statusPath, "02006", "not found.", "", "", false},
		{opaygate.Errorf(opaygate.EDISABLED, "x"), statusPath, "02007", "merchant not available.", "x", "", false},
		{opaygate.Errorf(opaygate.EORDERSTATE, "paid orders must be refunded"), statusPath, "02010", "order status does not allow this action: paid orders must be refunded", "paid orders must be refunded", "", false},
		{opaygate.Errorf(opaygate.EORDERSTATE, "order status does not allow this action: x"), statusPath, "02010", "order status does not allow this action: x", "", "", false},
		{opaygate.Errorf(opaygate.EOTPINVALID, "invalid otp, 3 attempts left"), statusPath, "02011", "invalid otp, 3 attempts left", "", "", false},
		{opaygate.Errorf(opaygate.EOTPEXPIRED, ""), statusPath, "02012", "otp expired, request a new one", "", "", false},
		{opaygate.Errorf(opaygate.EREFUNDEXCEEDS, "x"), statusPath, "02013", "refund amount exceeds the refundable amount", "x", "", false},
		{opaygate.Errorf(opaygate.EINVOICESTATE, "invoice is Paid"), statusPath, "02014", "invoice status does not allow this action: invoice is Paid", "invoice is Paid", `"false"`, false},
		{opaygate.Errorf(opaygate.EINTERNAL, "disk full at /var/db"), statusPath, "50003", "service not available, please try again.", "disk full at /var/db", "", true},
		{fmt.Errorf("close order: %w", opaygate.Errorf(opaygate.ENOTFOUND, "payment not found.")), statusPath, "02006", "payment not found.", "", "", false},
		{errors.New("sql: database is locked"), statusPath, "50003", "service not available, please try again.", "", "", true},
		{opaygate.Errorf("brand-new-code", "x"), statusPath, "50003", "service not available, please try again.", "", "", true},
	} {
		a := toWire(tc.err, tc.path)
		if a.code != tc.code || a.message != tc.message || a.detail != tc.detail || string(a.data) != tc.data || a.internal != tc.internal {
			t.Errorf("%v on %s: got %s %q %q %s %v, want %s %q %q %s %v", tc.err, tc.path, a.code, a.message, a.detail, a.data, a.internal,
				tc.code, tc.message, tc.detail, tc.data, tc.internal)
		}
	}
	// Every domain code has a row.
	for _, c := range []string{opaygate.EINVALID, opaygate.EUNAUTHENTICATED, opaygate.ENOTCONFIGURED, opaygate.EPAYMETHOD,
		opaygate.EDUPLICATE, opaygate.ENOTFOUND, opaygate.EDISABLED, opaygate.EINTERNAL, opaygate.EORDERSTATE,
		opaygate.EOTPINVALID, opaygate.EOTPEXPIRED, opaygate.EREFUNDEXCEEDS, opaygate.EINVOICESTATE} {
		if _, ok := codes[c]; !ok {
			t.Errorf("no wire code for %s", c)
		}
	}
}

func TestHeaderValue(t *testing.T) {
	for in, want := range map[string]string{
		"amount.total must be a positive integer": "amount.total must be a positive integer",
		"duplicate key a\r\nSet-Cookie: x":        `duplicate key a\r\nSet-Cookie: x`,
		"name ünïcode":                            `name \u00fcn\u00efcode`,
		strings.Repeat("x", 600):                  strings.Repeat("x", maxHeaderValue),
	} {
		if got := headerValue(in); got != want {
			t.Errorf("headerValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBasisPoints(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "0": 0, "2.5": 250, "2.50": 250, "2.500": 250, "0.01": 1, "100": 10000,
		"100.00": 10000, "007": 700, "7.": 700, "99.99": 9999} {
		if got, ok := basisPoints(in); !ok || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"100.01", "101", "-1", "1e2", "2.555", ".5", "abc", "1,5", "+1", " 1", "1000"} {
		if got, ok := basisPoints(in); ok {
			t.Errorf("%q accepted as %d", in, got)
		}
	}
}

func TestMobile(t *testing.T) {
	for _, tc := range []struct{ country, in, want string }{
		{"EG", "+201088889999", ""},
		{"EG", "+201566668888", ""},
		{"NG", "+2348031234567", ""},
		{"EG", "01088889999", "Mobile number format should be like this +201088889999"},
		{"EG", "+20108888999", "Mobile number format should be like this +201088889999"},
		{"EG", "+202088889999", "Mobile number format should be like this +201088889999"},
		{"NG", "+201088889999", "Mobile number format should be like this +2348031234567"},
		{"EG", "+20 1088889999", "Invalid characters in mobile number."},
		{"EG", "201088889999+", "Invalid characters in mobile number."},
		{"EG", "+20١٠٨٨٨٨٩٩٩٩", "Invalid characters in mobile number."},
	} {
		err := mobile(tc.in, tc.country)
		if got := opaygate.ErrorMessage(err); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.country, tc.in, got, tc.want)
		}
	}
}
