package cluster_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// pgServer is a PostgreSQL cluster that a test owns: created with initdb in a
// temporary directory, on a free port, stopped and deleted when the test ends.
// Unlike the shared server of OPAYGATE_TEST_POSTGRES, a test may kill it.
type pgServer struct {
	t    testing.TB
	dir  string // owned by the server's user
	port int
	bin  string // the directory of initdb, pg_ctl and postgres
	as   *syscall.Credential
}

// startPostgres creates and starts a throwaway PostgreSQL. It skips when
// initdb is missing outside CI and fails under CI, like every PostgreSQL
// test. PostgreSQL refuses to run as root, so as root it runs as the
// postgres user.
func startPostgres(t testing.TB) *pgServer {
	t.Helper()
	missing := func(why string) {
		t.Helper()
		if underCI() {
			t.Fatalf("this test needs its own PostgreSQL under CI, but %s", why)
		}
		t.Skipf("SKIP: %s; this test starts its own PostgreSQL (it runs in CI)", why)
	}
	initdb, err := exec.LookPath("initdb")
	if err != nil {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
		if len(matches) == 0 {
			missing("initdb is not on PATH")
			return nil
		}
		initdb = matches[len(matches)-1]
	}
	initdb, _ = filepath.EvalSymlinks(initdb) // pg_ctl and postgres sit beside the real file
	p := &pgServer{t: t, bin: filepath.Dir(initdb), port: freePort(t)}

	dir, err := os.MkdirTemp("", "opaygate-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			missing("the test runs as root and there is no postgres user to run PostgreSQL as")
			return nil
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		p.as = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	}

	p.run("initdb", "-D", p.data(), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C")
	p.start()
	t.Cleanup(func() {
		p.pgctl("-m", "immediate", "stop")
	})
	return p
}

// underCI reports whether the tests run in CI: CI set to anything but a
// false boolean (.ci/run sets CI=false outside CI).
func underCI() bool {
	v := os.Getenv("CI")
	b, err := strconv.ParseBool(v)
	return v != "" && (err != nil || b)
}

func (p *pgServer) data() string { return filepath.Join(p.dir, "data") }

// url is the server's database postgres, as opaygate takes it.
func (p *pgServer) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// start starts the server and waits until it accepts connections.
func (p *pgServer) start() {
	p.t.Helper()
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c fsync=off",
		p.port, p.dir)
	if err := p.pgctl("-l", filepath.Join(p.dir, "log"), "-o", opts, "-w", "-t", "30", "start"); err != nil {
		p.t.Fatalf("start PostgreSQL: %v\n%s", err, p.log())
	}
}

// crash stops the server the hard way: every backend is killed at once, as
// in a crash or an OOM kill, and the port closes.
func (p *pgServer) crash() {
	p.t.Helper()
	if err := p.pgctl("-m", "immediate", "-w", "stop"); err != nil {
		p.t.Fatalf("stop PostgreSQL: %v\n%s", err, p.log())
	}
}

func (p *pgServer) pgctl(args ...string) error {
	return p.exec("pg_ctl", append([]string{"-D", p.data()}, args...)...)
}

func (p *pgServer) run(name string, args ...string) {
	p.t.Helper()
	if err := p.exec(name, args...); err != nil {
		p.t.Fatalf("%s: %v", name, err)
	}
}

func (p *pgServer) exec(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	cmd.Dir = p.dir
	if p.as != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.as}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (p *pgServer) log() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// partition is a TCP proxy between the gateway and PostgreSQL that can cut
// the network without closing anything: while it is down, bytes are held,
// not delivered, and new connections are accepted but go nowhere. That is a
// partition or a dead host — the failure a refused connection does not show,
// where only timeouts and deadlines end a wait.
type partition struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cond  *sync.Cond
	down  bool
	conns map[net.Conn]bool
}

func newPartition(t testing.TB, target string) *partition {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &partition{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.cond = sync.NewCond(&p.mu)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *partition) addr() string { return p.ln.Addr().String() }

// cut stops delivering; heal delivers again, held bytes first.
func (p *partition) cut()  { p.set(true) }
func (p *partition) heal() { p.set(false) }

func (p *partition) set(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
	p.cond.Broadcast()
}

func (p *partition) wait() {
	p.mu.Lock()
	for p.down {
		p.cond.Wait()
	}
	p.mu.Unlock()
}

func (p *partition) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		return false
	}
	p.conns[c] = true
	return true
}

func (p *partition) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			c.Close()
			return
		}
		go func() {
			p.wait()
			up, err := net.Dial("tcp", p.target)
			if err != nil || !p.track(up) {
				c.Close()
				return
			}
			go p.pipe(up, c)
			p.pipe(c, up)
		}()
	}
}

func (p *partition) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.wait()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *partition) close() {
	p.ln.Close()
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.down = false
	p.mu.Unlock()
	p.cond.Broadcast()
	for c := range conns {
		c.Close()
	}
}
