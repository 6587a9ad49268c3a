package notify_test

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/notify"
	"github.com/opaygate/opaygate/sqlstore/sqlstoretest"
)

func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr   string
		reason string // "" = allowed
	}{
		{"127.0.0.1", "loopback"},
		{"127.1.2.3", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"192.168.1.1", "private"},
		{"::ffff:192.168.1.1", "private"},
		{"fd00::1", "private"},
		{"100.64.0.1", "private"},
		{"169.254.169.254", "link-local"}, // cloud metadata
		{"fe80::1", "link-local"},
		{"224.0.0.1", "link-local"}, // link-local multicast
		{"239.1.2.3", "multicast"},
		{"255.255.255.255", "reserved"},
		{"64:ff9b::a00:1", "translated"},
		{"8.8.8.8", ""},
		{"197.48.1.1", ""},
		{"2001:4860:4860::8888", ""},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := notify.CheckAddr(netip.MustParseAddr(tt.addr))
			var be *notify.BlockedError
			switch {
			case tt.reason == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.reason != "" && (!errors.As(err, &be) || be.Reason != tt.reason):
				t.Errorf("got %v, want a %s refusal", err, tt.reason)
			}
		})
	}
}

// In live mode a callback never reaches an internal address, whether the
// target names it literally or through a host name; nothing is sent.
func TestDelivery_LiveRefusesInternalTargets(t *testing.T) {
	ln, url := listen(t)
	port := ln.Addr().(*net.TCPAddr).Port
	f := newFixture(t, sqlstoretest.Backends[0], url)
	rc := newReceiver(t, func() string { return f.m.PrivateKey })
	serve(t, ln, rc)
	o1 := f.valu(t, "literal", 60000, url+"/cb")
	o2 := f.valu(t, "by-name", 60000, "http://localhost:"+strconv.Itoa(port)+"/cb")
	live := notify.DefaultConfig() // AllowPrivate off
	f.deliverDue(t, f.worker(live))
	if requests, _, _, _, _ := rc.snapshot(); requests != 0 {
		t.Fatalf("live mode reached the loopback receiver %d times", requests)
	}
	for _, tc := range []struct {
		o    *opaygate.Order
		want string
	}{
		{o1, "target 127.0.0.1 is a loopback address"},
		{o2, "target localhost resolves to"},
	} {
		c := f.callbacks(t, tc.o.OrderNo)[0]
		if len(c.History) != 1 || !strings.Contains(c.History[0].Error, tc.want) || c.State != opaygate.CallbackPending {
			t.Errorf("%s: %s %v", tc.o.Reference, c.State, summarize(c.History))
		}
	}
	// The sandbox allows them.
	f.clock.Advance(15 * time.Second)
	f.deliverDue(t, f.worker(localConfig()))
	if _, good, _, _, _ := rc.snapshot(); len(good) != 2 {
		t.Fatalf("sandbox delivered %d of 2", len(good))
	}
}
