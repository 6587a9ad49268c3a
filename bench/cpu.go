package bench

import (
	"bytes"
	"context"
	"database/sql"
	"net"
	"net/url"
	"os"
	"strconv"
	"time"
)

// CPU time per operation is the firmer measure on a machine whose rates swing between runs
// (docs/BENCHMARKS.md): the driver samples it at the start and the end of a scenario's
// measured time, this process's with getrusage, another's from Linux's /proc. Elsewhere, or
// without access, it is left out.

// userHZ is the unit of the times in /proc/<pid>/stat: 100 on every Linux this runs on.
const userHZ = 100

// cpuClock reads the CPU time used so far by the measured process (this one, or the gateway
// given by --pid) and, when PostgreSQL runs on this machine, by the processes of its cluster.
type cpuClock struct {
	proc       string // "/proc/self", "/proc/<pid>", or "" for none
	postmaster int    // the cluster's postmaster, 0 for none
}

// cpuSample is one reading of a cpuClock; an ok false means the value could not be read.
type cpuSample struct {
	proc, postgres     time.Duration
	procOK, postgresOK bool
}

func (c *cpuClock) sample() cpuSample {
	var s cpuSample
	if c == nil {
		return s
	}
	switch c.proc {
	case "":
	case "/proc/self":
		s.proc, s.procOK = selfCPU()
	default:
		if st, ok := readStat(c.proc + "/stat"); ok {
			s.proc, s.procOK = st.cpu(), true
		}
	}
	if c.postmaster > 0 {
		s.postgres, s.postgresOK = clusterCPU(c.postmaster)
	}
	return s
}

// perOp is the CPU time between two samples per operation, in microseconds.
func perOp(from, to time.Duration, ok bool, ops int64) float64 {
	if !ok || ops <= 0 || to < from {
		return 0
	}
	return float64(to-from) / float64(time.Microsecond) / float64(ops)
}

// procStat is what cpuClock reads of /proc/<pid>/stat.
type procStat struct {
	comm                         string
	ppid                         int
	utime, stime, cutime, cstime int64 // clock ticks
}

func (p procStat) cpu() time.Duration {
	return time.Duration(p.utime+p.stime) * time.Second / userHZ
}

func (p procStat) children() time.Duration {
	return time.Duration(p.cutime+p.cstime) * time.Second / userHZ
}

// readStat parses /proc/<pid>/stat: "pid (comm) state ppid … utime stime cutime cstime …".
func readStat(path string) (procStat, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return procStat{}, false
	}
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return procStat{}, false
	}
	f := bytes.Fields(b[end+1:])
	if len(f) < 15 {
		return procStat{}, false
	}
	var st procStat
	st.comm = string(b[open+1 : end])
	var err1, err2, err3, err4, err5 error
	st.ppid, err1 = strconv.Atoi(string(f[1]))
	st.utime, err2 = strconv.ParseInt(string(f[11]), 10, 64)
	st.stime, err3 = strconv.ParseInt(string(f[12]), 10, 64)
	st.cutime, err4 = strconv.ParseInt(string(f[13]), 10, 64)
	st.cstime, err5 = strconv.ParseInt(string(f[14]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || err5 != nil {
		return procStat{}, false
	}
	return st, true
}

// postmasterOf returns the postmaster of the PostgreSQL cluster db's connections are served by,
// when it runs on this machine and /proc shows it, else 0: the parent of a backend's process.
func postmasterOf(ctx context.Context, db *sql.DB) int {
	var backend int
	if err := db.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		return 0
	}
	st, ok := readStat("/proc/" + strconv.Itoa(backend) + "/stat")
	if !ok || st.comm != "postgres" {
		return 0
	}
	if pm, ok := readStat("/proc/" + strconv.Itoa(st.ppid) + "/stat"); !ok || pm.comm != "postgres" {
		return 0
	}
	return st.ppid
}

// clusterCPU is the CPU time of a PostgreSQL cluster's processes: its postmaster, the children
// running, and those that ended, which the postmaster counts among its children once it reaped
// them (a backend closed during a scenario still counts). Other clusters on the machine (a test
// starting its own) do not.
func clusterCPU(postmaster int) (time.Duration, bool) {
	pm, ok := readStat("/proc/" + strconv.Itoa(postmaster) + "/stat")
	if !ok {
		return 0, false
	}
	total := pm.cpu() + pm.children()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if st, ok := readStat("/proc/" + e.Name() + "/stat"); ok && st.ppid == postmaster {
			total += st.cpu()
		}
	}
	return total, true
}

// localPostgres reports whether a PostgreSQL URL names this machine, where its processes can
// be read.
func localPostgres(dbURL string) bool {
	u, err := url.Parse(dbURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return false
	}
	host := u.Hostname()
	if host == "" {
		host = u.Query().Get("host") // a Unix socket's directory, or a host given as a parameter
	}
	if host == "" || host == "localhost" || host[0] == '/' {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
