package server_test

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// apiPAN's middle digits (907635) appear nowhere else, so finding them anywhere is a leak;
// apiCVV is unusual for the same reason.
const (
	apiPAN = "4111119076350814"
	apiCVV = "7391"
)

// cardRequest is a BankCard payment/create, changed by change (which may be nil).
func cardRequest(ref string, amount int64, number string, threeDS bool, change func(map[string]any)) map[string]any {
	card := map[string]any{"cardHolderName": "Ada Obi", "cardNumber": number, "cvv": apiCVV,
		"expiryMonth": "12", "expiryYear": time.Now().AddDate(3, 0, 0).Format("06"), "enable3DS": threeDS}
	body := map[string]any{
		"amount": map[string]any{"total": amount, "currency": "EGP"}, "country": "EG", "payMethod": "BankCard",
		"product": map[string]any{"name": "Phone", "description": "A phone"}, "reference": ref,
		"returnUrl": "https://merchant.example/return?ref=" + ref, "callbackUrl": "https://merchant.example/cb",
		"bankcard": card,
	}
	if change != nil {
		change(body)
	}
	return body
}

func (e *env) cardPayment(t testing.TB, body map[string]any) opay.PaymentCreateData {
	t.Helper()
	return data[opay.PaymentCreateData](t, must(t, e.call(t, e.A, pathPaymentCreate, body), opay.CodeSuccess))
}

