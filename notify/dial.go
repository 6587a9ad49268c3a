package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"
)

// BlockedError is a callback target refused because its address is internal
// (server-side request forgery protection of live mode and of a sandbox
// reachable from the network). Addr is not valid when a name was refused
// without being resolved (Guard.CheckURL).
type BlockedError struct {
	Host   string
	Addr   netip.Addr
	Reason string
}

func (e *BlockedError) Error() string {
	if !e.Addr.IsValid() {
		return fmt.Sprintf("target %s is a %s name, which callbacks may not reach", e.Host, e.Reason)
	}
	if e.Host != "" && e.Host != e.Addr.String() {
		return fmt.Sprintf("target %s resolves to %s, a %s address, which callbacks may not reach", e.Host, e.Addr, e.Reason)
	}
	return fmt.Sprintf("target %s is a %s address, which callbacks may not reach", e.Addr, e.Reason)
}

// Address ranges callbacks may not reach in live mode besides those the
// netip predicates name.
var blockedPrefixes = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},     // "this network"
	{netip.MustParsePrefix("100.64.0.0/10"), "private"},     // carrier-grade NAT
	{netip.MustParsePrefix("192.0.0.0/24"), "private"},      // IETF protocol assignments
	{netip.MustParsePrefix("198.18.0.0/15"), "private"},     // benchmarking
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},      // and 255.255.255.255
	{netip.MustParsePrefix("64:ff9b::/96"), "translated"},   // NAT64 to any IPv4 address
	{netip.MustParsePrefix("64:ff9b:1::/48"), "translated"}, // local-use NAT64
	{netip.MustParsePrefix("2002::/16"), "translated"},      // 6to4 wraps an IPv4 address
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
}

// CheckAddr returns a *BlockedError when a live-mode callback may not reach
// addr: loopback, private, link-local, unspecified, multicast and the other
// special-purpose ranges. IPv4-mapped IPv6 addresses are judged as IPv4.
func CheckAddr(addr netip.Addr) error {
	a := addr.Unmap()
	reason := ""
	switch {
	case !a.IsValid():
		reason = "invalid"
	case a.IsLoopback():
		reason = "loopback"
	case a.IsUnspecified():
		reason = "unspecified"
	case a.IsPrivate():
		reason = "private"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		reason = "link-local"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		reason = "multicast"
	default:
		for _, p := range blockedPrefixes {
			if p.prefix.Contains(a) {
				reason = p.reason
				break
			}
		}
	}
	if reason == "" {
		return nil
	}
	return &BlockedError{Addr: a, Reason: reason}
}

// newTransport returns the HTTP transport of callbacks. It never uses a
// proxy (the environment's proxy would be the address checked, not the
// target). Unless the guard allows every address, every address the target's
// host resolves to must pass it, and the connection is made to those checked
// addresses only; the dialer's Control hook checks again the address actually
// connected to, so DNS answers that change between the check and the
// connection (rebinding) cannot reach an internal address either.
func newTransport(g Guard) *http.Transport {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	dial := dialer.DialContext
	if !g.AllowPrivate {
		dialer.Control = g.control
		dial = guardedDial(dialer, g)
	}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           dial,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// guardedDial resolves the host itself, refuses it when any of its addresses
// is internal (a host that resolves to one internal address is not a
// merchant's public endpoint), and dials the checked addresses in order.
func guardedDial(dialer *net.Dialer, g Guard) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, portStr, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		port, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("callback dial: bad port %q", portStr)
		}
		var addrs []netip.Addr
		if a, err := netip.ParseAddr(host); err == nil {
			addrs = []netip.Addr{a}
		} else if addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("callback dial: %s has no address", host)
		}
		for _, a := range addrs {
			if err := g.Check(netip.AddrPortFrom(a, uint16(port))); err != nil {
				var be *BlockedError
				if errors.As(err, &be) {
					be.Host = host
				}
				return nil, err
			}
		}
		var errs []error
		for _, a := range addrs {
			conn, err := dialer.DialContext(ctx, network, netip.AddrPortFrom(a.Unmap(), uint16(port)).String())
			if err == nil {
				return conn, nil
			}
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
		return nil, errors.Join(errs...)
	}
}
