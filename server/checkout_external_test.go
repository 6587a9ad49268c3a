package server_test

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// The hosted checkout of the methods whose customer pays outside the API: each method's
// section, the shared waiting page, the QR image and the sandbox's simulator page.

// ngOrder makes a cashier order Nigerian.
func ngOrder(b map[string]any) {
	b["country"], b["amount"] = "NG", map[string]any{"total": b["amount"].(map[string]any)["total"], "currency": "NGN"}
}

// statusIn is cashier/status of an order of country.
func (e *env) statusIn(t testing.TB, orderNo, country string) opay.CashierStatusData {
	t.Helper()
	r := must(t, e.call(t, e.A, pathStatus, map[string]string{"orderNo": orderNo, "country": country}), opay.CodeSuccess)
	return data[opay.CashierStatusData](t, r)
}

// inOrder checks that the page shows subs in that order.
func (pg payPage) inOrder(t testing.TB, subs ...string) {
	t.Helper()
	at := -1
	for _, s := range subs {
		i := strings.Index(pg.body, s)
		if i < 0 || i < at {
			t.Errorf("%q is missing or out of order (%v)", s, subs)
			return
		}
		at = i
	}
}

// waitingPage checks the shared parts of a waiting page: it re-reads itself every 5 seconds
// without JavaScript, links to the simulator in the sandbox and still offers the cancel.
func waitingPage(t testing.TB, pg payPage, token string) payPage {
	t.Helper()
	return pg.html(t, http.StatusOK).has(t, `<meta http-equiv="refresh" content="5">`, "Waiting for your payment",
		"checks every 5 seconds", `href="simulate?orderToken=`+token+`"`, `action="checkout/cancel"`, `role="timer"`).
		lacks(t, `action="checkout/card"`)
}

func TestCheckoutExternalSections(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	t.Run("Egypt", func(t *testing.T) {
		token, _ := e.cashierOrder(t, e.A, "ext-eg", 60000, nil)
		pg := c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).lacks(t, "http-equiv")
		// METHODS.md §8.y: Card, ValU, (Bank installment), Mobile wallet, Vodafone Cash, Shahry.
		pg.inOrder(t, `action="checkout/card"`, `action="checkout/valu"`, `action="checkout/mwallet"`,
			`action="checkout/vodafonecash"`, `action="checkout/shahry"`)
		pg.has(t, `<label for="mwallet-account">Wallet number</label>`, `<label for="vodafonecash-mobile">`,
			`<label for="shahry-mobile">`, "Send the payment request", "Continue to Vodafone Cash", "Continue to Shahry")
	})
	t.Run("Nigeria", func(t *testing.T) {
		token, _ := e.cashierOrder(t, e.A, "ext-ng", 500000, ngOrder)
		pg := c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK)
		// Card, OPay wallet, Bank transfer, USSD.
		pg.inOrder(t, `action="checkout/card"`, `action="checkout/opaywallet"`, `action="checkout/banktransfer"`,
			`action="checkout/ussd"`)
		pg.inOrder(t, `<option value="">Choose your bank</option>`, `<option value="044">Access Bank</option>`,
			`<option value="033">UBA</option>`, `<option value="057">Zenith Bank</option>`)
		pg.lacks(t, `action="checkout/mwallet"`, `action="checkout/opayqr"`)
	})
	t.Run("RestrictedToVodafoneCash", func(t *testing.T) {
		token, _ := e.cashierOrder(t, e.A, "ext-vf", 60000, func(b map[string]any) { b["payMethod"] = "VodafoneCash" })
		c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).
			has(t, `action="checkout/vodafonecash"`).lacks(t, `action="checkout/card"`, `action="checkout/shahry"`)
		c.post(t, "/checkout/shahry", form(token, "mobile", "01012345678")).
			redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token+"&error=method")
	})
	t.Run("WrongCountry", func(t *testing.T) {
		// A NG order does not take the EG-only wallet, whatever the form says.
		token, _ := e.cashierOrder(t, e.A, "ext-ng-2", 500000, ngOrder)
		c.post(t, "/checkout/mwallet", form(token, "walletAccount", "01012345678")).
			redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token+"&error=method")
	})
}

