package cluster_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The outage tests run the real binary: what they prove is what
// `opaygate serve` does, flags, pool and deadlines included.
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

// mustBinary builds cmd/opaygate once per test run, with the race detector
// when the tests run with it.
func mustBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "opaygate-cluster-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "opaygate")
		args := []string{"build", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, "github.com/opaygate/opaygate/cmd/opaygate")...).CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// gateway is a running `opaygate serve`.
type gateway struct {
	cmd    *exec.Cmd
	out    lockedBuffer // stdout and stderr
	done   chan struct{}
	url    string
	client *http.Client
}

// startGateway runs `opaygate serve` on db with extra flags and waits until
// /healthz answers 200.
func startGateway(t testing.TB, db string, extra ...string) *gateway {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	g := &gateway{done: make(chan struct{}), url: "http://" + addr,
		client: &http.Client{Timeout: 20 * time.Second}}
	args := append([]string{"serve", "--db", db, "--addr", addr, "--log-level", "warn"}, extra...)
	g.cmd = exec.Command(mustBinary(t), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPAYGATE_") {
			g.cmd.Env = append(g.cmd.Env, kv)
		}
	}
	g.cmd.Stdout, g.cmd.Stderr = &g.out, &g.out
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		g.cmd.Wait()
		close(g.done)
	}()
	t.Cleanup(func() {
		g.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-g.done:
		case <-time.After(15 * time.Second):
			g.cmd.Process.Kill()
			<-g.done
		}
		if t.Failed() {
			t.Logf("gateway output:\n%s", tail(g.out.String(), 6000))
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-g.done:
			t.Fatalf("opaygate serve exited: %s", g.out.String())
		default:
		}
		if code, _ := g.health(); code == http.StatusOK {
			return g
		}
		if time.Now().After(deadline) {
			t.Fatalf("opaygate serve not healthy after 60s:\n%s", g.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// health returns the status of GET /healthz and how long it took.
func (g *gateway) health() (int, time.Duration) {
	start := time.Now()
	resp, err := g.client.Get(g.url + "/healthz")
	if err != nil {
		return 0, time.Since(start)
	}
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

// alive reports whether the process still runs: recovering must not need a
// restart.
func (g *gateway) alive() bool {
	select {
	case <-g.done:
		return false
	default:
		return true
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
