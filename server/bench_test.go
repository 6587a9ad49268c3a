package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/server/internal/httplog"
)

// Response encoding: the data of an answer, wrapped in the envelope and written, as every
// handler ends. They measure what the gateway spends per answer besides storage.

// discard is a ResponseWriter that keeps nothing, so only the encoding is measured.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(int)             {}
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }

func benchmarkRespond(b *testing.B, respond func(s *Server, w http.ResponseWriter, r *http.Request)) {
	s := New(Config{PublicURL: "http://127.0.0.1:8080"}, Services{})
	r := httptest.NewRequest(http.MethodPost, "/api/v1/international/cashier/status", nil)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		x := &httplog.Exchange{ID: "0123456789abcdef0123456789abcdef"}
		respond(s, w, r.WithContext(httplog.NewContext(r.Context(), x)))
	}
}

var benchOrder = &opaygate.Order{
	OrderNo: "260101000000000001", Reference: "983541354564", Country: "EG", Currency: "EGP",
	Amount: 60000, Status: opaygate.StatusPending, Step: opaygate.StepPlan,
	Plans:     opaygate.DefaultPlanTable().Plans(60000, 20_000_000),
	CreatedAt: time.UnixMilli(1767225600000),
}

func BenchmarkRespondStatus(b *testing.B) {
	benchmarkRespond(b, func(s *Server, w http.ResponseWriter, r *http.Request) {
		o := benchOrder
		s.ok(w, r, opay.CashierStatusData{Reference: o.Reference, OrderNo: o.OrderNo, Status: string(o.Status),
			VAT: vatOf(o), Amount: amountOf(o), CreateTime: o.CreatedAt.UnixMilli()})
	})
}

func BenchmarkRespondPaymentCreate(b *testing.B) {
	benchmarkRespond(b, func(s *Server, w http.ResponseWriter, r *http.Request) {
		o := benchOrder
		s.ok(w, r, opay.PaymentCreateData{Reference: o.Reference, OrderNo: o.OrderNo, NextAction: s.nextAction(o),
			Status: string(o.Status), Amount: amountOf(o), VAT: vatOf(o)})
	})
}

func BenchmarkRespondInvoice(b *testing.B) {
	inv := &opaygate.Invoice{
		InvoiceNo: "10000001", Status: opaygate.InvoiceUnpaid, Token: "0123456789abcdef0123456789abcdef",
		Name: "Monthly subscription", Description: "Thank you for shopping with us",
		DueTime: time.Unix(1767225600, 0), Country: "EG", Currency: "EGP", Amount: 10000, ServiceFee: 750,
		Lang: "EN", NotifyMethod: "BOTH", MerchantID: "256612345678901",
		Customer: opaygate.Customer{Name: "Mona Ali", Mobile: "+201088889999", Email: "mona.ali@example.com"},
		Products: []opaygate.InvoiceProduct{
			{ProductNo: "10001", MerchantProductNo: "1000000570", Name: "Product X",
				Image: "https://www.yourproduct.com/product1.png", Price: 2000, Currency: "EGP", Quantity: 1},
			{ProductNo: "1000000571", MerchantProductNo: "1000000571", Name: "Product Y",
				Image: "https://www.yourproduct.com/product2.png", Price: 4000, Currency: "EGP", Quantity: 2},
		},
	}
	benchmarkRespond(b, func(s *Server, w http.ResponseWriter, r *http.Request) {
		s.ok(w, r, s.invoiceData(inv))
	})
}

func BenchmarkRespondError(b *testing.B) {
	err := opaygate.Errorf(opaygate.ENOTFOUND, "payment not found.")
	benchmarkRespond(b, func(s *Server, w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, err)
	})
}
