package bench

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
)

// rss reads the resident memory of a process from Linux's /proc: its peak
// (VmHWM), which the kernel lets us reset between scenarios so each gets its
// own. Elsewhere every reading is 0 and the report leaves memory out.
type rss struct {
	proc string // "/proc/self" or "/proc/<pid>"
}

func newRSS(pid int) *rss {
	if pid > 0 {
		return &rss{proc: "/proc/" + strconv.Itoa(pid)}
	}
	return &rss{proc: "/proc/self"}
}

// resetPeak starts a new peak from the current resident size; it reports
// whether the kernel allowed it (then peak is per scenario, else cumulative).
func (r *rss) resetPeak() bool {
	return os.WriteFile(r.proc+"/clear_refs", []byte("5"), 0) == nil
}

// peak is VmHWM in bytes.
func (r *rss) peak() int64 { return r.field("VmHWM:") }

func (r *rss) field(name string) int64 {
	b, err := os.ReadFile(r.proc + "/status")
	if err != nil {
		return 0
	}
	return statusField(b, name)
}

// statusField parses a "Name:   1234 kB" line of /proc/<pid>/status.
func statusField(status []byte, name string) int64 {
	s := bufio.NewScanner(bytes.NewReader(status))
	for s.Scan() {
		rest, ok := strings.CutPrefix(s.Text(), name)
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}
