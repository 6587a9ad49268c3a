package bench

import (
	"bytes"
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
// given by --pid) and, when PostgreSQL runs on this machine, by all of its processes.
type cpuClock struct {
	proc     string // "/proc/self", "/proc/<pid>", or "" for none
	postgres bool
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
	if c.postgres {
		s.postgres, s.postgresOK = postgresCPU()
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

// postgresCPU is the CPU time of every PostgreSQL process on this machine: those running, and
// those that ended, which their postmaster has counted among its children once it reaped
// them (a backend closed during a scenario still counts).
func postgresCPU() (time.Duration, bool) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	procs := map[int]procStat{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readStat("/proc/" + e.Name() + "/stat"); ok && st.comm == "postgres" {
			procs[pid] = st
		}
	}
	var total time.Duration
	postmasters := 0
	for _, st := range procs {
		total += st.cpu()
		if _, child := procs[st.ppid]; !child {
			total += st.children()
			postmasters++
		}
	}
	return total, postmasters > 0
}

// localPostgres reports whether a PostgreSQL URL names this machine: its processes are then
// the database's.
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