func TestCheckoutMWallet(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	token, orderNo := e.cashierOrder(t, e.A, "mw-page", 60000, nil)
	back := e.srv.URL + "/checkout?orderToken=" + token

	c.post(t, "/checkout/mwallet", form(token, "walletAccount", "0201234")).redirectsTo(t, back+"&error=wallet")
	c.get(t, "/checkout?orderToken="+token+"&error=wallet").html(t, http.StatusOK).
		has(t, `role="alert"`, "Enter the mobile number of your wallet")

	c.post(t, "/checkout/mwallet", form(token, "walletAccount", "010 1234 5678")).redirectsTo(t, back)
	pg := waitingPage(t, c.get(t, "/checkout?orderToken="+token), token)
	pg.has(t, "Approve the payment in your wallet", `<bdi dir="ltr" class="strong" id="wallet">01012345678</bdi>`,
		`<img src="checkout/qr?orderToken=`+token+`"`, `alt="QR code to pay with your wallet app"`)

	t.Run("QRImage", func(t *testing.T) {
		img := c.get(t, "/checkout/qr?orderToken="+token)
		if img.status != http.StatusOK || img.header.Get("Content-Type") != "image/png" ||
			img.header.Get("Cache-Control") != "no-store" || img.header.Get("X-Content-Type-Options") != "nosniff" ||
			img.header.Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("QR image: %d %v", img.status, img.header)
		}
		decoded, err := png.Decode(bytes.NewReader([]byte(img.body)))
		if err != nil {
			t.Fatalf("QR image is not a PNG: %v", err)
		}
		if b := decoded.Bounds(); b.Dx() != b.Dy() || b.Dx() < 200 {
			t.Errorf("QR image is %v", b)
		}
		c.get(t, "/checkout/qr?orderToken=0123456789abcdef0123456789abcdef").html(t, http.StatusNotFound)
	})

	sim := c.get(t, "/simulate?orderToken="+token).html(t, http.StatusOK)
	sim.has(t, "Sandbox simulator", "<h1 id=\"sim-title\">Mobile wallet</h1>", "Merchant 100000000000001",
		"EGP 600.00", "mw-page", `id="identifier" class="strong">01012345678<`,
		`action="simulate/approve"`, `action="simulate/decline"`, `action="simulate/expire"`,
		`<option value="51">51 — Insufficient funds</option>`, `<option value="62">62 — Restricted card</option>`).
		lacks(t, "http-equiv")

	result := c.follow(t, c.post(t, "/simulate/approve", form(token))).html(t, http.StatusOK)
	result.has(t, "Payment successful", orderNo).lacks(t, "http-equiv")
	if st := e.orderStatus(t, e.A, orderNo); st.Status != "SUCCESS" {
		t.Errorf("status %+v", st)
	}
	if cbs := e.callbackStatuses(t, orderNo); len(cbs) != 1 || cbs[0] != "SUCCESS" {
		t.Errorf("callbacks %v", cbs)
	}
	// Approving twice (a second tab) finds the order paid: the result again, one callback.
	c.post(t, "/simulate/approve", form(token)).redirectsTo(t, back)
	// The simulator and the QR code of a final order lead to its result.
	c.get(t, "/simulate?orderToken="+token).redirectsTo(t, back)
	c.get(t, "/checkout/qr?orderToken="+token).html(t, http.StatusNotFound)
	if cbs := e.callbackStatuses(t, orderNo); len(cbs) != 1 {
		t.Errorf("callbacks %v", cbs)
	}
}

func TestCheckoutUSSD(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	token, orderNo := e.cashierOrder(t, e.A, "ussd-page", 500000, ngOrder)
	back := e.srv.URL + "/checkout?orderToken=" + token

	c.post(t, "/checkout/ussd", form(token, "bankCode", "999")).redirectsTo(t, back+"&error=ussd_bank")
	c.post(t, "/checkout/ussd", form(token, "bankCode", "058")).redirectsTo(t, back)
	code := "*737*000*" + orderNo[len(orderNo)-4:] + "#"
	waitingPage(t, c.get(t, "/checkout?orderToken="+token), token).
		has(t, "Dial this code on your phone", `<strong id="ussd-code">`+code+`</strong>`).lacks(t, "checkout/qr")
	// USSD has no QR code.
	c.get(t, "/checkout/qr?orderToken="+token).html(t, http.StatusNotFound)
	c.get(t, "/simulate?orderToken="+token).html(t, http.StatusOK).has(t, "<h1 id=\"sim-title\">USSD</h1>", code)

	// A code outside the table is refused without moving the order.
	c.post(t, "/simulate/decline", form(token, "failureCode", "99")).
		redirectsTo(t, e.srv.URL+"/simulate?orderToken="+token+"&error=decline_code")
	c.get(t, "/simulate?orderToken="+token+"&error=decline_code").html(t, http.StatusOK).
		has(t, `role="alert"`, "Choose one of the decline codes")

	c.follow(t, c.post(t, "/simulate/decline", form(token, "failureCode", "51"))).html(t, http.StatusOK).
		has(t, "Payment failed", "Insufficient funds")
	if st := e.statusIn(t, orderNo, "NG"); st.Status != "FAIL" || st.FailureCode != "51" {
		t.Errorf("status %+v", st)
	}
	if cbs := e.callbackStatuses(t, orderNo); len(cbs) != 1 || cbs[0] != "FAIL" {
		t.Errorf("callbacks %v", cbs)
	}
}

