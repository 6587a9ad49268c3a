package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opaygate/opaygate/opay"
)

// The tests that need a real process (kill -9, SIGTERM, exit codes) build the
// binary once per test run.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// MustBinary builds the opaygate binary (with the race detector when the
// tests run with it) and returns its path.
func MustBinary(tb testing.TB) string {
	tb.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "opaygate-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "opaygate")
		args := []string{"build", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		tb.Fatal(binErr)
	}
	return binPath
}

// FreeAddr returns a loopback address with a port that was free a moment ago.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// cleanEnv is the test process's environment without OPAYGATE_* variables,
// so a developer's settings cannot change what the tests see.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPAYGATE_") && !strings.HasPrefix(kv, "OPAY_") {
			env = append(env, kv)
		}
	}
	return env
}

// syncBuffer is a bytes.Buffer that a process can write while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Proc is a running opaygate binary.
type Proc struct {
	cmd    *exec.Cmd
	stdout syncBuffer
	stderr syncBuffer
	done   chan struct{}
	err    error // Wait's result, set when done is closed
	URL    string
}

// StartProc starts the binary with args and returns at once.
func StartProc(tb testing.TB, args ...string) *Proc {
	tb.Helper()
	p := &Proc{done: make(chan struct{})}
	p.cmd = exec.Command(MustBinary(tb), args...)
	p.cmd.Env = cleanEnv()
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// MustServe starts `opaygate serve` on a free port with extra flags and
// waits for its banner.
func MustServe(tb testing.TB, db string, extra ...string) *Proc {
	tb.Helper()
	addr := FreeAddr(tb)
	args := append([]string{"serve", "--addr", addr, "--db", db}, extra...)
	p := StartProc(tb, args...)
	p.URL = "http://" + addr
	deadline := time.After(60 * time.Second)
	for !strings.Contains(p.stdout.String(), "Press Ctrl+C") {
		select {
		case <-p.done:
			tb.Fatalf("serve exited before its banner: %v\nstdout:\n%s\nstderr:\n%s", p.err, p.stdout.String(), p.stderr.String())
		case <-deadline:
			tb.Fatalf("no banner after 60s\nstdout:\n%s\nstderr:\n%s", p.stdout.String(), p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return p
}

// Wait waits for the process to exit and returns its exit code.
func (p *Proc) Wait(tb testing.TB, timeout time.Duration) int {
	tb.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		tb.Fatalf("process still running after %s\nstderr:\n%s", timeout, p.stderr.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// Signal sends sig to the process.
func (p *Proc) Signal(tb testing.TB, sig syscall.Signal) {
	tb.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		tb.Fatal(err)
	}
}

// PublicKey returns a demo merchant's public key from the banner.
func (p *Proc) PublicKey(tb testing.TB, merchantID string) string {
	tb.Helper()
	m := regexp.MustCompile(`(?m)^\s+` + merchantID + `\s+(OPAYPUB\S+)`).FindStringSubmatch(p.stdout.String())
	if m == nil {
		tb.Fatalf("no public key for %s in the banner:\n%s", merchantID, p.stdout.String())
	}
	return m[1]
}

// Envelope is the API's answer.
type Envelope struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// Call posts body to path with the given Authorization and decodes the
// envelope into data (when not nil).
func Call(tb testing.TB, baseURL, path, merchantID, auth string, body []byte, data any) Envelope {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, baseURL+path, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("MerchantId", merchantID)
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("POST %s: %v", path, err)
	}
	var env Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		tb.Fatalf("POST %s: HTTP %d, not an envelope: %s", path, resp.StatusCode, raw)
	}
	if data != nil && env.Code == "00000" {
		if err := json.Unmarshal(env.Data, data); err != nil {
			tb.Fatalf("POST %s: data %s: %v", path, env.Data, err)
		}
	}
	return env
}

// Signed calls a signature-authenticated endpoint and fails the test unless
// it answers 00000.
func Signed(tb testing.TB, baseURL, path, merchantID, privateKey string, req, data any) {
	tb.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		tb.Fatal(err)
	}
	if env := Call(tb, baseURL, path, merchantID, opay.AuthorizationHeader(body, privateKey), body, data); env.Code != "00000" {
		tb.Fatalf("POST %s: %s %s", path, env.Code, env.Message)
	}
}

// RunCLI runs a command in-process and returns its exit code and output.
func RunCLI(tb testing.TB, env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	tb.Helper()
	var out, errb bytes.Buffer
	c := &CLI{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] },
	}
	code = c.Run(context.Background(), args)
	return code, out.String(), errb.String()
}
