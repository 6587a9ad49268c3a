package notify_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

// BenchmarkDeliverDue measures one worker draining a backlog against a receiver that answers at
// once: claim, sign, POST, record, Concurrency at a time. Run with -benchtime=1000x.
func BenchmarkDeliverDue(b *testing.B) {
	for _, dialect := range sqlstoretest.Backends {
		for _, conc := range []int{1, 4, 16} {
			b.Run(fmt.Sprintf("%s/concurrency=%d", dialect, conc), func(b *testing.B) {
				ln, url := listen(b)
				serve(b, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
				f := newFixture(b, dialect, url)
				for i := range b.N {
					f.closed(b, fmt.Sprintf("bench-%d", i))
				}
				cfg := localConfig()
				cfg.Concurrency = conc
				w := f.worker(cfg)
				b.ResetTimer()
				start := time.Now()
				if n := f.deliverDue(b, w); n != b.N {
					b.Fatalf("delivered %d of %d", n, b.N)
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
			})
		}
	}
}