func TestCheckoutOpayWallet(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	token, orderNo := e.cashierOrder(t, e.A, "opay-page", 500000, ngOrder)
	c.post(t, "/checkout/opaywallet", form(token)).redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token)
	waitingPage(t, c.get(t, "/checkout?orderToken="+token), token).has(t, "Pay in the OPay app",
		`<img src="checkout/qr?orderToken=`+token+`"`,
		`<a class="button" id="open-app" href="`+e.srv.URL+`/simulate?orderToken=`+token+`">Open OPay app</a>`)
	if img := c.get(t, "/checkout/qr?orderToken="+token); img.header.Get("Content-Type") != "image/png" {
		t.Errorf("QR image %d %v", img.status, img.header)
	}
	c.follow(t, c.post(t, "/simulate/approve", form(token))).has(t, "Payment successful")
	if st := e.statusIn(t, orderNo, "NG"); st.Status != "SUCCESS" {
		t.Errorf("status %+v", st)
	}
}

// Vodafone Cash and Shahry take the mobile number and hand the customer to the wallet's or the
// lender's page: the simulator page in the sandbox.
func TestCheckoutHandedOff(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	for _, tc := range []struct{ slug, title string }{{"vodafonecash", "Vodafone Cash"}, {"shahry", "Shahry installments"}} {
		t.Run(tc.slug, func(t *testing.T) {
			token, orderNo := e.cashierOrder(t, e.A, tc.slug+"-page", 60000, nil)
			back := e.srv.URL + "/checkout?orderToken=" + token
			c.post(t, "/checkout/"+tc.slug, form(token, "mobile", "01x")).redirectsTo(t, back+"&error=mobile")
			c.get(t, "/checkout?orderToken="+token+"&error=mobile").has(t, "Enter your mobile number")

			sim := e.srv.URL + "/simulate?orderToken=" + token
			c.post(t, "/checkout/"+tc.slug, form(token, "mobile", "01112345678")).redirectsTo(t, sim)
			c.get(t, sim).html(t, http.StatusOK).has(t, "<h1 id=\"sim-title\">"+tc.title+"</h1>", ">01112345678<")
			// Back on the checkout meanwhile, the customer sees the waiting page and the way back.
			waitingPage(t, c.get(t, back), token).has(t, `id="mobile">01112345678</bdi>`, `id="open-app" href="`+sim+`"`)

			c.follow(t, c.post(t, "/simulate/expire", form(token))).html(t, http.StatusOK).
				has(t, "This payment has expired").lacks(t, "http-equiv")
			if st := e.orderStatus(t, e.A, orderNo); st.Status != "CLOSE" || st.FailureCode != "ORDER_EXPIRED" {
				t.Errorf("status %+v", st)
			}
			if cbs := e.callbackStatuses(t, orderNo); len(cbs) != 1 || cbs[0] != "CLOSE" {
				t.Errorf("callbacks %v", cbs)
			}
		})
	}
	t.Run("IdentifierRule", func(t *testing.T) {
		// The mobile number is the customer's identifier: 01000000057 declines with 57.
		token, orderNo := e.cashierOrder(t, e.A, "shahry-57", 60000, nil)
		c.post(t, "/checkout/shahry", form(token, "mobile", "01000000057"))
		c.follow(t, c.post(t, "/simulate/approve", form(token))).has(t, "Payment failed", "Transaction not permitted")
		if st := e.orderStatus(t, e.A, orderNo); st.Status != "FAIL" || st.FailureCode != "57" {
			t.Errorf("status %+v", st)
		}
	})
	t.Run("Cancel", func(t *testing.T) {
		// Waiting, the customer may still give up.
		token, orderNo := e.cashierOrder(t, e.A, "vf-cancel", 60000, nil)
		c.post(t, "/checkout/vodafonecash", form(token, "mobile", "01112345678"))
		c.post(t, "/checkout/cancel", form(token))
		if st := e.orderStatus(t, e.A, orderNo); st.Status != "CLOSE" || st.FailureCode != "ORDER_CANCELLED" {
			t.Errorf("status %+v", st)
		}
	})
}

