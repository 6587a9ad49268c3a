package main

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestServe_SlowClientsRSS measures what issue 15 measured: the binary's resident memory while
// hundreds of connections each send just under 1 MiB of a known merchant's body and stall, and
// that a merchant's ordinary requests are answered meanwhile. It reports and asserts nothing
// about memory (server's TestSlowBodies asserts the bound); the figures are in
// docs/operations.md. Run it, without the race detector, with
//
//	OPAYGATE_MEASURE_SLOW_CLIENTS=200 go test -run TestServe_SlowClientsRSS -v ./cmd/opaygate/
func TestServe_SlowClientsRSS(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("OPAYGATE_MEASURE_SLOW_CLIENTS"))
	if n <= 0 {
		t.Skip("a measurement: set OPAYGATE_MEASURE_SLOW_CLIENTS to the number of stalled clients")
	}
	n = min(n, 2000)
	p := MustServe(t, filepath.Join(t.TempDir(), "opaygate.db"))
	pid := p.cmd.Process.Pid
	u, _ := url.Parse(p.URL)
	t.Logf("idle: VmRSS %d MiB", procStatus(pid, "VmRSS:"))

	const length = 1<<20 - 1
	part := bytes.Repeat([]byte{'x'}, length-4<<10)
	var conns sync.WaitGroup
	stop := make(chan struct{})
	var written sync.WaitGroup
	for range n {
		written.Add(1)
		conns.Go(func() {
			c, err := net.Dial("tcp", u.Host)
			if err != nil {
				written.Done()
				return
			}
			defer c.Close()
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprintf(c, "POST /api/v1/international/cashier/status HTTP/1.1\r\nHost: %s\r\nMerchantId: %s\r\n"+
				"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", u.Host, demoMerchant, strings.Repeat("ab", 64), length)
			c.Write(part) // a refusing server stops reading: the write ends with the deadline
			written.Done()
			<-stop
		})
	}
	written.Wait()
	time.Sleep(time.Second)
	t.Logf("%d stalled clients: VmRSS %d MiB, peak (VmHWM) %d MiB", n, procStatus(pid, "VmRSS:"), procStatus(pid, "VmHWM:"))

	start := time.Now()
	for i := range 10 {
		body := []byte(fmt.Sprintf(`{"reference":"none-%d","country":"EG"}`, i))
		if env := Call(t, p.URL, "/api/v1/international/cashier/status", demoMerchant, authFor(body), body, nil); env.Code != "02006" {
			t.Errorf("ordinary request %d during the stall: %s %s", i, env.Code, env.Message)
		}
	}
	t.Logf("10 ordinary requests answered during the stall in %s", time.Since(start).Round(time.Millisecond))
	close(stop)
	conns.Wait()
}

// procStatus reads a "Name: N kB" field of /proc/<pid>/status in MiB (0 where there is none).
func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field); ok {
			var kb int64
			fmt.Sscan(rest, &kb)
			return kb >> 10
		}
	}
	return 0
}
