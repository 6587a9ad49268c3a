package server_test

import (
	"crypto/rsa"
	"encoding/json"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// payout POSTs body to a payout path as m, signed with key.
func (e *payoutEnv) payout(t *testing.T, m *opaygate.Merchant, key *rsa.PrivateKey, path string, body any) result {
	t.Helper()
	b := bodyBytes(t, body)
	return e.do(t, "POST", path, b, map[string]string{"MerchantId": m.ID, "Authorization": "Bearer " + rsaSig(t, string(b), key)})
}

func bankTransfer(ref string, amount any, accountNo string) map[string]any {
	return map[string]any{"payoutType": "BankTransfer", "notifyUrl": "https://shop.example/payouts",
		"merchantOrderNo": ref, "country": "NG", "amount": amount, "currency": "NGN", "language": "en_US",
		"remark": "salary", "metaData": map[string]any{"accountBankCode": "058", "accountName": "Ada Obi", "accountNo": accountNo}}
}

// TestPayoutFlow: a payout over HTTP, from the cash check to the bank's answer, in OPay's
// shapes and payout codes; B never sees A's payouts.
func TestPayoutFlow(t *testing.T) {
	e := newPayoutEnv(t, withRefunds(0))
	kA, kB := e.keys[0], e.keys[1]
	balance := func(account string) opay.PayoutBalanceData {
		t.Helper()
		r := must(t, e.payout(t, e.A, kA, opay.PathPayoutBalance,
			map[string]any{"country": "NG", "currency": "NGN", "type": account}), opay.CodeSuccess)
		// A typed client reads balance as an object of a number and a currency.
		var shape struct {
			Country string `json:"country"`
			Balance struct {
				Total    json.Number `json:"total"`
				Currency string      `json:"currency"`
			} `json:"balance"`
		}
		if err := json.Unmarshal(r.Data, &shape); err != nil || shape.Balance.Currency != "NGN" || shape.Country != "NG" {
			t.Fatalf("balance data %s: %v", r.Data, err)
		}
		return data[opay.PayoutBalanceData](t, r)
	}

	r := must(t, e.payout(t, e.A, kA, opay.PathPayoutCreate, bankTransfer("po-1", 50000, "0123456789")), opay.CodeBalanceNotEnough)
	if r.Message != opay.MessageBalanceNotEnough || !contains(r.Detail, "cash") {
		t.Fatalf("5006 answered %q, detail %q", r.Message, r.Detail)
	}
	e.credit(t, e.A.ID, "NGN", 80000)
	r = must(t, e.payout(t, e.A, kA, opay.PathPayoutCreate, bankTransfer("po-1", "50000", "0123456789")), opay.CodeSuccess)
	created := data[opay.PayoutCreateData](t, r)
	if created.OrderStatus != "INITIAL" || created.Reference != "po-1" || len(created.OrderNo) != 18 {
		t.Fatalf("created %+v", created)
	}
	if got := balance("CASH_ACCOUNT").Balance.Total; got != 30000 {
		t.Fatalf("cash after the payout: %d", got)
	}
	must(t, e.payout(t, e.A, kA, opay.PathPayoutCreate, bankTransfer("po-1", 10, "0123456789")), opay.CodePayoutExists)
	must(t, e.payout(t, e.A, kA, opay.PathPayoutCreate, bankTransfer("po-2", 30001, "0123456789")), opay.CodeBalanceNotEnough)

	q := must(t, e.payout(t, e.A, kA, opay.PathPayoutQuery, map[string]any{"reference": "po-1"}), opay.CodeSuccess)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(q.Data, &raw); err != nil || string(raw["errorCode"]) != `""` || string(raw["additionalField"]) != "{}" {
		t.Fatalf("queryorder shape %s", q.Data)
	}
	if d := data[opay.PayoutQueryData](t, q); d.OrderStatus != "PENDING" || d.OrderNo != created.OrderNo ||
		d.Amount != (opay.Amount{Total: 50000, Currency: "NGN"}) {
		t.Fatalf("queried %+v", d)
	}
	must(t, e.payout(t, e.B, kB, opay.PathPayoutQuery, map[string]any{"orderNo": created.OrderNo}), opay.CodePayoutNotFound)
	must(t, e.payout(t, e.A, kA, opay.PathPayoutQuery, map[string]any{"reference": "nope"}), opay.CodePayoutNotFound)

	// The bank fails it: the money comes back, and queryorder says why.
	r = must(t, e.do(t, "POST", "/_sandbox/payouts/complete",
		bodyBytes(t, map[string]any{"orderNo": created.OrderNo, "outcome": "FAIL", "errorCode": "01010"}), nil), opay.CodeSuccess)
	if !contains(string(r.Data), `"errorMsg":"Insufficient Fund"`) {
		t.Fatalf("complete answered %s", r.Data)
	}
	must(t, e.do(t, "POST", "/_sandbox/payouts/complete",
		bodyBytes(t, map[string]any{"orderNo": created.OrderNo, "outcome": "SUCCESS"}), nil), opay.CodeOrderState)
	if got := balance("CASH_ACCOUNT").Balance.Total; got != 80000 {
		t.Fatalf("cash after the failed payout: %d", got)
	}
	d := data[opay.PayoutQueryData](t, must(t, e.payout(t, e.A, kA, opay.PathPayoutQuery,
		map[string]any{"orderNo": created.OrderNo, "country": "NG"}), opay.CodeSuccess))
	if d.OrderStatus != "FAIL" || d.ErrorCode != "01010" || d.ErrorMsg != "Insufficient Fund" {
		t.Fatalf("failed payout %+v", d)
	}
	if got := balance("UNSETTLED_ACCOUNT").Balance.Total; got != 0 {
		t.Fatalf("unsettled %d", got)
	}
}

// TestPayoutFields: every missing field has its own code and message, a malformed one is
// 02001 with the problem in the message, a payoutType the gateway does not simulate 02017.
func TestPayoutFields(t *testing.T) {
	e := newPayoutEnv(t)
	kA := e.keys[0]
	without := func(field string) map[string]any {
		b := bankTransfer("f-1", 100, "0123456789")
		if md := b["metaData"].(map[string]any); md[field] != nil {
			delete(md, field)
		} else {
			delete(b, field)
		}
		return b
	}
	for field, code := range map[string]string{"payoutType": "51010", "notifyUrl": "51012", "merchantOrderNo": "51017",
		"country": "51011", "amount": "51016", "currency": "51014", "language": "51015",
		"accountBankCode": "51006", "accountName": "51004", "accountNo": "51005"} {
		t.Run("Missing_"+field, func(t *testing.T) {
			r := must(t, e.payout(t, e.A, kA, opay.PathPayoutCreate, without(field)), code)
			if r.Message != field+" cannot be empty" {
				t.Errorf("message %q", r.Message)
			}
		})
	}
	wallet := map[string]any{"payoutType": "OpayWalletNg", "notifyUrl": "https://shop.example/payouts",
		"merchantOrderNo": "w-1", "country": "NG", "amount": 100, "currency": "NGN", "language": "en_US",
		"metaData": map[string]any{"phone": "+2348031234567"}}
	must(t, e.payout(t, e.A, kA, opay.PathPayoutCreate, wallet), "51007")

	for _, tc := range []struct {
		name   string
		change func(map[string]any)
		code   string
		detail string
	}{
		{"Betting", func(b map[string]any) { b["payoutType"] = "Betting" }, opay.CodePayoutNotOpened, "Betting"},
		{"UnknownType", func(b map[string]any) { b["payoutType"] = "Cash" }, opay.CodeInvalidParams, "payoutType"},
		{"TypeOfOtherCountry", func(b map[string]any) { b["payoutType"] = "OpayWallet" }, opay.CodeInvalidParams, "payoutType"},
		{"Currency", func(b map[string]any) { b["currency"] = "EGP" }, opay.CodeInvalidParams, "currency"},
		{"NegativeAmount", func(b map[string]any) { b["amount"] = -5 }, opay.CodeInvalidParams, "amount"},
		{"AmountAboveMax", func(b map[string]any) { b["amount"] = opaygate.MaxAmount + 1 }, opay.CodeInvalidParams, "amount"},
		{"AmountNotANumber", func(b map[string]any) { b["amount"] = "ten" }, opay.CodeInvalidParams, "amount"},
		{"OrderNoChars", func(b map[string]any) { b["merchantOrderNo"] = "a b" }, opay.CodeInvalidParams, "merchantOrderNo"},
		{"OrderNoLength", func(b map[string]any) { b["merchantOrderNo"] = "123456789012345678901234567890123" }, opay.CodeInvalidParams, "merchantOrderNo"},
		{"NotifyURL", func(b map[string]any) { b["notifyUrl"] = "ftp://x" }, opay.CodeInvalidParams, "notifyUrl"},
		{"AccountNo", func(b map[string]any) { b["metaData"].(map[string]any)["accountNo"] = "01234-567" }, opay.CodeInvalidParams, "accountNo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bankTransfer("f-"+tc.name, 100, "0123456789")
			tc.change(b)
			r := must(t, e.payout(t, e.A, kA, opay.PathPayoutCreate, b), tc.code)
			if !contains(r.Detail, tc.detail) {
				t.Errorf("detail %q does not name %s", r.Detail, tc.detail)
			}
			if tc.code == opay.CodeInvalidParams && !contains(r.Message, "request params not valid: ") {
				t.Errorf("message %q", r.Message)
			}
		})
	}
	t.Run("WalletPhone", func(t *testing.T) {
		wallet["metaData"] = map[string]any{"customerName": "Ada", "phone": "08031234567"}
		r := must(t, e.payout(t, e.A, kA, opay.PathPayoutCreate, wallet), opay.CodeInvalidParams)
		if !contains(r.Detail, "+234") {
			t.Errorf("detail %q", r.Detail)
		}
	})
	t.Run("Balance", func(t *testing.T) {
		must(t, e.payout(t, e.A, kA, opay.PathPayoutBalance, map[string]any{"country": "NG", "currency": "NGN", "type": "SAVINGS"}),
			opay.CodeInvalidParams)
		must(t, e.payout(t, e.A, kA, opay.PathPayoutBalance, map[string]any{"currency": "NGN", "type": "CASH_ACCOUNT"}), "51011")
	})
}

