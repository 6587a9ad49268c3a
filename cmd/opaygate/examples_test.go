package main

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// examplesDir holds the per-language examples of docs/sandbox.md, "Play the customer from
// any language".
var examplesDir = filepath.Join("..", "..", "docs", "examples")

// examples are the files of examplesDir, each with the programs it needs: the interpreter
// first.
var examples = []struct {
	name, file string
	needs      []string
}{
	{"curl", "curl.sh", []string{"bash", "curl", "openssl"}},
	{"php", "php/play_customer.php", []string{"php"}},
	{"node", "node/play_customer.mjs", []string{"node"}},
	{"python", "python/play_customer.py", []string{"python3"}},
}

// TestExamples runs every example of docs/examples with its interpreter against a real
// sandbox (serve's Main, in-process, on a free port) that requires a sandbox token, so each
// example's token path runs too. An interpreter missing skips its example outside CI and
// fails it under CI=true (.ci/run installs them).
func TestExamples(t *testing.T) {
	const token = "examples-token-0123456789"
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = filepath.Join(t.TempDir(), "opaygate.db")
	cfg.SandboxToken = token
	var stdout, logs syncBuffer
	m := NewMain(cfg, &stdout, slog.New(slog.NewTextHandler(&logs, nil)))
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	ci := os.Getenv("CI") == "true"
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			for _, tool := range ex.needs {
				if _, err := exec.LookPath(tool); err != nil {
					if ci {
						t.Fatalf("%s is not installed: CI must run the %s example (.ci/run installs it)", tool, ex.name)
					}
					t.Skipf("%s is not installed: the %s example runs in CI", tool, ex.name)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, ex.needs[0], filepath.Join(examplesDir, ex.file))
			cmd.Env = append(cleanEnv(), "OPAY_BASE_URL="+m.URL, "OPAYGATE_SANDBOX_TOKEN="+token)
			start := time.Now()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", ex.file, err, out)
			}
			want := regexp.MustCompile(`^` + ex.name + `: VALU \d{18} SUCCESS; MWALLET \d{18} FAIL 51\n$`)
			if !want.Match(out) {
				t.Errorf("%s printed %q, want %s", ex.file, out, want)
			}
			t.Logf("%s ran in %v", ex.file, time.Since(start).Round(time.Millisecond))
		})
	}
	if strings.Contains(logs.String(), token) {
		t.Error("the sandbox token is in the log")
	}
}

// TestExamplesDocumented: every file of docs/examples is run above, and docs/sandbox.md links
// each; the curl example it shows inline is the file itself, not a copy that could drift.
func TestExamplesDocumented(t *testing.T) {
	listed := map[string]bool{}
	for _, ex := range examples {
		listed[ex.file] = true
	}
	err := filepath.WalkDir(examplesDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(examplesDir, path)
		if !listed[filepath.ToSlash(rel)] {
			t.Errorf("docs/examples/%s is not run by TestExamples", filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "sandbox.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range examples {
		if !strings.Contains(string(doc), "(examples/"+ex.file+")") {
			t.Errorf("docs/sandbox.md does not link examples/%s", ex.file)
		}
	}
	curl, err := os.ReadFile(filepath.Join(examplesDir, "curl.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```sh\n"+string(curl)+"```\n") {
		t.Error("docs/sandbox.md does not show docs/examples/curl.sh as it is: copy the file into its sh block")
	}
}
