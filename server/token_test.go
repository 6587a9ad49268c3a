package server_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

const (
	pathTokenCreate = "/api/v1/international/token/create"
	pathTokenQuery  = "/api/v1/international/token/query"
	pathTokenDelete = "/api/v1/international/token/delete"

	tokenShape    = "{opayToken:s,brand:s,expiryYear:s,expiryMonth:s,createTimestamp:n,lastFourDigits:s,firstSixDigits:s,customerInfo:" + customerShape + "}"
	customerShape = "{customerId:s,customerName:s,customerEmail:s,customerMobile:s}"
)

// tokenRequest is a token/create of number for customer, changed by change.
func tokenRequest(ref, number, customer string, change func(map[string]any)) map[string]any {
	b := map[string]any{"reference": ref, "cardHolderName": "Ada Obi", "cardNumber": number, "cvv": apiCVV,
		"expiryMonth": "12", "expiryYear": "39",
		"customerInfo": map[string]any{"customerId": customer, "customerName": "Ada Obi",
			"customerEmail": "ada@example.com", "customerMobile": "+2348031234567"}}
	if change != nil {
		change(b)
	}
	return b
}

func (e *env) token(t *testing.T, m *opaygate.Merchant, ref, number, customer string) opay.TokenData {
	t.Helper()
	r := must(t, e.call(t, m, pathTokenCreate, tokenRequest(ref, number, customer, nil)), opay.CodeSuccess)
	checkShape(t, r, envelope(tokenShape))
	return data[opay.TokenData](t, r)
}