// TestPayoutValidate: the sandbox bank's accounts and wallets.
func TestPayoutValidate(t *testing.T) {
	e := newPayoutEnv(t)
	kA := e.keys[0]
	r := must(t, e.payout(t, e.A, kA, opay.PathBankAccountValidate, map[string]any{"accountBankCode": "058", "accountNo": "0123456789"}),
		opay.CodeSuccess)
	if d := data[opay.BankAccountValidateData](t, r); d.AccountName != "SANDBOX ACCOUNT 6789" || d.AccountNo != "0123456789" {
		t.Fatalf("validated %+v", d)
	}
	for _, no := range []string{"012345678", "0123451005"} {
		r := must(t, e.payout(t, e.A, kA, opay.PathBankAccountValidate, map[string]any{"accountBankCode": "058", "accountNo": no}),
			opay.CodeIncorrectAccount)
		if r.Message != "Incorrect Account Number" {
			t.Errorf("%s: message %q", no, r.Message)
		}
	}
	r = must(t, e.payout(t, e.A, kA, opay.PathOpayWalletValidate, map[string]any{"phone": "+201012345678", "country": "EG"}),
		opay.CodeSuccess)
	if d := data[opay.WalletValidateData](t, r); d.AccountName != "SANDBOX ACCOUNT 5678" {
		t.Fatalf("wallet %+v", d)
	}
	must(t, e.payout(t, e.A, kA, opay.PathOpayWalletValidate, map[string]any{"phone": "+201012341005", "country": "EG"}),
		opay.CodeIncorrectAccount)
}
