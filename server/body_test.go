package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opaygate/opaygate/opay"
	"github.com/opaygate/opaygate/server"
)

// stalled is what one stalled client saw: the answer it got while it still owed most of its
// body, if any.
type stalled struct {
	code, detail string
	status       int
	close        bool
	err          error
}

// stall sends a POST's headers and the first len(part) bytes of a body of length bytes, and
// never the rest, reading the answer meanwhile: a server that answers before the body is
// complete may close the connection as soon as it answered, so the answer must be read while
// the body is still being written. It gives up after wait.
func stall(addr, path string, headers map[string]string, length int, part []byte, wait time.Duration) stalled {
	conn, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		return stalled{err: err}
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(wait))
	var req bytes.Buffer
	fmt.Fprintf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", path, addr, length)
	for k, v := range headers {
		fmt.Fprintf(&req, "%s: %s\r\n", k, v)
	}
	req.WriteString("\r\n")
	if _, err := conn.Write(req.Bytes()); err != nil {
		return stalled{err: err}
	}
	// The body is written on the side; a server that refused it stops reading, and the
	// write then ends with the connection.
	go conn.Write(part)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return stalled{err: err}
	}
	defer resp.Body.Close()
	var env opay.Response
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &env); err != nil {
		return stalled{err: fmt.Errorf("answer %q: %v", raw, err)}
	}
	return stalled{code: env.Code, detail: resp.Header.Get(opay.HeaderDetail), status: resp.StatusCode,
		close: resp.Close}
}

// vmRSS is the process's resident memory in MiB from /proc (0 where there is none).
func vmRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			fmt.Sscan(rest, &kb)
			return kb >> 10
		}
	}
	return 0
}

// TestSlowBodies is issue 15's slow-client attack: hundreds of connections of a known merchant
// each send most of a 1 MiB body and stall, and more of an unknown one. The body bytes the
// server holds never exceed its budget, those that do not fit are refused with 50003 at once,
// the unknown merchant's with 02000 without its body being read, the admitted ones end at the
// body timeout, and ordinary requests are answered throughout.
func TestSlowBodies(t *testing.T) {
	const (
		limit      = 8 << 20
		bodyLen    = 1<<20 - 1
		known      = 300
		unknown    = 50
		legitimate = 20
	)
	e := newTestServer(t, withServerConfig(func(c *server.Config) {
		c.MaxBodyBytesInFlight = limit
		c.BodyTimeout = 2 * time.Second
	}))
	addr := e.srv.Listener.Addr().String()
	part := bytes.Repeat([]byte{'x'}, 900<<10) // one buffer shared by every client
	forged := "Bearer " + strings.Repeat("ab", 64)

	var rssBefore runtime.MemStats
	runtime.ReadMemStats(&rssBefore)
	t.Logf("before: heap in use %d MiB, VmRSS %d MiB", rssBefore.HeapInuse>>20, vmRSS())

	results := make([]stalled, known+unknown)
	var wg sync.WaitGroup
	for i := range results {
		id := e.A.ID
		if i >= known {
			id = "999999999999999"
		}
		wg.Go(func() {
			results[i] = stall(addr, pathStatus, map[string]string{"MerchantId": id, "Authorization": forged},
				bodyLen, part, 20*time.Second)
		})
	}

	// Meanwhile a merchant's ordinary requests are answered: 02006 is past authentication.
	for i := range legitimate {
		must(t, e.call(t, e.B, pathStatus, map[string]any{"reference": fmt.Sprint("none-", i), "country": "EG"}),
			opay.CodeNotFound)
	}
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	t.Logf("during: heap in use %d MiB, VmRSS %d MiB", during.HeapInuse>>20, vmRSS())
	wg.Wait()

	count := map[string]int{}
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("client %d: %v", i, r.err)
		}
		count[r.code]++
		switch {
		case i >= known && r.code != opay.CodeAuthFailed:
			t.Errorf("unknown merchant's client %d: %s (%s), want 02000 before its body", i, r.code, r.detail)
		case i < known && r.code == opay.CodeUnavailable:
			if r.status != http.StatusOK || !strings.Contains(r.detail, "try again") || !r.close {
				t.Errorf("refused client %d: HTTP %d, detail %q, close %v", i, r.status, r.detail, r.close)
			}
		case i < known && r.code == opay.CodeInvalidParams:
			if !strings.Contains(r.detail, "could not be read within 2s") {
				t.Errorf("timed-out client %d: detail %q", i, r.detail)
			}
		case i < known:
			t.Errorf("known merchant's client %d: %s (%s)", i, r.code, r.detail)
		}
	}
	_, peak := server.BodiesInFlight(e.server)
	t.Logf("answers %v; peak body bytes in flight %d KiB of %d KiB", count, peak>>10, limit>>10)
	if peak > limit {
		t.Errorf("bodies held %d bytes at once, more than the budget (%d)", peak, limit)
	}
	// The test exercised what it claims: some bodies were admitted, most were refused.
	if count[opay.CodeInvalidParams] == 0 || count[opay.CodeUnavailable] < known/2 {
		t.Errorf("answers %v: want some bodies timed out and most refused", count)
	}
	// Every path gives its bytes back.
	deadline := time.Now().Add(5 * time.Second)
	for used, _ := server.BodiesInFlight(e.server); used != 0; used, _ = server.BodiesInFlight(e.server) {
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes still held after every client ended", used)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestBodies covers the ways a body ends: chunked (held at its real size once read), shorter
// than its Content-Length, and an unknown merchant's large body, answered unread.
func TestBodies(t *testing.T) {
	e := newTestServer(t)
	t.Run("ChunkedAccepted", func(t *testing.T) {
		body := []byte(`{"reference":"none","country":"EG"}`)
		req, err := http.NewRequest("POST", e.srv.URL+pathStatus, io.MultiReader(bytes.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = -1
		req.Header.Set("MerchantId", e.A.ID)
		req.Header.Set("Authorization", opay.AuthorizationHeader(body, e.A.PrivateKey))
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var env opay.Response
		if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Code != opay.CodeNotFound {
			t.Fatalf("chunked status: %+v %v (%s)", env, err, resp.Header.Get(opay.HeaderDetail))
		}
		if used, _ := server.BodiesInFlight(e.server); used != 0 {
			t.Fatalf("%d bytes held after the answer", used)
		}
	})
	t.Run("ErrShorterThanContentLength", func(t *testing.T) {
		conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nMerchantId: %s\r\nAuthorization: Bearer x\r\nContent-Length: 100\r\n\r\n{}", pathStatus, e.A.ID)
		conn.(*net.TCPConn).CloseWrite()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := resp.Header.Get(opay.HeaderDetail); resp.StatusCode != http.StatusBadRequest || !strings.Contains(d, "shorter than its Content-Length") {
			t.Fatalf("HTTP %d, detail %q", resp.StatusCode, d)
		}
	})
	t.Run("UnknownMerchantUnread", func(t *testing.T) {
		r := stall(e.srv.Listener.Addr().String(), pathStatus,
			map[string]string{"MerchantId": "999999999999999", "Authorization": "Bearer x"},
			1<<20, []byte("{"), 20*time.Second)
		if r.err != nil || r.code != opay.CodeAuthFailed || !r.close || !strings.Contains(r.detail, "not a merchant") {
			t.Fatalf("%+v", r)
		}
	})
}
