package opay

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// OPay's documented hosts. A gateway such as opaygate is addressed by its own URL.
const (
	SandboxURL    = "https://sandboxapi.opaycheckout.com"
	ProductionURL = "https://api.opaycheckout.com"
)

// DefaultTimeout bounds each attempt of a call unless WithTimeout says otherwise.
const DefaultTimeout = 30 * time.Second

// maxAnswer bounds how much of an answer is read; real answers are a few kilobytes.
const maxAnswer = 10 << 20

// Client calls OPay's international merchant API for one merchant. It is safe for concurrent
// use; make one and share it.
type Client struct {
	merchantID string
	privateKey string
	publicKey  string
	payoutKey  *rsa.PrivateKey
	baseURL    string
	http       *http.Client
	timeout    time.Duration
	retry      RetryPolicy
	log        *slog.Logger
}

// Option configures a Client.
type Option func(*Client)

// WithBaseURL sets where requests go: SandboxURL (the default), ProductionURL, or a gateway's
// URL such as "http://127.0.0.1:8080". A path prefix is kept; a trailing slash is not.
func WithBaseURL(u string) Option {
	return func(c *Client) { c.baseURL = strings.TrimRight(u, "/") }
}

// WithPublicKey sets the merchant's public key, which cashier/create sends instead of a
// signature (OPay's documented authentication for that endpoint). Without it, cashier/create
// is signed like every other call, which opaygate accepts too.
func WithPublicKey(key string) Option {
	return func(c *Client) { c.publicKey = key }
}

// WithPayoutKey sets the merchant's RSA private key, which signs payout requests
// (SHA256withRSA, METHODS.md §10.1) instead of the HMAC every other call carries. The gateway
// holds its public half (`opaygate merchant payout-key set`). A client that only makes
// payouts may be made with an empty HMAC private key.
func WithPayoutKey(key *rsa.PrivateKey) Option {
	return func(c *Client) { c.payoutKey = key }
}

// WithHTTPClient sets the HTTP client, e.g. one with a proxy or custom TLS. Its own Timeout, if
// any, applies on top of WithTimeout's.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithTimeout bounds each attempt (DefaultTimeout unless set; 0 means no bound). The ctx given
// to a call bounds the whole call, retries and waits included.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) { c.timeout = d }
}

// WithRetry sets the retry policy; see RetryPolicy for what is retried. NoRetry turns
// retrying off.
func WithRetry(p RetryPolicy) Option {
	return func(c *Client) { c.retry = p }
}

// WithLogger logs one record per attempt: the endpoint, the attempt number, the HTTP status,
// the answer's code and request id, the duration and any transport error — at Debug level when
// it succeeded and Warn when it failed. Keys, signatures and bodies (which may hold OTPs and
// card numbers) are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) { c.log = l }
}

