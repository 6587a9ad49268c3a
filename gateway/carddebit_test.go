package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate/gateway"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

// TestCardDebitAgreementRace: 50 payment/create calls racing with one agreementId (each with
// its own reference), through the whole gateway on each backend: exactly one answers 00000,
// every other 02004 (whose data null server.TestCardDebit checks), and only the winner's
// order exists.
func TestCardDebitAgreementRace(t *testing.T) {
	for _, dialect := range sqlstoretest.Backends {
		t.Run(string(dialect), func(t *testing.T) {
			g := open(t, gateway.Config{DB: sqlstoretest.URL(t, dialect)})
			srv := httptest.NewServer(g.Handler(gateway.HandlerConfig{PublicURL: "http://127.0.0.1:1"}))
			t.Cleanup(srv.Close)
			m := g.Seeded[0]
			c := opay.NewClient(m.ID, m.PrivateKey, opay.WithBaseURL(srv.URL), opay.WithRetry(opay.NoRetry),
				opay.WithTimeout(30*time.Second))
			lastDay := g.SandboxClock.Now().AddDate(1, 0, 0).Format("2006-01-02")

			const n = 50
			created := make([]*opay.PaymentCreateData, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					created[i], errs[i] = c.CreatePayment(context.Background(), opay.PaymentCreateRequest{
						Reference: fmt.Sprintf("race-%d", i), Country: "EG", PayMethod: opay.PayMethodCardDebit,
						Amount: opay.Amount{Total: 60000, Currency: "EGP"}, Product: opay.Product{Name: "Gym"},
						ReturnURL: "https://merchant.example/r",
						BankCard:  &opay.BankCard{CardNumber: "4111111111111111", CVV: "123", ExpiryMonth: "12", ExpiryYear: "39"},
						BankDebit: &opay.BankDebit{AgreementID: "race-agreement", AgreementDuration: lastDay},
					})
				})
			}
			close(start)
			wg.Wait()
			won := -1
			for i, err := range errs {
				var ae *opay.APIError
				switch {
				case err == nil && won >= 0:
					t.Fatalf("payments %d and %d both opened the agreement", won, i)
				case err == nil:
					won = i
					if created[i].Status != opay.StatusPending || created[i].NextAction == nil {
						t.Errorf("winner %+v", created[i])
					}
				case errors.As(err, &ae) && ae.Code == opay.CodeDuplicate:
				default:
					t.Errorf("payment %d: %v", i, err)
				}
			}
			if won < 0 {
				t.Fatal("no payment opened the agreement")
			}
			// Only the winner's order exists.
			for i := range n {
				_, err := c.CashierStatus(context.Background(), opay.CashierStatusRequest{Reference: fmt.Sprintf("race-%d", i), Country: "EG"})
				var ae *opay.APIError
				if found := err == nil; found != (i == won) || !found && (!errors.As(err, &ae) || ae.Code != opay.CodeNotFound) {
					t.Errorf("race-%d: %v (winner race-%d)", i, err, won)
				}
			}
		})
	}
}
