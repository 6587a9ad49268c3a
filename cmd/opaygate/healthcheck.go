package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

const healthcheckUsage = `Usage: opaygate healthcheck [flags]

Asks a gateway's /healthz and exits 0 when it answers 200, 1 otherwise. It is
the container image's HEALTHCHECK, which has no curl. The default URL is
this host's gateway at OPAYGATE_ADDR (127.0.0.1:8080 if unset; an address
listening on all interfaces is asked on loopback).

Examples:

	opaygate healthcheck
	opaygate healthcheck --url http://127.0.0.1:8080/healthz --timeout 2s
`

func (c *CLI) healthcheck(ctx context.Context, args []string) error {
	fs := c.newFlagSet("healthcheck", healthcheckUsage)
	target := fs.String("url", healthzURL(c.Getenv("OPAYGATE_ADDR")), "the gateway's health `URL`")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}
	u, err := url.Parse(*target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf("healthcheck: --url %q is not an http(s) URL", *target)
	}
	if *timeout <= 0 {
		return usageErrorf("healthcheck: --timeout %s must be positive", *timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *target, nil)
	if err != nil {
		return usageErrorf("healthcheck: --url %q: %v", *target, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %s: %v", *target, unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered HTTP %d: %s", *target, resp.StatusCode, body)
	}
	fmt.Fprintf(c.Stdout, "%s: %s\n", *target, body)
	return nil
}

// healthzURL is /healthz of a gateway listening on addr, asked on loopback
// when addr is every interface.
func healthzURL(addr string) string {
	if addr == "" {
		addr = DefaultConfig().Addr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + DefaultConfig().Addr + "/healthz"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz"
}

// unwrapURLError drops Go's `Get "<url>":` prefix, which the caller states.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
