package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/sqlstore"
)

// BenchmarkCreateOrder measures durable creates (one acknowledged commit
// each) from 32 concurrent callers, the valu-create path without HTTP.
// BENCH_MAX_CONNS sizes the pool, to see whether it is the limit.
func BenchmarkCreateOrder(b *testing.B) {
	for _, dialect := range []sqlstore.Dialect{sqlstore.SQLite, sqlstore.Postgres} {
		b.Run(string(dialect), func(b *testing.B) {
			e := newEnv(b, dialect)
			if n := os.Getenv("BENCH_MAX_CONNS"); n != "" {
				v, _ := strconv.Atoi(n)
				e.db.SetMaxConns(v)
			}
			var n atomic.Int64
			b.SetParallelism(16)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					o := &opaygate.Order{MerchantID: e.m.ID, Reference: fmt.Sprintf("b-%d", n.Add(1)), Country: "EG",
						Amount: 60000, PayMethod: opaygate.PayMethodValU, ValUAccount: "01012345678"}
					if err := e.svc.Orders.CreatePayment(context.Background(), o, nil); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			if batches, writes := e.db.WriteStats(); batches > 0 {
				b.ReportMetric(float64(writes)/float64(batches), "writes/commit")
			}
		})
	}
}

// BenchmarkFindOrder measures the status read (an order by reference) from one
// caller: CPU and allocations per read, the part of a status request storage owns.
func BenchmarkFindOrder(b *testing.B) {
	for _, dialect := range []sqlstore.Dialect{sqlstore.SQLite, sqlstore.Postgres} {
		b.Run(string(dialect), func(b *testing.B) {
			e := newEnv(b, dialect)
			o := &opaygate.Order{MerchantID: e.m.ID, Reference: "find-me", Country: "EG",
				Amount: 60000, PayMethod: opaygate.PayMethodValU, ValUAccount: "01012345678"}
			if err := e.svc.Orders.CreatePayment(context.Background(), o, nil); err != nil {
				b.Fatal(err)
			}
			key := opaygate.OrderKey{Reference: o.Reference}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.svc.Orders.FindOrder(context.Background(), e.m.ID, key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
