package server_test

import (
	"strings"
	"testing"

	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/simulator"
)

// docSample is one sample client printed on an OPay page: the bytes it sends and the bytes it
// signs, which differ by client:
//
//   - PHP signs json_encode($data, JSON_UNESCAPED_SLASHES) and sends json_encode($data), which
//     writes "/" as "\/"; both keep the array's order and are compact.
//   - Node signs JSON.stringify(formData) and sends the same (request's json: true): the
//     literal's order, compact.
//   - Java signs and sends Gson's JSON of a TreeMap: keys sorted at every depth, compact (a
//     HashMap on the invoice pages, which have one key).
//   - curl sends the pretty body as printed and its signature is of the compact form (the
//     pages' Signature Calculator); on the invoice pages the printed signature is real.
//
// The Python samples send no body (requests.post(params=...)) with "Bearer Public Key" or
// "{signature}" as Authorization, and the C# samples send no Authorization at all: neither
// can authenticate anywhere, and they are not tried.
type docSample struct {
	name        string
	path        string
	merchantID  string // as printed
	contentType string
	sent        string
	signed      string // "" when the sample prints the Authorization to use (printedAuth)
	printedAuth string
	code        string // the answer, past authentication
}

// TestOPayDocsSampleClients sends every sample client's exact bytes, signed as that client
// signs, and checks the sandbox authenticates it: once as printed (its merchant, whose key in
// the sandbox is the page's, masked or not) and once for the documentation's demo merchant
// 256612345678901, whose key is real in the docs.
func TestOPayDocsSampleClients(t *testing.T) {
	t.Parallel()
	e := newTestServer(t)
	keys := map[string]string{}
	for _, m := range simulator.DemoMerchants() {
		keys[m.ID] = m.PrivateKey
	}
	const (
		php  = "application/json"
		node = "application/json"
		java = "application/json; utf-8"
		curl = "application/json"
	)
	// indent is the pages' indentation of the curl bodies on query-payment-status,
	// opay-cancel-payment and get-invoice-details.
	indent := func(lines ...string) string {
		body := lines[0]
		for _, l := range lines[1 : len(lines)-1] {
			body += "\n" + strings.Repeat(" ", 36) + l
		}
		return body + "\n" + strings.Repeat(" ", 32) + lines[len(lines)-1]
	}
	valuPHP := `{"amount":{"currency":"EGP","total":400000},"callbackUrl":"https:\/\/your-call-back-url.com","country":"EG",` +
		`"payMethod":"VALU","product":{"name":"name"},"reference":"04123390","returnUrl":"https:\/\/your-return-url.com",` +
		`"valUAccountNumber":"01201297772"}`
	month := `{"country":"EG","months":6,"orderNo":"220616148180902770120"}`
	otp := `{"country":"EG","otp":"123456","orderNo":"220616148180902770120"}`
	const docsCurlSignature = "Bearer 172b4102c8df516757eafd9d194d176e0b59dc6a8ae879d23493dbc27e9f48d755eb0880cc1b7ce665fc606fcccc227075d5d932f6053585b2381ed13eb62957"

	samples := []docSample{
		// query-payment-status.txt: PHP lines 72–79, Node 145–166, curl 176–183, Java 207–216.
		{name: "QueryPaymentStatus/PHP", path: pathStatus, merchantID: "281821110129700", contentType: php,
			sent: `{"country":"NG","reference":"041233981115"}`, signed: `{"country":"NG","reference":"041233981115"}`, code: opay.CodeNotFound},
		{name: "QueryPaymentStatus/Node", path: pathStatus, merchantID: "256621051120756", contentType: node,
			sent: `{"country":"NG","reference":"041233981112"}`, signed: `{"country":"NG","reference":"041233981112"}`, code: opay.CodeNotFound},
		{name: "QueryPaymentStatus/curl", path: pathStatus, merchantID: "256621051120756", contentType: curl,
			sent: indent(`{`, `"country":"NG",`, `"reference": "98354135491"`, `}`), signed: `{"country":"NG","reference":"98354135491"}`, code: opay.CodeNotFound},
		{name: "QueryPaymentStatus/Java", path: pathStatus, merchantID: "256621051120756", contentType: java,
			sent:   `{"country":"NG","reference":"4fdedd52-7f48-442d-9db4-e1460a4e5ca5"}`,
			signed: `{"country":"NG","reference":"4fdedd52-7f48-442d-9db4-e1460a4e5ca5"}`, code: opay.CodeNotFound},

		// opay-cancel-payment.txt: PHP lines 63–70, Node 136–157, curl 166–173, Java 197–207.
		{name: "CancelPayment/PHP", path: pathClose, merchantID: "281821110129700", contentType: php,
			sent: `{"country":"EG","reference":"041233981115"}`, signed: `{"country":"EG","reference":"041233981115"}`, code: opay.CodeNotFound},
		{name: "CancelPayment/Node", path: pathClose, merchantID: "256621051120756", contentType: node,
			sent: `{"country":"EG","reference":"041233981112"}`, signed: `{"country":"EG","reference":"041233981112"}`, code: opay.CodeNotFound},
		{name: "CancelPayment/curl", path: pathClose, merchantID: "256621051120756", contentType: curl,
			sent: indent(`{`, `"country": "EG",`, `"reference": "041233989103331"`, `}`), signed: `{"country":"EG","reference":"041233989103331"}`, code: opay.CodeNotFound},
		{name: "CancelPayment/Java", path: pathClose, merchantID: "256621051120756", contentType: java,
			sent:   `{"country":"EG","reference":"5de98ea1-9e99-4019-b389-d476f85d6ea2"}`,
			signed: `{"country":"EG","reference":"5de98ea1-9e99-4019-b389-d476f85d6ea2"}`, code: opay.CodeNotFound},

		// opay-valu-installment.txt, step 1: PHP lines 52–69, Node 104–130, curl 136–154,
		// Java 170–202. The curl sample's printed signature (line 138, the same for three
		// different bodies at lines 424 and 630) matches none of them under the printed
		// (masked) key, so it is signed here as the calculator would.
		{name: "ValUCreate/PHP", path: pathPaymentCreate, merchantID: "281822021180001", contentType: php,
			sent: valuPHP, signed: strings.ReplaceAll(valuPHP, `\/`, `/`), code: opay.CodeSuccess},
		{name: "ValUCreate/Node", path: pathPaymentCreate, merchantID: "281822021180001", contentType: node,
			sent: `{"amount":{"currency":"EGP","total":400000},"callbackUrl":"https://your-call-back-url.com","country":"EG",` +
				`"payMethod":"VALU","product":{"name":"name"},"reference":"04123392","returnUrl":"https://your-return-url.com",` +
				`"valUAccountNumber":"01201297772"}`, code: opay.CodeSuccess},
		{name: "ValUCreate/curl", path: pathPaymentCreate, merchantID: "281822021180001", contentType: curl,
			sent: "{\n\"amount\": {\n\"currency\": \"EGP\",\n\"total\": 400000\n},\n\"callbackUrl\": \"https://your-call-back-url.com\",\n" +
				"\"country\": \"EG\",\n\"payMethod\": \"VALU\",\n\"product\": {\n\"name\": \"name\"\n},\n\"reference\": \"04123398\",\n" +
				"\"returnUrl\": \"https://your-return-url.com\",\n\"valUAccountNumber\":\"01201297772\"\n}",
			signed: `{"amount":{"currency":"EGP","total":400000},"callbackUrl":"https://your-call-back-url.com","country":"EG",` +
				`"payMethod":"VALU","product":{"name":"name"},"reference":"04123398","returnUrl":"https://your-return-url.com",` +
				`"valUAccountNumber":"01201297772"}`, code: opay.CodeSuccess},
		{name: "ValUCreate/Java", path: pathPaymentCreate, merchantID: "281822021180001", contentType: java,
			sent: `{"amount":{"currency":"EGP","total":400000},"callbackUrl":"https://your-callback-url.com","country":"EG",` +
				`"payMethod":"VALU","product":{"name":"name"},"reference":"04123393","returnUrl":"https://your-return-url.com",` +
				`"valUAccountNumber":"01201297772"}`, code: opay.CodeSuccess},

		// Step 2: PHP lines 354–366, Node 398–421, curl 422–430, Java 446–465 (which misses a
		// semicolon on line 450 and would not compile; its bytes are still these).
		{name: "InputInstallmentMonth/PHP", path: pathMonth, merchantID: "281822021180001", contentType: php, sent: month, code: opay.CodeNotFound},
		{name: "InputInstallmentMonth/Node", path: pathMonth, merchantID: "281822021180001", contentType: node, sent: month, code: opay.CodeNotFound},
		{name: "InputInstallmentMonth/curl", path: pathMonth, merchantID: "281822021180001", contentType: curl,
			sent: "{\n\"country\":\"EG\",\n\"months\":6,\n\"orderNo\":\"220616148180902770120\"\n}", signed: month, code: opay.CodeNotFound},
		{name: "InputInstallmentMonth/Java", path: pathMonth, merchantID: "281822021180001", contentType: java, sent: month, code: opay.CodeNotFound},

		// Step 3: PHP lines 560–572, Node 604–627, curl 628–636 (whose otp, "1123456", has
		// seven digits: authenticated, then refused 02001), Java 652–671 (TreeMap: otp after
		// orderNo).
		{name: "InputOTP/PHP", path: pathOTP, merchantID: "281822021180001", contentType: php, sent: otp, code: opay.CodeNotFound},
		{name: "InputOTP/Node", path: pathOTP, merchantID: "281822021180001", contentType: node, sent: otp, code: opay.CodeNotFound},
		{name: "InputOTP/curl", path: pathOTP, merchantID: "281822021180001", contentType: curl,
			sent:   "{\n\"country\":\"EG\",\n\"otp\":\"1123456\",\n\"orderNo\":\"220616148180902770120\"\n}",
			signed: `{"country":"EG","otp":"1123456","orderNo":"220616148180902770120"}`, code: opay.CodeInvalidParams},
		{name: "InputOTP/Java", path: pathOTP, merchantID: "281822021180001", contentType: java,
			sent: `{"country":"EG","orderNo":"220616148180902770120","otp":"123456"}`, code: opay.CodeNotFound},

		// get-invoice-details.txt: PHP lines 61–72, Node 108–132, curl 136–142 (with its printed
		// signature), Java 166–184 (HashMap).
		{name: "GetInvoiceDetails/PHP", path: pathInvoice, merchantID: demoID, contentType: php, sent: `{"invoiceNo":"20839428"}`, code: opay.CodeNotFound},
		{name: "GetInvoiceDetails/Node", path: pathInvoice, merchantID: demoID, contentType: node, sent: `{"invoiceNo":"20464538"}`, code: opay.CodeNotFound},
		{name: "GetInvoiceDetails/curl", path: pathInvoice, merchantID: demoID, contentType: curl,
			sent: indent(`{`, `"invoiceNo": "20464188"`, `}`), printedAuth: docsCurlSignature, code: opay.CodeNotFound},
		{name: "GetInvoiceDetails/Java", path: pathInvoice, merchantID: demoID, contentType: java, sent: `{"invoiceNo":"20839397"}`, code: opay.CodeNotFound},

		// cancel-e-invoice.txt: PHP lines 30–41, Node 71–92, curl 93–99 (with its printed
		// signature), Java 118–134 (HashMap).
		{name: "CancelEInvoice/PHP", path: pathCancelInvoice, merchantID: demoID, contentType: php, sent: `{"invoiceNo":"20839428"}`, code: opay.CodeNotFound},
		{name: "CancelEInvoice/Node", path: pathCancelInvoice, merchantID: demoID, contentType: node, sent: `{"invoiceNo":"20464538"}`, code: opay.CodeNotFound},
		{name: "CancelEInvoice/curl", path: pathCancelInvoice, merchantID: demoID, contentType: curl,
			sent: "{\n\"invoiceNo\": \"20464188\"\n}", printedAuth: docsCurlSignature, code: opay.CodeNotFound},
		{name: "CancelEInvoice/Java", path: pathCancelInvoice, merchantID: demoID, contentType: java, sent: `{"invoiceNo":"20839397"}`, code: opay.CodeNotFound},
	}

	for _, s := range samples {
		if s.signed == "" && s.printedAuth == "" {
			s.signed = s.sent // Node and Java send what they sign
		}
		merchants := []string{s.merchantID}
		if s.merchantID != demoID {
			merchants = append(merchants, demoID)
		}
		for _, id := range merchants {
			name := s.name + "/AsPrinted"
			if id != s.merchantID {
				name = s.name + "/DemoMerchant"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				auth := s.printedAuth
				if auth == "" {
					auth = "Bearer " + opay.Sign([]byte(s.signed), keys[id])
				}
				r := e.do(t, "POST", s.path, []byte(s.sent), map[string]string{
					"MerchantId": id, "Authorization": auth, "Content-Type": s.contentType,
				})
				if r.Code == opay.CodeAuthFailed {
					t.Fatalf("not authenticated: %s (%s)", r.Raw, r.Detail)
				}
				must(t, r, s.code)
			})
		}
	}
}
