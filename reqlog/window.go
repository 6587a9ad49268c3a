package reqlog

import (
	"cmp"
	"slices"
)

// window holds the requests the writer took off the queue and has not written yet, for up to
// Config.Linger. A merchant keeps only its newest Keep there (requests that named no known
// merchant share one allowance, as in storage): every node prunes each merchant to its newest
// Keep, so an older request pushed out of the window would have been deleted moments after it
// was written. A merchant sending more than Keep requests per Linger has Keep of them redacted
// and written, not all.
type window struct {
	seq     uint64 // arrival order, across merchants
	n       int    // requests held
	bytes   int64  // of their bodies
	buckets map[string]*share
}

// share is one merchant's part of the window: its newest requests, at most Keep. Once full it
// is a ring, next pointing at the oldest.
type share struct {
	items []waiting
	next  int
}

type waiting struct {
	item
	seq uint64
}

// bucket is the log's bucket of r: its merchant when it named a known one, "" otherwise.
func bucket(r *item) string {
	if r.r.Known {
		return r.r.MerchantID
	}
	return ""
}

// add puts it in the window. When its merchant's share already holds keep requests, the
// oldest of them gives way and is returned.
func (w *window) add(it item, keep int) (old item, pushed bool) {
	if w.buckets == nil {
		w.buckets = map[string]*share{}
	}
	key := bucket(&it)
	s := w.buckets[key]
	if s == nil {
		s = &share{}
		w.buckets[key] = s
	}
	w.seq++
	in := waiting{item: it, seq: w.seq}
	w.bytes += size(it)
	if len(s.items) < keep {
		s.items = append(s.items, in)
		w.n++
		return item{}, false
	}
	old = s.items[s.next].item
	s.items[s.next] = in
	s.next = (s.next + 1) % len(s.items)
	w.bytes -= size(old)
	return old, true
}

// full reports whether the window is to be written before its linger is over: it holds a
// queue's worth of requests, or half the queue's bytes (the other half is the queue's, so
// that Record does not drop while the window waits).
func (w *window) full(cfg Config) bool {
	return w.n >= cfg.Queue || w.bytes >= cfg.QueueBytes/2
}

// take empties the window and returns what it held, in arrival order.
func (w *window) take() []item {
	all := make([]waiting, 0, w.n)
	for _, s := range w.buckets {
		all = append(all, s.items...)
	}
	slices.SortFunc(all, func(a, b waiting) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]item, len(all))
	for i, x := range all {
		out[i] = x.item
	}
	clear(w.buckets)
	w.n, w.bytes = 0, 0
	return out
}

func size(it item) int64 { return int64(len(it.req) + len(it.resp)) }
