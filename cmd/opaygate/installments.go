package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/method"
)

const merchantInstallmentsUsage = `Usage: opaygate merchant installments [flags] MERCHANT_ID

Shows or sets a merchant's bank installment catalogue: the banks and plans
that getBankInstallment lists and BankInstallment payments and the checkout
choose from (METHODS.md §8.5). Without a catalogue of its own a merchant has
the gateway's (CIB, NBE, QNB). Without --file or --default it prints the
catalogue in effect, in the file's format:

	[{"bankCode": "CIB", "bankName": "Commercial International Bank",
	  "plans": [{"months": 6, "feeRate": "0", "minAmount": 50000, "maxAmount": 50000000}]}]

Amounts are minor units (50000 is 500.00 EGP); feeRate is a percent with at
most two decimals. A running gateway sees the change within two seconds (its
merchant cache).

Examples:

	opaygate merchant installments 256612345678901
	opaygate merchant installments --file plans.json 256612345678901
	opaygate merchant installments --default 256612345678901
`

func (c *CLI) merchantInstallments(ctx context.Context, args []string) error {
	fs := c.newFlagSet("merchant installments", merchantInstallmentsUsage)
	dsn := dbFromEnv(c.Getenv)
	registerDBFlag(fs, &dsn)
	file := fs.String("file", "", "set the catalogue from a JSON `file` (- reads standard input)")
	reset := fs.Bool("default", false, "give the merchant the gateway's catalogue again")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageErrorf("merchant installments: want exactly one MERCHANT_ID")
	}
	if *file != "" && *reset {
		return usageErrorf("merchant installments: give --file or --default, not both")
	}
	var upd opaygate.MerchantUpdate
	switch {
	case *reset:
		var none []opaygate.InstallmentBank
		upd.InstallmentBanks = &none
	case *file != "":
		banks, err := c.readCatalogue(*file)
		if err != nil {
			return err
		}
		upd.InstallmentBanks = &banks
	}
	db, svcs, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var m *opaygate.Merchant
	if upd.InstallmentBanks != nil {
		m, err = svcs.Merchants.UpdateMerchant(ctx, rest[0], upd)
	} else {
		m, err = svcs.Merchants.FindMerchant(ctx, rest[0])
	}
	switch {
	case opaygate.ErrorCode(err) == opaygate.ENOTFOUND:
		return fmt.Errorf("merchant installments: no merchant %s", rest[0])
	case opaygate.ErrorCode(err) == opaygate.EINVALID:
		return fmt.Errorf("merchant installments: %s: %s", *file, opaygate.ErrorMessage(err))
	case err != nil:
		return fmt.Errorf("merchant installments: %w", err)
	}
	banks, whose := m.InstallmentBanks, "its own"
	if banks == nil {
		banks, whose = method.DefaultInstallmentBanks(), "the gateway's"
	}
	if upd.InstallmentBanks != nil {
		fmt.Fprintf(c.Stderr, "merchant %s now has %s installment catalogue\n", m.ID, whose)
	} else {
		fmt.Fprintf(c.Stderr, "merchant %s has %s installment catalogue\n", m.ID, whose)
	}
	out, err := json.MarshalIndent(banks, "", "  ")
	if err != nil {
		return fmt.Errorf("merchant installments: %w", err)
	}
	fmt.Fprintf(c.Stdout, "%s\n", out)
	return nil
}

// readCatalogue reads a catalogue file strictly: an unknown member is a mistake to report,
// not to ignore.
func (c *CLI) readCatalogue(name string) ([]opaygate.InstallmentBank, error) {
	var r io.Reader = c.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("merchant installments: %w", err)
		}
		defer f.Close()
		r = f
	}
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	dec.DisallowUnknownFields()
	var banks []opaygate.InstallmentBank
	if err := dec.Decode(&banks); err != nil {
		return nil, fmt.Errorf("merchant installments: %s is not a catalogue (a JSON array of banks): %w", name, err)
	}
	if err := dec.Decode(new(json.RawMessage)); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("merchant installments: %s has more after the catalogue's array", name)
	}
	if banks == nil {
		banks = []opaygate.InstallmentBank{} // null is no catalogue, not the gateway's: refused below
	}
	return banks, nil
}
