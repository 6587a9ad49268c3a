package method_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
	"github.com/opaygate/opaygate/opay"
)

// debitRequest is a valid CardDebit payment/create, with change applied.
func debitRequest(change func(*opay.PaymentCreateRequest)) *opay.PaymentCreateRequest {
	req := &opay.PaymentCreateRequest{Reference: "cd-1", Country: "EG", PayMethod: opay.PayMethodCardDebit,
		Amount: opay.Amount{Total: 60000, Currency: "EGP"}, ReturnURL: "https://m.example/r",
		BankCard:  &opay.BankCard{CardNumber: "4111111111111111", CVV: "123", ExpiryMonth: "12", ExpiryYear: "39"},
		BankDebit: &opay.BankDebit{AgreementDuration: "2030-12-31", AgreementID: "AGR-1"},
	}
	if change != nil {
		change(req)
	}
	return req
}

// TestCardDebitParams: every field of bankcard and bankDebit is checked, and each refusal
// names its field; the card always goes through 3-D Secure.
func TestCardDebitParams(t *testing.T) {
	m := method.CardDebit{}
	for name, tc := range map[string]struct {
		change func(*opay.PaymentCreateRequest)
		detail string // "" when accepted
	}{
		"Valid":      {nil, ""},
		"ThreeDSOff": {func(r *opay.PaymentCreateRequest) { r.BankCard.Enable3DS = false }, ""},
		"StoreCard": {func(r *opay.PaymentCreateRequest) {
			r.BankDebit.StoreCard, r.UserInfo = true, &opay.UserInfo{UserID: "u-1"}
		}, ""},
		"LongestID":     {func(r *opay.PaymentCreateRequest) { r.BankDebit.AgreementID = strings.Repeat("é", 64) }, ""},
		"LeapDay":       {func(r *opay.PaymentCreateRequest) { r.BankDebit.AgreementDuration = "2032-02-29" }, ""},
		"NoCard":        {func(r *opay.PaymentCreateRequest) { r.BankCard = nil }, "bankcard is required for payMethod CardDebit"},
		"BadLuhn":       {func(r *opay.PaymentCreateRequest) { r.BankCard.CardNumber = "4111111111111112" }, "bankcard.cardNumber is not a valid card number (Luhn check)"},
		"NoCVV":         {func(r *opay.PaymentCreateRequest) { r.BankCard.CVV = "" }, "bankcard.cvv is required"},
		"BadMonth":      {func(r *opay.PaymentCreateRequest) { r.BankCard.ExpiryMonth = "13" }, "bankcard.expiryMonth must be MM, 01 to 12"},
		"NoReturnURL":   {func(r *opay.PaymentCreateRequest) { r.ReturnURL = "" }, "returnUrl is required for payMethod CardDebit (3-D Secure)"},
		"NoBankDebit":   {func(r *opay.PaymentCreateRequest) { r.BankDebit = nil }, "bankDebit is required for payMethod CardDebit"},
		"NoDuration":    {func(r *opay.PaymentCreateRequest) { r.BankDebit.AgreementDuration = "" }, "bankDebit.agreementDuration is required"},
		"DurationDMY":   {func(r *opay.PaymentCreateRequest) { r.BankDebit.AgreementDuration = "31-12-2030" }, "bankDebit.agreementDuration must be a date, YYYY-MM-DD"},
		"DurationShort": {func(r *opay.PaymentCreateRequest) { r.BankDebit.AgreementDuration = "2030-1-5" }, "bankDebit.agreementDuration must be a date, YYYY-MM-DD"},
		"Feb30":         {func(r *opay.PaymentCreateRequest) { r.BankDebit.AgreementDuration = "2030-02-30" }, "bankDebit.agreementDuration must be a date, YYYY-MM-DD"},
		"WithTime":      {func(r *opay.PaymentCreateRequest) { r.BankDebit.AgreementDuration = "2030-12-31T00:00:00Z" }, "bankDebit.agreementDuration must be a date, YYYY-MM-DD"},
		"NoID":          {func(r *opay.PaymentCreateRequest) { r.BankDebit.AgreementID = "" }, "bankDebit.agreementId is required"},
		"BlankID":       {func(r *opay.PaymentCreateRequest) { r.BankDebit.AgreementID = "   " }, "bankDebit.agreementId is required"},
		"LongID":        {func(r *opay.PaymentCreateRequest) { r.BankDebit.AgreementID = strings.Repeat("a", 65) }, "bankDebit.agreementId must be at most 64 characters"},
		"ControlInID":   {func(r *opay.PaymentCreateRequest) { r.BankDebit.AgreementID = "AGR\n1" }, "bankDebit.agreementId must be printable characters"},
		"InvisibleID":   {func(r *opay.PaymentCreateRequest) { r.BankDebit.AgreementID = "AGR\u200b1" }, "bankDebit.agreementId must be printable characters"},
		"StoreNoUser":   {func(r *opay.PaymentCreateRequest) { r.BankDebit.StoreCard = true }, "userInfo.userId is required with bankDebit.storeCard"},
		"StoreNoID": {func(r *opay.PaymentCreateRequest) {
			r.BankDebit.StoreCard, r.UserInfo = true, &opay.UserInfo{UserName: "Ada"}
		}, "userInfo.userId is required with bankDebit.storeCard"},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := m.Params(debitRequest(tc.change))
			if tc.detail == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if p != nil || opaygate.ErrorCode(err) != opaygate.EINVALID || opaygate.ErrorMessage(err) != tc.detail {
				t.Fatalf("params %v, error %v; want %q", p, err, tc.detail)
			}
		})
	}
}

