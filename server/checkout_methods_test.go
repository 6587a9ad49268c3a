package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/opaygate/opaygate"
)

// The hosted checkout's own steps of the methods paid with the API's steps: an NG card's PIN
// and OTP, BankAccount's OTP and BankInstallment's plan and 3-D Secure.

// cardForm is the card section's form with a valid expiry and CVV.
func cardForm(token, number string) map[string][]string {
	return form(token, "cardNumber", number, "expiry", "12/39", "cvv", "123")
}

func TestCheckoutNGCardSteps(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()

	t.Run("TestCardsByCountry", func(t *testing.T) {
		token, _ := e.cashierOrder(t, e.A, "ngc-hints", 500000, ngOrder)
		c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).
			has(t, "5060 9900 0001 0106", "Nigeria: approved after the PIN and an OTP", "5061 0000 0001 0103",
				"5399 8300 0000 0016", "The PIN of these cards is 1234.", "4111 1111 1111 1111")
		token, _ = e.cashierOrder(t, e.A, "egc-hints", 60000, nil)
		c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).
			has(t, "4111 1111 1111 1111").lacks(t, "5060 9900 0001 0106", "The PIN of these cards")
	})

	t.Run("PINThenOTP", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "ngc-pin-otp", 500000, ngOrder)
		back := e.srv.URL + "/checkout?orderToken=" + token
		c.post(t, "/checkout/card", cardForm(token, "5060 9900 0001 0106")).redirectsTo(t, back)
		c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).
			has(t, "Enter your card PIN", `action="checkout/pin"`, `type="password"`, "PIN of card •••• 0106",
				"Sandbox: the PIN is 1234", `action="checkout/cancel"`).
			lacks(t, `action="checkout/card"`, `action="checkout/otp"`)

		c.post(t, "/checkout/pin", form(token, "pin", "12")).redirectsTo(t, back+"&error=pin_format")
		c.post(t, "/checkout/pin", form(token, "pin", "9999")).redirectsTo(t, back+"&error=pin")
		c.get(t, "/checkout?orderToken="+token+"&error=pin").html(t, http.StatusOK).
			has(t, `role="alert"`, "That PIN is not right. 2 attempts left.").lacks(t, `value="9999"`)

		c.post(t, "/checkout/pin", form(token, "pin", "1234")).redirectsTo(t, back)
		otp, ok := e.net.LastOTP(orderNo)
		if !ok {
			t.Fatal("no OTP sent after the PIN")
		}
		c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).
			has(t, `action="checkout/otp"`, "mobile number it has for card •••• 0106", "the code sent is "+otp).
			lacks(t, `action="checkout/pin"`, "ValU")
		c.follow(t, c.post(t, "/checkout/otp", form(token, "otp", otp))).html(t, http.StatusOK).
			has(t, "Payment successful", orderNo)
		if st := e.statusIn(t, orderNo, "NG"); st.Status != "SUCCESS" {
			t.Errorf("status %+v", st)
		}
		if got := e.instruments(t, orderNo); len(got) != 1 || got[0] != "SUCCESS/BankCard" {
			t.Errorf("callbacks %v", got)
		}
		// The PIN form of a paid order shows the result.
		c.post(t, "/checkout/pin", form(token, "pin", "1234")).redirectsTo(t, back)
	})

	t.Run("PINOnly", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "ngc-pin", 500000, ngOrder)
		c.post(t, "/checkout/card", cardForm(token, "5061000000010103"))
		c.follow(t, c.post(t, "/checkout/pin", form(token, "pin", "1234"))).has(t, "Payment successful")
		if st := e.statusIn(t, orderNo, "NG"); st.Status != "SUCCESS" {
			t.Errorf("status %+v", st)
		}
	})

	t.Run("OTPOnly", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "ngc-otp", 500000, ngOrder)
		c.post(t, "/checkout/card", cardForm(token, "5399830000000016"))
		c.get(t, "/checkout?orderToken="+token).has(t, `action="checkout/otp"`).lacks(t, `action="checkout/pin"`)
		otp, _ := e.net.LastOTP(orderNo)
		c.follow(t, c.post(t, "/checkout/otp", form(token, "otp", otp))).has(t, "Payment successful")
	})

	t.Run("ThreeWrongPINs", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "ngc-wrong", 500000, ngOrder)
		c.post(t, "/checkout/card", cardForm(token, "5060990000010106"))
		for range 2 {
			c.post(t, "/checkout/pin", form(token, "pin", "0000"))
		}
		c.follow(t, c.post(t, "/checkout/pin", form(token, "pin", "0000"))).html(t, http.StatusOK).
			has(t, "Payment failed").lacks(t, `action="checkout/pin"`, "attempts left")
		st := e.statusIn(t, orderNo, "NG")
		if st.Status != "FAIL" || st.FailureCode != opaygate.CodeWrongPIN {
			t.Errorf("status %+v", st)
		}
		if got := e.instruments(t, orderNo); len(got) != 1 || got[0] != "FAIL/BankCard" {
			t.Errorf("callbacks %v", got)
		}
	})

	t.Run("OtherCardsUse3DS", func(t *testing.T) {
		token, _ := e.cashierOrder(t, e.A, "ngc-3ds", 500000, ngOrder)
		c.post(t, "/checkout/card", cardForm(token, "4111111111111111")).
			redirectsTo(t, e.srv.URL+"/3ds?orderToken="+token)
		// Egypt always confirms on the 3-D Secure page, whatever the BIN.
		token, _ = e.cashierOrder(t, e.A, "egc-3ds", 60000, nil)
		c.post(t, "/checkout/card", cardForm(token, "5060990000010106")).
			redirectsTo(t, e.srv.URL+"/3ds?orderToken="+token)
	})
}

