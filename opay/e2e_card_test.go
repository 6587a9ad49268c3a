package opay_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/opaytest"
)

func cardRequest(gw *opaytest.Gateway, ref, number string, threeDS bool) opay.PaymentCreateRequest {
	return opay.PaymentCreateRequest{
		Reference: ref, Country: "NG", PayMethod: opay.PayMethodBankCard,
		Amount:    opay.Amount{Total: 250000, Currency: "NGN"},
		Product:   opay.Product{Name: "Generator"},
		ReturnURL: "https://shop.example.com/return",
		BankCard: &opay.BankCard{CardHolderName: "Ada Obi", CardNumber: number, CVV: "123",
			ExpiryMonth: "12", ExpiryYear: fmt.Sprintf("%02d", (gw.Now().Year()+2)%100), Enable3DS: threeDS},
	}
}

func TestE2E_BankCard(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()

	t.Run("Approved", func(t *testing.T) {
		d := must(c.CreatePayment(ctx, cardRequest(gw, "card-ok", opaytest.ApprovedCard, false)))(t)
		if d.Status != opay.StatusSuccess || d.NextAction != nil {
			t.Errorf("payment/create = %+v", d)
		}
	})
	t.Run("Declined", func(t *testing.T) {
		d := must(c.CreatePayment(ctx, cardRequest(gw, "card-51", "4000000000000051", false)))(t)
		if d.Status != opay.StatusFail || d.FailureCode != "51" {
			t.Errorf("payment/create = %+v", d)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		req := cardRequest(gw, "card-old", opaytest.ApprovedCard, false)
		req.BankCard.ExpiryYear = fmt.Sprintf("%02d", (gw.Now().Year()-1)%100)
		d := must(c.CreatePayment(ctx, req))(t)
		if d.Status != opay.StatusFail || d.FailureCode != "54" {
			t.Errorf("payment/create = %+v", d)
		}
	})
	t.Run("ThreeDSConfirmed", func(t *testing.T) {
		d := must(c.CreatePayment(ctx, cardRequest(gw, "card-3ds", opaytest.ApprovedCard, true)))(t)
		if d.Status != opay.StatusPending || d.NextAction == nil || d.NextAction.ActionType != opay.ActionRedirect3DS ||
			!strings.HasPrefix(d.NextAction.RedirectURL, gw.URL) {
			t.Fatalf("payment/create = %+v", d)
		}
		pay := must(gw.PayWithCard(d.OrderNo, ""))(t) // the customer confirms on the 3-D Secure page
		s := must(c.CashierStatus(ctx, opay.CashierStatusRequest{OrderNo: d.OrderNo, Country: "NG"}))(t)
		if pay.Status != opay.StatusSuccess || s.Status != opay.StatusSuccess {
			t.Errorf("after 3-D Secure: %+v, status %+v", pay, s)
		}
	})
	t.Run("ThreeDSCancelled", func(t *testing.T) {
		d := must(c.CreatePayment(ctx, cardRequest(gw, "card-3ds-no", opaytest.ApprovedCard, true)))(t)
		pay := must(gw.Cancel(d.OrderNo))(t)
		if pay.Status != opay.StatusFail || pay.FailureCode != "05" {
			t.Errorf("cancelled on the 3-D Secure page: %+v", pay)
		}
	})
	t.Run("ErrInvalidRequest", func(t *testing.T) {
		_, err := c.CreatePayment(ctx, cardRequest(gw, "card-luhn", "4111111111111112", false))
		ae := wantCode(t, err, opay.CodeInvalidParams, opay.ErrInvalidRequest)
		if ae.Message != opay.MessageInvalidParameters || !strings.Contains(ae.Detail, "cardNumber") {
			t.Errorf("message %q detail %q", ae.Message, ae.Detail)
		}
	})
}
