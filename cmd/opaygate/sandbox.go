package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/simulator"
	"github.com/opaygate/opaygate/sqlstore"
)

// sandboxOTP is accepted for every order in sandbox mode (spec section 5).
const sandboxOTP = "123456"

// sandboxControl is what the /_sandbox/ control API drives: the simulated
// network's OTPs, the movable clock, and a reset that empties the database
// and loads the demo data again.
type sandboxControl struct {
	db      *sqlstore.DB
	svcs    *sqlstore.Services
	network *simulator.Network
	clock   *opaygate.OffsetClock
}

func (s *sandboxControl) LastOTP(orderNo string) (string, bool) { return s.network.LastOTP(orderNo) }

func (s *sandboxControl) Advance(d time.Duration) { s.clock.Advance(d) }

// Reset deletes every row and seeds the demo merchants again; their public
// keys are new after a reset. The clock keeps its offset, since moving time
// backwards would reopen orders that already expired.
func (s *sandboxControl) Reset(ctx context.Context) error {
	if err := s.db.Reset(ctx); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	s.network.Reset()
	if _, err := simulator.Seed(ctx, s.svcs.Merchants, s.svcs.Products); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	return nil
}

// errNoNetwork is what live mode answers for anything that needs the payment
// network: no real connector exists yet, and the simulator's sandbox rules
// (amount triggers, unlimited credit) must never decide a live payment.
var errNoNetwork = errors.New("no payment network connector is configured in live mode")

// noNetwork is the live mode's payment network until a real connector
// replaces it: every call fails, so such payments answer 50003 instead of
// being approved by a simulator.
type noNetwork struct{}

func (noNetwork) CreditLimit(context.Context, string) (int64, error) { return 0, errNoNetwork }

func (noNetwork) SendOTP(context.Context, *opaygate.Order, string) error { return errNoNetwork }

func (noNetwork) Authorize(context.Context, *opaygate.Order) (opaygate.Decision, error) {
	return opaygate.Decision{}, errNoNetwork
}