// TestTokens: create (OPay's member order, the brand by BIN, no card number kept), query by
// token and by customer, delete; the refusals of METHODS.md §9.1.
func TestTokens(t *testing.T) {
	e := newTestServer(t)
	d := e.token(t, e.A, "tok-1", apiPAN, "cust-1")
	if !opaygate.ValidCardToken(d.OpayToken) || d.Brand != "VISA" || d.FirstSixDigits != "411111" || d.LastFourDigits != "0814" ||
		d.ExpiryMonth != "12" || d.ExpiryYear != "39" || d.CustomerInfo.CustomerID != "cust-1" ||
		d.CreateTimestamp > e.clock.Now().Unix() || d.CreateTimestamp < e.clock.Now().Unix()-5 {
		t.Fatalf("created %+v", d)
	}
	verve := e.token(t, e.A, "tok-2", "5060990000010106", "cust-1")
	if verve.Brand != "VERVE" {
		t.Errorf("brand of 506099: %s", verve.Brand)
	}

	got := data[opay.TokenData](t, must(t, e.call(t, e.A, pathTokenQuery, map[string]string{"opayToken": d.OpayToken}), opay.CodeSuccess))
	if got != d {
		t.Errorf("query %+v, created %+v", got, d)
	}
	r := must(t, e.call(t, e.A, pathTokenQuery, map[string]string{"customerId": "cust-1"}), opay.CodeSuccess)
	entry := "{opayToken:s,brand:s,expiryYear:s,expiryMonth:s,createTimestamp:n,lastFourDigits:s,firstSixDigits:s}"
	checkShape(t, r, envelope("{customer:"+customerShape+",cardTokens:["+entry+","+entry+"]}"))
	list := data[opay.CustomerTokensData](t, r)
	if list.Customer.CustomerName != "Ada Obi" || len(list.CardTokens) != 2 {
		t.Errorf("customer list %+v", list)
	}
	none := data[opay.CustomerTokensData](t, must(t, e.call(t, e.A, pathTokenQuery, map[string]string{"customerId": "nobody"}), opay.CodeSuccess))
	if none.CardTokens == nil || len(none.CardTokens) != 0 || none.Customer.CustomerID != "nobody" {
		t.Errorf("a customer without tokens: %+v", none)
	}

	t.Run("Delete", func(t *testing.T) {
		r := must(t, e.call(t, e.A, pathTokenDelete, map[string]string{"opayToken": verve.OpayToken}), opay.CodeSuccess)
		if !strings.Contains(string(r.Raw), `"data":null`) {
			t.Errorf("delete answered %s", r.Raw)
		}
		for _, path := range []string{pathTokenDelete, pathTokenQuery} {
			r := must(t, e.call(t, e.A, path, map[string]string{"opayToken": verve.OpayToken}), opay.CodeNotFound)
			if r.Message != "token not found." {
				t.Errorf("%s after delete: %s", path, r.Raw)
			}
		}
		if list := data[opay.CustomerTokensData](t, must(t, e.call(t, e.A, pathTokenQuery, map[string]string{"customerId": "cust-1"}), opay.CodeSuccess)); len(list.CardTokens) != 1 {
			t.Errorf("the deleted token is still listed: %+v", list)
		}
	})
	t.Run("ErrOtherMerchant", func(t *testing.T) {
		must(t, e.call(t, e.B, pathTokenQuery, map[string]string{"opayToken": d.OpayToken}), opay.CodeNotFound)
		must(t, e.call(t, e.B, pathTokenDelete, map[string]string{"opayToken": d.OpayToken}), opay.CodeNotFound)
	})
	t.Run("ErrDuplicateReference", func(t *testing.T) {
		r := must(t, e.call(t, e.A, pathTokenCreate, tokenRequest("tok-1", apiPAN, "cust-2", nil)), "20000")
		if r.Message != "Duplicate merchant order number" || !strings.Contains(string(r.Raw), `"data":null`) {
			t.Errorf("duplicate: %s", r.Raw)
		}
	})
	for name, tc := range map[string]struct {
		change func(map[string]any)
		detail string
	}{
		"Expired":      {func(b map[string]any) { b["expiryYear"] = "20" }, "card is expired"},
		"Luhn":         {func(b map[string]any) { b["cardNumber"] = "4111119076350815" }, "bankcard.cardNumber is not a valid card number (Luhn check)"},
		"NoCVV":        {func(b map[string]any) { delete(b, "cvv") }, "bankcard.cvv is required"},
		"NoHolder":     {func(b map[string]any) { delete(b, "cardHolderName") }, "cardHolderName is required"},
		"NoCustomerID": {func(b map[string]any) { b["customerInfo"] = map[string]any{"customerName": "x"} }, "customerInfo.customerId is required"},
		"NoReference":  {func(b map[string]any) { delete(b, "reference") }, "reference is required"},
	} {
		t.Run("Err"+name, func(t *testing.T) {
			r := must(t, e.call(t, e.A, pathTokenCreate, tokenRequest("tok-err-"+name, apiPAN, "cust-3", tc.change)), opay.CodeInvalidParams)
			if r.Detail != tc.detail {
				t.Errorf("detail %q, want %q", r.Detail, tc.detail)
			}
		})
	}
	t.Run("ErrQueryNeither", func(t *testing.T) {
		must(t, e.call(t, e.A, pathTokenQuery, map[string]string{}), opay.CodeInvalidParams)
		must(t, e.call(t, e.A, pathTokenQuery, map[string]string{"opayToken": "OPAY_TOKEN_x"}), opay.CodeNotFound)
	})
	t.Run("ErrNotEnabled", func(t *testing.T) {
		fns := []opaygate.Function{opaygate.FuncCashier, opaygate.FuncBankCard}
		if _, err := e.svc.Merchants.UpdateMerchant(context.Background(), e.B.ID, opaygate.MerchantUpdate{Functions: fns}); err != nil {
			t.Fatal(err)
		}
		must(t, e.call(t, e.B, pathTokenCreate, tokenRequest("tok-b", apiPAN, "cust-b", nil)), opay.CodeNotConfigured)
	})
}

