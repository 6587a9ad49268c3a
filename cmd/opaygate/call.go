package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/opaygate/opaygate/opay"
)

const callUsage = `Usage: opaygate call <endpoint> [flags]

Sends one request to the merchant API — signed with the merchant's private
key, or with the public key for cashier/create when one is given — and prints
the answer. The body is the JSON of --data, of the file named by --data @path,
or of stdin; it is compacted first, and what is signed is exactly what is
sent. Exits 1 when the answer's code is not 00000 or nothing came back.

Credentials come from the flags, else from OPAY_MERCHANT_ID,
OPAY_PRIVATE_KEY, OPAY_PUBLIC_KEY and OPAY_BASE_URL; prefer the environment,
since command lines are visible to other users. --base-url also takes
"sandbox" and "production" for OPay's own hosts.

Endpoints (a name below, or any path starting with /):

%s
Examples:

	export OPAY_MERCHANT_ID=256612345678901 OPAY_PRIVATE_KEY=OPAYPRV16357783346230.07653446106051542
	opaygate call status --data '{"reference":"04123390","country":"EG"}'
	opaygate call invoice/details --data @invoice.json
	echo '{"invoiceNo":"20464188"}' | opaygate call getInvoiceDetails
	opaygate call /api/v1/international/payment/close --base-url sandbox --data '{"orderNo":"…","country":"EG"}'
`

// callEndpoint is one endpoint as the command line names it.
type callEndpoint struct {
	names   []string // the first is the canonical short name
	path    string
	example string
}

var callEndpoints = []callEndpoint{
	{[]string{"cashier/create", "cashier"}, opay.PathCashierCreate,
		`{"reference":"r-1","country":"EG","amount":{"total":1000,"currency":"EGP"},"returnUrl":"https://shop.example.com/r","product":{"name":"Shoes"}}`},
	{[]string{"cashier/status", "status"}, opay.PathCashierStatus, `{"reference":"r-1","country":"EG"}`},
	{[]string{"payment/close", "close"}, opay.PathPaymentClose, `{"reference":"r-1","country":"EG"}`},
	{[]string{"payment/create", "payment"}, opay.PathPaymentCreate,
		`{"reference":"r-2","country":"EG","payMethod":"VALU","amount":{"total":60000,"currency":"EGP"},"product":{"name":"Phone"},"valUAccountNumber":"01012345678"}`},
	{[]string{"input-installment-month", "installment"}, opay.PathInputInstallmentMonth, `{"reference":"r-2","country":"EG","months":6}`},
	{[]string{"input-otp", "otp"}, opay.PathInputOTP, `{"reference":"r-2","country":"EG","otp":"123456"}`},
	{[]string{"resend-otp"}, opay.PathResendOTP, `{"reference":"r-2","country":"EG"}`},
	{[]string{"refund/create", "refund"}, opay.PathRefundCreate,
		`{"reference":"rf-1","originalReference":"r-2","country":"EG","refundWay":"Original","amount":{"total":100,"currency":"EGP"}}`},
	{[]string{"refund/query"}, opay.PathRefundQuery, `{"reference":"rf-1","country":"EG"}`},
	{[]string{"invoice/create", "createSingleInvoice"}, opay.PathInvoiceCreate,
		`{"country":"EG","name":"May","amount":{"total":5000,"currency":"EGP"},"customer":{"customerName":"Mona","customerMobile":"+201088889999"},"dueTime":1893456000}`},
	{[]string{"invoice/details", "getInvoiceDetails"}, opay.PathInvoiceDetails, `{"invoiceNo":"20464188"}`},
	{[]string{"invoice/cancel", "cancelInvoice"}, opay.PathInvoiceCancel, `{"invoiceNo":"20464188"}`},
	{[]string{"invoice/statistics", "getInvoicesStatistics"}, opay.PathInvoiceStatistics,
		`{"startCreateTime":1700000000,"endCreateTime":1710000000}`},
}

// defaultCallBaseURL is where a local gateway listens by default.
const defaultCallBaseURL = "http://127.0.0.1:8080"

// endpointList is the usage's table of endpoints, each with an example body.
func endpointList() string {
	var b strings.Builder
	for _, e := range callEndpoints {
		fmt.Fprintf(&b, "\t%-44s %s\n\t    --data '%s'\n", strings.Join(e.names, ", "), e.path, e.example)
	}
	return b.String()
}

