package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/sqlstore"
)

const merchantPasswdUsage = `Usage: opaygate merchant passwd --id MERCHANT_ID [flags]

Sets the password a merchant logs in to the dashboard (/dashboard) with, and
ends every dashboard session the merchant has. On a terminal it asks for the
password twice without echoing it; otherwise it reads the first line of
standard input, so it never appears in the command line or the shell history.
Passwords have at least 10 characters; only a salted argon2id hash is stored.

Examples:

	opaygate merchant passwd --id 256612345678901
	printf '%s\n' "$DASHBOARD_PASSWORD" | opaygate merchant passwd --id 256612345678901 --db ./opaygate.db
`

func (c *CLI) merchantPasswd(ctx context.Context, args []string) error {
	fs := c.newFlagSet("merchant passwd", merchantPasswdUsage)
	dsn := dbFromEnv(c.Getenv)
	registerDBFlag(fs, &dsn)
	id := fs.String("id", "", "15-digit merchant `id` (required)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}
	if *id == "" {
		return usageErrorf("merchant passwd: --id is required")
	}
	password, err := c.readPassword()
	if err != nil {
		return fmt.Errorf("merchant passwd: %w", err)
	}
	if err := opaygate.ValidatePassword(password); err != nil {
		return fmt.Errorf("merchant passwd: %s", opaygate.ErrorMessage(err))
	}

	db, _, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	sessions := sqlstore.NewSessionService(db, opaygate.SystemClock{})
	if err := sessions.SetPassword(ctx, *id, password); err != nil {
		if opaygate.ErrorCode(err) == opaygate.ENOTFOUND {
			return fmt.Errorf("merchant passwd: no merchant %s", *id)
		}
		return fmt.Errorf("merchant passwd: %w", err)
	}
	fmt.Fprintf(c.Stdout, "dashboard password of merchant %s set; its dashboard sessions were ended\n", *id)
	return nil
}

// readPassword asks twice without echo on a terminal, and otherwise reads
// one line of standard input.
func (c *CLI) readPassword() (string, error) {
	if f, ok := c.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.Stderr, "New dashboard password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(c.Stderr, "Repeat it: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("the two passwords differ")
		}
		return string(first), nil
	}
	if c.Stdin == nil {
		return "", errors.New("no password on standard input")
	}
	line, err := bufio.NewReader(io.LimitReader(c.Stdin, opaygate.MaxPasswordLength+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}
