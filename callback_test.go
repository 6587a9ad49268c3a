package opaygate

import (
	"testing"
	"time"
)

func TestRetryScheduleDelay(t *testing.T) {
	s := DefaultRetrySchedule()
	tests := []struct {
		n    int
		want time.Duration
	}{
		{1, 15 * time.Second}, {2, 30 * time.Second}, {3, time.Minute}, {4, 2 * time.Minute},
		{8, 32 * time.Minute}, {9, time.Hour}, {10, time.Hour}, {1000, time.Hour},
	}
	for _, tt := range tests {
		if got := s.Delay(tt.n); got != tt.want {
			t.Errorf("Delay(%d) = %s, want %s", tt.n, got, tt.want)
		}
	}
	sb := SandboxRetrySchedule()
	if sb.Delay(1) != time.Second || sb.Delay(6) != 30*time.Second || sb.GiveUpAfter != 10*time.Minute {
		t.Errorf("sandbox schedule: %+v", sb)
	}
}

func TestRetryScheduleNext(t *testing.T) {
	s := DefaultRetrySchedule()
	first := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		attempts int
		now      time.Time
		want     time.Time
		dead     bool
	}{
		{"FirstFailure", 1, first, first.Add(15 * time.Second), false},
		{"Capped", 20, first.Add(10 * time.Hour), first.Add(11 * time.Hour), false},
		{"LastRetryAtTheDeadline", 80, first.Add(71*time.Hour + 30*time.Minute), first.Add(72 * time.Hour), false},
		{"DeadAtTheDeadline", 81, first.Add(72 * time.Hour), time.Time{}, true},
		{"DeadAfterIt", 81, first.Add(73 * time.Hour), time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, dead := s.Next(tt.attempts, first, tt.now)
			if !next.Equal(tt.want) || dead != tt.dead {
				t.Errorf("Next = %s %v, want %s %v", next, dead, tt.want, tt.dead)
			}
		})
	}
}

func TestCallbackAttemptAcknowledged(t *testing.T) {
	for status, want := range map[int]bool{0: false, 199: false, 200: true, 202: true, 204: true, 299: true, 301: false, 500: false} {
		if got := (&CallbackAttempt{HTTPStatus: status}).Acknowledged(); got != want {
			t.Errorf("HTTP %d acknowledged = %v", status, got)
		}
	}
}
