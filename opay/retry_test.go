package opay

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRetryPolicy_DelayGrowsIsCappedAndJittered(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	nominal := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, n := range nominal {
		n *= time.Millisecond
		seen := map[time.Duration]bool{}
		for range 200 {
			d := p.delay(i + 1)
			if d < n/2 || d > n {
				t.Fatalf("delay after attempt %d = %v, want within [%v, %v]", i+1, d, n/2, n)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("delay after attempt %d took only %d values in 200 draws: not jittered", i+1, len(seen))
		}
	}
	if d := (RetryPolicy{}).delay(3); d != 0 {
		t.Errorf("zero policy delay = %v", d)
	}
}

func TestRetryPolicy_WaitHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (RetryPolicy{BaseDelay: time.Hour, MaxDelay: time.Hour}).wait(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("wait = %v", err)
	}
}

func TestRetryRule(t *testing.T) {
	transport := errors.New("connection reset")
	api := func(code string) error { return &APIError{Code: code} }
	gw := func(status int) error { return &HTTPError{StatusCode: status} }
	tests := []struct {
		name                 string
		sent                 bool
		err                  error
		read, create, unsent bool
	}{
		{"Success", true, nil, false, false, false},
		{"NeverSent", false, transport, true, true, true},
		{"LostAfterSending", true, transport, true, true, false},
		{"50003", true, api("50003"), true, false, false},
		{"02004", true, api("02004"), false, false, false},
		{"02006", true, api("02006"), false, false, false},
		{"502", true, gw(502), true, true, false},
		{"503", true, gw(503), true, true, false},
		{"504", true, gw(504), true, true, false},
		{"500WithoutEnvelope", true, gw(500), false, false, false},
		{"404WithoutEnvelope", true, gw(404), false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []struct {
				rule retryRule
				want bool
			}{{retryRead, tt.read}, {retryCreate, tt.create}, {retryUnsent, tt.unsent}} {
				if got := r.rule.allows(tt.sent, tt.err); got != r.want {
					t.Errorf("rule %d allows = %v, want %v", r.rule, got, r.want)
				}
			}
		})
	}
}
