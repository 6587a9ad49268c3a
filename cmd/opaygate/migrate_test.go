package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A --db that cannot work is named with its cause, and the administration
// commands do not create a mistyped SQLite file.
func TestCLI_DBErrors(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"ListMissingFile", []string{"merchant", "list", "--db", filepath.Join(dir, "typo.db")},
			[]string{filepath.Join(dir, "typo.db"), "no such database file", "opaygate migrate"}},
		{"ProductMissingFile", []string{"product", "list", "--merchant", "100000000000001", "--db", filepath.Join(dir, "typo.db")},
			[]string{"no such database file"}},
		{"CallbackMissingFile", []string{"callback", "list", "--db", filepath.Join(dir, "typo.db")},
			[]string{"no such database file"}},
		{"AddMissingDirectory", []string{"merchant", "add", "--name", "x", "--db", filepath.Join(dir, "nope", "x.db")},
			[]string{"directory " + filepath.Join(dir, "nope") + " does not exist"}},
		{"MigrateDirectory", []string{"migrate", "--db", dir}, []string{dir, "is a directory"}},
		{"MigrateUnderAFile", []string{"migrate", "--db", filepath.Join(notDir, "x.db")}, []string{notDir, "not a directory"}},
		{"ServeMissingDirectory", []string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "nope", "x.db")},
			[]string{"directory " + filepath.Join(dir, "nope") + " does not exist"}},
		{"NotADatabase", []string{"merchant", "list", "--db", notDir}, []string{"SQLite " + notDir}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := RunCLI(t, nil, "", tc.args...)
			if code != exitError || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("exit %d, want %d and one line\n%s%s", code, exitError, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "typo.db")); err == nil {
		t.Fatal("an administration command created the mistyped database")
	}

	// merchant add creates a new database, and says where.
	db := filepath.Join(dir, "new.db")
	code, stdout, stderr := RunCLI(t, nil, "", "merchant", "add", "--name", "Shop", "--db", db)
	if code != 0 || !strings.Contains(stderr, "created a new database: SQLite "+db) {
		t.Fatalf("merchant add: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr = RunCLI(t, nil, "", "merchant", "list", "--db", db); code != 0 || !strings.Contains(stdout, "Shop") {
		t.Fatalf("merchant list: exit %d\n%s%s", code, stdout, stderr)
	}
}
