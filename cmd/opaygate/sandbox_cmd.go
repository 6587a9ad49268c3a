package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/opaygate/opaygate/opay"
)

const sandboxUsage = `Usage: opaygate sandbox <action> ORDERNO [flags]

Plays an order's customer on a running sandbox, through its /_sandbox/orders/
routes (docs/sandbox.md, "Play the customer"): no signature, no browser.
Prints the answer — the order as cashier/status shows it, with its payMethod
and nextAction — and exits 1 when its code is not 00000.

Actions:

	pay      complete the payment from wherever it is: choose --method (an
	         order whose customer has not chosen), then every step the
	         customer does (plan, PIN, OTP on the checkout, 3-D Secure, the
	         QR scan, wallet approval, USSD, code or transfer), with sandbox
	         defaults; --fail CODE ends it FAIL with that code instead
	scan     the same as pay (scanning the QR code and approving)
	decline  pay --fail CODE, 05 by default
	start    choose --method and stop at its first step
	plan     choose the ValU plan (--months, default the first offered)
	pin      enter the card's PIN (--pin, default 1234)
	otp      enter the OTP (--otp, default the one the sandbox sent)
	3ds      confirm on the 3-D Secure page
	cancel   press cancel on the checkout or the 3-D Secure page
	abandon  walk away: the sandbox clock moves to the order's expiry
	expire   close it as expired now, without moving the clock

The gateway is --base-url, else $OPAY_BASE_URL, else ` + defaultCallBaseURL + `.
A sandbox reachable from the network wants its token: set
OPAYGATE_SANDBOX_TOKEN (better than --sandbox-token, which ps shows).

Examples:

	opaygate sandbox pay 261128000000000001
	opaygate sandbox pay 261128000000000001 --fail 51
	opaygate sandbox pay 261128000000000001 --method VALU --months 6
	opaygate sandbox pay 261128000000000001 --method MWALLET --field walletAccount=01000000057
	opaygate sandbox pay --transfer-account 4821093756 --amount 1000
	opaygate sandbox plan 261128000000000001 --months 6
	opaygate sandbox otp 261128000000000001
	opaygate sandbox abandon 261128000000000001
`

// sandboxActions are the actions and their routes under /_sandbox/orders/.
var sandboxActions = map[string]string{
	"pay": "pay", "scan": "pay", "decline": "decline", "start": "start", "plan": "plan", "pin": "pin",
	"otp": "otp", "3ds": "3ds", "cancel": "cancel", "abandon": "abandon", "expire": "expire",
}

// fieldsFlag collects repeated --field name=value.
type fieldsFlag map[string]string

func (f fieldsFlag) String() string { return "" }

func (f fieldsFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return errors.New("want name=value")
	}
	f[name] = value
	return nil
}

func (c *CLI) sandboxCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.Stderr, sandboxUsage)
		return usageErrorf("sandbox: which action? (pay, decline, start, plan, pin, otp, 3ds, cancel, abandon, expire)")
	}
	action := args[0]
	if action == "-h" || action == "-help" || action == "--help" || action == "help" {
		fmt.Fprint(c.Stdout, sandboxUsage)
		return flag.ErrHelp
	}
	route, ok := sandboxActions[action]
	if !ok {
		return usageErrorf("sandbox: unknown action %q (run 'opaygate sandbox -h' for the list)", action)
	}
	fs := c.newFlagSet("sandbox "+action, sandboxUsage)
	fail := fs.String("fail", "", "end the payment FAIL with this `code` (05, 13, 51, 54, 57, 62)")
	payMethod := fs.String("method", "", "the `payMethod` the customer chooses, for an order still INITIAL")
	months := fs.Int("months", 0, "the plan's `months` (ValU, BankInstallment)")
	otp := fs.String("otp", "", "the `OTP` to enter (default: the one the sandbox sent)")
	pin := fs.String("pin", "", "the `PIN` to enter (default: 1234)")
	amount := fs.Int64("amount", 0, "BankTransfer: the `amount` that arrived, in minor units")
	referenceCode := fs.String("reference-code", "", "find the order by its reference `code` instead of ORDERNO")
	transferAccount := fs.String("transfer-account", "", "find the order by its transfer `account` number instead of ORDERNO")
	fields := fieldsFlag{}
	fs.Var(fields, "field", "a `name=value` of the method's customer details (cardNumber, walletAccount, mobile, …); repeatable")
	baseURL := fs.String("base-url", "", "the gateway's base `URL` (default $OPAY_BASE_URL, else "+defaultCallBaseURL+")")
	token := fs.String("sandbox-token", "", "the sandbox's `token`, when it requires one (default $OPAYGATE_SANDBOX_TOKEN)")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this `duration`")
	rest, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	body := map[string]any{}
	for k, v := range fields {
		body[k] = v
	}
	switch {
	case len(rest) > 1:
		return usageErrorf("sandbox %s: unexpected argument %q", action, rest[1])
	case len(rest) == 1:
		body["orderNo"] = rest[0]
	case *referenceCode != "":
		body["referenceCode"] = *referenceCode
	case *transferAccount != "":
		body["transferAccountNumber"] = *transferAccount
	default:
		return usageErrorf("sandbox %s: which order? give its ORDERNO (or --reference-code, --transfer-account)", action)
	}
	for k, v := range map[string]string{"failureCode": *fail, "payMethod": *payMethod, "otp": *otp, "pin": *pin} {
		if v != "" {
			body[k] = v
		}
	}
	if *months != 0 {
		body["months"] = *months
	}
	if *amount != 0 {
		body["amount"] = *amount
	}
	base := *baseURL
	if base == "" {
		base = c.Getenv("OPAY_BASE_URL")
	}
	if base == "" {
		base = defaultCallBaseURL
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return usageErrorf("sandbox: --base-url %q is not an http(s) URL", base)
	}
	if *token == "" {
		*token = c.Getenv("OPAYGATE_SANDBOX_TOKEN")
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	url := strings.TrimRight(base, "/") + "/_sandbox/orders/" + route
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return usageErrorf("sandbox: --base-url %q: %v", base, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if *token != "" {
		req.Header.Set("Authorization", "Bearer "+*token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox %s: %w", action, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("sandbox %s: read the answer: %w", action, err)
	}
	var answer opay.Response
	if json.Unmarshal(raw, &answer) != nil || answer.Code == "" {
		if resp.StatusCode == http.StatusNotFound {
			return fmt.Errorf("sandbox %s: %s answered 404: is it a gateway in sandbox mode?", action, url)
		}
		return fmt.Errorf("sandbox %s: %s answered HTTP %d without an OPay envelope: %.200s", action, url, resp.StatusCode, raw)
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, raw, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(raw)
	}
	fmt.Fprintln(c.Stdout, strings.TrimRight(pretty.String(), "\n"))
	if answer.Code == opay.CodeSuccess {
		return nil
	}
	msg := answer.Code + " " + answer.Message
	if d := resp.Header.Get(opay.HeaderDetail); d != "" && d != answer.Message {
		msg += ": " + d
	}
	if resp.StatusCode == http.StatusUnauthorized {
		msg += " (set OPAYGATE_SANDBOX_TOKEN to the sandbox's token)"
	}
	return fmt.Errorf("sandbox %s: %s (request id %s)", action, msg, resp.Header.Get("X-Request-Id"))
}
