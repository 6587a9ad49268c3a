package opay_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/opaytest"
)

// The methods whose customer pays outside the API, through the SDK: create, the nextAction
// to show, the customer's step (opaytest plays it), the final status and a verified callback.
func TestE2E_PayOutsideTheAPI(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(receiver.Close)
	request := func(method, ref string, amount int64) opay.PaymentCreateRequest {
		req := opay.PaymentCreateRequest{Reference: ref, Country: "NG", PayMethod: method,
			Amount: opay.Amount{Total: amount, Currency: "NGN"}, Product: opay.Product{Name: "Airtime"},
			CallbackURL: receiver.URL, UserPhone: "+2348031234567"}
		switch method {
		case opay.PayMethodMWallet:
			req.Country, req.Amount.Currency, req.UserPhone, req.WalletAccount = "EG", "EGP", "", "01012345678"
		case opay.PayMethodBankUSSD:
			req.BankCode = "058"
		case opay.PayMethodReferenceCode:
			req.MerchantName = "Ada's Shop"
		case opay.PayMethodBankTransfer:
			req.CustomerName = "Ada Obi"
		}
		return req
	}
	for _, tc := range []struct{ method, action string }{
		{opay.PayMethodMWallet, opay.ActionScanQR},
		{opay.PayMethodOpayQR, opay.ActionScanQR},
		{opay.PayMethodBankUSSD, opay.ActionShowUSSD},
		{opay.PayMethodReferenceCode, opay.ActionReferenceCode},
		{opay.PayMethodBankTransfer, opay.ActionTransferAccount},
	} {
		t.Run(tc.method, func(t *testing.T) {
			d := must(c.CreatePayment(ctx, request(tc.method, tc.method+"-1", 5000)))(t)
			if d.Status != opay.StatusPending || d.NextAction == nil || d.NextAction.ActionType != tc.action {
				t.Fatalf("payment/create = %+v", d)
			}
			if tc.action == opay.ActionShowUSSD && !strings.HasPrefix(d.NextAction.USSD, "*737*000*") {
				t.Errorf("USSD %q, want GTBank's *737#", d.NextAction.USSD)
			}
			if tc.action == opay.ActionScanQR && (d.NextAction.QRCode == "" || d.NextAction.ExpiredTimestamp <= gw.Now().UnixMilli()) {
				t.Errorf("QR %+v", d.NextAction)
			}
			p, err := gw.PayOutside(d.OrderNo)
			if err != nil || p.Status != opay.StatusSuccess {
				t.Fatalf("PayOutside = %+v, %v", p, err)
			}
			if st := must(c.CashierStatus(ctx, opay.CashierStatusRequest{OrderNo: d.OrderNo, Country: request(tc.method, "", 0).Country}))(t); st.Status != opay.StatusSuccess {
				t.Errorf("status %+v", st)
			}
			var found bool
			for _, cb := range gw.Callbacks() {
				if n := cb.Notification; n != nil && n.Reference == d.Reference {
					found = true
					if !cb.Delivered() || n.Status != opay.StatusSuccess || n.InstrumentType != tc.method || n.Channel != "API" {
						t.Errorf("callback %+v (%s)", n, cb.State)
					}
				}
			}
			if !found {
				t.Errorf("no callback for %s", d.Reference)
			}

			// Declined by the wallet or bank.
			d = must(c.CreatePayment(ctx, request(tc.method, tc.method+"-2", 5000)))(t)
			if p, err := gw.DeclineOutside(d.OrderNo, "51"); err != nil || p.Status != opay.StatusFail || p.FailureCode != "51" {
				t.Errorf("DeclineOutside = %+v, %v", p, err)
			}
			// The customer walks away: it expires.
			d = must(c.CreatePayment(ctx, request(tc.method, tc.method+"-3", 5000)))(t)
			if p, err := gw.Abandon(d.OrderNo); err != nil || p.Status != opay.StatusClose || p.FailureCode != "ORDER_EXPIRED" {
				t.Errorf("Abandon = %+v, %v", p, err)
			}
			// Nothing to do outside for an order that is over.
			if _, err := gw.PayOutside(d.OrderNo); !isCode(err, opaygate.EORDERSTATE) {
				t.Errorf("PayOutside on a closed order: %v", err)
			}
		})
	}
}

func isCode(err error, code string) bool {
	var e *opaygate.Error
	return errors.As(err, &e) && e.Code == code
}