func TestPaymentCreateBankCard(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	t.Run("ThreeDSConfirm", func(t *testing.T) {
		d := e.cardPayment(t, cardRequest("card-api-1", 60000, apiPAN, true, nil))
		if d.Status != "PENDING" || d.NextAction == nil || d.NextAction.ActionType != "REDIRECT_3DS" ||
			!strings.HasPrefix(d.NextAction.RedirectURL, e.srv.URL+"/3ds?orderToken=") || d.FailureCode != "" {
			t.Fatalf("payment/create %+v %+v", d, d.NextAction)
		}
		if st := e.orderStatus(t, e.A, d.OrderNo); st.Status != "PENDING" {
			t.Fatalf("status %+v", st)
		}
		token := strings.TrimPrefix(d.NextAction.RedirectURL, e.srv.URL+"/3ds?orderToken=")
		c.get(t, d.NextAction.RedirectURL).html(t, http.StatusOK).has(t, "Confirm your payment", "EGP 600.00", "•••• 0814")
		// The customer goes straight back to returnUrl, and so does a second click.
		c.post(t, "/3ds/confirm", form(token)).redirectsTo(t, "https://merchant.example/return?ref=card-api-1")
		c.post(t, "/3ds/confirm", form(token)).redirectsTo(t, "https://merchant.example/return?ref=card-api-1")
		if st := e.orderStatus(t, e.A, d.OrderNo); st.Status != "SUCCESS" {
			t.Errorf("status %+v", st)
		}
		// The page's own result is there for a customer who comes back to the link.
		c.follow(t, c.get(t, d.NextAction.RedirectURL)).has(t, "Payment successful", "https://merchant.example/return?ref=card-api-1")
	})
	t.Run("ThreeDSCancel", func(t *testing.T) {
		d := e.cardPayment(t, cardRequest("card-api-2", 60000, apiPAN, true, nil))
		token := strings.TrimPrefix(d.NextAction.RedirectURL, e.srv.URL+"/3ds?orderToken=")
		c.post(t, "/3ds/cancel", form(token)).redirectsTo(t, "https://merchant.example/return?ref=card-api-2")
		if st := e.orderStatus(t, e.A, d.OrderNo); st.Status != "FAIL" || st.FailureCode != "05" {
			t.Errorf("status %+v", st)
		}
	})
	t.Run("WithoutThreeDS", func(t *testing.T) {
		if d := e.cardPayment(t, cardRequest("card-api-3", 60000, apiPAN, false, nil)); d.Status != "SUCCESS" || d.NextAction != nil {
			t.Errorf("approved: %+v", d)
		}
		d := e.cardPayment(t, cardRequest("card-api-4", 60000, "4000000000800062", false, nil))
		if d.Status != "FAIL" || d.FailureCode != "62" || d.FailureReason != "Restricted card" {
			t.Errorf("test card 62: %+v", d)
		}
		d = e.cardPayment(t, cardRequest("card-api-5", 57, apiPAN, false, nil))
		if d.Status != "FAIL" || d.FailureCode != "57" {
			t.Errorf("amount trigger 57: %+v", d)
		}
	})
	t.Run("ExpiredCard", func(t *testing.T) {
		for i, threeDS := range []bool{false, true} {
			d := e.cardPayment(t, cardRequest("card-api-exp-"+strconv.Itoa(i), 60000, apiPAN, threeDS, func(b map[string]any) {
				b["bankcard"].(map[string]any)["expiryYear"] = "20"
			}))
			if d.Status != "FAIL" || d.FailureCode != "54" || d.FailureReason != "Expired card" || d.NextAction != nil {
				t.Errorf("expired card, 3DS %v: %+v", threeDS, d)
			}
		}
	})
	t.Run("Nigeria", func(t *testing.T) {
		d := e.cardPayment(t, cardRequest("card-api-ng", 500000, apiPAN, false, func(b map[string]any) {
			b["country"], b["amount"] = "NG", map[string]any{"total": 500000, "currency": "NGN"}
		}))
		if d.Status != "SUCCESS" || d.Amount.Currency != "NGN" {
			t.Errorf("Nigeria: %+v", d)
		}
	})
	t.Run("DuplicateReference", func(t *testing.T) {
		r := must(t, e.call(t, e.A, pathPaymentCreate, cardRequest("card-api-3", 60000, apiPAN, false, nil)), opay.CodeDuplicate)
		if d := r.Header.Get(opay.HeaderDetail); string(r.Data) != "null" || !strings.HasSuffix(d, "(SUCCESS)") {
			t.Errorf("duplicate %s, detail %q", r.Raw, d)
		}
	})

	set := func(field string, v any) func(map[string]any) {
		return func(b map[string]any) {
			if v == nil {
				delete(b["bankcard"].(map[string]any), field)
			} else {
				b["bankcard"].(map[string]any)[field] = v
			}
		}
	}
	for _, tc := range []struct {
		name, want string
		change     func(map[string]any)
	}{
		{"ErrLuhn", "bankcard.cardNumber is not a valid card number (Luhn check)", set("cardNumber", "4111111111111112")},
		{"ErrNumberShort", "bankcard.cardNumber must be 12 to 19 digits", set("cardNumber", "41111111")},
		{"ErrNumberSpaces", "bankcard.cardNumber must be 12 to 19 digits", set("cardNumber", "4111 1111 1111 1111")},
		{"ErrNumberMissing", "bankcard.cardNumber is required", set("cardNumber", nil)},
		{"ErrNumberNumeric", "bankcard.cardNumber must be a string", set("cardNumber", 4111111111111111)},
		{"ErrMonth13", "bankcard.expiryMonth must be MM, 01 to 12", set("expiryMonth", "13")},
		{"ErrMonthOneDigit", "bankcard.expiryMonth must be MM, 01 to 12", set("expiryMonth", "1")},
		{"ErrMonthMissing", "bankcard.expiryMonth is required", set("expiryMonth", nil)},
		{"ErrYearFourDigits", "bankcard.expiryYear must be YY, two digits", set("expiryYear", "2031")},
		{"ErrYearMissing", "bankcard.expiryYear is required", set("expiryYear", nil)},
		{"ErrCVVShort", "bankcard.cvv must be 3 or 4 digits", set("cvv", "12")},
		{"ErrCVVMissing", "bankcard.cvv is required", set("cvv", nil)},
		{"ErrHolderControl", "bankcard.cardHolderName must not contain control characters", set("cardHolderName", "a\u0007b")},
		{"ErrNoCard", "bankcard is required", func(b map[string]any) { delete(b, "bankcard") }},
		{"ErrThreeDSWithoutReturnURL", "returnUrl is required with bankcard.enable3DS", func(b map[string]any) { delete(b, "returnUrl") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := must(t, e.call(t, e.A, pathPaymentCreate, cardRequest("card-bad", 60000, apiPAN, true, tc.change)), opay.CodeInvalidParams)
			if r.Message != "request parameters not valid." || !strings.Contains(r.Detail, tc.want) {
				t.Errorf("message %q detail %q, want OPay's ValU-page message and %q", r.Message, r.Detail, tc.want)
			}
			if strings.Contains(string(r.Raw), "4111") {
				t.Errorf("the answer repeats the card number: %s", r.Raw)
			}
		})
	}
	t.Run("ErrNotConfigured", func(t *testing.T) {
		m := newMerchant(t, e, func(m *opaygate.Merchant) { m.Functions = []opaygate.Function{opaygate.FuncValU} })
		must(t, e.call(t, m, pathPaymentCreate, cardRequest("card-nc", 60000, apiPAN, false, nil)), opay.CodeNotConfigured)
	})
}

