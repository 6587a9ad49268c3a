package opaygate

import (
	"strings"
	"testing"
	"time"
)

func TestOrderLifetime(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		expireAt int64
		minutes  int64
		note     string // a substring; "" means no note
		err      string // a substring; "" means no error
	}{
		{"AbsentIsDefault", 0, 30, "", ""},
		{"OneMinute", 1, 1, "", ""},
		{"FullDay", 1440, 1440, "", ""},
		{"SecondsSentAsMinutesClamped", 1800, 1440, "expireAt 1800 read as minutes and clamped to 1440", ""},
		{"LargestMinutes", 999_999_999, 1440, "clamped to 1440", ""},
		{"DeadlineSeconds", now.Add(5 * time.Minute).Unix(), 5, "read as a deadline in epoch seconds: 5 minutes from now", ""},
		{"DeadlineSecondsRoundedUp", now.Add(4*time.Minute + time.Second).Unix(), 5, "5 minutes", ""},
		{"DeadlineMillis", now.Add(300_000 * time.Millisecond).UnixMilli(), 5, "epoch milliseconds: 5 minutes", ""},
		{"DeadlineMillisOneMs", now.UnixMilli() + 1, 1, "1 minutes", ""},
		{"DeadlineFarClamped", now.Add(72 * time.Hour).UnixMilli(), 1440, "clamped to 1440", ""},
		{"DeadlinePast", now.Add(-time.Minute).Unix(), 0, "", "expireAt is in the past"},
		{"DeadlineNow", now.UnixMilli(), 0, "", "expireAt is in the past"},
		{"Negative", -1, 0, "", "not negative"},
		{"Absurd", 1 << 62, 0, "", "beyond any deadline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, note, err := OrderLifetime(tc.expireAt, now)
			switch {
			case tc.err != "":
				if err == nil || ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), tc.err) {
					t.Fatalf("err %v, want EINVALID %q", err, tc.err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if d != time.Duration(tc.minutes)*time.Minute {
				t.Errorf("lifetime %v, want %d minutes", d, tc.minutes)
			}
			if (tc.note == "") != (note == "") || !strings.Contains(note, tc.note) {
				t.Errorf("note %q, want %q", note, tc.note)
			}
		})
	}
}
