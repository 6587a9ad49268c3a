package notify

import (
	"context"
	"errors"
	"net"
	"testing"
)

// The dialer's Control hook refuses an internal address at connect time, so
// a DNS answer that changed after the check (rebinding) cannot get through.
func TestControlHookRefusesAtConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := &net.Dialer{Control: Guard{}.control}
	_, err = d.DialContext(context.Background(), "tcp", ln.Addr().String())
	var be *BlockedError
	if !errors.As(err, &be) || be.Reason != "loopback" {
		t.Fatalf("dial %s: %v", ln.Addr(), err)
	}
}
