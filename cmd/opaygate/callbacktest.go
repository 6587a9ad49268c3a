package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/notify"
	"github.com/opaygate/opaygate/opay"
)

const callbackTestUsage = `Usage: opaygate callback test --url URL --merchant-id ID [flags]

Tests a merchant's callback receiver. It POSTs callbacks of one realistic
order (SUCCESS, paid by card), built and signed by the code that builds and
signs the gateway's real callbacks, and reports each answer. v1 (the
default, --scheme v1):

  wrong signature   the body signed with another key
  changed amount    the amount multiplied by 100, the original signature kept
  correctly signed  exactly what the gateway would send

--scheme v2 tests a receiver of v2 callbacks (MACQUIRING_CALLBACK, signed in
the RequestTimestamp, Authorization and Signature headers: HMAC-SHA512 of
RequestTimestamp followed by the raw body):

  wrong signature   the headers signed with another key
  changed amount    the amount multiplied by 100, the original headers kept
  restamped         signed 10 minutes ago, RequestTimestamp set to now and
                    the old signature kept (a replay made to look new)
  stale timestamp   correctly signed, RequestTimestamp an hour old: rejecting
                    it stops replays, accepting it is allowed (OPay's page
                    asks for no freshness check); the report says which
  correctly signed  exactly what the gateway would send

A correct receiver answers the tampered ones with anything but 2xx (401 or
400) and the good one with a 2xx. The command exits 1 when it accepts a
tampered callback or rejects the good one. The usual bug is verifying with
the wrong hash: v1's sha512 is, despite its name, HMAC-SHA3-512 of OPay's
signature string; v2's is HMAC-SHA512 (docs/CALLBACKS.md). The tampered
callbacks are sent first, so that a receiver that skips orders it has seen
cannot pass them as repeats. If the receiver looks the order up, give
--reference and --amount of an order it knows.

The private key comes from --key, else OPAYGATE_PRIVATE_KEY, else
OPAY_PRIVATE_KEY, else the merchant's key in the database (--db,
OPAYGATE_DB: the sandbox's ./opaygate.db knows the demo merchants). It is
never printed.

Examples:

	opaygate callback test --url http://localhost:3000/opay/webhook --merchant-id 256612345678901
	opaygate callback test --scheme v2 --url http://localhost:3000/opay/webhook --merchant-id 256612345678901
	OPAY_PRIVATE_KEY=OPAYPRV… opaygate callback test --url https://shop.example.com/opay --merchant-id 256612345678901 --reference order-42 --amount 25000
`

// callbackCase is one callback a receiver test sends and what a correct
// receiver does with it.
type callbackCase struct {
	name   string
	sent   string // what is special about it
	body   []byte
	header http.Header // v2's headers; Content-Type and User-Agent are always set
	accept bool        // a correct receiver answers 2xx
	either bool        // either answer is correct; the report says which it was
}

// callbackCases returns the callbacks to send for scheme, in order, as sent
// at now. The report and the exit code judge every scheme alike.
func callbackCases(scheme string, cb *opaygate.Callback, key string, now time.Time) ([]callbackCase, error) {
	switch scheme {
	case "v1":
		return v1CallbackCases(cb, key)
	case "v2":
		return v2CallbackCases(cb, key, now)
	default:
		return nil, usageErrorf("callback test: --scheme %q is not v1 or v2", scheme)
	}
}

// v1CallbackCases are the callback of cb as notify sends it, and two
// tampered copies that keep its shape.
func v1CallbackCases(cb *opaygate.Callback, key string) ([]callbackCase, error) {
	good, err := notify.Body(cb, key)
	if err != nil {
		return nil, err
	}
	p := notify.Payload(cb)
	otherKey, err := notify.Encode(p, opay.SignCallback(p, "not-"+key))
	if err != nil {
		return nil, err
	}
	changed := *cb
	changed.Amount = cb.Amount * 100
	moreMoney, err := notify.Encode(notify.Payload(&changed), opay.SignCallback(p, key))
	if err != nil {
		return nil, err
	}
	return []callbackCase{
		{name: "wrong signature", sent: "signed with another key", body: otherKey},
		{name: "changed amount", sent: fmt.Sprintf("amount %d → %d, signature of %d", cb.Amount, changed.Amount, cb.Amount), body: moreMoney},
		{name: "correctly signed", sent: "as the gateway sends it", body: good, accept: true},
	}, nil
}