// BankAccount: the bank, account, BVN, birth date and mobile; the OTP page says where the code
// went; the identifier rule and the OTP limit fail it; nothing of the BVN is kept.
func TestCheckoutBankAccount(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	account := func(token string, kv ...string) map[string][]string {
		f := form(token, "bankCode", "058", "accountNumber", "0123 456 789", "bvn", "12345678901",
			"dob", "1990-02-14", "mobile", "+234 803 123 4567")
		for i := 0; i+1 < len(kv); i += 2 {
			f[kv[i]] = []string{kv[i+1]}
		}
		return f
	}

	t.Run("Paid", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "acct-page", 750000, ngOrder)
		back := e.srv.URL + "/checkout?orderToken=" + token
		c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).
			inOrder(t, `action="checkout/ussd"`, `action="checkout/bankaccount"`)
		c.get(t, "/checkout?orderToken="+token).has(t, `<label for="bankaccount-number">Account number</label>`,
			`<select id="bankaccount-bank" name="bankCode" required>`, `<option value="058">GTBank</option>`,
			`name="dob" type="date"`, `<label for="bankaccount-bvn">BVN</label>`)
		for field, problem := range map[string][]string{
			"bankaccount_bank":   {"bankCode", "999"},
			"bankaccount_number": {"accountNumber", "12345"},
			"bankaccount_bvn":    {"bvn", "1234"},
			"bankaccount_dob":    {"dob", "1990-02-30"},
			"bankaccount_mobile": {"mobile", "0803"},
		} {
			c.post(t, "/checkout/bankaccount", account(token, problem...)).redirectsTo(t, back+"&error="+field)
		}
		c.get(t, "/checkout?orderToken="+token+"&error=bankaccount_bvn").has(t, `role="alert"`, "The BVN has 11 digits.")
		// A birth date today is refused by the method itself (the clock decides).
		today := e.clock.Now().UTC().Format("2006-01-02")
		c.post(t, "/checkout/bankaccount", account(token, "dob", today)).redirectsTo(t, back+"&error=bankaccount")

		c.post(t, "/checkout/bankaccount", account(token, "dob", "14/02/1990")).redirectsTo(t, back)
		otp, ok := e.net.LastOTP(orderNo)
		if !ok {
			t.Fatal("no OTP sent")
		}
		c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).
			has(t, `action="checkout/otp"`, "Your bank sent a code by SMS to &#43;2••••••••4567.").
			lacks(t, `action="checkout/bankaccount"`, "ValU")
		c.follow(t, c.post(t, "/checkout/otp", form(token, "otp", otp))).html(t, http.StatusOK).
			has(t, "Payment successful")
		if got := e.instruments(t, orderNo); len(got) != 1 || got[0] != "SUCCESS/BankAccount" {
			t.Errorf("callbacks %v", got)
		}
		o, err := e.svc.Orders.FindOrder(context.Background(), e.A.ID, opaygate.OrderKey{OrderNo: orderNo})
		if err != nil {
			t.Fatal(err)
		}
		if o.MethodData["bankAccountNumber"] != "0123456789" || o.MethodData["bankCode"] != "058" {
			t.Errorf("method data %v", o.MethodData)
		}
		for k, v := range o.MethodData {
			if strings.Contains(v, "12345678901") || strings.Contains(v, "1990") {
				t.Errorf("the order keeps %s=%q", k, v)
			}
		}
	})

	t.Run("Declined", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "acct-51", 750000, ngOrder)
		c.post(t, "/checkout/bankaccount", account(token, "accountNumber", "0123450051"))
		otp, _ := e.net.LastOTP(orderNo)
		c.follow(t, c.post(t, "/checkout/otp", form(token, "otp", otp))).has(t, "Payment failed")
		if st := e.statusIn(t, orderNo, "NG"); st.Status != "FAIL" || st.FailureCode != "51" {
			t.Errorf("status %+v", st)
		}
	})

	t.Run("NotAMerchantFunction", func(t *testing.T) {
		// Restricted to another method, the order's page has no bank-account section and
		// refuses its form.
		token, _ := e.cashierOrder(t, e.A, "acct-other", 750000, func(b map[string]any) { ngOrder(b); b["payMethod"] = "BankUssd" })
		c.get(t, "/checkout?orderToken="+token).lacks(t, `action="checkout/bankaccount"`)
		c.post(t, "/checkout/bankaccount", account(token)).
			redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token+"&error=method")
	})
}

