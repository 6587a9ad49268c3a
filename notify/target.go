package notify

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
)

// Target is an internal address that callbacks may reach although its range is refused: one
// address or a prefix, on one port or, when Port is 0, on any.
type Target struct {
	Prefix netip.Prefix
	Port   uint16
}

func (t Target) String() string {
	host := t.Prefix.String()
	if t.Prefix.IsSingleIP() {
		host = t.Prefix.Addr().String()
	}
	if t.Port == 0 {
		return host
	}
	if t.Prefix.IsSingleIP() {
		return netip.AddrPortFrom(t.Prefix.Addr(), t.Port).String()
	}
	return host + ":" + strconv.Itoa(int(t.Port))
}

func (t Target) allows(ap netip.AddrPort) bool {
	return t.Prefix.Contains(ap.Addr().Unmap()) && (t.Port == 0 || t.Port == ap.Port())
}

// ParseTargets reads an allow-list of comma-separated entries: an address with or without a
// port (10.0.0.5:8080, 10.0.0.5, [fd00::5]:8080, fd00::5), or a prefix with or without one
// (10.0.0.0/24, 10.0.0.0/24:8080). Names are not accepted: the guard judges the addresses
// connected to, and what a name resolves to can change.
func ParseTargets(s string) ([]Target, error) {
	var out []Target
	for _, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		t, err := parseTarget(entry)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func parseTarget(entry string) (Target, error) {
	bad := fmt.Errorf("callback target %q is not an address or prefix, with an optional port (10.0.0.5:8080, 10.0.0.0/24, [fd00::5]:8080)", entry)
	host, port, hasPort := entry, "", false
	if ap, err := netip.ParseAddrPort(entry); err == nil {
		if ap.Port() == 0 {
			return Target{}, bad
		}
		return Target{Prefix: netip.PrefixFrom(ap.Addr().Unmap(), ap.Addr().Unmap().BitLen()), Port: ap.Port()}, nil
	}
	// A prefix followed by :port; an IPv6 prefix has colons of its own, so the port is only
	// what follows the last colon after the slash.
	if slash := strings.IndexByte(entry, '/'); slash >= 0 {
		if colon := strings.LastIndexByte(entry, ':'); colon > slash {
			host, port, hasPort = entry[:colon], entry[colon+1:], true
		}
	}
	var t Target
	if hasPort {
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil || p == 0 {
			return t, bad
		}
		t.Port = uint16(p)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		t.Prefix = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		return t, nil
	}
	p, err := netip.ParsePrefix(host)
	if err != nil {
		return t, bad
	}
	if a := p.Addr(); a.Is4In6() {
		if p.Bits() < 96 {
			return t, bad
		}
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	t.Prefix = p.Masked()
	return t, nil
}

// Guard decides which addresses callbacks may reach: public ones always, internal ones (see
// CheckAddr) when AllowPrivate or when an entry of Allow names them.
type Guard struct {
	AllowPrivate bool
	Allow        []Target
}

// Check returns nil when a callback may connect to ap, else a *BlockedError.
func (g Guard) Check(ap netip.AddrPort) error {
	if g.AllowPrivate {
		return nil
	}
	err := CheckAddr(ap.Addr())
	if err == nil {
		return nil
	}
	for _, t := range g.Allow {
		if t.allows(ap) {
			return nil
		}
	}
	return err
}

// CheckURL judges a callback URL when it is given, without resolving its host, so that it can
// run inside a request and costs no network call: a literal address is judged as a
// connection to it would be, and so are names that can only be internal — localhost (as its
// loopback addresses), names under .localhost, .internal, .local and .home.arpa, single-label
// names (which a resolver completes with its local search domains), and numeric forms of
// addresses that inet_aton reads (127.1, 2130706433). Any other name passes: what it resolves
// to is checked when the callback is delivered, where the connection is made.
func (g Guard) CheckURL(raw string) error {
	if g.AllowPrivate {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("callback URL %q cannot be parsed", raw)
	}
	port := uint16(80)
	if u.Scheme == "https" {
		port = 443
	}
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return fmt.Errorf("callback URL port %q is not a port", p)
		}
		port = uint16(n)
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if a, err := netip.ParseAddr(host); err == nil {
		return g.Check(netip.AddrPortFrom(a, port))
	}
	switch reason := internalName(host); reason {
	case "":
		return nil
	case "loopback":
		// localhost is its loopback addresses (RFC 6761), usually both of them; delivery
		// refuses a name when any of its addresses is refused, so both must be allowed.
		for _, a := range []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()} {
			if g.Check(netip.AddrPortFrom(a, port)) != nil {
				return &BlockedError{Host: host, Reason: reason}
			}
		}
		return nil
	default:
		// An allow-list names addresses; whether this name resolves to one of them is for
		// delivery to find out.
		if len(g.Allow) > 0 {
			return nil
		}
		return &BlockedError{Host: host, Reason: reason}
	}
}

// internalName says why a host name can only be internal, or "" when it may be public.
func internalName(host string) string {
	labels := strings.Split(host, ".")
	last := labels[len(labels)-1]
	switch {
	case host == "localhost" || strings.HasSuffix(host, ".localhost"):
		return "loopback"
	case strings.HasPrefix(last, "0x") || strings.Trim(last, "0123456789") == "":
		// No top-level domain is numeric; such a name is an address in a form netip does not
		// read but C resolvers do.
		return "numeric"
	case len(labels) == 1:
		return "single-label"
	case last == "internal" || last == "local" || strings.HasSuffix(host, ".home.arpa"):
		return "internal"
	}
	return ""
}

// control runs just before each connect(2), with the literal address.
func (g Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("callback dial: unexpected address %q", address)
	}
	return g.Check(ap)
}