// TestPayWithToken: a BankCard payment with bankcard.opayToken (or the top-level alias) pays
// the token's card: 3-D Secure, PIN and OTP by its BIN, the decline rule by its last four,
// FAIL 54 once it has expired; the order records the token.
func TestPayWithToken(t *testing.T) {
	e := newTestServer(t)
	visa := e.token(t, e.A, "pt-1", apiPAN, "cust-1")
	pinOTP := e.token(t, e.A, "pt-2", "5060990000010106", "cust-1")
	declines := e.token(t, e.A, "pt-3", "4000000000000051", "cust-1")
	pay := func(ref, country string, amount int64, card map[string]any, change func(map[string]any)) map[string]any {
		currency := map[string]string{"EG": "EGP", "NG": "NGN"}[country]
		b := map[string]any{"reference": ref, "country": country, "payMethod": "BankCard",
			"amount": map[string]any{"total": amount, "currency": currency}, "product": map[string]any{"name": "Tea"},
			"returnUrl": "https://merchant.example/r", "callbackUrl": "https://merchant.example/cb", "bankcard": card}
		if change != nil {
			change(b)
		}
		return b
	}

	d := e.create(t, opayRequest(t, pay("pt-3ds", "EG", 60000, map[string]any{"opayToken": visa.OpayToken, "enable3DS": true}, nil)), "{actionType:s,redirectUrl:s}")
	if d.NextAction.ActionType != opay.ActionRedirect3DS {
		t.Fatalf("3-D Secure token payment: %+v", d)
	}
	o, err := e.svc.Orders.FindOrderByNo(context.Background(), d.OrderNo)
	if err != nil || o.CardBIN != "411111" || o.CardLast4 != "0814" || o.MethodData["opayToken"] != visa.OpayToken {
		t.Fatalf("order %+v %v", o, err)
	}
	if o, err := e.svc.Orders.Confirm3DS(context.Background(), e.A.ID, opaygate.OrderKey{OrderNo: d.OrderNo}); err != nil || o.Status != opaygate.StatusSuccess {
		t.Fatalf("confirmed: %+v %v", o, err)
	}

	d = e.create(t, opayRequest(t, pay("pt-pin", "NG", 60000, map[string]any{"opayToken": pinOTP.OpayToken, "cvv": "123"}, nil)), "{actionType:s}")
	if d.NextAction.ActionType != opay.ActionPIN {
		t.Errorf("an NG token of BIN 506099: %+v", d)
	}
	// The top-level alias, no bankcard at all; the test card's last four decline it.
	d = e.create(t, opayRequest(t, pay("pt-51", "EG", 60000, nil, func(b map[string]any) {
		delete(b, "bankcard")
		b["opayToken"] = declines.OpayToken
	})), "")
	if d.Status != "FAIL" || d.FailureCode != "51" {
		t.Errorf("the decline card's token: %+v", d)
	}
	t.Run("Expired", func(t *testing.T) {
		e.clock.Advance(20 * 365 * 24 * time.Hour) // past 12/39
		d := e.create(t, opayRequest(t, pay("pt-54", "EG", 60000, map[string]any{"opayToken": visa.OpayToken}, nil)), "")
		if d.Status != "FAIL" || d.FailureCode != "54" {
			t.Errorf("an expired token: %+v", d)
		}
	})
	for name, tc := range map[string]struct {
		card map[string]any
		code string
	}{
		"TokenAndNumber": {map[string]any{"opayToken": visa.OpayToken, "cardNumber": apiPAN}, opay.CodeInvalidParams},
		"TokenAndExpiry": {map[string]any{"opayToken": visa.OpayToken, "expiryMonth": "12"}, opay.CodeInvalidParams},
		"BadCVV":         {map[string]any{"opayToken": visa.OpayToken, "cvv": "1"}, opay.CodeInvalidParams},
		"Unknown":        {map[string]any{"opayToken": "OPAY_TOKEN_0123456789abcdef0123456789abcdef"}, opay.CodeNotFound},
		"Malformed":      {map[string]any{"opayToken": "tok"}, opay.CodeNotFound},
	} {
		t.Run("Err"+name, func(t *testing.T) {
			must(t, e.call(t, e.A, pathPaymentCreate, pay("pt-err-"+name, "EG", 60000, tc.card, nil)), tc.code)
		})
	}
	t.Run("ErrOtherMerchantsToken", func(t *testing.T) {
		must(t, e.call(t, e.B, pathPaymentCreate, pay("pt-b", "EG", 60000, map[string]any{"opayToken": visa.OpayToken}, nil)), opay.CodeNotFound)
	})
	t.Run("ErrNotForInstallments", func(t *testing.T) {
		b := pay("pt-bi", "EG", 1_000_000, map[string]any{"opayToken": visa.OpayToken}, func(b map[string]any) {
			b["payMethod"] = "BankInstallment"
			b["bankInstallment"] = map[string]any{"bankCode": "CIB", "months": 6}
		})
		r := must(t, e.call(t, e.A, pathPaymentCreate, b), opay.CodeInvalidParams)
		if !strings.Contains(r.Detail, "opayToken is for payMethod BankCard") {
			t.Errorf("detail %q", r.Detail)
		}
	})
}

