package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/opaygate/opaygate"
)

const merchantUsage = `Usage: opaygate merchant <add|list|update|disable|enable|passwd|installments|payout-key> [flags]

Manages the merchants that may call the API. Keys are generated when not
given; a generated private key is printed once and never again.

Examples:

	opaygate merchant add --name "My Shop" --countries EG --functions cashier,valu,invoice
	opaygate merchant list
	opaygate merchant update 256612345678901 --webhook-url https://shop.example.com/opay
	opaygate merchant disable 256612345678901
	opaygate merchant enable 256612345678901
	opaygate merchant passwd --id 256612345678901
	opaygate merchant installments --file plans.json 256612345678901
	opaygate merchant payout-key set 256612345678901 --file payout.pub.pem
`

const merchantAddUsage = `Usage: opaygate merchant add [flags]

Adds a merchant. Without --private-key and --public-key it generates keys with
128 bits of randomness each and prints them once: store the private key
then, it is never shown again.

--callback-version v2 makes its callbacks MACQUIRING_CALLBACK bodies signed
in their headers (docs/CALLBACKS.md); the default is v1.

Example:

	opaygate merchant add --name "My Shop" --countries EG,NG --webhook-url https://shop.example.com/opay
`

const merchantListUsage = `Usage: opaygate merchant list [flags]

Lists every merchant with its public key (never its private key).

Example:

	opaygate merchant list --db ./opaygate.db
`

const merchantUpdateUsage = `Usage: opaygate merchant update [flags] MERCHANT_ID

Changes a merchant's settings; only the flags given change. The webhook URL
is where callbacks go for orders without a callbackUrl (docs/CALLBACKS.md);
an empty value removes it. The callback version applies to callbacks written
from now on: those already written keep theirs, retries included.

Examples:

	opaygate merchant update 256612345678901 --webhook-url https://shop.example.com/opay
	opaygate merchant update 256612345678901 --callback-version v2
`

const merchantStatusUsage = `Usage: opaygate merchant %[1]s [flags] MERCHANT_ID

%[2]s

Example:

	opaygate merchant %[1]s 256612345678901
`

func (c *CLI) merchant(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.Stderr, merchantUsage)
		return usageErrorf("merchant: missing subcommand (add, list, update, disable, enable, passwd, installments or payout-key)")
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "add":
		return c.merchantAdd(ctx, rest)
	case "list":
		return c.merchantList(ctx, rest)
	case "update":
		return c.merchantUpdate(ctx, rest)
	case "disable":
		return c.merchantSetStatus(ctx, rest, "disable", opaygate.MerchantDisabled)
	case "enable":
		return c.merchantSetStatus(ctx, rest, "enable", opaygate.MerchantActive)
	case "passwd":
		return c.merchantPasswd(ctx, rest)
	case "installments":
		return c.merchantInstallments(ctx, rest)
	case "payout-key":
		return c.merchantPayoutKey(ctx, rest)
	case "-h", "-help", "--help", "help":
		return c.groupHelp(ctx, merchantUsage, "merchant", []string{"add", "list", "update", "disable", "enable", "passwd", "installments"}, (*CLI).merchant)
	default:
		return usageErrorf("merchant: unknown subcommand %q (add, list, update, disable, enable, passwd, installments or payout-key)", sub)
	}
}

var merchantIDPattern = regexp.MustCompile(`^[0-9]{15}$`)

