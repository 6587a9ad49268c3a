package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// groupHelp answers `opaygate GROUP -h`: the group's usage, then every
// subcommand with its flags. The flags are taken from each subcommand's own
// -h, so they are declared in one place and this list cannot drift from it.
func (c *CLI) groupHelp(ctx context.Context, text, group string, subs []string,
	run func(*CLI, context.Context, []string) error) error {
	fmt.Fprint(c.Stdout, text)
	fmt.Fprintln(c.Stdout, "\nSubcommands and their flags:")
	for _, sub := range subs {
		var out bytes.Buffer
		quiet := &CLI{Stdin: strings.NewReader(""), Stdout: &out, Stderr: io.Discard, Getenv: c.Getenv}
		if err := run(quiet, ctx, []string{sub, "-h"}); !errors.Is(err, flag.ErrHelp) {
			continue // a subcommand without flags of its own
		}
		fmt.Fprintf(c.Stdout, "\n  opaygate %s %s\n", group, sub)
		_, flags, _ := strings.Cut(out.String(), "\nFlags:\n")
		for line := range strings.Lines(flags) {
			fmt.Fprint(c.Stdout, "  ", line)
		}
	}
	return flag.ErrHelp
}