// resolveEndpoint turns a short name or a path into a path.
func resolveEndpoint(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return name, nil
	}
	for _, e := range callEndpoints {
		for _, n := range e.names {
			if strings.EqualFold(n, name) {
				return e.path, nil
			}
		}
	}
	return "", usageErrorf("call: unknown endpoint %q (run 'opaygate call -h' for the list)", name)
}

func (c *CLI) call(ctx context.Context, args []string) error {
	fs := c.newFlagSet("call", fmt.Sprintf(callUsage, endpointList()))
	data := fs.String("data", "", "the request body: `JSON`, or @path of a file holding it (default: stdin)")
	merchantID := fs.String("merchant-id", "", "the merchant's `id` (default $OPAY_MERCHANT_ID)")
	privateKey := fs.String("private-key", "", "the merchant's private `key` (default $OPAY_PRIVATE_KEY)")
	publicKey := fs.String("public-key", "", "the merchant's public `key`, for cashier/create (default $OPAY_PUBLIC_KEY)")
	baseURL := fs.String("base-url", "", "the API's base `URL`, or sandbox or production (default $OPAY_BASE_URL, else "+defaultCallBaseURL+")")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this `duration`")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch len(rest) {
	case 0:
		return usageErrorf("call: which endpoint? (run 'opaygate call -h' for the list)")
	case 1:
	default:
		return usageErrorf("call: unexpected argument %q", rest[1])
	}
	path, err := resolveEndpoint(rest[0])
	if err != nil {
		return err
	}
	or := func(flag, env string) string {
		if flag != "" {
			return flag
		}
		return c.Getenv(env)
	}
	id, key, pub := or(*merchantID, "OPAY_MERCHANT_ID"), or(*privateKey, "OPAY_PRIVATE_KEY"), or(*publicKey, "OPAY_PUBLIC_KEY")
	if id == "" || key == "" {
		return usageErrorf("call: give --merchant-id and --private-key, or set OPAY_MERCHANT_ID and OPAY_PRIVATE_KEY")
	}
	base := or(*baseURL, "OPAY_BASE_URL")
	switch base {
	case "":
		base = defaultCallBaseURL
	case "sandbox":
		base = opay.SandboxURL
	case "production":
		base = opay.ProductionURL
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return usageErrorf("call: --base-url %q is not an http(s) URL", base)
	}
	body, err := c.callBody(*data)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	client := opay.NewClient(id, key, opay.WithBaseURL(base), opay.WithPublicKey(pub), opay.WithTimeout(*timeout))
	res, err := client.Do(ctx, path, body)
	if res != nil {
		var pretty bytes.Buffer
		if json.Indent(&pretty, res.Body, "", "  ") != nil {
			pretty.Reset()
			pretty.Write(res.Body)
		}
		fmt.Fprintln(c.Stdout, strings.TrimRight(pretty.String(), "\n"))
	}
	var ae *opay.APIError
	var he *opay.HTTPError
	switch {
	case errors.As(err, &ae) && ae.Detail != "":
		// The gateway's reason, which the body does not carry: the whole point of a
		// developer's tool.
		return fmt.Errorf("call: %s %s: %s (request id %s)", ae.Code, ae.Message, ae.Detail, ae.RequestID)
	case errors.As(err, &ae):
		return fmt.Errorf("call: %s %s (request id %s)", ae.Code, ae.Message, ae.RequestID)
	case errors.As(err, &he):
		return fmt.Errorf("call: %s answered HTTP %d without an OPay envelope: %s", base+path, he.StatusCode, he.Body)
	case err != nil:
		return fmt.Errorf("call: %w", err)
	}
	return nil
}

// callBody reads the body from --data, a file or stdin, and compacts it so that the bytes
// signed are the bytes sent, whatever whitespace the file had.
func (c *CLI) callBody(data string) ([]byte, error) {
	var body []byte
	var err error
	switch {
	case strings.HasPrefix(data, "@"):
		if body, err = os.ReadFile(data[1:]); err != nil {
			return nil, usageErrorf("call: --data: %v", err)
		}
	case data != "":
		body = []byte(data)
	default:
		if body, err = io.ReadAll(c.Stdin); err != nil {
			return nil, fmt.Errorf("call: read stdin: %w", err)
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, usageErrorf("call: no request body: give --data '{…}', --data @file.json, or pipe it to stdin")
	}
	compact, err := opay.Compact(body)
	if err != nil {
		return nil, usageErrorf("call: the request body is not JSON: %v", err)
	}
	return compact, nil
}
