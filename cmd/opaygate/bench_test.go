package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opaygate/opaygate/bench"
)

// The bench package tests the scenarios; this tests the command around them.
func TestBench(t *testing.T) {
	file := filepath.Join(t.TempDir(), "report.json")
	code, stdout, stderr := RunCLI(t, nil, "", "bench", "--requests", "20", "--concurrency", "2",
		"--warmup", "0", "--preload", "50", "--scenarios", "baseline,status,valu-flow", "--json", file,
		"--fsync-probe", "50ms")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"in-process gateway on SQLite", "fsyncs/s", "baseline", "status", "valu-flow", "p99 ms"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "preloaded 50") {
		t.Errorf("stderr = %q, want the progress of the preload", stderr)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.Report
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Results) != 3 {
		t.Fatalf("--json wrote %d results, %v:\n%s", len(rep.Results), err, b)
	}

	code, stdout, stderr = RunCLI(t, nil, "", "bench", "--requests", "5", "--concurrency", "1",
		"--warmup", "0", "--scenarios", "baseline", "--format", "json", "--fsync-probe", "0")
	if err := json.Unmarshal([]byte(stdout), &rep); code != 0 || err != nil || rep.Results[0].Scenario != "baseline" {
		t.Fatalf("--format json: exit %d, %v\n%s%s", code, err, stdout, stderr)
	}
}

func TestBench_Usage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"UnknownScenario", []string{"--scenarios", "status,stauts"}, `unknown scenario "stauts"`},
		{"TargetWithoutMerchant", []string{"--target", "http://127.0.0.1:1"}, "merchant id and private key"},
		{"MerchantWithoutTarget", []string{"--merchant-id", "256612345678901"}, "describe a --target"},
		{"BadGrowthSizes", []string{"--growth", "--growth-sizes", "10k"}, `"10k" is not a number`},
		{"BadFormat", []string{"--format", "csv"}, `--format "csv"`},
		{"ZeroConcurrency", []string{"--concurrency", "0"}, "concurrency must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := RunCLI(t, nil, "", append([]string{"bench"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Fatalf("exit %d, want %d and %q\nstdout:\n%s\nstderr:\n%s", code, exitUsage, tc.want, stdout, stderr)
			}
		})
	}
	code, stdout, _ := RunCLI(t, nil, "", "bench", "-h")
	if code != 0 || strings.Count(stdout, "Usage: opaygate bench") != 1 || !strings.Contains(stdout, "Examples:") {
		t.Fatalf("bench -h: exit %d\n%s", code, stdout)
	}
}
