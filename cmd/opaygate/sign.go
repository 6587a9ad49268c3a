package main

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
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

With --rsa it signs a payout request instead (docs/PAYOUTS.md): "Bearer " and
the base64 SHA256withRSA signature of the body under the merchant's RSA
private key, read from a PEM file ("PRIVATE KEY" as openssl genpkey writes
it, or "RSA PRIVATE KEY"). No HMAC key is needed then.

Examples:

	echo -n '{"invoiceNo":"20464188"}' | OPAY_PRIVATE_KEY=OPAYPRV… opaygate sign
	opaygate sign --compact --file body.json --key OPAYPRV…
	opaygate sign --compact --timestamp now --file body.json
	opaygate sign --rsa payout.pem --file payout.json
`

func (c *CLI) sign(ctx context.Context, args []string) error {
	fs := c.newFlagSet("sign", signUsage)
	file := fs.String("file", "", "read the body from `path` instead of stdin")
	key := fs.String("key", "", "the merchant's private `key` (default $OPAYGATE_PRIVATE_KEY or $OPAY_PRIVATE_KEY)")
	compact := fs.Bool("compact", false, "sign the compact form of the body instead of its exact bytes")
	timestamp := fs.String("timestamp", "", "sign for v2 with this RequestTimestamp (UNIX `seconds`, milliseconds, or \"now\")")
	rsaKey := fs.String("rsa", "", "sign a payout request with the RSA private key in this PEM `file`")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}
	if *rsaKey != "" {
		if *timestamp != "" || *key != "" {
			return usageErrorf("sign: --rsa signs a payout request; --timestamp and --key are for HMAC signatures")
		}
		return c.signRSA(*rsaKey, *file, *compact)
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

	body, err := c.signedBody(*file, *compact)
	if err != nil {
		return err
	}

	if ts == "" {
		fmt.Fprintln(c.Stdout, opay.AuthorizationHeader(body, k))
		return nil
	}
	fmt.Fprintf(c.Stdout, "RequestTimestamp: %s\n", ts)
	fmt.Fprintf(c.Stdout, "Authorization: Bearer %s\n", opay.SignTimestamped(ts, body, k))
	return nil
}

// signedBody reads the body to sign from file or stdin, compacted when asked.
func (c *CLI) signedBody(file string, compact bool) ([]byte, error) {
	var body []byte
	var err error
	if file != "" {
		body, err = os.ReadFile(file)
	} else {
		body, err = io.ReadAll(c.Stdin)
	}
	if err != nil {
		return nil, fmt.Errorf("sign: read body: %w", err)
	}
	if compact {
		if body, err = opay.Compact(body); err != nil {
			return nil, fmt.Errorf("sign: --compact needs a JSON body: %w", err)
		}
	}
	return body, nil
}

// signRSA prints the Authorization header of a payout request.
func (c *CLI) signRSA(keyFile, file string, compact bool) error {
	pemText, err := os.ReadFile(keyFile)
	if err != nil {
		return fmt.Errorf("sign: --rsa: %w", err)
	}
	key, err := parseRSAPrivateKey(pemText)
	if err != nil {
		return fmt.Errorf("sign: --rsa %s: %w", keyFile, err)
	}
	body, err := c.signedBody(file, compact)
	if err != nil {
		return err
	}
	sig, err := opay.SignRSA(body, key)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	fmt.Fprintln(c.Stdout, "Bearer "+sig)
	return nil
}

// parseRSAPrivateKey reads a PEM "PRIVATE KEY" (PKCS#8) or "RSA PRIVATE KEY" (PKCS#1). Its
// errors never quote the key.
func parseRSAPrivateKey(pemText []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemText)
	if block == nil {
		return nil, errors.New("not a PEM file (no -----BEGIN … PRIVATE KEY----- block)")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("damaged RSA PRIVATE KEY")
		}
		return key, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("damaged PRIVATE KEY")
		}
		key, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("a %T, not an RSA key: payouts are signed with RSA", k)
		}
		return key, nil
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("the key is encrypted: decrypt it first (openssl pkey -in key.pem -out plain.pem)")
	case "PUBLIC KEY", "RSA PUBLIC KEY":
		return nil, errors.New("this is a public key: sign with the private key (the gateway holds the public one)")
	}
	return nil, fmt.Errorf("PEM type %q is neither PRIVATE KEY nor RSA PRIVATE KEY", block.Type)
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
