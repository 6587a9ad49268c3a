package server

import "testing"

func TestBodyBudget(t *testing.T) {
	b := newBodyBudget(4 << 20)
	take := func(n int64, want bool) {
		t.Helper()
		if got := b.acquire(n); got != want {
			used, _ := b.inFlight()
			t.Fatalf("acquire(%d) with %d held: %v, want %v", n, used, got, want)
		}
	}
	// Large bodies fill half of the budget, no more.
	take(maxBody, true)
	take(maxBody, true)
	take(largeBody+1, false)
	// Ordinary bodies still fit in the other half, up to the limit.
	for range (2 << 20) / largeBody {
		take(largeBody, true)
	}
	take(1, false)
	b.release(maxBody)
	take(1, true)
	if used, peak := b.inFlight(); used != 3<<20+1 || peak != 4<<20 {
		t.Fatalf("used %d, peak %d", used, peak)
	}
	// A budget too small for the largest body is raised to hold it.
	if b := newBodyBudget(1); !b.acquire(maxBody) {
		t.Fatal("a tiny budget refuses the largest body")
	}
}
