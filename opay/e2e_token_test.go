package opay_test

import (
	"context"
	"testing"

	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/opaytest"
)

// TestE2E_Tokens: tokenise a card, find it by customer, pay with it (3-D Secure), delete it;
// paying with the deleted token is ErrNotFound.
func TestE2E_Tokens(t *testing.T) {
	t.Parallel()
	gw := opaytest.New(t)
	c, ctx := gw.Client(), context.Background()
	tok := must(c.CreateToken(ctx, opay.TokenCreateRequest{Reference: "tok-1", CardHolderName: "Ada Obi",
		CardNumber: opaytest.ApprovedCard, CVV: "123", ExpiryMonth: "12", ExpiryYear: "39",
		CustomerInfo: opay.TokenCustomer{CustomerID: "cust-1", CustomerEmail: "ada@example.com"}}))(t)
	if tok.Brand != "VISA" || tok.LastFourDigits != "1111" {
		t.Fatalf("token %+v", tok)
	}
	list := must(c.CustomerTokens(ctx, "cust-1"))(t)
	if len(list.CardTokens) != 1 || list.CardTokens[0].OpayToken != tok.OpayToken {
		t.Fatalf("customer tokens %+v", list)
	}
	req := cardRequest(gw, "tok-pay", "", true)
	req.Country, req.Amount = "EG", opay.Amount{Total: 60000, Currency: "EGP"}
	req.BankCard = &opay.BankCard{OpayToken: tok.OpayToken, Enable3DS: true}
	d := must(c.CreatePayment(ctx, req))(t)
	if d.NextAction == nil || d.NextAction.ActionType != opay.ActionRedirect3DS {
		t.Fatalf("payment with a token %+v", d)
	}
	if p := must(gw.Confirm3DS(d.OrderNo))(t); p.Status != opay.StatusSuccess {
		t.Fatalf("after 3-D Secure %+v", p)
	}
	if err := c.DeleteToken(ctx, tok.OpayToken); err != nil {
		t.Fatal(err)
	}
	_, err := c.Token(ctx, tok.OpayToken)
	wantCode(t, err, opay.CodeNotFound, opay.ErrNotFound)
	req.Reference = "tok-pay-2"
	_, err = c.CreatePayment(ctx, req)
	wantCode(t, err, opay.CodeNotFound, opay.ErrNotFound)
}