func (c *CLI) merchantAdd(ctx context.Context, args []string) error {
	fs := c.newFlagSet("merchant add", merchantAddUsage)
	dsn := dbFromEnv(c.Getenv)
	registerDBFlag(fs, &dsn)
	id := fs.String("id", "", "15-digit merchant `id` (default: random)")
	name := fs.String("name", "", "merchant `name` (required)")
	countries := fs.String("countries", strings.Join(opaygate.Countries(), ","), "comma-separated `countries` the merchant may use")
	functions := fs.String("functions", joinFunctions(opaygate.AllFunctions()), "comma-separated `functions` the merchant may use")
	private := fs.String("private-key", "", "private `key` (default: generated and printed once)")
	public := fs.String("public-key", "", "public `key` (default: generated)")
	webhook := fs.String("webhook-url", "", "default callback `URL` for orders without a callbackUrl")
	requireV2 := fs.Bool("require-v2", false, "accept only timestamped (v2) signatures from this merchant")
	callbackVersion := fs.String("callback-version", string(opaygate.CallbackV1), callbackVersionHelp)
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}

	m := &opaygate.Merchant{
		ID:         *id,
		Name:       strings.TrimSpace(*name),
		PrivateKey: *private,
		PublicKey:  *public,
		Status:     opaygate.MerchantActive,
		WebhookURL: *webhook,
		RequireV2:  *requireV2,

		CallbackVersion: opaygate.CallbackVersion(*callbackVersion),
	}
	if err := m.CallbackVersion.Check(); err != nil {
		return usageErrorf("merchant add: --callback-version %q is not v1 or v2", *callbackVersion)
	}
	if m.Name == "" {
		return usageErrorf("merchant add: --name is required")
	}
	if m.ID == "" {
		m.ID = opaygate.NewMerchantID()
	} else if !merchantIDPattern.MatchString(m.ID) {
		return usageErrorf("merchant add: --id %q must be 15 digits", m.ID)
	}
	for _, country := range splitList(*countries) {
		country = strings.ToUpper(country)
		if opaygate.CurrencyOf(country) == "" {
			return usageErrorf("merchant add: unknown country %q (supported: %s)", country, strings.Join(opaygate.Countries(), ", "))
		}
		m.Countries = append(m.Countries, country)
	}
	if len(m.Countries) == 0 {
		return usageErrorf("merchant add: --countries is empty")
	}
	for _, fn := range splitList(*functions) {
		f := opaygate.Function(strings.ToLower(fn))
		if !slices.Contains(opaygate.AllFunctions(), f) {
			return usageErrorf("merchant add: unknown function %q (supported: %s)", fn, joinFunctions(opaygate.AllFunctions()))
		}
		m.Functions = append(m.Functions, f)
	}
	if len(m.Functions) == 0 {
		return usageErrorf("merchant add: --functions is empty")
	}
	genPrivate, genPublic := opaygate.NewKeyPair()
	generated := m.PrivateKey == ""
	if generated {
		m.PrivateKey = genPrivate
	}
	if m.PublicKey == "" {
		m.PublicKey = genPublic
	}
	if m.PrivateKey == m.PublicKey {
		return usageErrorf("merchant add: the private and public keys must differ")
	}

	db, svcs, err := c.createStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := svcs.Merchants.CreateMerchant(ctx, m); err != nil {
		if opaygate.ErrorCode(err) == opaygate.EDUPLICATE {
			return fmt.Errorf("merchant add: merchant %s already exists", m.ID)
		}
		return fmt.Errorf("merchant add: %w", err)
	}

	w := c.Stdout
	fmt.Fprintf(w, "added merchant %s (%s)\n", m.ID, m.Name)
	fmt.Fprintf(w, "  countries:   %s\n", strings.Join(m.Countries, ","))
	fmt.Fprintf(w, "  functions:   %s\n", joinFunctions(m.Functions))
	fmt.Fprintf(w, "  callbacks:   %s\n", m.CallbackVersion)
	fmt.Fprintf(w, "  public key:  %s\n", m.PublicKey)
	if generated {
		fmt.Fprintf(w, "  private key: %s\n", m.PrivateKey)
		fmt.Fprintf(c.Stderr, "WARNING: store the private key now; it will not be shown again.\n")
	}
	return nil
}

