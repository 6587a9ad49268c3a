package cluster_test

import (
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opaygate/opaygate/sqlstore"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

// bouncerPoolSize is how many server connections PgBouncer opens to the
// database: far fewer than the nodes' pools together (3 × 8 or more), so
// their transactions take turns on the same server connections, and a
// prepared statement or a session setting left on one would be found by, or
// missing for, the next.
const bouncerPoolSize = 4

// inspectorApp names the inspector's direct connections, which the count of
// server connections leaves out.
const inspectorApp = "opaygate-inspector"

// TestManyNodesBehindPgBouncer is TestManyNodes with the three nodes reaching
// PostgreSQL through PgBouncer in transaction pooling mode, as they would
// with hundreds of gateway processes on one database: they migrate together
// through it, then run the workload, and the database must hold every
// invariant it holds when they connect directly.
func TestManyNodesBehindPgBouncer(t *testing.T) {
	direct, pooled := pgBouncerDatabase(t)
	c := startClusterOn(t, sqlstore.Postgres, pooled, direct, 3)
	manyNodes(t, c)

	// The nodes did share the pooler's few server connections.
	var servers int
	if err := c.inspect.QueryRow(`SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name <> $1`, inspectorApp).Scan(&servers); err != nil {
		t.Fatal(err)
	}
	if servers > bouncerPoolSize {
		t.Errorf("%d server connections to the database, want PgBouncer's %d at most", servers, bouncerPoolSize)
	}
}

// pgBouncerDatabase creates a fresh database on the test PostgreSQL and
// starts a PgBouncer in front of it. It returns the database's direct URL
// (for the inspector) and its URL through PgBouncer, with pool_mode=transaction.
// A database of its own rather than sqlstoretest's schema: PgBouncer refuses
// the search_path startup parameter that names the schema.
func pgBouncerDatabase(t *testing.T) (direct, pooled string) {
	t.Helper()
	base := sqlstoretest.PostgresURL(t)
	bin := pgBouncerBinary(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("t_pgb_%d", time.Now().UnixNano())
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	// Registered first, so it runs last: after PgBouncer and the nodes have
	// closed their connections.
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})

	port := startPgBouncer(t, bin, u.Hostname(), u.Port())
	d := *u
	d.Path = "/" + name
	q := d.Query()
	q.Set("application_name", inspectorApp)
	d.RawQuery = q.Encode()
	p := *u
	p.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	p.Path = "/" + name
	q = p.Query()
	q.Del("search_path")
	q.Set("pool_mode", "transaction")
	p.RawQuery = q.Encode()
	return d.String(), p.String()
}

// pgBouncerBinary finds Debian's pgbouncer (in /usr/sbin, often not on
// PATH). Like every PostgreSQL test it skips outside CI when missing and
// fails under CI, where .ci/run installs it.
func pgBouncerBinary(t *testing.T) string {
	t.Helper()
	if bin, err := exec.LookPath("pgbouncer"); err == nil {
		return bin
	}
	if _, err := os.Stat("/usr/sbin/pgbouncer"); err == nil {
		return "/usr/sbin/pgbouncer"
	}
	if underCI() {
		t.Fatal("this test needs PgBouncer under CI, but pgbouncer is not installed")
	}
	t.Skip("SKIP: pgbouncer is not installed; the PgBouncer test runs in CI")
	return ""
}

// startPgBouncer runs pgbouncer in transaction pooling mode on a free port,
// in front of the PostgreSQL at host:port (trust authentication, as the test
// server has), until the test ends. PgBouncer refuses to run as root, so as
// root it runs as the postgres user.
func startPgBouncer(t *testing.T, bin, host, port string) int {
	t.Helper()
	if port == "" {
		port = "5432"
	}
	dir, err := os.MkdirTemp("", "opaygate-pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	listen := freePort(t)
	config := fmt.Sprintf(`[databases]
* = host=%s port=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
default_pool_size = %d
max_client_conn = 500
logfile = %s
`, host, port, listen, filepath.Join(dir, "users.txt"), bouncerPoolSize, filepath.Join(dir, "pgbouncer.log"))
	for name, text := range map[string]string{"pgbouncer.ini": config, "users.txt": `"postgres" ""` + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	cmd := exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal("the test runs as root and there is no postgres user to run PgBouncer as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pgbouncer: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT) // shut down at once, closing every connection
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			t.Logf("pgbouncer log:\n%s", tail(string(b), 4000))
		}
	})

	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(listen)), time.Second)
		if err == nil {
			c.Close()
			return listen
		}
		select {
		case <-exited:
			t.Fatalf("pgbouncer exited: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgbouncer does not listen on %d: %v", listen, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