// payment/create's QR code is the simulator page's address, so a phone can open it.
func TestExternalQRCodeIsSimulatorPage(t *testing.T) {
	e := newTestServer(t)
	d := data[opay.PaymentCreateData](t, must(t, e.call(t, e.A, pathPaymentCreate,
		externalRequest(opay.PayMethodMWallet, "qr-sim", 1000, nil)), opay.CodeSuccess))
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(e.srv.URL) + `/simulate\?orderToken=[0-9a-f]{32}$`).MatchString(d.NextAction.QRCode) {
		t.Fatalf("qrCode %q", d.NextAction.QRCode)
	}
	c := e.customer()
	c.get(t, d.NextAction.QRCode).html(t, http.StatusOK).has(t, "Mobile wallet", "EGP 10.00")
	token := d.NextAction.QRCode[strings.Index(d.NextAction.QRCode, "=")+1:]
	c.post(t, "/simulate/decline", form(token, "failureCode", "05"))
	if st := e.orderStatus(t, e.A, d.OrderNo); st.Status != "FAIL" || st.FailureCode != "05" {
		t.Errorf("status %+v", st)
	}
}

// A live gateway has no simulator page, and its checkout offers no simulated method.
func TestSimulatorLive(t *testing.T) {
	e := newTestServer(t, withLive())
	c := e.customer()
	token, _ := e.cashierOrder(t, e.A, "live-sim", 60000, nil)
	c.get(t, "/checkout?orderToken="+token).html(t, http.StatusOK).
		has(t, `action="checkout/card"`).lacks(t, `action="checkout/mwallet"`, `action="checkout/vodafonecash"`)
	c.post(t, "/checkout/mwallet", form(token, "walletAccount", "01012345678")).
		redirectsTo(t, e.srv.URL+"/checkout?orderToken="+token+"&error=method")
	c.get(t, "/simulate?orderToken="+token).html(t, http.StatusNotFound).has(t, "not found")
	for _, path := range []string{"/simulate/approve", "/simulate/decline", "/simulate/expire"} {
		c.post(t, path, form(token)).html(t, http.StatusNotFound)
	}
}

// TestCheckoutReferenceCode: the customer asks for a code (texted to the mobile given), sees
// it on the waiting page, and pays it at a kiosk: the simulator stands in for the kiosk.
func TestCheckoutReferenceCode(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	token, orderNo := e.cashierOrder(t, e.A, "reference-page", 2500, nil)
	back := e.srv.URL + "/checkout?orderToken=" + token

	c.get(t, back).html(t, http.StatusOK).has(t, `action="checkout/referencecode"`, "Pay in cash (reference code)")
	c.post(t, "/checkout/referencecode", form(token, "mobile", "0803")).redirectsTo(t, back+"&error=reference_mobile")
	c.get(t, back+"&error=reference_mobile").html(t, http.StatusOK).has(t, `role="alert"`, "international form")
	c.post(t, "/checkout/referencecode", form(token, "mobile", "+201066668888")).redirectsTo(t, back)

	st := e.orderStatus(t, e.A, orderNo)
	o, err := e.svc.Orders.FindOrderByNo(context.Background(), orderNo)
	if err != nil || st.Status != "PENDING" {
		t.Fatalf("after the section: %+v %v", st, err)
	}
	code := o.MethodData[opaygate.DataReferenceCode]
	if len(code) != 10 {
		t.Fatalf("reference code %q", code)
	}
	waitingPage(t, c.get(t, back), token).
		has(t, "Pay this code at an OPay agent or kiosk", `<strong id="reference-code">`+code+`</strong>`).lacks(t, "checkout/qr")
	// The code went to the mobile the customer gave.
	type message struct{ Channel, To, Text string }
	msgs := data[[]message](t, must(t, e.do(t, "GET", "/_sandbox/messages?orderNo="+orderNo, nil, nil), opay.CodeSuccess))
	if len(msgs) != 1 || msgs[0].Channel != "SMS" || msgs[0].To != "+201066668888" || !strings.Contains(msgs[0].Text, code) {
		t.Errorf("messages %+v", msgs)
	}
	// The kiosk takes the payment.
	c.get(t, "/simulate?orderToken="+token).html(t, http.StatusOK).has(t, code)
	c.follow(t, c.post(t, "/simulate/approve", form(token))).html(t, http.StatusOK).has(t, "Payment successful")
	if st := e.orderStatus(t, e.A, orderNo); st.Status != "SUCCESS" {
		t.Errorf("status %+v", st)
	}
	if cbs := e.callbackStatuses(t, orderNo); len(cbs) != 1 || cbs[0] != "SUCCESS" {
		t.Errorf("callbacks %v", cbs)
	}
}

