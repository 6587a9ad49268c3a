package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/opaygate/opaygate"
)

// dataDir is where the sandbox writes its files: --data-dir, else the SQLite file's
// directory. A database without a file (PostgreSQL, in-memory SQLite) has none unless
// --data-dir says so: private keys are not scattered into whatever directory a node was
// started in.
func (c *Config) dataDir() (string, bool) {
	if c.DataDir != "" {
		return c.DataDir, true
	}
	if path, ok := sqlitePath(c.DB); ok {
		return filepath.Dir(path), true
	}
	return "", false
}

// sandboxPayoutKeyPath is where the sandbox keeps demo merchant merchantID's payout private
// key (METHODS.md §10.1), in dir.
func sandboxPayoutKeyPath(dir, merchantID string) string {
	return filepath.Join(dir, "sandbox-payout-"+merchantID+".pem")
}

// payoutKeyFile is what the banner says of one demo merchant's payout key.
type payoutKeyFile struct {
	MerchantID  string
	Path        string
	Fingerprint string // of the merchant's payout key; "" when it has none
	// Problem, when not "", is why Path cannot sign the merchant's payouts: the file is
	// gone, unreadable, or holds another key. Nothing is replaced silently.
	Problem string
}

// provisionPayoutKeys gives every demo merchant a payout key pair on the sandbox's first
// start: a 2048-bit RSA private key written to sandboxPayoutKeyPath (0600) and its public
// half stored as the merchant's payout key, with the payout function enabled. It is
// idempotent: a merchant that has a key keeps it, and a file that exists is never
// overwritten — a merchant without a key (a reset database) gets the file's public half.
func provisionPayoutKeys(ctx context.Context, merchants opaygate.MerchantService, demo []*opaygate.Merchant, dir string) ([]payoutKeyFile, error) {
	var out []payoutKeyFile
	for i, m := range demo {
		f, key, err := provisionPayoutKey(ctx, merchants, m, dir)
		if err != nil {
			return nil, fmt.Errorf("sandbox payout key of %s: %w", m.ID, err)
		}
		if key != nil {
			demo[i] = key
		}
		out = append(out, f)
	}
	return out, nil
}

func provisionPayoutKey(ctx context.Context, merchants opaygate.MerchantService, m *opaygate.Merchant, dir string) (payoutKeyFile, *opaygate.Merchant, error) {
	f := payoutKeyFile{MerchantID: m.ID, Path: sandboxPayoutKeyPath(dir, m.ID)}
	private, err := readPayoutPrivateKey(f.Path)
	missing := errors.Is(err, fs.ErrNotExist)
	if m.PayoutPublicKey != "" {
		stored, perr := opaygate.ParsePayoutKey(m.PayoutPublicKey)
		if perr != nil {
			f.Problem = "the stored payout key is unreadable: " + opaygate.ErrorMessage(perr)
			return f, nil, nil
		}
		f.Fingerprint = opaygate.PayoutKeyFingerprint(stored)
		switch {
		case missing:
			f.Problem = "the file is gone; the merchant keeps its payout key (set another with opaygate merchant payout-key set)"
		case err != nil:
			f.Problem = "the file is unreadable: " + err.Error()
		case !private.PublicKey.Equal(stored):
			f.Problem = "the file holds another key than the merchant's payout key"
		}
		return f, nil, nil
	}
	switch {
	case missing:
		if private, err = writePayoutPrivateKey(f.Path); err != nil {
			// A sandbox that cannot write its data directory still serves everything else.
			f.Problem = "no payout key: " + err.Error()
			return f, nil, nil
		}
	case err != nil:
		f.Problem = "the merchant has no payout key and the file is unreadable: " + err.Error()
		return f, nil, nil
	}
	key := opaygate.PayoutKeyPEM(&private.PublicKey)
	upd := opaygate.MerchantUpdate{PayoutPublicKey: &key, By: "sandbox"}
	if !slices.Contains(m.Functions, opaygate.FuncPayout) {
		upd.Functions = append(slices.Clone(m.Functions), opaygate.FuncPayout)
	}
	updated, err := merchants.UpdateMerchant(ctx, m.ID, upd)
	if err != nil {
		return f, nil, err
	}
	f.Fingerprint = opaygate.PayoutKeyFingerprint(&private.PublicKey)
	return f, updated, nil
}

// readPayoutPrivateKey reads a key file written by writePayoutPrivateKey, or one an operator
// put there (PKCS#8 or PKCS#1 PEM).
func readPayoutPrivateKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseRSAPrivateKey(b)
}

// newPayoutKey makes a demo merchant's key pair; tests replace it with one that reuses a
// few keys, since every gateway they start would otherwise generate four.
var newPayoutKey = func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) }

// writePayoutPrivateKey makes a 2048-bit key and writes it as PKCS#8 PEM, readable by its
// owner only. O_EXCL: a file another process wrote meanwhile is read, never overwritten.
func writePayoutPrivateKey(path string) (*rsa.PrivateKey, error) {
	key, err := newPayoutKey()
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readPayoutPrivateKey(path)
	} else if err != nil {
		return nil, fmt.Errorf("write the key file: %w", err)
	}
	_, err = io.WriteString(file, "# opaygate sandbox payout key: signs this demo merchant's payout requests (opaygate sign --rsa)\n")
	if err == nil {
		err = pem.Encode(file, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return key, nil
}
