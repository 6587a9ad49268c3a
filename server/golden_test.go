package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate/opay"
)

// shape renders a JSON document as its member names, in order, and the JSON type of every
// value (s string, n number, b bool, null), e.g. {code:s,message:s,data:null}. Comparing
// shapes checks field names, order and types while ignoring generated values.
func shape(t testing.TB, raw []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var sb strings.Builder
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch v := tok.(type) {
		case json.Delim:
			sb.WriteRune(rune(v))
			closing := map[json.Delim]byte{'{': '}', '[': ']'}[v]
			for i := 0; dec.More(); i++ {
				if i > 0 {
					sb.WriteByte(',')
				}
				if v == '{' {
					k, err := dec.Token()
					if err != nil {
						return err
					}
					sb.WriteString(k.(string) + ":")
				}
				if err := walk(); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			sb.WriteByte(closing)
		case string:
			sb.WriteString("s")
		case json.Number:
			sb.WriteString("n")
		case bool:
			sb.WriteString("b")
		case nil:
			sb.WriteString("null")
		}
		return nil
	}
	if err := walk(); err != nil {
		t.Fatalf("shape of %s: %v", raw, err)
	}
	return sb.String()
}

const amountShape = "{total:n,currency:s}"

func envelope(data string) string { return "{code:s,message:s,data:" + data + "}" }

func checkShape(t *testing.T, r result, want string) {
	t.Helper()
	if got := shape(t, r.Raw); got != want {
		t.Errorf("shape\n got %s\nwant %s\nbody %s", got, want, r.Raw)
	}
}

var orderNoRE = regexp.MustCompile(`^\d{18}$`)

