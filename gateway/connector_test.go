package gateway_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/gateway"
	"github.com/opaygate/opaygate/opay"
)

// approving is a connector's acquirer that approves every payment and counts its calls.
type approving struct{ calls atomic.Int32 }

func (a *approving) Authorize(context.Context, *opaygate.Order) (opaygate.Decision, error) {
	a.calls.Add(1)
	return opaygate.Decision{Approved: true}, nil
}

// TestLiveConnector: a live gateway takes the simulated-only methods its connector serves and
// refuses the others with 02002; the customer's step outside the API is reported through
// ReportExternal and the connector's acquirer decides.
func TestLiveConnector(t *testing.T) {
	acq := &approving{}
	g := open(t, gateway.Config{Live: true, Connector: &gateway.Connector{Acquirer: acq,
		Methods: []string{opaygate.PayMethodMWallet}}})
	ctx := context.Background()
	priv, pub := opaygate.NewKeyPair()
	m := &opaygate.Merchant{ID: "256612345678901", Name: "Live", PrivateKey: priv, PublicKey: pub,
		Countries: []string{"EG"}, Functions: opaygate.AllFunctions()}
	if err := g.Services.Merchants.CreateMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler(gateway.HandlerConfig{PublicURL: "http://127.0.0.1:1"}))
	t.Cleanup(srv.Close)
	c := opay.NewClient(m.ID, priv, opay.WithBaseURL(srv.URL), opay.WithPublicKey(pub))
	request := func(method, ref string) opay.PaymentCreateRequest {
		return opay.PaymentCreateRequest{Reference: ref, Country: "EG", PayMethod: method,
			Amount: opay.Amount{Total: 1000, Currency: "EGP"}, Product: opay.Product{Name: "Tea"},
			WalletAccount: "01012345678", MerchantName: "Live shop"}
	}

	d, err := c.CreatePayment(ctx, request(opay.PayMethodMWallet, "live-wallet"))
	if err != nil || d.Status != opay.StatusPending || d.NextAction == nil || d.NextAction.ActionType != opay.ActionScanQR {
		t.Fatalf("MWALLET with a connector: %+v, %v", d, err)
	}
	if strings.Contains(d.NextAction.QRCode, "/simulate") {
		t.Errorf("a live gateway's qrCode points at the sandbox's simulator: %q", d.NextAction.QRCode)
	}
	o, err := g.Services.Orders.ReportExternal(ctx, m.ID, opaygate.OrderKey{OrderNo: d.OrderNo}, opaygate.Decision{Approved: true})
	if err != nil || o.Status != opaygate.StatusSuccess || acq.calls.Load() != 1 {
		t.Fatalf("after the wallet's approval: %+v, %v (acquirer asked %d times)", o, err, acq.calls.Load())
	}

	// A method no connector serves is still refused.
	_, err = c.CreatePayment(ctx, request(opay.PayMethodReferenceCode, "live-code"))
	var apiErr *opay.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != opay.CodeNotConfigured {
		t.Errorf("ReferenceCode without a connector: %v", err)
	}

	// A connector configured for a method the gateway lacks is refused at start.
	if _, err := gateway.New(ctx, gateway.Config{DB: t.TempDir() + "/x.db", Live: true,
		Connector: &gateway.Connector{Methods: []string{"Mwallet"}}}); err == nil || !strings.Contains(err.Error(), `"Mwallet"`) {
		t.Errorf("unknown connector method: %v", err)
	}
}
