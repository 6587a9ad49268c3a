package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/opaygate/opaygate/opay"
)

const signUsage = `Usage: opaygate sign [flags] < body.json

Prints the Authorization header value of a request body: "Bearer " and the
hex HMAC-SHA512 of the body keyed with the merchant's private key. It signs
the bytes exactly as given — a trailing newline included — unless --compact
is set, which signs the compact form (whitespace outside strings removed,
\/ written as /). The gateway accepts the compact form of whatever body it
receives, so --compact is the robust choice for pretty-printed files and
for 'curl -d', which strips newlines.

The key comes from --key, else OPAYGATE_PRIVATE_KEY, else OPAY_PRIVATE_KEY;
prefer the environment, since command lines are visible to other users.
It is never printed.

With --timestamp it prints the two headers of a timestamped (v2) signature,
the HMAC of the timestamp followed by the body.

Examples:

	echo -n '{"invoiceNo":"20464188"}' | OPAY_PRIVATE_KEY=OPAYPRV… opaygate sign
	opaygate sign --compact --file body.json --key OPAYPRV…
	opaygate sign --compact --timestamp now --file body.json
`

func (c *CLI) sign(ctx context.Context, args []string) error {
	fs := c.newFlagSet("sign", signUsage)
	file := fs.String("file", "", "read the body from `path` instead of stdin")
	key := fs.String("key", "", "the merchant's private `key` (default $OPAYGATE_PRIVATE_KEY or $OPAY_PRIVATE_KEY)")
	compact := fs.Bool("compact", false, "sign the compact form of the body instead of its exact bytes")
	timestamp := fs.String("timestamp", "", "sign for v2 with this RequestTimestamp (UNIX `seconds`, milliseconds, or \"now\")")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}
	k := *key
	for _, env := range []string{"OPAYGATE_PRIVATE_KEY", "OPAY_PRIVATE_KEY"} {
		if k == "" {
			k = c.Getenv(env)
		}
	}
	if k == "" {
		return usageErrorf("sign: no key: give --key, or set OPAYGATE_PRIVATE_KEY or OPAY_PRIVATE_KEY")
	}
	ts, err := parseTimestamp(*timestamp)
	if err != nil {
		return err
	}

	var body []byte
	if *file != "" {
		body, err = os.ReadFile(*file)
	} else {
		body, err = io.ReadAll(c.Stdin)
	}
	if err != nil {
		return fmt.Errorf("sign: read body: %w", err)
	}
	if *compact {
		if body, err = opay.Compact(body); err != nil {
			return fmt.Errorf("sign: --compact needs a JSON body: %w", err)
		}
	}

	if ts == "" {
		fmt.Fprintln(c.Stdout, opay.AuthorizationHeader(body, k))
		return nil
	}
	fmt.Fprintf(c.Stdout, "RequestTimestamp: %s\n", ts)
	fmt.Fprintf(c.Stdout, "Authorization: Bearer %s\n", opay.SignTimestamped(ts, body, k))
	return nil
}

// parseTimestamp checks a --timestamp value; "now" is the current time in
// UNIX seconds.
func parseTimestamp(s string) (string, error) {
	switch s {
	case "":
		return "", nil
	case "now":
		return strconv.FormatInt(time.Now().Unix(), 10), nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err != nil || n <= 0 {
		return "", usageErrorf("sign: --timestamp %q is not UNIX seconds, milliseconds or \"now\"", s)
	}
	return s, nil
}
