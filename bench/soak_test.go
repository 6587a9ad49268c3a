package bench

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A few seconds of the soak, to keep the command working: the real one runs
// for minutes as its own CI step (.ci/run), not in the test suite.
func TestSoakBrief(t *testing.T) {
	var out strings.Builder
	cfg := DefaultSoakConfig()
	cfg.Duration, cfg.Rate, cfg.SlowClients, cfg.Report, cfg.Drain = 3*time.Second, 20, 2, time.Second, 30*time.Second
	cfg.Out = &out
	cfg.MaxRSSGrowth = 100 // three seconds say nothing about memory
	rep, err := Soak(context.Background(), cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if rep.Due == 0 || rep.Delivered != rep.Due || rep.Requests == 0 || rep.Refused == 0 || rep.SlowOpened == 0 {
		t.Fatalf("due %d, delivered %d, requests %d, refused %d, slow connections %d\n%s",
			rep.Due, rep.Delivered, rep.Requests, rep.Refused, rep.SlowOpened, out.String())
	}
	if rep.Ledger == nil || rep.Ledger.Records == 0 || len(rep.Ledger.Differences) > 0 {
		t.Fatalf("ledger verify after the soak: %+v\n%s", rep.Ledger, out.String())
	}
	if !strings.Contains(out.String(), "PASS") {
		t.Fatalf("no verdict:\n%s", out.String())
	}
}
