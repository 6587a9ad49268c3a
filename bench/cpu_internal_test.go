package bench

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestReadStat(t *testing.T) {
	// A command name may hold spaces and parentheses: the fields start after the last ')'.
	line := "4242 (post gres) (x)) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 100 1000 10\n"
	path := filepath.Join(t.TempDir(), "stat")
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	st, ok := readStat(path)
	want := procStat{comm: "post gres) (x)", ppid: 17, utime: 250, stime: 50, cutime: 7, cstime: 3}
	if !ok || st != want {
		t.Fatalf("readStat = %+v, %v; want %+v", st, ok, want)
	}
	if st.cpu() != 3*time.Second || st.children() != 100*time.Millisecond {
		t.Errorf("cpu %s, children %s; want 3s and 100ms", st.cpu(), st.children())
	}
	for _, bad := range []string{"", "4242 (x S 1", "4242 (x) S 1 2 3"} {
		if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, ok := readStat(path); ok {
			t.Errorf("readStat(%q) ok", bad)
		}
	}
}

func TestLocalPostgres(t *testing.T) {
	for url, want := range map[string]bool{
		"postgres://postgres@127.0.0.1:5432/test":            true,
		"postgres://postgres@localhost/test?sslmode=disable": true,
		"postgresql://u@[::1]:5432/db":                       true,
		"postgres:///db?host=/var/run/postgresql":            true,
		"postgres://u@db.internal:5432/db":                   false,
		"postgres://u@10.0.0.7/db":                           false,
		"/tmp/opaygate.db":                                   false,
		"sqlite:/tmp/x.db":                                   false,
	} {
		if got := localPostgres(url); got != want {
			t.Errorf("localPostgres(%q) = %v, want %v", url, got, want)
		}
	}
}