// v2CallbackCases are the v2 callback of cb as notify sends it at now, and
// copies whose body, headers or timestamp were tampered with.
func v2CallbackCases(cb *opaygate.Callback, key string, now time.Time) ([]callbackCase, error) {
	v2 := *cb
	v2.Version = opaygate.CallbackV2
	good, err := notify.BodyV2(&v2)
	if err != nil {
		return nil, err
	}
	changed := v2
	changed.Amount = cb.Amount * 100
	moreMoney, err := notify.BodyV2(&changed)
	if err != nil {
		return nil, err
	}
	signed := func(at time.Time, stamp time.Time, k string) http.Header {
		h := http.Header{}
		ts := notify.RequestTimestamp(at)
		notify.SetHeadersV2(h, cb.MerchantID, notify.RequestTimestamp(stamp), opay.SignCallbackV2(ts, good, k))
		return h
	}
	before, hourAgo := now.Add(-10*time.Minute), now.Add(-time.Hour)
	return []callbackCase{
		{name: "wrong signature", sent: "signed with another key", body: good, header: signed(now, now, "not-"+key)},
		{name: "changed amount", sent: fmt.Sprintf("amount %d → %d, headers of %d", cb.Amount, changed.Amount, cb.Amount),
			body: moreMoney, header: signed(now, now, key)},
		{name: "restamped", sent: "signed 10 min ago, RequestTimestamp now", body: good, header: signed(before, now, key)},
		{name: "stale timestamp", sent: "correctly signed, RequestTimestamp 1 h old", body: good, header: signed(hourAgo, hourAgo, key),
			either: true},
		{name: "correctly signed", sent: "as the gateway sends it", body: good, header: signed(now, now, key), accept: true},
	}, nil
}

