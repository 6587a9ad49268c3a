package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/opaygate/opaygate"
)

const productUsage = `Usage: opaygate product <add|list> [flags]

Manages a merchant's product catalog, which invoices refer to by
merchantProductNo (createSingleInvoice's productList).

Examples:

	opaygate product add --merchant 256612345678901 --merchant-product-no SKU-1 --name "T-shirt" --price 25000
	opaygate product list --merchant 256612345678901
`

const productAddUsage = `Usage: opaygate product add [flags]

Adds a product to a merchant's catalog. The price is in minor units
(25000 = 250.00 EGP). The gateway assigns the productNo and prints it.

Example:

	opaygate product add --merchant 256612345678901 --merchant-product-no SKU-1 --name "T-shirt" --price 25000 --currency EGP
`

const productListUsage = `Usage: opaygate product list [flags]

Lists a merchant's products.

Example:

	opaygate product list --merchant 256612345678901
`

func (c *CLI) product(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.Stderr, productUsage)
		return usageErrorf("product: missing subcommand (add or list)")
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "add":
		return c.productAdd(ctx, rest)
	case "list":
		return c.productList(ctx, rest)
	case "-h", "-help", "--help", "help":
		return c.groupHelp(ctx, productUsage, "product", []string{"add", "list"}, (*CLI).product)
	default:
		return usageErrorf("product: unknown subcommand %q (add or list)", sub)
	}
}

func (c *CLI) productAdd(ctx context.Context, args []string) error {
	fs := c.newFlagSet("product add", productAddUsage)
	dsn := dbFromEnv(c.Getenv)
	registerDBFlag(fs, &dsn)
	merchant := fs.String("merchant", "", "merchant `id` (required)")
	p := &opaygate.Product{}
	fs.StringVar(&p.MerchantProductNo, "merchant-product-no", "", "the merchant's own product `number` (required)")
	fs.StringVar(&p.Name, "name", "", "product `name` (required)")
	fs.Int64Var(&p.Price, "price", 0, "price in minor `units` (required, > 0)")
	fs.StringVar(&p.Currency, "currency", "EGP", "`currency` of the price (EGP or NGN)")
	fs.StringVar(&p.Description, "description", "", "product `description`")
	fs.StringVar(&p.Image, "image", "", "product image `URL`")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}
	p.MerchantID = *merchant
	p.Name = strings.TrimSpace(p.Name)
	p.Currency = strings.ToUpper(p.Currency)
	switch {
	case p.MerchantID == "":
		return usageErrorf("product add: --merchant is required")
	case p.MerchantProductNo == "":
		return usageErrorf("product add: --merchant-product-no is required")
	case p.Name == "":
		return usageErrorf("product add: --name is required")
	case p.Price <= 0 || p.Price > opaygate.MaxAmount:
		return usageErrorf("product add: --price must be a positive number of minor units")
	case !opaygate.KnownCurrency(p.Currency):
		return usageErrorf("product add: unknown --currency %q", p.Currency)
	}

	db, svcs, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := svcs.Merchants.FindMerchant(ctx, p.MerchantID); err != nil {
		if opaygate.ErrorCode(err) == opaygate.ENOTFOUND {
			return fmt.Errorf("product add: no merchant %s", p.MerchantID)
		}
		return fmt.Errorf("product add: %w", err)
	}
	if err := svcs.Products.CreateProduct(ctx, p); err != nil {
		if opaygate.ErrorCode(err) == opaygate.EDUPLICATE {
			return fmt.Errorf("product add: merchant %s already has product %s", p.MerchantID, p.MerchantProductNo)
		}
		return fmt.Errorf("product add: %s", describeErr(err))
	}
	fmt.Fprintf(c.Stdout, "added product %s (merchantProductNo %s) for merchant %s: %s, %d %s\n",
		p.ProductNo, p.MerchantProductNo, p.MerchantID, p.Name, p.Price, p.Currency)
	return nil
}

func (c *CLI) productList(ctx context.Context, args []string) error {
	fs := c.newFlagSet("product list", productListUsage)
	dsn := dbFromEnv(c.Getenv)
	registerDBFlag(fs, &dsn)
	merchant := fs.String("merchant", "", "merchant `id` (required)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}
	if *merchant == "" {
		return usageErrorf("product list: --merchant is required")
	}
	db, svcs, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	products, err := svcs.Products.ListProducts(ctx, *merchant)
	if err != nil {
		return fmt.Errorf("product list: %w", err)
	}
	if len(products) == 0 {
		fmt.Fprintf(c.Stderr, "merchant %s has no products; add one with 'opaygate product add'\n", *merchant)
		return nil
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PRODUCT NO\tMERCHANT PRODUCT NO\tNAME\tPRICE\tCURRENCY\tIMAGE")
	for _, p := range products {
		image := p.Image
		if image == "" {
			image = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", p.ProductNo, p.MerchantProductNo, p.Name, p.Price, p.Currency, image)
	}
	return tw.Flush()
}

// describeErr shows a domain error's message (safe, written for people) and
// keeps anything else as it is, for the operator at the terminal.
func describeErr(err error) string {
	if code := opaygate.ErrorCode(err); code != opaygate.EINTERNAL {
		return opaygate.ErrorMessage(err)
	}
	return err.Error()
}