// The card number and the CVV never reach a log line, at debug level, whatever happens:
// API payments with and without 3-D Secure, refused cards, the checkout page's card form,
// CardDebit.
func TestCardLogsNeverHoldPAN(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	d := e.cardPayment(t, cardRequest("log-1", 60000, apiPAN, true, nil))
	token := strings.TrimPrefix(d.NextAction.RedirectURL, e.srv.URL+"/3ds?orderToken=")
	c.post(t, "/3ds/confirm", form(token))
	e.cardPayment(t, cardRequest("log-2", 60000, apiPAN, false, nil))
	e.call(t, e.A, pathPaymentCreate, cardRequest("log-3", 60000, apiPAN, true, func(b map[string]any) {
		b["bankcard"].(map[string]any)["expiryMonth"] = "13"
	}))
	e.call(t, e.A, pathPaymentCreate, cardRequest("log-4", 60000, "4111119076350815", true, nil)) // Luhn fails
	e.call(t, e.Demo, pathPaymentCreate, cardRequest("log-5", 60000, apiPAN, true, nil))          // bad signature: A's body, Demo's key
	pageToken, _ := e.cashierOrder(t, e.A, "log-page", 60000, nil)
	c.post(t, "/checkout/card", form(pageToken, "cardNumber", "4111 1190 7635 0814", "expiry", "12/40", "cvv", apiCVV))
	c.post(t, "/checkout/card", form(pageToken+"0", "cardNumber", apiPAN, "cvv", apiCVV)) // unknown token
	c.post(t, "/3ds/confirm", form(pageToken))
	// CardDebit: created, its id used again (02004), refused (02001).
	e.cardPayment(t, e.debitRequest("log-6", 60000, "log-agr", nil))
	e.call(t, e.A, pathPaymentCreate, e.debitRequest("log-7", 60000, "log-agr", nil))
	e.call(t, e.A, pathPaymentCreate, e.debitRequest("log-8", 60000, "log-agr-2", func(b map[string]any) { delete(b, "bankDebit") }))

	logs := e.logs.String()
	if strings.Count(logs, "\n") < 8 {
		t.Fatalf("too few log lines to judge: %q", logs)
	}
	scan := bufio.NewScanner(strings.NewReader(logs))
	for scan.Scan() {
		line := scan.Text()
		for _, secret := range []string{apiPAN, "907635", "1190 7635", jsonString(apiCVV), "=" + apiCVV, `"cvv"`, `"cardNumber"`, "cvv=", "cardNumber="} {
			if strings.Contains(strings.ToLower(line), strings.ToLower(secret)) {
				t.Errorf("a log line holds %q: %s", secret, line)
			}
		}
	}
}
