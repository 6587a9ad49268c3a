package bench

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"

	"github.com/opaygate/opaygate/opay"
)

// soakReceiver is the merchant's callback endpoint during a soak: it answers
// 500 to a share of the POSTs at random, verifies the others' signatures, and
// keeps which notifications it acknowledged beside the ones the traffic made
// due, so that the end of the soak can name the callbacks that were lost. It
// lives in the soak's process, so its bookkeeping is small (a few bytes per
// callback) to keep the memory readings about the gateway.
type soakReceiver struct {
	key      string
	failRate float64

	mu        sync.Mutex
	notes     map[noteKey]noteState
	due       int64
	delivered int64 // due and acknowledged
	refused   int64
	bad       int64
}

// noteKey is how a merchant de-duplicates callbacks (CALLBACKS.md): the
// orderNo (18 digits, so an int64), the status and refunded.
type noteKey struct {
	orderNo  int64
	status   byte // first letter: S, F, C
	refunded bool
}

type noteState struct {
	due   bool
	acked uint16 // times acknowledged, saturating
}

func newSoakReceiver(privateKey string, failRate float64) *soakReceiver {
	return &soakReceiver{key: privateKey, failRate: failRate, notes: map[noteKey]noteState{}}
}

func keyOf(orderNo, status string, refunded bool) (noteKey, bool) {
	n, err := strconv.ParseInt(orderNo, 10, 64)
	if err != nil || status == "" {
		return noteKey{}, false
	}
	return noteKey{orderNo: n, status: status[0], refunded: refunded}, true
}

func (k noteKey) String() string {
	return fmt.Sprintf("%d/%c/%v", k.orderNo, k.status, k.refunded)
}

// expect records that the traffic made a callback due.
func (rc *soakReceiver) expect(orderNo, status string, refunded bool) {
	k, ok := keyOf(orderNo, status, refunded)
	if !ok {
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	st := rc.notes[k]
	if st.due {
		return
	}
	// The callback may have arrived before the answer that announced it.
	st.due = true
	rc.due++
	if st.acked > 0 {
		rc.delivered++
	}
	rc.notes[k] = st
}

func (rc *soakReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return
	}
	if rand.Float64() < rc.failRate {
		rc.mu.Lock()
		rc.refused++
		rc.mu.Unlock()
		http.Error(w, "failing on purpose", http.StatusInternalServerError)
		return
	}
	n, err := opay.ParseCallback(body, rc.key)
	k, ok := noteKey{}, false
	if err == nil {
		k, ok = keyOf(n.OrderNo, string(n.Status), n.Refunded)
	}
	if !ok {
		rc.mu.Lock()
		rc.bad++
		rc.mu.Unlock()
		http.Error(w, "bad callback", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	st := rc.notes[k]
	if st.due && st.acked == 0 {
		rc.delivered++
	}
	if st.acked < 65535 {
		st.acked++
	}
	rc.notes[k] = st
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// progress is the callbacks due so far and how many of them were acknowledged.
func (rc *soakReceiver) progress() (due, delivered int64) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.due, rc.delivered
}

func (rc *soakReceiver) totals() (due, delivered, lost, duplicates, unexpected, refused, bad int64) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, st := range rc.notes {
		if st.acked > 1 {
			duplicates += int64(st.acked - 1)
		}
		if !st.due && st.acked > 0 {
			unexpected++
		}
	}
	return rc.due, rc.delivered, rc.due - rc.delivered, duplicates, unexpected, rc.refused, rc.bad
}

// lost lists up to n notifications due and not acknowledged, for the report.
func (rc *soakReceiver) lost(n int) []noteKey {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []noteKey
	for k, st := range rc.notes {
		if st.due && st.acked == 0 && len(out) < n {
			out = append(out, k)
		}
	}
	return out
}