func (c *CLI) callbackTest(ctx context.Context, args []string) error {
	fs := c.newFlagSet("callback test", callbackTestUsage)
	target := fs.String("url", "", "the receiver's `URL` (required)")
	merchantID := fs.String("merchant-id", "", "the merchant's 15-digit `id` (required)")
	key := fs.String("key", "", "the merchant's private `key` (default $OPAYGATE_PRIVATE_KEY, $OPAY_PRIVATE_KEY, else from --db)")
	dsn := dbFromEnv(c.Getenv)
	registerDBFlag(fs, &dsn)
	reference := fs.String("reference", "", "the order's `reference` (default: a new opaygate-test-… one)")
	amount := fs.Int64("amount", 60000, "the order's amount in `minor units`")
	country := fs.String("country", "EG", "the order's `country` (EG or NG); the currency follows")
	scheme := fs.String("scheme", "v1", "callback `scheme`: v1 (transaction-status) or v2 (MACQUIRING_CALLBACK)")
	timeout := fs.Duration("timeout", 10*time.Second, "timeout of each POST (the gateway's)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}
	u, err := url.Parse(*target)
	switch {
	case *target == "":
		return usageErrorf("callback test: --url is required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return usageErrorf("callback test: --url %q is not an http(s) URL", *target)
	case !merchantIDPattern.MatchString(*merchantID):
		return usageErrorf("callback test: --merchant-id %q is not a 15-digit merchant id", *merchantID)
	case *amount <= 0:
		return usageErrorf("callback test: --amount %d must be positive", *amount)
	case opaygate.CurrencyOf(*country) == "":
		return usageErrorf("callback test: --country %q is not EG or NG", *country)
	case *timeout <= 0:
		return usageErrorf("callback test: --timeout %s must be positive", *timeout)
	}

	now := time.Now().UTC().Truncate(time.Second)
	cb := &opaygate.Callback{
		MerchantID: *merchantID, TargetURL: *target, Status: opaygate.StatusSuccess,
		Amount: *amount, Currency: opaygate.CurrencyOf(*country), Country: *country,
		Reference: *reference, OrderNo: testOrderNo(now), InstrumentType: "BankCard", Channel: "Web", EventTime: now,
		NotifyID: testNotifyID(),
	}
	if cb.Reference == "" {
		cb.Reference = "opaygate-test-" + strconv.FormatInt(now.Unix(), 10)
	}
	if _, err := callbackCases(*scheme, cb, "k", now); err != nil {
		return err // the scheme, before looking for a key
	}
	k, from, err := c.callbackKey(ctx, *key, *merchantID, dsn)
	if err != nil {
		return err
	}
	// Stamped now, not when the order was made up: the v2 cases' timestamps
	// are relative to their sending.
	cases, err := callbackCases(*scheme, cb, k, time.Now())
	if err != nil {
		return fmt.Errorf("callback test: %w", err)
	}

	fmt.Fprintf(c.Stdout, "POST %s: %s callbacks of order %s (reference %s, %s %d %s) for merchant %s, key from %s\n\n",
		*target, *scheme, cb.OrderNo, cb.Reference, cb.Status, cb.Amount, cb.Currency, cb.MerchantID, from)
	client := &http.Client{
		Timeout: *timeout,
		// As the gateway: a redirect is an answer, not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tSENT\tHTTP\tVERDICT")
	var problems, accepted []string
	for _, tc := range cases {
		status, err := postCallback(ctx, client, *target, tc.body, tc.header)
		answer, verdict := strconv.Itoa(status), ""
		ok := status >= 200 && status <= 299
		switch {
		case err != nil:
			answer, verdict = "-", "FAIL: no answer: "+oneLine(err.Error())
			problems = append(problems, fmt.Sprintf("no answer to the %s callback (%v)", tc.name, err))
		case tc.either && ok:
			verdict = "ok: accepted (rejecting it would stop replays)"
		case tc.either:
			verdict = "ok: rejected"
		case tc.accept && ok:
			verdict = "ok: accepted"
		case !tc.accept && !ok:
			verdict = "ok: rejected"
		case tc.accept:
			verdict = "FAIL: rejected a correctly signed callback"
			problems = append(problems, fmt.Sprintf("it rejected the correctly signed callback with HTTP %d: check that it verifies "+
				"%s with merchant %s's private key, and, if it looks the order up, give --reference and --amount of an order it knows",
				status, schemeHash[*scheme], *merchantID))
		default:
			verdict = "FAIL: accepted a tampered callback"
			accepted = append(accepted, fmt.Sprintf("%s: HTTP %d", tc.name, status))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", tc.name, tc.sent, answer, verdict)
	}
	tw.Flush()
	if len(accepted) > 0 {
		problems = append([]string{fmt.Sprintf("it accepted tampered callbacks (%s): it must verify %s and "+
			"answer anything but 2xx when it does not match", strings.Join(accepted, ", "), schemeSignature[*scheme])}, problems...)
	}
	if len(problems) > 0 {
		return fmt.Errorf("callback test: the receiver at %s misbehaves: %s (docs/CALLBACKS.md)", *target, strings.Join(problems, "; "))
	}
	fmt.Fprintln(c.Stdout, "\nThe receiver accepts the correctly signed callback and rejects the tampered ones.")
	return nil
}

// schemeHash says what a receiver must compute, for the report of a rejected
// good callback: the usual bug is the other scheme's hash.
var schemeHash = map[string]string{
	"v1": "sha512 as HMAC-SHA3-512 (not SHA-512) of OPay's signature string",
	"v2": "the Signature (or Authorization) header as the hex HMAC-SHA512 (not SHA3) of RequestTimestamp followed by the raw body",
}

// schemeSignature names where the signature is.
var schemeSignature = map[string]string{"v1": "sha512", "v2": "the headers' signature"}

// callbackKey finds the merchant's private key and says where it came from,
// never what it is.
func (c *CLI) callbackKey(ctx context.Context, flagKey, merchantID, dsn string) (key, from string, err error) {
	if flagKey != "" {
		return flagKey, "--key", nil
	}
	for _, env := range []string{"OPAYGATE_PRIVATE_KEY", "OPAY_PRIVATE_KEY"} {
		if k := c.Getenv(env); k != "" {
			return k, env, nil
		}
	}
	db, svcs, err := openStore(ctx, dsn)
	if err != nil {
		return "", "", fmt.Errorf("callback test: no key: give --key, set OPAYGATE_PRIVATE_KEY or OPAY_PRIVATE_KEY, "+
			"or point --db at the gateway's database (%v)", err)
	}
	defer db.Close()
	m, err := svcs.Merchants.FindMerchant(ctx, merchantID)
	switch {
	case opaygate.ErrorCode(err) == opaygate.ENOTFOUND:
		return "", "", fmt.Errorf("callback test: no key: %s has no merchant %s; give --key, or set OPAYGATE_PRIVATE_KEY or OPAY_PRIVATE_KEY",
			describeDB(dsn), merchantID)
	case err != nil:
		return "", "", fmt.Errorf("callback test: read merchant %s: %w", merchantID, err)
	}
	return m.PrivateKey, "the database (" + describeDB(dsn) + ")", nil
}

// postCallback sends body with header as the gateway's worker does and
// returns the status.
func postCallback(ctx context.Context, client *http.Client, target string, body []byte, header http.Header) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(string(body)))
	if err != nil {
		return 0, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", notify.UserAgent)
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

// testNotifyID is a v2 notifyId of the gateway's shape: 32 lowercase hex
// digits, the same on every case, as on every attempt of one callback.
func testNotifyID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// testOrderNo is an order number of the gateway's shape (YYMMDD and 12
// digits) from a range the gateway's sequence does not reach soon.
func testOrderNo(now time.Time) string {
	n, err := rand.Int(rand.Reader, big.NewInt(1e11))
	if err != nil {
		n = big.NewInt(now.UnixNano() % 1e11)
	}
	return now.Format("060102") + "9" + fmt.Sprintf("%011d", n.Int64())
}