// TestTokensNeverHoldTheCard: after tokenising and paying with tokens, neither the database
// file nor the log holds a card number or CVV.
func TestTokensNeverHoldTheCard(t *testing.T) {
	e := newTestServer(t)
	d := e.token(t, e.A, "sec-1", apiPAN, "cust-1")
	e.call(t, e.A, pathTokenCreate, tokenRequest("sec-2", "4111119076350815", "cust-1", nil)) // Luhn fails
	e.call(t, e.A, pathTokenCreate, tokenRequest("sec-1", apiPAN, "cust-1", nil))             // duplicate
	e.call(t, e.Demo, pathTokenCreate, tokenRequest("sec-3", apiPAN, "cust-1", nil))          // Demo's key over A's body
	e.call(t, e.A, pathPaymentCreate, map[string]any{"reference": "sec-pay", "country": "EG", "payMethod": "BankCard",
		"amount": map[string]any{"total": 60000, "currency": "EGP"}, "product": map[string]any{"name": "Tea"},
		"bankcard": map[string]any{"opayToken": d.OpayToken, "cvv": apiCVV}})
	var dump []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(e.dbPath + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		dump = append(dump, b...)
	}
	if !strings.Contains(string(dump), d.OpayToken) {
		t.Fatal("the token is not in the dump: it does not show the database")
	}
	logs := e.logs.String()
	for _, secret := range []string{apiPAN, "907635", `"` + apiCVV + `"`, "=" + apiCVV} {
		if strings.Contains(string(dump), secret) {
			t.Errorf("the database holds %q", secret)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

// opayRequest reads a request body built as a map into the SDK's type.
func opayRequest(t *testing.T, body map[string]any) opay.PaymentCreateRequest {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	var req opay.PaymentCreateRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	return req
}

// TestCardDebitStoreCardMakesAToken: a CardDebit with storeCard, once paid, leaves a token of
// userInfo.userId that token/query by customerId lists, with the customer's details.
func TestCardDebitStoreCardMakesAToken(t *testing.T) {
	e := newTestServer(t)
	d := e.cardPayment(t, e.debitRequest("keep-1", 60000, "AGR-keep", func(b map[string]any) {
		bankDebit(b)["storeCard"] = true
		b["userInfo"] = map[string]any{"userId": "cust-keep", "userName": "Ada Obi", "userEmail": "ada@example.com"}
	}))
	list := func() opay.CustomerTokensData {
		return data[opay.CustomerTokensData](t, must(t, e.call(t, e.A, pathTokenQuery, map[string]string{"customerId": "cust-keep"}), opay.CodeSuccess))
	}
	if l := list(); len(l.CardTokens) != 0 {
		t.Fatalf("a token before the payment: %+v", l)
	}
	if _, err := e.svc.Orders.Confirm3DS(context.Background(), e.A.ID, opaygate.OrderKey{OrderNo: d.OrderNo}); err != nil {
		t.Fatal(err)
	}
	l := list()
	if len(l.CardTokens) != 1 || l.CardTokens[0].FirstSixDigits != "411111" || l.CardTokens[0].LastFourDigits != "0814" ||
		l.Customer.CustomerEmail != "ada@example.com" {
		t.Fatalf("tokens %+v", l)
	}
	// The token pays like any other.
	pay := map[string]any{"reference": "keep-pay", "country": "EG", "payMethod": "BankCard",
		"amount": map[string]any{"total": 1000, "currency": "EGP"}, "product": map[string]any{"name": "Gym"},
		"opayToken": l.CardTokens[0].OpayToken}
	if d := data[opay.PaymentCreateData](t, must(t, e.call(t, e.A, pathPaymentCreate, pay), opay.CodeSuccess)); d.Status != "SUCCESS" {
		t.Errorf("paid with the kept card: %+v", d)
	}
}
