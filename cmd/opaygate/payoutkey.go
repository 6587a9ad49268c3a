package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/opaygate/opaygate"
)

const merchantPayoutKeyUsage = `Usage: opaygate merchant payout-key <set|show|remove> [flags] MERCHANT_ID

Manages the merchant's payout public key, which verifies the RSA signature
(SHA256withRSA) of its payout requests (docs/PAYOUTS.md). The merchant keeps
the private key; the gateway never sees it. Without a key every payout request
of the merchant is refused (02000).

Examples:

	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out payout.pem
	openssl rsa -in payout.pem -pubout -out payout.pub.pem
	opaygate merchant payout-key set 256612345678901 --file payout.pub.pem
	opaygate merchant payout-key show 256612345678901
`

const merchantPayoutKeySetUsage = `Usage: opaygate merchant payout-key set [flags] MERCHANT_ID

Sets the merchant's payout public key from a file (- reads standard input):
PEM "PUBLIC KEY" (what 'openssl rsa -pubout' prints), PEM "RSA PUBLIC KEY",
or the base64 of either DER without the PEM lines. The key must be RSA of
2048 to 4096 bits. It replaces any previous key at once (a running gateway
sees it within two seconds) and the change is recorded in the merchant's
audit trail with both keys' fingerprints.

Example:

	opaygate merchant payout-key set 256612345678901 --file payout.pub.pem
`

const merchantPayoutKeyShowUsage = `Usage: opaygate merchant payout-key show [flags] MERCHANT_ID

Prints the merchant's payout key's fingerprint (SHA256: and the unpadded
base64 of the SHA-256 of its DER, as 'ssh-keygen -l' prints fingerprints),
its size, the key itself, and the audit trail of its changes.

Example:

	opaygate merchant payout-key show 256612345678901
`

const merchantPayoutKeyRemoveUsage = `Usage: opaygate merchant payout-key remove [flags] MERCHANT_ID

Removes the merchant's payout key: its payout requests are refused (02000)
until a new one is set. The change is recorded in the audit trail.

Example:

	opaygate merchant payout-key remove 256612345678901
`

func (c *CLI) merchantPayoutKey(ctx context.Context, args []string) error {
	subs := []string{"set", "show", "remove"}
	if len(args) == 0 {
		fmt.Fprint(c.Stderr, merchantPayoutKeyUsage)
		return usageErrorf("merchant payout-key: missing subcommand (set, show or remove)")
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "set", "show", "remove":
		return c.payoutKeyCommand(ctx, sub, rest)
	case "-h", "-help", "--help", "help":
		return c.groupHelp(ctx, merchantPayoutKeyUsage, "merchant payout-key", subs, (*CLI).merchantPayoutKey)
	default:
		return usageErrorf("merchant payout-key: unknown subcommand %q (set, show or remove)", sub)
	}
}

func (c *CLI) payoutKeyCommand(ctx context.Context, sub string, args []string) error {
	name := "merchant payout-key " + sub
	usage := map[string]string{"set": merchantPayoutKeySetUsage, "show": merchantPayoutKeyShowUsage,
		"remove": merchantPayoutKeyRemoveUsage}[sub]
	fs := c.newFlagSet(name, usage)
	dsn := dbFromEnv(c.Getenv)
	registerDBFlag(fs, &dsn)
	var file *string
	if sub == "set" {
		file = fs.String("file", "", "read the public key from `path` (- reads standard input)")
	}
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageErrorf("%s: want exactly one MERCHANT_ID", name)
	}
	id := rest[0]
	var upd opaygate.MerchantUpdate
	switch sub {
	case "set":
		if *file == "" {
			return usageErrorf("%s: give --file with the public key (- reads standard input)", name)
		}
		text, err := c.readSmallFile(*file)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		key, err := opaygate.NormalizePayoutKey(string(text))
		if err != nil {
			return fmt.Errorf("%s: %s: %s", name, *file, opaygate.ErrorMessage(err))
		}
		upd = opaygate.MerchantUpdate{PayoutPublicKey: &key, By: "cli"}
	case "remove":
		none := ""
		upd = opaygate.MerchantUpdate{PayoutPublicKey: &none, By: "cli"}
	}
	db, svcs, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var m *opaygate.Merchant
	if upd.PayoutPublicKey != nil {
		m, err = svcs.Merchants.UpdateMerchant(ctx, id, upd)
	} else {
		m, err = svcs.Merchants.FindMerchant(ctx, id)
	}
	if opaygate.ErrorCode(err) == opaygate.ENOTFOUND {
		return fmt.Errorf("%s: no merchant %s", name, id)
	} else if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	switch sub {
	case "set":
		fmt.Fprintf(c.Stdout, "merchant %s payout key set: %s\n", m.ID, describePayoutKey(m.PayoutPublicKey))
		return nil
	case "remove":
		fmt.Fprintf(c.Stdout, "merchant %s has no payout key now; its payout requests are refused\n", m.ID)
		return nil
	}
	if m.PayoutPublicKey == "" {
		fmt.Fprintf(c.Stdout, "merchant %s has no payout key: set one with 'opaygate merchant payout-key set %s --file pub.pem'\n", m.ID, m.ID)
	} else {
		fmt.Fprintf(c.Stdout, "merchant %s payout key: %s\n%s", m.ID, describePayoutKey(m.PayoutPublicKey), m.PayoutPublicKey)
	}
	trail, err := svcs.Merchants.Audit(ctx, m.ID)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, ch := range trail {
		if ch.Setting != "payout_public_key" {
			continue
		}
		by := ch.By
		if by == "" {
			by = "unknown"
		}
		fmt.Fprintf(c.Stdout, "changed %s by %s: %s -> %s\n", ch.At.UTC().Format(time.RFC3339), by, orNone(ch.Old), orNone(ch.New))
	}
	return nil
}

// describePayoutKey is a stored key's fingerprint and size.
func describePayoutKey(key string) string {
	pub, err := opaygate.ParsePayoutKey(key)
	if err != nil {
		return "unreadable (" + opaygate.ErrorMessage(err) + ")"
	}
	return fmt.Sprintf("%s (RSA %d bits)", opaygate.PayoutKeyFingerprint(pub), pub.N.BitLen())
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// readSmallFile reads a key file, or standard input for "-", up to 64 KiB: keys are a few
// kilobytes, and a larger file is a mistake.
func (c *CLI) readSmallFile(name string) ([]byte, error) {
	var r io.Reader = c.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, 64<<10+1))
	if err != nil {
		return nil, err
	}
	if len(b) > 64<<10 {
		return nil, fmt.Errorf("%s is larger than 64 KiB: not a key", name)
	}
	return b, nil
}