func (c *CLI) merchantList(ctx context.Context, args []string) error {
	fs := c.newFlagSet("merchant list", merchantListUsage)
	dsn := dbFromEnv(c.Getenv)
	registerDBFlag(fs, &dsn)
	rest, err := parse(fs, args)
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
	merchants, err := svcs.Merchants.ListMerchants(ctx)
	if err != nil {
		return fmt.Errorf("merchant list: %w", err)
	}
	if len(merchants) == 0 {
		fmt.Fprintln(c.Stderr, "no merchants; add one with 'opaygate merchant add'")
		return nil
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tCOUNTRIES\tFUNCTIONS\tV2 ONLY\tCALLBACKS\tWEBHOOK\tPUBLIC KEY")
	for _, m := range merchants {
		webhook := m.WebhookURL
		if webhook == "" {
			webhook = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Name, m.Status,
			strings.Join(m.Countries, ","), joinFunctions(m.Functions), yesNo(m.RequireV2), m.CallbackVersion.OrDefault(),
			webhook, m.PublicKey)
	}
	return tw.Flush()
}

func (c *CLI) merchantSetStatus(ctx context.Context, args []string, verb string, status opaygate.MerchantStatus) error {
	what := "Disables a merchant: its requests answer 02007 \"merchant not available.\" until it is enabled again."
	if status == opaygate.MerchantActive {
		what = "Enables a merchant that was disabled."
	}
	fs := c.newFlagSet("merchant "+verb, fmt.Sprintf(merchantStatusUsage, verb, what))
	dsn := dbFromEnv(c.Getenv)
	registerDBFlag(fs, &dsn)
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageErrorf("merchant %s: want exactly one MERCHANT_ID", verb)
	}
	db, svcs, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := svcs.Merchants.UpdateMerchant(ctx, rest[0], opaygate.MerchantUpdate{Status: &status})
	if err != nil {
		if opaygate.ErrorCode(err) == opaygate.ENOTFOUND {
			return fmt.Errorf("merchant %s: no merchant %s", verb, rest[0])
		}
		return fmt.Errorf("merchant %s: %w", verb, err)
	}
	fmt.Fprintf(c.Stdout, "merchant %s is %s\n", m.ID, m.Status)
	return nil
}

func (c *CLI) merchantUpdate(ctx context.Context, args []string) error {
	fs := c.newFlagSet("merchant update", merchantUpdateUsage)
	dsn := dbFromEnv(c.Getenv)
	registerDBFlag(fs, &dsn)
	webhook := fs.String("webhook-url", "", "default callback `URL` for orders without a callbackUrl; empty removes it")
	callbackVersion := fs.String("callback-version", "", callbackVersionHelp)
	payoutFee := fs.Int64("payout-fee", 0, "the fee taken from the cash with every payout, in `minor units` (default 0)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageErrorf("merchant update: want exactly one MERCHANT_ID")
	}
	var upd opaygate.MerchantUpdate
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "webhook-url":
			upd.WebhookURL = webhook
		case "callback-version":
			v := opaygate.CallbackVersion(*callbackVersion)
			upd.CallbackVersion = &v
		case "payout-fee":
			upd.PayoutFee = payoutFee
		}
	})
	if upd.WebhookURL == nil && upd.CallbackVersion == nil && upd.PayoutFee == nil {
		return usageErrorf("merchant update: nothing to change (give --webhook-url, --callback-version or --payout-fee)")
	}
	if upd.PayoutFee != nil && *upd.PayoutFee < 0 {
		return usageErrorf("merchant update: --payout-fee %d must not be negative", *upd.PayoutFee)
	}
	if upd.WebhookURL != nil && *upd.WebhookURL != "" {
		w := *upd.WebhookURL
		if u, err := url.Parse(w); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageErrorf("merchant update: --webhook-url %q is not an http(s) URL", w)
		}
	}
	if upd.CallbackVersion != nil && upd.CallbackVersion.Check() != nil {
		return usageErrorf("merchant update: --callback-version %q is not v1 or v2", *callbackVersion)
	}
	db, svcs, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := svcs.Merchants.UpdateMerchant(ctx, rest[0], upd)
	if err != nil {
		if opaygate.ErrorCode(err) == opaygate.ENOTFOUND {
			return fmt.Errorf("merchant update: no merchant %s", rest[0])
		}
		return fmt.Errorf("merchant update: %w", err)
	}
	webhookNow := m.WebhookURL
	if webhookNow == "" {
		webhookNow = "none"
	}
	fmt.Fprintf(c.Stdout, "merchant %s updated; webhook: %s; callbacks: %s; payout fee: %d\n", m.ID, webhookNow,
		m.CallbackVersion.OrDefault(), m.PayoutFee)
	return nil
}

// callbackVersionHelp describes --callback-version of merchant add and update.
const callbackVersionHelp = "callback `version`: v1 (transaction-status, signed in the body) or v2 " +
	"(MACQUIRING_CALLBACK, signed in the headers); applies to callbacks written from now on"

func joinFunctions(fns []opaygate.Function) string {
	s := make([]string, len(fns))
	for i, f := range fns {
		s[i] = string(f)
	}
	return strings.Join(s, ",")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
