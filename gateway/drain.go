package gateway

import (
	"context"
	"log/slog"
	"time"

	"github.com/opaygate/opaygate"
)

// The background work that moves state nobody is asking about: expired
// orders, authorizations left in flight, the sandbox's due refunds, and
// remembered signatures whose window passed. Each
// step claims its rows with FOR UPDATE SKIP LOCKED on PostgreSQL, so every
// node may run it.

// SweepBatch is how many orders one step of the sweeper handles.
const SweepBatch = 500

// RefundBatch is how many due refunds one step of the refund completer moves.
const RefundBatch = 500

// Sweep closes expired orders for good, and finishes authorizations left in
// flight, every interval until ctx ends, so their final state (and their
// callbacks) does not wait for someone to read them.
func (g *Gateway) Sweep(ctx context.Context, interval time.Duration) {
	DrainEvery(ctx, g.cfg.Logger, interval, SweepBatch, g.Services.Orders.ExpireOrders,
		"closed expired orders", "expire orders")
}

// AutoPay is the sandbox's --sandbox-autopay: every interval until ctx ends it does the
// customer's step of the orders that have waited outside the API (a QR scan, a wallet
// approval, a USSD dial) for after, for clients that only poll. The acquirer then decides as
// for every payment.
func (g *Gateway) AutoPay(ctx context.Context, interval, after time.Duration) {
	DrainEvery(ctx, g.cfg.Logger, interval, SweepBatch, func(ctx context.Context, limit int) (int, error) {
		return g.autoPay(ctx, after, limit)
	}, "paid orders waiting outside the API (sandbox autopay)", "sandbox autopay")
}

// autoPay pays up to limit orders that have waited outside the API for after.
func (g *Gateway) autoPay(ctx context.Context, after time.Duration, limit int) (int, error) {
	due, err := g.Services.Orders.WaitingOutside(ctx, g.Clock.Now().Add(-after), limit)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range due {
		_, err := g.Services.Orders.ReportExternal(ctx, o.MerchantID, opaygate.OrderKey{ID: o.ID}, opaygate.Decision{Approved: true})
		switch opaygate.ErrorCode(err) {
		case "":
			n++
		case opaygate.EORDERSTATE:
			// Closed, expired or paid by someone else meanwhile: nothing left to do.
		default:
			return n, err
		}
	}
	return n, nil
}

// CompleteRefunds is the sandbox's refund processor: every interval until ctx
// ends it moves refunds whose delay has passed to SUCCESS, each with its
// callback. Live refunds are not due, so there it finds nothing.
func (g *Gateway) CompleteRefunds(ctx context.Context, interval time.Duration) {
	DrainEvery(ctx, g.cfg.Logger, interval, RefundBatch, g.Services.Refunds.CompleteRefunds,
		"completed sandbox refunds", "complete refunds")
}

// LedgerBatch is how many entries one step of Ledger settles or folds.
const LedgerBatch = 1000

// LedgerInterval is how often a node settles due payments and folds ledger entries into the
// stored balances. Folding keeps balance reads short; a balance reads the same folded or not.
const LedgerInterval = time.Second

// Ledger keeps the merchants' balances current every interval until ctx ends: it moves the
// payments whose settlement delay has passed from unsettled to cash, then folds new ledger
// entries into the stored balances. Settlements are logged; folding, which is bookkeeping, is
// not.
func (g *Gateway) Ledger(ctx context.Context, interval time.Duration) {
	every(ctx, interval, func() {
		drain(ctx, g.cfg.Logger, LedgerBatch, g.Services.Ledger.Settle, "settled payments", "settle payments")
		drain(ctx, g.cfg.Logger, LedgerBatch, g.Services.Ledger.Fold, "", "fold ledger entries")
	})
}

// CompletePayouts is the sandbox's payout network: every interval until ctx ends it finishes
// the payouts whose delay has passed, each with its notification. Live payouts are not due,
// so there it finds nothing.
func (g *Gateway) CompletePayouts(ctx context.Context, interval time.Duration) {
	DrainEvery(ctx, g.cfg.Logger, interval, RefundBatch, g.Services.Payouts.CompletePayouts,
		"finished sandbox payouts", "finish payouts")
}

// ForgetBatch is how many expired signatures one step of ForgetSignatures deletes.
const ForgetBatch = 1000

// ForgetInterval is how often a node deletes expired signatures. A signature is remembered
// for about six minutes; deleting it half a minute late costs a row, while deleting every
// second would cost a write transaction a second on an idle node.
const ForgetInterval = 30 * time.Second

// ForgetSignatures deletes the v2 signatures whose window has passed (see
// opaygate.ReplayGuard), every interval until ctx ends.
func (g *Gateway) ForgetSignatures(ctx context.Context, interval time.Duration) {
	DrainEvery(ctx, g.cfg.Logger, interval, ForgetBatch, g.Replay.ForgetExpired,
		"forgot expired request signatures", "forget request signatures")
}

// LogRequests writes the request log until ctx ends, then what is still queued. Stop the
// HTTP server first, so that the requests it answered last are written too. Without a request
// log it returns at once.
func (g *Gateway) LogRequests(ctx context.Context) {
	if g.RequestLog != nil {
		g.RequestLog.Run(ctx)
	}
}

// DrainEvery runs step every interval, and again at once while it fills its
// batch, so a backlog drains batch by batch rather than one batch per tick.
// It logs done with the count when step did something, failed with the error
// when it failed (but not because ctx ended).
func DrainEvery(ctx context.Context, logger *slog.Logger, interval time.Duration, batch int,
	step func(context.Context, int) (int, error), done, failed string) {
	every(ctx, interval, func() { drain(ctx, logger, batch, step, done, failed) })
}

// every runs fn every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fn()
	}
}

// drain runs step until it does not fill its batch; see DrainEvery. done "" logs nothing.
func drain(ctx context.Context, logger *slog.Logger, batch int,
	step func(context.Context, int) (int, error), done, failed string) {
	for ctx.Err() == nil {
		n, err := step(ctx, batch)
		if err != nil {
			if ctx.Err() == nil {
				logger.Warn(failed, "err", err)
			}
			return
		}
		if n > 0 && done != "" {
			logger.Info(done, "count", n)
		}
		if n < batch {
			return
		}
	}
}
