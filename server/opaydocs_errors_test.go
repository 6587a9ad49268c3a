package server_test

import (
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
)

// pageEndpoint is an endpoint one of OPay's pages documents, with a request that passes its
// validation (so that only what a case changes makes it fail).
type pageEndpoint struct {
	name, page, path, body string
}

// TestOPayDocsErrorCodes provokes every code of the pages' error tables on the pages' own
// endpoints and checks the body says exactly the page's message, with data null:
//
//	query-payment-status.txt lines 377–383, opay-cancel-payment.txt lines 347–353:
//	  02000 02001 02006 02002 02007 50003
//	opay-valu-installment.txt lines 742–747 and the sample error, lines 737–740:
//	  02000 02001 ("request parameters not valid.") 02002 02003, and 02004
//	get-invoice-details.txt lines 349–356, cancel-e-invoice.txt lines 188–196:
//	  02001 with six sentences, which only createSingleInvoice can cause (spec 4.4)
//
// 50003 ("service not available, please try again.") is provoked by closing the storage.
func TestOPayDocsErrorCodes(t *testing.T) {
	t.Parallel()
	e := newTestServer(t)
	endpoints := []pageEndpoint{
		{"Status", "query-payment-status", pathStatus, `{"reference":"96315454","country":"NG"}`},
		{"Close", "opay-cancel-payment", pathClose, `{"reference":"65316571001","country":"EG"}`},
		{"ValUCreate", "opay-valu-installment", pathPaymentCreate, string(bodyBytes(t, valuRequest("errors-valu", 60000, "01066668888")))},
		{"InputInstallmentMonth", "opay-valu-installment", pathMonth, `{"country":"EG","months":6,"orderNo":"220616148180902770120"}`},
		{"InputOTP", "opay-valu-installment", pathOTP, `{"country":"EG","otp":"123456","orderNo":"220616148180902770120"}`},
		{"GetInvoiceDetails", "get-invoice-details", pathInvoice, `{"invoiceNo":"20459544"}`},
		{"CancelInvoice", "cancel-e-invoice", pathCancelInvoice, `{"invoiceNo":"20459544"}`},
	}
	exact := func(t *testing.T, r result, code, message string) {
		t.Helper()
		must(t, r, code)
		if r.Message != message || string(r.Data) != "null" {
			t.Errorf("answer %s, want message %q and data null", r.Raw, message)
		}
	}

	t.Run("02000", func(t *testing.T) {
		t.Parallel()
		for _, ep := range endpoints {
			body := []byte(ep.body)
			for name, h := range map[string]map[string]string{
				"WrongKey":        {"MerchantId": demoID, "Authorization": opay.AuthorizationHeader(body, demoKey+"0")},
				"UnknownMerchant": {"MerchantId": "256600000000000", "Authorization": opay.AuthorizationHeader(body, demoKey)},
				"NoAuthorization": {"MerchantId": demoID},
			} {
				t.Run(ep.name+"/"+name, func(t *testing.T) {
					exact(t, e.do(t, "POST", ep.path, body, h), opay.CodeAuthFailed, "authentication failed.")
				})
			}
		}
	})
	t.Run("02001", func(t *testing.T) {
		t.Parallel()
		for _, ep := range endpoints {
			want := "request params not valid."
			if ep.page == "opay-valu-installment" {
				want = "request parameters not valid."
			}
			t.Run(ep.name, func(t *testing.T) {
				for _, body := range []string{`{}`, `not json`, `[]`} {
					exact(t, e.call(t, e.Demo, ep.path, body), opay.CodeInvalidParams, want)
				}
			})
		}
	})
	t.Run("02002", func(t *testing.T) {
		t.Parallel()
		// The endpoints with a function of their own refuse it: ValU, invoices. cashier/status,
		// payment/close and the ValU actions refuse a country the merchant is not enabled for
		// (spec 4.1), before looking for the order (docs/CONTRACT.md).
		m := newMerchant(t, e, func(m *opaygate.Merchant) {
			m.Countries = []string{"EG"}
			m.Functions = []opaygate.Function{opaygate.FuncCashier}
		})
		for _, ep := range endpoints {
			if ep.path == pathPaymentCreate || ep.path == pathInvoice || ep.path == pathCancelInvoice {
				t.Run(ep.name, func(t *testing.T) {
					exact(t, e.call(t, m, ep.path, ep.body), opay.CodeNotConfigured, "merchant not configured with this function.")
				})
			}
		}
		for _, path := range []string{pathStatus, pathClose, pathMonth, pathOTP} {
			t.Run("CountryNotEnabled"+path, func(t *testing.T) {
				r := e.call(t, m, path, `{"reference":"any","country":"NG","months":6,"otp":"123456"}`)
				exact(t, r, opay.CodeNotConfigured, "merchant not configured with this function.")
				if want := "merchant " + m.ID + " is not enabled for country NG"; r.Detail != want {
					t.Errorf("detail %q, want %q", r.Detail, want)
				}
			})
		}
	})
	t.Run("02003", func(t *testing.T) {
		t.Parallel()
		for name, change := range map[string]func(*opay.PaymentCreateRequest){
			"UnknownPayMethod": func(r *opay.PaymentCreateRequest) { r.PayMethod = "PAYPAL" },
			"ValUInNigeria": func(r *opay.PaymentCreateRequest) {
				r.Country, r.Amount.Currency = "NG", "NGN"
			},
		} {
			t.Run(name, func(t *testing.T) {
				req := valuRequest("errors-02003-"+name, 60000, "01066668888")
				change(&req)
				exact(t, e.call(t, e.Demo, pathPaymentCreate, req), opay.CodePayMethod, "payMethod not support.")
			})
		}
	})
	t.Run("02004", func(t *testing.T) {
		t.Parallel()
		req := valuRequest("errors-02004", 60000, "01066668888")
		must(t, e.call(t, e.Demo, pathPaymentCreate, req), opay.CodeSuccess)
		exact(t, e.call(t, e.Demo, pathPaymentCreate, req), opay.CodeDuplicate, "the payment reference already exists.")
	})
	t.Run("02006", func(t *testing.T) {
		t.Parallel()
		// The tables of the order pages say "not found."; their sample errors (and the spec)
		// say which object: "payment not found.".
		for _, ep := range endpoints {
			want := "payment not found."
			switch ep.path {
			case pathPaymentCreate:
				continue // creates, finds nothing
			case pathInvoice, pathCancelInvoice:
				want = "invoice not found."
			}
			t.Run(ep.name, func(t *testing.T) { exact(t, e.call(t, e.Demo, ep.path, ep.body), opay.CodeNotFound, want) })
		}
	})
	t.Run("02007", func(t *testing.T) {
		t.Parallel()
		m := newMerchant(t, e, func(m *opaygate.Merchant) { m.Status = opaygate.MerchantDisabled })
		for _, ep := range endpoints {
			t.Run(ep.name, func(t *testing.T) {
				exact(t, e.call(t, m, ep.path, ep.body), opay.CodeMerchantDisabled, "merchant not available.")
			})
		}
	})
	t.Run("50003", func(t *testing.T) {
		t.Parallel()
		// A gateway whose storage is gone: every page endpoint answers 50003, never the
		// storage's error.
		down := newTestServer(t)
		if err := down.db.Close(); err != nil {
			t.Fatal(err)
		}
		for _, ep := range endpoints {
			t.Run(ep.name, func(t *testing.T) {
				r := down.call(t, down.Demo, ep.path, ep.body)
				exact(t, r, opay.CodeUnavailable, "service not available, please try again.")
				if r.Detail != "" {
					t.Errorf("X-Opaygate-Detail %q tells the client an internal error", r.Detail)
				}
			})
		}
	})

	// The invoice pages' six 02001 sentences, each the whole message of its answer on
	// createSingleInvoice, for the demo merchant and its documented products.
	t.Run("InvoiceSentences", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			sentence string
			change   func(map[string]any)
		}{
			{"Invalid characters in mobile number.", func(m map[string]any) {
				m["customer"].(map[string]any)["customerMobile"] = "+20 1066668888"
			}},
			{"Mobile number format should be like this +201088889999", func(m map[string]any) {
				m["customer"].(map[string]any)["customerMobile"] = "01066668888"
			}},
			{"Merchant Product ID does not exist, please create it in merchant dashboard first.", func(m map[string]any) {
				m["relationProduct"] = true
				m["productList"] = []any{map[string]any{"merchantProductNo": "1000000570", "quantity": 1}, map[string]any{"merchantProductNo": "1000000999", "quantity": 1}}
				delete(m, "amount")
			}},
			{"Please merge the same products.", func(m map[string]any) {
				m["relationProduct"] = true
				m["productList"] = []any{map[string]any{"merchantProductNo": "1000000570", "quantity": 1}, map[string]any{"merchantProductNo": "1000000570", "quantity": 2}}
				delete(m, "amount")
			}},
			{"Products is required.", func(m map[string]any) {
				m["relationProduct"] = true
				m["productList"] = []any{}
				delete(m, "amount")
			}},
			{"Invoice amount can not be 0", func(m map[string]any) {
				m["amount"] = map[string]any{"currency": "EGP", "total": 0}
			}},
		} {
			t.Run(tc.sentence, func(t *testing.T) {
				exact(t, e.call(t, e.Demo, pathInvoiceCreate, invoiceBody(e, tc.change)), opay.CodeInvalidParams, tc.sentence)
			})
		}
	})

}