// TestCheckoutBankTransfer: the customer gives a mobile number, gets an account opened for the
// order (its number, name and bank on the waiting page, as the API's nextAction shows them),
// and transfers the amount: the simulator stands in for the banking app.
func TestCheckoutBankTransfer(t *testing.T) {
	e := newTestServer(t)
	c := e.customer()
	token, orderNo := e.cashierOrder(t, e.A, "transfer-page", 750000, ngOrder)
	back := e.srv.URL + "/checkout?orderToken=" + token

	c.get(t, back).html(t, http.StatusOK).has(t, `action="checkout/banktransfer"`, "Bank transfer")
	c.post(t, "/checkout/banktransfer", form(token, "mobile", "0803 123 4567")).redirectsTo(t, back+"&error=transfer_mobile")
	c.get(t, back+"&error=transfer_mobile").html(t, http.StatusOK).has(t, `role="alert"`, "international form")
	if st := e.statusIn(t, orderNo, "NG"); st.Status != "INITIAL" {
		t.Fatalf("a refused form moved the order: %+v", st)
	}
	c.post(t, "/checkout/banktransfer", form(token, "mobile", "+234 803 123 4567")).redirectsTo(t, back)

	o, err := e.svc.Orders.FindOrderByNo(context.Background(), orderNo)
	if err != nil || o.Status != opaygate.StatusPending {
		t.Fatalf("after the section: %+v %v", o, err)
	}
	account := o.MethodData[opaygate.DataTransferAccount]
	if len(account) != 10 || o.MethodData[opaygate.DataIdentifier] != "+2348031234567" {
		t.Fatalf("method data %v", o.MethodData)
	}
	waitingPage(t, c.get(t, back), token).has(t, "Transfer the exact amount to this account",
		`<strong id="transfer-account">`+account+`</strong>`,
		`<bdi id="transfer-name">OPay-`+e.A.Name+`</bdi>`, `<bdi id="transfer-bank">OPay Sandbox Bank</bdi>`).
		lacks(t, "checkout/qr")
	// The bank app sends the amount.
	c.get(t, "/simulate?orderToken="+token).html(t, http.StatusOK).has(t, account)
	c.follow(t, c.post(t, "/simulate/approve", form(token))).html(t, http.StatusOK).has(t, "Payment successful")
	if st := e.statusIn(t, orderNo, "NG"); st.Status != "SUCCESS" {
		t.Errorf("status %+v", st)
	}
	if cbs := e.callbackStatuses(t, orderNo); len(cbs) != 1 || cbs[0] != "SUCCESS" {
		t.Errorf("callbacks %v", cbs)
	}

	// cashier/create may now limit an order to it; OpayWalletNgQR is the API's (the checkout
	// has OpayWalletNg).
	only, _ := e.cashierOrder(t, e.A, "transfer-only", 750000, func(b map[string]any) { ngOrder(b); b["payMethod"] = "BankTransfer" })
	c.get(t, "/checkout?orderToken="+only).html(t, http.StatusOK).
		has(t, `action="checkout/banktransfer"`).lacks(t, `action="checkout/card"`, `action="checkout/ussd"`)
	body := map[string]any{"reference": "qr-only", "country": "NG", "payMethod": "OpayWalletNgQR",
		"amount": map[string]any{"total": 750000, "currency": "NGN"}, "returnUrl": "https://merchant.example/r",
		"product": map[string]any{"name": "Fridge"}}
	must(t, e.call(t, e.A, pathCashierCreate, body), opay.CodePayMethod)
}
