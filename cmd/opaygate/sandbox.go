package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// The sandbox's exposure: who else can reach it decides whether its control API needs a
// token and whether its callbacks may reach internal addresses (docs/sandbox.md).

// sandboxExposed reports whether others than this machine can reach a sandbox listening on
// listen whose configured public URL is publicURL ("" when none is configured): it listens on
// an address other than loopback (all interfaces included), or its public URL names a host
// other than loopback, which means a proxy or a tunnel in front of it.
func sandboxExposed(listen net.Addr, publicURL string) bool {
	host, _, err := net.SplitHostPort(listen.String())
	if err != nil || !loopbackHost(host) {
		return true
	}
	if publicURL == "" {
		return false
	}
	u, err := url.Parse(publicURL)
	return err != nil || !loopbackHost(u.Hostname())
}

// loopbackHost reports whether host is a loopback address or localhost's name. An empty host
// is every interface.
func loopbackHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// newSandboxToken returns a random token of 128 bits, for a sandbox reachable from the
// network that was given none.
func newSandboxToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// minSandboxTokenLength keeps a chosen token from being guessable by trying.
const minSandboxTokenLength = 16

// validSandboxToken reports why a configured token cannot be used, or nil. It never quotes
// the token.
func validSandboxToken(tok string) error {
	if len(tok) < minSandboxTokenLength {
		return fmt.Errorf("--sandbox-token must be at least %d characters", minSandboxTokenLength)
	}
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("--sandbox-token must be printable ASCII without spaces")
		}
	}
	return nil
}
