package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	// Every value falls in the bucket whose bounds hold it, and buckets keep the values' order.
	prev := -1
	for _, v := range []uint64{0, 1, 63, 64, 65, 127, 128, 129, 1000, 1 << 20, 1<<40 + 12345, 1<<63 - 1} {
		i := bucket(v)
		if i < prev {
			t.Errorf("bucket(%d) = %d, before %d", v, i, prev)
		}
		prev = i
		if bucketMax(i) < v || (i > 0 && bucketMax(i-1) >= v) {
			t.Errorf("value %d in bucket %d with bounds (%d, %d]", v, i, bucketMax(i-1), bucketMax(i))
		}
		if i >= histBuckets {
			t.Errorf("bucket(%d) = %d, beyond %d buckets", v, i, histBuckets)
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var a, b Histogram
	var all []time.Duration
	for i := range 100_000 {
		d := time.Duration(r.ExpFloat64() * float64(2*time.Millisecond))
		all = append(all, d)
		if i%2 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	a.Merge(&b)
	slices.Sort(all)
	if a.Count() != uint64(len(all)) || a.Max() != all[len(all)-1] {
		t.Fatalf("count %d max %v; want %d and %v", a.Count(), a.Max(), len(all), all[len(all)-1])
	}
	for _, q := range []float64{0.5, 0.95, 0.99, 0.999} {
		exact := all[int(q*float64(len(all)))-1]
		got := a.Quantile(q)
		if got < exact || float64(got) > float64(exact)*(1+1.0/64)+1 {
			t.Errorf("p%v = %v, exact %v: not within one bucket above", q*100, got, exact)
		}
	}
	var empty Histogram
	if empty.Quantile(0.99) != 0 || empty.Mean() != 0 {
		t.Error("an empty histogram reports latencies")
	}
}