// BankInstallment: the plans that take the amount with their monthly payment, the card, the
// 3-D Secure page, and the bank and months on the order.
func TestCheckoutBankInstallment(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	inst := func(token, plan, number string) map[string][]string {
		f := cardForm(token, number)
		f["plan"] = []string{plan}
		return f
	}

	t.Run("Paid", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "inst-page", 1_200_000, nil) // EGP 12,000.00
		back := e.srv.URL + "/checkout?orderToken=" + token
		pg := c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK)
		pg.inOrder(t, `action="checkout/valu"`, `action="checkout/bankinstallment"`, `action="checkout/mwallet"`)
		// NBE's 5% over 18 months: 12,600.00 / 18 = 700.00 a month.
		pg.inOrder(t, "Plans of Commercial International Bank", `value="CIB:6"`, "EGP 2,000.00 a month", "fee 0%",
			`value="CIB:12"`, "EGP 1,000.00 a month", "Plans of National Bank of Egypt", "fee 5%", `value="NBE:18"`,
			"EGP 700.00 a month", "Plans of QNB Al Ahli", `value="QNB:3"`, "EGP 4,000.00 a month")
		pg.has(t, `<label for="installment-card-number">Card number</label>`)

		c.post(t, "/checkout/bankinstallment", inst(token, "", "4111111111111111")).redirectsTo(t, back+"&error=installment_plan")
		c.post(t, "/checkout/bankinstallment", inst(token, "CIB:18", "4111111111111111")).redirectsTo(t, back+"&error=installment")
		c.get(t, "/checkout?orderToken="+token+"&error=installment").has(t, `role="alert"`, "Choose a plan of your card")
		c.post(t, "/checkout/bankinstallment", inst(token, "NBE:18", "4111111111111112")).redirectsTo(t, back+"&error=card_number")

		c.post(t, "/checkout/bankinstallment", inst(token, "NBE:18", "4111 1111 1111 1111")).
			redirectsTo(t, e.srv.URL+"/3ds?orderToken="+token)
		c.follow(t, c.post(t, "/3ds/confirm", form(token))).html(t, http.StatusOK).has(t, "Payment successful", "•••• 1111")
		if got := e.instruments(t, orderNo); len(got) != 1 || got[0] != "SUCCESS/BankInstallment" {
			t.Errorf("callbacks %v", got)
		}
		o, err := e.svc.Orders.FindOrder(context.Background(), e.A.ID, opaygate.OrderKey{OrderNo: orderNo})
		if err != nil {
			t.Fatal(err)
		}
		if o.MethodData["bankCode"] != "NBE" || o.MethodData["months"] != "18" || o.Months != 18 || o.CardLast4 != "1111" {
			t.Errorf("order keeps %v, months %d, card %s", o.MethodData, o.Months, o.CardLast4)
		}
	})

	t.Run("Declined", func(t *testing.T) {
		token, orderNo := e.cashierOrder(t, e.A, "inst-51", 1_200_000, nil)
		c.post(t, "/checkout/bankinstallment", inst(token, "QNB:3", "4000000000000051"))
		c.follow(t, c.post(t, "/3ds/confirm", form(token))).has(t, "Payment failed")
		if st := e.orderStatus(t, e.A, orderNo); st.Status != "FAIL" || st.FailureCode != "51" {
			t.Errorf("status %+v", st)
		}
	})

	t.Run("AmountBelowEveryPlan", func(t *testing.T) {
		// EGP 100.00 is below every plan's minimum: no section among the others, and an order
		// restricted to bank installments says why it cannot be paid.
		token, _ := e.cashierOrder(t, e.A, "inst-small", 10_000, nil)
		c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).
			has(t, `action="checkout/valu"`).lacks(t, "Bank installments")
		token, _ = e.cashierOrder(t, e.A, "inst-only", 10_000, func(b map[string]any) { b["payMethod"] = "BankInstallment" })
		c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).
			has(t, "Bank installments", "No bank installment plan takes this amount.").
			lacks(t, `action="checkout/bankinstallment"`, `action="checkout/card"`)
		c.post(t, "/checkout/bankinstallment", inst(token, "CIB:6", "4111111111111111")).
			redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token+"&error=installment")
	})
}
