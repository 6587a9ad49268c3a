package notify_test

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/opaygate/opaygate/notify"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

func TestParseTargets(t *testing.T) {
	got, err := notify.ParseTargets(" 10.0.0.5:8080, 10.0.0.6,192.168.0.0/24, 10.1.0.0/16:9000, [fd00::5]:443, fd00::/64 ,")
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, tg := range got {
		s = append(s, tg.String())
	}
	want := "10.0.0.5:8080 10.0.0.6 192.168.0.0/24 10.1.0.0/16:9000 [fd00::5]:443 fd00::/64"
	if strings.Join(s, " ") != want {
		t.Errorf("got %q, want %q", strings.Join(s, " "), want)
	}
	for _, bad := range []string{"receiver.internal:8080", "10.0.0.5:x", "10.0.0.5:0", "10.0.0.0/33", "10.0.0.0/24:"} {
		if _, err := notify.ParseTargets(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestGuardCheck(t *testing.T) {
	allow, err := notify.ParseTargets("10.0.0.5:8080,192.168.1.0/24,[fd00::5]:443")
	if err != nil {
		t.Fatal(err)
	}
	g := notify.Guard{Allow: allow}
	tests := []struct {
		addr string
		ok   bool
	}{
		{"10.0.0.5:8080", true},
		{"[::ffff:10.0.0.5]:8080", true}, // mapped: judged as IPv4
		{"10.0.0.5:8081", false},
		{"10.0.0.6:8080", false},
		{"192.168.1.77:22", true},
		{"192.168.2.1:80", false},
		{"[fd00::5]:443", true},
		{"[fd00::6]:443", false},
		{"127.0.0.1:8080", false},
		{"169.254.169.254:80", false},
		{"8.8.8.8:443", true},
	}
	for _, tt := range tests {
		err := g.Check(netip.MustParseAddrPort(tt.addr))
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v, want allowed %v", tt.addr, err, tt.ok)
		}
	}
	if err := (notify.Guard{AllowPrivate: true}).Check(netip.MustParseAddrPort("127.0.0.1:1")); err != nil {
		t.Errorf("AllowPrivate: %v", err)
	}
}

// CheckURL refuses, without any DNS lookup, what can only be internal; a public-looking name
// passes and is left to the delivery's check.
func TestGuardCheckURL(t *testing.T) {
	tests := []struct {
		url    string
		reason string // "" = allowed
	}{
		{"http://127.0.0.1:8080/cb", "loopback"},
		{"http://10.1.2.3/cb", "private"},
		{"http://169.254.169.254/latest/meta-data/", "link-local"},
		{"http://[::1]:9000/cb", "loopback"},
		{"http://[::ffff:127.0.0.1]/cb", "loopback"},
		{"http://[fe80::1%25eth0]/cb", "link-local"},
		{"http://0.0.0.0:22/", "unspecified"},
		{"http://localhost:8080/cb", "loopback"},
		{"http://LOCALHOST./cb", "loopback"},
		{"http://api.localhost/cb", "loopback"},
		{"http://redis:6379/", "single-label"},
		{"http://metadata.google.internal/", "internal"},
		{"http://printer.local/", "internal"},
		{"http://nas.home.arpa/", "internal"},
		{"http://127.1/cb", "numeric"},
		{"http://2130706433/cb", "numeric"},
		{"http://0x7f000001/cb", "numeric"},
		{"https://shop.example.com/opay", ""},
		{"https://8.8.8.8/cb", ""},
		{"https://[2001:4860:4860::8888]/cb", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := notify.Guard{}.CheckURL(tt.url)
			var be *notify.BlockedError
			switch {
			case tt.reason == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.reason != "" && (!errors.As(err, &be) || be.Reason != tt.reason):
				t.Errorf("got %v, want a %s refusal", err, tt.reason)
			}
		})
	}

	allow, _ := notify.ParseTargets("127.0.0.1:8080,10.0.0.5:443,127.0.0.1:9000,[::1]:9000")
	g := notify.Guard{Allow: allow}
	for url, ok := range map[string]bool{
		"http://127.0.0.1:8080/cb":   true,
		"http://localhost:8080/cb":   false, // localhost may be ::1 too, which is not listed
		"http://localhost:9000/cb":   true,  // both of its addresses are
		"http://localhost:8081/cb":   false,
		"http://127.0.0.1/cb":        false, // port 80
		"https://10.0.0.5/cb":        true,  // port 443 by the scheme
		"http://10.0.0.5/cb":         false,
		"http://receiver.internal/":  true, // resolved and judged at delivery
		"http://169.254.169.254/foo": false,
	} {
		if err := g.CheckURL(url); (err == nil) != ok {
			t.Errorf("allow-list: %s: %v, want allowed %v", url, err, ok)
		}
	}
	if err := (notify.Guard{AllowPrivate: true}).CheckURL("http://localhost/"); err != nil {
		t.Errorf("AllowPrivate: %v", err)
	}
}

// With AllowPrivate off, an allow-listed address and port is delivered to; the same host on
// another port is refused without a connection.
func TestDelivery_AllowTargets(t *testing.T) {
	ln, url := listen(t)
	other, otherURL := listen(t)
	f := newFixture(t, sqlstoretest.Backends[0], url)
	rc := newReceiver(t, func() string { return f.m.PrivateKey })
	serve(t, ln, rc)
	stray := newReceiver(t, func() string { return f.m.PrivateKey })
	serve(t, other, stray)
	listed := f.valu(t, "listed", 60000, url+"/cb")
	unlisted := f.valu(t, "unlisted", 60000, otherURL+"/cb")

	cfg := notify.DefaultConfig()
	port := ln.Addr().(*net.TCPAddr).Port
	var err error
	if cfg.AllowTargets, err = notify.ParseTargets("127.0.0.1:" + strconv.Itoa(port)); err != nil {
		t.Fatal(err)
	}
	f.deliverDue(t, f.worker(cfg))
	if _, good, _, _, _ := rc.snapshot(); len(good) != 1 {
		t.Errorf("allow-listed receiver got %d callbacks, want 1", len(good))
	}
	if requests, _, _, _, _ := stray.snapshot(); requests != 0 {
		t.Errorf("a target off the allow-list was reached %d times", requests)
	}
	if c := f.callbacks(t, listed.OrderNo)[0]; c.Attempts != 1 || c.History[0].Error != "" {
		t.Errorf("listed: %s %v", c.State, summarize(c.History))
	}
	if c := f.callbacks(t, unlisted.OrderNo)[0]; len(c.History) != 1 || !strings.Contains(c.History[0].Error, "loopback address") {
		t.Errorf("unlisted: %s %v", c.State, summarize(c.History))
	}
}