func TestGoldenOrders(t *testing.T) {
	e := newTestServer(t)
	a := amountShape

	t.Run("CashierCreate", func(t *testing.T) {
		body := `{"amount":{"currency":"EGP","total":"40000"},"country":"EG","reference":"G-cashier",` +
			`"returnUrl":"https://merchant.example/return","product":{"name":"Cup","description":"a cup"},"expireAt":"30"}`
		r := must(t, e.call(t, e.A, pathCashierCreate, body), opay.CodeSuccess)
		checkShape(t, r, envelope("{reference:s,orderNo:s,cashierUrl:s,status:s,amount:"+a+",vat:"+a+"}"))
		d := data[opay.CashierCreateData](t, r)
		if !orderNoRE.MatchString(d.OrderNo) || d.Status != "INITIAL" || d.Amount.Total != 40000 ||
			!strings.HasPrefix(d.CashierURL, e.srv.URL+"/checkout?orderToken=") || len(d.CashierURL) <= len(e.srv.URL)+22 {
			t.Errorf("data %+v", d)
		}
		if r.Message != "SUCCESSFUL" {
			t.Errorf("message %q", r.Message)
		}

		r = must(t, e.call(t, e.A, pathStatus, `{"reference":"G-cashier","country":"EG"}`), opay.CodeSuccess)
		checkShape(t, r, envelope("{reference:s,orderNo:s,status:s,vat:"+a+",amount:"+a+",createTime:n}"))
		st := data[opay.CashierStatusData](t, r)
		if now := e.clock.Now().UnixMilli(); st.CreateTime > now || st.CreateTime < now-60_000 {
			t.Errorf("createTime %d is not epoch ms near %d", st.CreateTime, now)
		}

		r = must(t, e.call(t, e.A, pathClose, `{"orderNo":"`+d.OrderNo+`","country":"EG"}`), opay.CodeSuccess)
		checkShape(t, r, envelope("{reference:s,orderNo:s,country:s,amount:"+a+",orderStatus:s}"))
		if c := data[opay.PaymentCloseData](t, r); c.OrderStatus != "CLOSE" {
			t.Errorf("close %+v", c)
		}

		r = must(t, e.call(t, e.A, pathStatus, `{"orderNo":"`+d.OrderNo+`","country":"EG"}`), opay.CodeSuccess)
		checkShape(t, r, envelope("{reference:s,orderNo:s,status:s,vat:"+a+",amount:"+a+",createTime:n,failureCode:s,failureReason:s}"))
	})

	t.Run("ValU", func(t *testing.T) {
		// OPay's ValU example: 60000 gives 6 months emi 11400, 7 months 9900, fee 1800.
		body := `{"amount":{"currency":"EGP","total":60000},"callbackUrl":"https://your-call-back-url.com",` +
			`"country":"EG","payMethod":"VALU","product":{"description":"dd","name":"name"},` +
			`"reference":"G-valu","returnUrl":"https://your-return-url.com","valUAccountNumber":"01012345678"}`
		r := must(t, e.call(t, e.A, pathPaymentCreate, body), opay.CodeSuccess)
		plan := "{months:n,downPayment:" + a + ",fee:" + a + ",emi:" + a + "}"
		plans := strings.TrimSuffix(strings.Repeat(plan+",", 6), ",")
		checkShape(t, r, envelope("{reference:s,orderNo:s,nextAction:{actionType:s,plans:["+plans+"]},status:s,amount:"+a+",vat:"+a+"}"))
		d := data[opay.PaymentCreateData](t, r)
		if d.Status != "PENDING" || d.NextAction.ActionType != "INPUT_INSTALLMENT_MONTH" {
			t.Errorf("data %+v", d)
		}
		want := map[int][2]int64{6: {11400, 1800}, 7: {9900, 1800}}
		for _, p := range d.NextAction.Plans {
			if w, ok := want[p.Months]; ok && (p.EMI != opay.Amount{Total: w[0], Currency: "EGP"} || p.Fee != opay.Amount{Total: w[1], Currency: "EGP"} || p.DownPayment != opay.Amount{Currency: "EGP"}) {
				t.Errorf("plan %+v, want emi %d fee %d", p, w[0], w[1])
			}
		}

		r = must(t, e.call(t, e.A, pathMonth, `{"country":"EG","months":"7","reference":"G-valu"}`), opay.CodeSuccess)
		checkShape(t, r, envelope("{reference:s,orderNo:s,nextAction:{actionType:s},status:s,amount:"+a+",vat:"+a+"}"))

		r = must(t, e.call(t, e.A, pathResendOTP, `{"country":"EG","reference":"G-valu"}`), opay.CodeSuccess)
		checkShape(t, r, envelope("{reference:s,orderNo:s,nextAction:{actionType:s},status:s,amount:"+a+",vat:"+a+"}"))

		otp := e.sandboxOTP(t, d.OrderNo)
		r = must(t, e.call(t, e.A, pathOTP, `{"country":"EG","otp":"`+otp+`","reference":"G-valu"}`), opay.CodeSuccess)
		checkShape(t, r, envelope("{reference:s,orderNo:s,status:s,amount:"+a+",vat:"+a+"}"))
		if st := data[opay.InputOTPData](t, r).Status; st != "SUCCESS" {
			t.Errorf("status %s", st)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		r := must(t, e.call(t, e.A, pathStatus, `{"reference":"nope","country":"EG"}`), opay.CodeNotFound)
		checkShape(t, r, envelope("null"))
		if r.Message != "payment not found." {
			t.Errorf("message %q", r.Message)
		}
		r = must(t, e.call(t, e.A, pathPaymentCreate, valuRequest("G-valu", 60000, "01012345678")), opay.CodeDuplicate)
		checkShape(t, r, envelope("null"))
	})
}

func TestGoldenInvoices(t *testing.T) {
	e := newTestServer(t)
	a := amountShape
	due := e.clock.Now().Add(48 * time.Hour).Unix()
	// The documentation's createSingleInvoice request, with the products defining the amount.
	body := fmt.Sprintf(`{
		"country": "EG",
		"customer": {"customerEmail": "test@opay.test", "customerMobile": "+201066668888", "customerName": "OPay Test Name"},
		"description": "test invoice description",
		"dueTime": %d,
		"lang": "EN",
		"name": "OPay Test Invoice",
		"notifyMethod": "SMS",
		"productList": [{"merchantProductNo": "1000000570", "quantity": 1}, {"merchantProductNo": "1000000571", "quantity": 2}],
		"relationProduct": true,
		"serviceFee": {"currency": "EGP", "feeRate": "2.5", "fixedFee": 100}
	}`, due)
	details := envelope("{invoiceNo:s,status:s,invoiceLink:s,invoiceName:s,description:s,dueDate:n,amount:" + a +
		",products:[{productNo:s,merchantProductNo:s,name:s,image:s,description:s,price:" + a + ",quantity:n}," +
		"{productNo:s,merchantProductNo:s,name:s,image:s,description:s,price:" + a + ",quantity:n}]," +
		"customer:{name:s,mobile:s,email:s},country:s,merchantId:s,lang:s,notifyMethod:s,paymentType:s,totalServiceFee:" + amountShape + "}")

	r := must(t, e.call(t, e.Demo, pathInvoiceCreate, body), opay.CodeSuccess)
	checkShape(t, r, details)
	inv := data[opay.InvoiceData](t, r)
	if !regexp.MustCompile(`^\d{8,}$`).MatchString(inv.InvoiceNo) {
		t.Errorf("invoiceNo %q", inv.InvoiceNo)
	}
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(e.srv.URL) + `\?vid=[0-9a-f]{32}$`).MatchString(inv.InvoiceLink) {
		t.Errorf("invoiceLink %q", inv.InvoiceLink)
	}
	// 1×2000 + 2×4000 = 10000; fee ⌈10000 × 2.5 %⌉ + 100 = 350.
	if inv.Amount != (opay.Amount{Total: 10000, Currency: "EGP"}) || inv.TotalServiceFee != (opay.Amount{Total: 350, Currency: "EGP"}) ||
		inv.Status != "Unpaid" || inv.DueDate != due || inv.PaymentType != "opaylink" || inv.MerchantID != demoID {
		t.Errorf("invoice %+v", inv)
	}

	r = must(t, e.call(t, e.Demo, pathInvoice, `{"invoiceNo":"`+inv.InvoiceNo+`"}`), opay.CodeSuccess)
	checkShape(t, r, details)

	r = must(t, e.call(t, e.Demo, pathInvoiceStats, fmt.Sprintf(`{"startCreateTime":%d,"endCreateTime":%d}`,
		e.clock.Now().Add(-time.Hour).Unix(), e.clock.Now().Add(time.Hour).Unix())), opay.CodeSuccess)
	stat := "{count:n,amount:" + a + "}"
	checkShape(t, r, envelope("{paid:"+stat+",unpaid:"+stat+",cancelled:"+stat+",expired:"+stat+",total:"+stat+"}"))

	r = must(t, e.call(t, e.Demo, pathCancelInvoice, `{"invoiceNo":"`+inv.InvoiceNo+`"}`), opay.CodeSuccess)
	if string(r.Data) != `"true"` {
		t.Errorf("cancel data %s, want the string \"true\"", r.Data)
	}
}
