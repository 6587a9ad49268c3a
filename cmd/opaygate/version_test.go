package main

import (
	"strings"
	"testing"
)

func TestCLI_Version(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, stderr := RunCLI(t, nil, "", args...)
		if code != 0 || !strings.HasPrefix(stdout, "opaygate ") || !strings.Contains(stdout, "commit ") || stderr != "" {
			t.Fatalf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
	// Stamped with -ldflags "-X main.version=… -X main.commit=…".
	defer func(v, c string) { version, commit = v, c }(version, commit)
	version, commit = "v1.2.3", "0123abc"
	if _, stdout, _ := RunCLI(t, nil, "", "version"); !strings.HasPrefix(stdout, "opaygate v1.2.3 (commit 0123abc,") {
		t.Fatalf("stamped version: %q", stdout)
	}
}
