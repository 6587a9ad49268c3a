package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/opaygate/opaygate/opay"
)

// client sends signed API requests the way an OPay merchant's server does,
// over a transport that keeps one connection per concurrent worker alive,
// so that the benchmark measures requests rather than TCP handshakes.
type client struct {
	http     *http.Client
	base     string
	merchant Merchant
	requests atomic.Int64 // every request sent, for the progress line
}

func newClient(base string, m Merchant, concurrency int) *client {
	t := &http.Transport{
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:        2 * concurrency,
		MaxIdleConnsPerHost: concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &client{http: &http.Client{Transport: t, Timeout: 30 * time.Second}, base: base, merchant: m}
}

func (c *client) close() { c.http.CloseIdleConnections() }

// callError is a request that did not answer 00000; kind groups them in the
// report ("code 02001", "http 500", "transport").
type callError struct {
	kind string
	msg  string
}

func (e *callError) Error() string { return e.kind + ": " + e.msg }

// call POSTs body signed with the merchant's private key to base+path and
// returns the answer's data when its code is 00000.
func (c *client) call(ctx context.Context, base, path string, body []byte) (json.RawMessage, error) {
	var data json.RawMessage
	err := c.do(ctx, base+path, body, opay.AuthorizationHeader(body, c.merchant.PrivateKey), &data)
	return data, err
}

// callInto is call that decodes the answer's data into data, in the same pass as the
// envelope: the driver shares the machine with the gateway, so it reads each answer once.
func (c *client) callInto(ctx context.Context, base, path string, body []byte, data any) error {
	return c.do(ctx, base+path, body, opay.AuthorizationHeader(body, c.merchant.PrivateKey), data)
}

// callPublic is call with the public key instead of a signature, as
// cashier/create allows.
func (c *client) callPublic(ctx context.Context, base, path string, body []byte) (json.RawMessage, error) {
	var data json.RawMessage
	err := c.do(ctx, base+path, body, "Bearer "+c.merchant.PublicKey, &data)
	return data, err
}

// do sends the request and decodes the data of a 00000 answer into data (a pointer).
func (c *client) do(ctx context.Context, url string, body []byte, auth string, data any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("MerchantId", c.merchant.ID)
	req.Header.Set("Authorization", auth)
	c.requests.Add(1)
	resp, err := c.http.Do(req)
	if err != nil {
		return &callError{kind: "transport", msg: err.Error()}
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return &callError{kind: "transport", msg: err.Error()}
	}
	if resp.StatusCode != http.StatusOK {
		return &callError{kind: fmt.Sprintf("http %d", resp.StatusCode), msg: string(truncate(raw))}
	}
	env := struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Data    any    `json:"data"`
	}{Data: data}
	if err := json.Unmarshal(raw, &env); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) || env.Code == opay.CodeSuccess {
			return &callError{kind: "bad answer", msg: err.Error()}
		}
	}
	if env.Code != opay.CodeSuccess {
		return &callError{kind: "code " + env.Code, msg: url + ": " + env.Message}
	}
	return nil
}

func truncate(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}
