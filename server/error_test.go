package server

import (
	"errors"
	"fmt"
	"testing"

	"github.com/opaygate/opaygate"
)

// TestErrorTable checks the one mapping from domain errors to the wire.
func TestErrorTable(t *testing.T) {
	for _, tc := range []struct {
		err                 error
		code, message, data string
		internal            bool
	}{
		{opaygate.Invalid("amount.total must be a positive integer"), "02001", "request params not valid: amount.total must be a positive integer", "", false},
		{opaygate.Errorf(opaygate.EUNAUTHENTICATED, "bad signature for key X"), "02000", "authentication failed.", "", false},
		{opaygate.Errorf(opaygate.ENOTCONFIGURED, "no NG"), "02002", "merchant not configured with this function.", "", false},
		{opaygate.Errorf(opaygate.EPAYMETHOD, "x"), "02003", "payMethod not support.", "", false},
		{&opaygate.Error{Code: opaygate.EDUPLICATE, Existing: &opaygate.Existing{Reference: "r", No: "1", Status: "PENDING"}},
			"02004", "the payment reference(merchant order number) already exists.", `{"reference":"r","orderNo":"1","status":"PENDING"}`, false},
		{opaygate.Errorf(opaygate.ENOTFOUND, "payment not found."), "02006", "payment not found.", "", false},
		{opaygate.Errorf(opaygate.ENOTFOUND, ""), "02006", "not found.", "", false},
		{opaygate.Errorf(opaygate.EDISABLED, "x"), "02007", "merchant not available.", "", false},
		{opaygate.Errorf(opaygate.EORDERSTATE, "paid orders must be refunded"), "02010", "order status does not allow this action: paid orders must be refunded", "", false},
		{opaygate.Errorf(opaygate.EORDERSTATE, "order status does not allow this action: x"), "02010", "order status does not allow this action: x", "", false},
		{opaygate.Errorf(opaygate.EOTPINVALID, "invalid otp, 3 attempts left"), "02011", "invalid otp, 3 attempts left", "", false},
		{opaygate.Errorf(opaygate.EOTPEXPIRED, ""), "02012", "otp expired, request a new one", "", false},
		{opaygate.Errorf(opaygate.EREFUNDEXCEEDS, "x"), "02013", "refund amount exceeds the refundable amount", "", false},
		{opaygate.Errorf(opaygate.EINVOICESTATE, "invoice is Paid"), "02014", "invoice status does not allow this action: invoice is Paid", `"false"`, false},
		{opaygate.Errorf(opaygate.EINTERNAL, "disk full at /var/db"), "50003", "service not available, please try again.", "", true},
		{fmt.Errorf("close order: %w", opaygate.Errorf(opaygate.ENOTFOUND, "payment not found.")), "02006", "payment not found.", "", false},
		{errors.New("sql: database is locked"), "50003", "service not available, please try again.", "", true},
		{opaygate.Errorf("brand-new-code", "x"), "50003", "service not available, please try again.", "", true},
	} {
		code, message, data, internal := toWire(tc.err)
		if code != tc.code || message != tc.message || string(data) != tc.data || internal != tc.internal {
			t.Errorf("%v: got %s %q %s %v, want %s %q %s %v", tc.err, code, message, data, internal, tc.code, tc.message, tc.data, tc.internal)
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
