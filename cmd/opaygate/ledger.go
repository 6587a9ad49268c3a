package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/opaygate/opaygate"
)

const balanceUsage = `Usage: opaygate balance [flags] [MERCHANT_ID]

Prints merchants' balances (METHODS.md §10.4): per currency, the
UNSETTLED_ACCOUNT (payments not settled yet) and the CASH_ACCOUNT (what
payouts are paid from; refunds are taken from it and may make it negative).
These are the numbers payout/balance and the dashboard show. Without an id,
every merchant's. With --entries N, the merchant's N latest ledger entries.

Examples:

	opaygate balance
	opaygate balance --entries 20 256612345678901
`

func (c *CLI) balance(ctx context.Context, args []string) error {
	fs := c.newFlagSet("balance", balanceUsage)
	dsn := dbFromEnv(c.Getenv)
	registerDBFlag(fs, &dsn)
	entries := fs.Int("entries", 0, "also list the merchant's `N` latest ledger entries (needs MERCHANT_ID)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 1:
		return usageErrorf("balance: want at most one MERCHANT_ID")
	case *entries < 0 || *entries > 10000:
		return usageErrorf("balance: --entries must be between 0 and 10000")
	case *entries > 0 && len(rest) == 0:
		return usageErrorf("balance: --entries needs a MERCHANT_ID")
	}
	db, svcs, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var ids []string
	if len(rest) == 1 {
		if _, err := svcs.Merchants.FindMerchant(ctx, rest[0]); opaygate.ErrorCode(err) == opaygate.ENOTFOUND {
			return fmt.Errorf("balance: no merchant %s", rest[0])
		} else if err != nil {
			return fmt.Errorf("balance: %w", err)
		}
		ids = rest
	} else {
		merchants, err := svcs.Merchants.ListMerchants(ctx)
		if err != nil {
			return fmt.Errorf("balance: %w", err)
		}
		for _, m := range merchants {
			ids = append(ids, m.ID)
		}
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "MERCHANT\tCURRENCY\tUNSETTLED_ACCOUNT\tCASH_ACCOUNT\t")
	for _, id := range ids {
		list, err := svcs.Ledger.Balances(ctx, id)
		if err != nil {
			return fmt.Errorf("balance of %s: %w", id, err)
		}
		for _, b := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", id, b.Currency,
				opaygate.FormatAmount(b.Unsettled, b.Currency), opaygate.FormatAmount(b.Cash, b.Currency))
		}
	}
	if err := tw.Flush(); err != nil || *entries == 0 {
		return err
	}
	list, err := svcs.Ledger.Entries(ctx, ids[0], "", *entries)
	if err != nil {
		return fmt.Errorf("balance: entries: %w", err)
	}
	fmt.Fprintln(c.Stdout)
	tw = tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tKIND\tREF\tACCOUNT\tAMOUNT")
	for _, e := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.CreatedAt.UTC().Format("2006-01-02 15:04:05"), e.Kind, e.Ref,
			e.Account, opaygate.FormatAmount(e.Delta, e.Currency))
	}
	return tw.Flush()
}

const ledgerUsage = `Usage: opaygate ledger verify [flags]

Checks the merchants' balances against the ledger (METHODS.md §10.4), in one
snapshot of the database, while gateways keep running:

  - every stored balance equals the sum of the entries folded into it;
  - every SUCCESS order has its payment entry, every refund, completed void
    and payout its own, with the record's amount, and no entry lacks its
    record;
  - every settlement moves out of UNSETTLED_ACCOUNT what it moves into
    CASH_ACCOUNT, and what its payment paid.

It prints what it checked and every difference, and exits 1 when it found one.

Example:

	opaygate ledger verify --db postgres://gateway@db/opaygate
`

func (c *CLI) ledger(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(c.Stdout, ledgerUsage)
			return nil
		}
		return usageErrorf("ledger: the one subcommand is verify (opaygate ledger verify [--db DB])")
	}
	fs := c.newFlagSet("ledger verify", ledgerUsage)
	dsn := dbFromEnv(c.Getenv)
	registerDBFlag(fs, &dsn)
	rest, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}
	db, svcs, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := svcs.Ledger.Verify(ctx)
	if err != nil {
		return fmt.Errorf("ledger verify: %w", err)
	}
	fmt.Fprintf(c.Stdout, "checked %d accounts (%d entries) and %d payments, settlements, refunds, voids and payouts\n",
		r.Accounts, r.Entries, r.Records)
	if len(r.Differences) == 0 {
		fmt.Fprintln(c.Stdout, "ledger OK: every balance is the sum of its entries and every record has its entries")
		return nil
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MERCHANT\tCURRENCY\tACCOUNT\tPROBLEM")
	for _, d := range r.Differences {
		account := string(d.Account)
		if account == "" {
			account = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.MerchantID, d.Currency, account, d.Problem)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return fmt.Errorf("ledger verify: %d difference(s) found", len(r.Differences))
}
