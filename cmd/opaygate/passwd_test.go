package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/sqlstore"
)

func TestCLI_MerchantPasswd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pw.db")
	const id = "100000000000001"
	if code, stdout, stderr := RunCLI(t, nil, "", "merchant", "add", "--id", id, "--name", "Shop", "--db", db); code != 0 {
		t.Fatalf("add: exit %d\n%s%s", code, stdout, stderr)
	}

	code, stdout, stderr := RunCLI(t, nil, "a long secret\n", "merchant", "passwd", "--id", id, "--db", db)
	if code != 0 || !strings.Contains(stdout, "password of merchant "+id+" set") {
		t.Fatalf("passwd: exit %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, "a long secret") {
		t.Fatal("passwd echoed the password")
	}

	ctx := context.Background()
	store, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sessions := sqlstore.NewSessionService(store, nil)
	if err := sessions.VerifyPassword(ctx, id, "a long secret"); err != nil {
		t.Fatalf("the password set does not verify: %v", err)
	}
	if err := sessions.VerifyPassword(ctx, id, "a long secret\n"); opaygate.ErrorCode(err) != opaygate.EUNAUTHENTICATED {
		t.Fatalf("the line break became part of the password: %v", err)
	}

	for name, tc := range map[string]struct {
		stdin string
		args  []string
		code  int
		want  string
	}{
		"ErrNoID":            {"a long secret\n", nil, 2, "--id is required"},
		"ErrUnknownMerchant": {"a long secret\n", []string{"--id", "999999999999999"}, 1, "no merchant 999999999999999"},
		"ErrShortPassword":   {"short\n", []string{"--id", id}, 1, "at least 10 characters"},
		"ErrNoPassword":      {"", []string{"--id", id}, 1, "no password"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := RunCLI(t, nil, tc.stdin, append([]string{"merchant", "passwd", "--db", db}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d (want %d)\n%s%s", code, tc.code, stdout, stderr)
			}
		})
	}

	code, stdout, _ = RunCLI(t, nil, "", "merchant", "passwd", "-h")
	if code != 0 || !strings.Contains(stdout, "Usage: opaygate merchant passwd") || !strings.Contains(stdout, "Example") {
		t.Fatalf("-h: exit %d\n%s", code, stdout)
	}
}