// NewClient returns a client for the merchant with the given id and private key. Without
// options it talks to OPay's sandbox with DefaultRetryPolicy.
func NewClient(merchantID, privateKey string, opts ...Option) *Client {
	c := &Client{
		merchantID: merchantID,
		privateKey: privateKey,
		baseURL:    SandboxURL,
		http:       &http.Client{},
		timeout:    DefaultTimeout,
		retry:      DefaultRetryPolicy,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// RawResponse is an answer as it arrived: the envelope, the body byte for byte, and the
// headers a developer reads: X-Request-Id, X-Opaygate-Detail and X-Opaygate-Warning.
type RawResponse struct {
	Response
	StatusCode int
	RequestID  string
	Detail     string // why a request was refused (opaygate only)
	Warning    string // how a value was read differently from how it was sent (opaygate only)
	Body       []byte
}

// Do sends body exactly as given — it is signed as it is — to path (e.g.
// "/api/v1/international/cashier/status", appended to the base URL) and returns the answer.
// It is for endpoints this package has no method for and for bodies built by hand. A code other
// than 00000 returns the answer and an *APIError. Do retries only when the request certainly
// never left this process (the connection could not be opened), since it cannot know whether
// the endpoint is safe to repeat.
func (c *Client) Do(ctx context.Context, path string, body []byte) (*RawResponse, error) {
	ep := endpoint{name: strings.TrimPrefix(path, "/"), path: path, retry: retryUnsent,
		public: strings.HasSuffix(path, pathCashierCreate), rsa: strings.Contains(path, pathPayout)}
	res, _, err := c.send(ctx, ep, body)
	return res, err
}

// call marshals req, sends it with ep's retry rule and decodes a successful answer's data into
// out (when out is not nil).
func (c *Client) call(ctx context.Context, ep endpoint, req, out any) (earlier bool, err error) {
	body, err := marshal(req)
	if err != nil {
		return false, fmt.Errorf("opay: %s: encode request: %w", ep.name, err)
	}
	res, earlier, err := c.send(ctx, ep, body)
	if err != nil {
		return earlier, err
	}
	if out != nil && len(res.Data) > 0 && string(res.Data) != "null" {
		if err := json.Unmarshal(res.Data, out); err != nil {
			return earlier, fmt.Errorf("opay: %s: decode answer (request id %s): %w", ep.name, res.RequestID, err)
		}
	}
	return earlier, nil
}

// marshal encodes without HTML escaping, so URLs in a request read as written.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// send makes up to RetryPolicy.MaxAttempts attempts as ep's retry rule allows. earlier reports
// whether an attempt before the one that gave the result may have reached the server.
func (c *Client) send(ctx context.Context, ep endpoint, body []byte) (res *RawResponse, earlier bool, err error) {
	switch {
	case c.merchantID == "":
		return nil, false, fmt.Errorf("opay: %s: the client has no merchant id", ep.name)
	case ep.rsa && c.payoutKey == nil:
		return nil, false, fmt.Errorf("opay: %s: payout requests are signed with RSA: give the client WithPayoutKey", ep.name)
	case !ep.rsa && c.privateKey == "":
		return nil, false, fmt.Errorf("opay: %s: the client has no private key", ep.name)
	}
	if _, err := url.Parse(c.baseURL + ep.path); err != nil {
		return nil, false, fmt.Errorf("opay: %s: %w", ep.name, err)
	}
	attempts := max(c.retry.MaxAttempts, 1)
	for attempt := 1; ; attempt++ {
		res, sent, err := c.attempt(ctx, ep, body, attempt)
		if attempt >= attempts || !ep.retry.allows(sent, err) || ctx.Err() != nil {
			return res, earlier, err
		}
		if werr := c.retry.wait(ctx, attempt); werr != nil {
			return res, earlier || sent, fmt.Errorf("opay: %s: %w (gave up waiting to retry after: %v)", ep.name, werr, err)
		}
		earlier = earlier || sent
	}
}

// attempt makes one request. sent reports whether the request was written out whole, i.e.
// whether the server may have acted on it.
func (c *Client) attempt(ctx context.Context, ep endpoint, body []byte, n int) (res *RawResponse, sent bool, err error) {
	start := time.Now()
	defer func() { c.logAttempt(ctx, ep, n, res, err, time.Since(start)) }()
	// The transport reports the write from its own goroutine, which may still be running when
	// Do returns an error.
	var wrote atomic.Bool

	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			wrote.Store(true)
		}
	}}
	ctx = httptrace.WithClientTrace(ctx, trace)

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+ep.path, bytes.NewReader(body))
	if err != nil {
		return nil, false, fmt.Errorf("opay: %s: %w", ep.name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "opay-go (github.com/opaygate/opaygate/opay)")
	req.Header.Set("MerchantId", c.merchantID)
	switch {
	case ep.rsa:
		sig, err := SignRSA(body, c.payoutKey)
		if err != nil {
			return nil, false, fmt.Errorf("opay: %s: sign: %w", ep.name, err)
		}
		req.Header.Set("Authorization", "Bearer "+sig)
	case ep.public && c.publicKey != "":
		req.Header.Set("Authorization", "Bearer "+c.publicKey)
	default:
		req.Header.Set("Authorization", AuthorizationHeader(body, c.privateKey))
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, wrote.Load(), fmt.Errorf("opay: %s: %w", ep.name, err)
	}
	defer resp.Body.Close()
	// The server answered, so it read the request; the trace may not say so when it answered
	// before reading all of it.
	sent = true
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, sent, fmt.Errorf("opay: %s: read answer: %w", ep.name, err)
	}
	res = &RawResponse{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id"),
		Detail: resp.Header.Get(HeaderDetail), Warning: resp.Header.Get(HeaderWarning), Body: raw}
	if err := json.Unmarshal(raw, &res.Response); err != nil || res.Code == "" {
		snippet := string(raw[:min(len(raw), 256)])
		return nil, sent, &HTTPError{Endpoint: ep.name, StatusCode: resp.StatusCode, RequestID: res.RequestID, Body: snippet}
	}
	if res.Code != CodeSuccess {
		return res, sent, apiError(ep.name, res)
	}
	return res, sent, nil
}

func apiError(endpoint string, res *RawResponse) *APIError {
	return &APIError{Endpoint: endpoint, Code: res.Code, Message: res.Message, Detail: res.Detail, RequestID: res.RequestID}
}

func (c *Client) logAttempt(ctx context.Context, ep endpoint, n int, res *RawResponse, err error, d time.Duration) {
	if c.log == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("endpoint", ep.name),
		slog.Int("attempt", n),
		slog.Duration("duration", d),
	}
	level := slog.LevelDebug
	if res != nil {
		attrs = append(attrs, slog.Int("status", res.StatusCode), slog.String("code", res.Code),
			slog.String("request_id", res.RequestID))
	}
	var he *HTTPError
	switch {
	case err == nil:
	case errors.As(err, new(*APIError)):
		level = slog.LevelInfo
	case errors.As(err, &he):
		level = slog.LevelWarn
		attrs = append(attrs, slog.Int("status", he.StatusCode), slog.String("request_id", he.RequestID))
	default:
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("err", err.Error()))
	}
	c.log.LogAttrs(ctx, level, "opay request", attrs...)
}