// TestCardDebitStart: the agreement's last day must be after today by the gateway's clock;
// the order then waits at 3-D Secure and names the agreement for storage, and only the
// card's BIN and last four stay on it; an expired card fails at once with 54.
func TestCardDebitStart(t *testing.T) {
	m := method.CardDebit{}
	now := time.Date(2030, 6, 15, 23, 59, 0, 0, time.UTC)
	start := func(duration string, change func(*opay.PaymentCreateRequest)) (*opaygate.Order, opaygate.Move, error) {
		t.Helper()
		p, err := m.Params(debitRequest(func(r *opay.PaymentCreateRequest) {
			r.BankDebit.AgreementDuration = duration
			if change != nil {
				change(r)
			}
		}))
		if err != nil {
			t.Fatal(err)
		}
		o := &opaygate.Order{Country: "EG", Amount: 60000}
		move, err := m.Start(context.Background(), opaygate.Network{}, o, p, now)
		return o, move, err
	}
	for _, d := range []string{"2030-06-15", "2030-06-14", "2029-12-31"} {
		if _, _, err := start(d, nil); opaygate.ErrorMessage(err) != "bankDebit.agreementDuration must be a date in the future" {
			t.Errorf("last day %s on 2030-06-15: %v", d, err)
		}
	}
	o, move, err := start("2030-06-16", func(r *opay.PaymentCreateRequest) {
		r.BankDebit.StoreCard, r.UserInfo = true, &opay.UserInfo{UserID: "u"}
	})
	if err != nil || !reflect.DeepEqual(move, opaygate.Wait(opaygate.Step3DS)) {
		t.Fatalf("tomorrow: %+v %v", move, err)
	}
	// With storeCard, the expiry and name the token will keep too (the test card's are 12/2039, none).
	want := map[string]string{"agreementId": "AGR-1", "agreementDuration": "2030-06-16", "storeCard": "true",
		"cardExpiry": "12/2039", "cardHolderName": ""}
	if o.CardBIN != "411111" || o.CardLast4 != "1111" || len(o.MethodData) != len(want) {
		t.Fatalf("order %+v", o)
	}
	for k, v := range want {
		if o.MethodData[k] != v {
			t.Errorf("MethodData[%s] = %q, want %q", k, o.MethodData[k], v)
		}
	}
	for k, v := range o.MethodData {
		if strings.Contains(v, "4111111111111111") || strings.Contains(v, "123") {
			t.Errorf("MethodData[%s] holds card data: %q", k, v)
		}
	}
	o, move, err = start("2031-01-01", func(r *opay.PaymentCreateRequest) { r.BankCard.ExpiryMonth, r.BankCard.ExpiryYear = "05", "30" })
	if err != nil || !reflect.DeepEqual(move, opaygate.Decline(opaygate.CodeExpiredCard, opaygate.ReasonExpiredCard)) || o.MethodData["agreementId"] != "AGR-1" {
		t.Fatalf("expired card: %+v %+v %v", o, move, err)
	}
	if got := m.Next(o, opaygate.Step3DS); !reflect.DeepEqual(got, opaygate.Authorize()) {
		t.Errorf("after 3-D Secure: %+v", got)
	}
	if got := m.Next(o, opaygate.StepOTP); !got.None() {
		t.Errorf("after an OTP: %+v", got)
	}
}
