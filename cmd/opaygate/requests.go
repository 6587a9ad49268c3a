package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opaygate/opaygate"
)

const requestsUsage = `Usage: opaygate requests [flags] [REQUEST_ID]

Lists the request log, newest first: the API requests the gateway answered,
with the merchant they named, the HTTP status, the OPay code, the duration and,
for a refusal, why (the X-Opaygate-Detail text). With a REQUEST_ID (the log's
id, the first column) it shows that request with both bodies, pretty-printed.
Bodies are stored redacted: no card number, CVV, OTP, PIN, BVN or key. It reads
the database; 'serve --request-log N' decides how many are kept. See
docs/operations.md.

Examples:

	opaygate requests --merchant 256612345678901 --failed
	opaygate requests --db ./opaygate.db --code 02000 --limit 5
	opaygate requests --json --limit 500 > requests.json
	opaygate requests 42
`

func (c *CLI) requests(ctx context.Context, args []string) error {
	fs := c.newFlagSet("requests", requestsUsage)
	dsn := dbFromEnv(c.Getenv)
	registerDBFlag(fs, &dsn)
	var f opaygate.RequestFilter
	fs.StringVar(&f.MerchantID, "merchant", "", "only the requests that named this merchant `id`")
	fs.StringVar(&f.Path, "path", "", "only this `path` (e.g. /api/v1/international/cashier/status)")
	fs.StringVar(&f.Code, "code", "", "only answers with this OPay `code`")
	fs.BoolVar(&f.Failed, "failed", false, "only answers other than 00000")
	fs.IntVar(&f.Limit, "limit", 50, "at most this many requests (1–500)")
	asJSON := fs.Bool("json", false, "print JSON, bodies included")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 1 {
		return usageErrorf("requests: want at most one REQUEST_ID, got %q", rest)
	}
	if f.Limit < 1 || f.Limit > 500 {
		return usageErrorf("requests: --limit %d is not between 1 and 500", f.Limit)
	}
	var id int64
	if len(rest) == 1 {
		if id, err = strconv.ParseInt(rest[0], 10, 64); err != nil || id <= 0 {
			return usageErrorf("requests: %q is not a request id", rest[0])
		}
	}
	db, svcs, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var list []*opaygate.APIRequest
	if id > 0 {
		r, err := svcs.Requests.FindRequest(ctx, id)
		if opaygate.ErrorCode(err) == opaygate.ENOTFOUND {
			return fmt.Errorf("requests: no request %d (pruned, or never logged)", id)
		} else if err != nil {
			return fmt.Errorf("requests: %w", err)
		}
		list = []*opaygate.APIRequest{r}
	} else if list, err = svcs.Requests.FindRequests(ctx, f); err != nil {
		return fmt.Errorf("requests: %w", err)
	}
	switch {
	case *asJSON:
		out := make([]opaygate.APIRequestJSON, len(list))
		for i, r := range list {
			out[i] = r.JSON()
		}
		enc := json.NewEncoder(c.Stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case id > 0:
		printRequest(c, list[0])
		return nil
	case len(list) == 0:
		fmt.Fprintln(c.Stderr, "no requests")
		return nil
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME (UTC)\tMERCHANT\tPATH\tHTTP\tCODE\tDURATION\tDETAIL")
	for _, r := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.ID, r.At.UTC().Format("2006-01-02 15:04:05.000"),
			orDash(r.MerchantID), strings.TrimPrefix(r.Path, "/api/v1/"), r.HTTPStatus, r.Code,
			r.Duration.Round(10*time.Microsecond), clip(oneLine(r.Detail), 100))
	}
	return tw.Flush()
}

// printRequest shows one request with its bodies indented.
func printRequest(c *CLI, r *opaygate.APIRequest) {
	w := c.Stdout
	known := ""
	if !r.Known && r.MerchantID != "" {
		known = " (no such merchant)"
	}
	fmt.Fprintf(w, "request %d  %s %s\n", r.ID, r.Method, r.Path)
	fmt.Fprintf(w, "  time:        %s UTC\n", r.At.UTC().Format("2006-01-02 15:04:05.000"))
	fmt.Fprintf(w, "  request id:  %s\n", r.RequestID)
	fmt.Fprintf(w, "  merchant:    %s%s\n", orDash(r.MerchantID), known)
	fmt.Fprintf(w, "  answer:      HTTP %d, code %s, in %s\n", r.HTTPStatus, r.Code, r.Duration.Round(time.Microsecond))
	if r.Detail != "" {
		fmt.Fprintf(w, "  why:         %s\n", r.Detail)
	}
	for _, b := range []struct {
		name string
		body string
		cut  bool
	}{{"request body", r.RequestBody, r.RequestTruncated}, {"response body", r.ResponseBody, r.ResponseTruncated}} {
		note := ""
		if b.cut {
			note = " (truncated)"
		}
		fmt.Fprintf(w, "\n%s%s:\n%s\n", b.name, note, prettyJSON(b.body))
	}
}

// prettyJSON indents s when it is JSON, and leaves it as it is otherwise (a truncated body,
// a body that was not JSON).
func prettyJSON(s string) string {
	if s == "" {
		return "(empty)"
	}
	var b bytes.Buffer
	if json.Indent(&b, []byte(s), "", "  ") != nil {
		return s
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// clip cuts s to n runes.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
