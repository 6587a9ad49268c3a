package bench

import (
	"context"
	"io"
	"net"
	"net/http"

	"github.com/opaygate/opaygate/opay"
)

// baselineAnswer is what the baseline handler always answers: the shape and
// size of a cashier/status answer, so both scenarios move the same bytes.
const baselineAnswer = `{"code":"00000","message":"SUCCESSFUL","data":{"reference":"P000000001","orderNo":"260101000000000001","status":"SUCCESS","vat":{"total":0,"currency":"EGP"},"amount":{"total":60000,"currency":"EGP"},"createTime":1767225600000}}`

const authFailed = `{"code":"02000","message":"authentication failed.","data":null}`

// baselineServer is the physical limit of a signed API request on this
// machine: the same HTTP server, the same body limit and the same
// HMAC-SHA512 verification as the gateway, and nothing else — no routing,
// no database, no encoding. It also acknowledges callbacks, so a target
// gateway that delivers them has somewhere to send them.
type baselineServer struct {
	URL string
	srv *http.Server
}

func startBaseline(m Merchant) (*baselineServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /callback", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		w.Header().Set("Content-Type", "application/json")
		if err != nil || r.Header.Get("MerchantId") != m.ID ||
			!opay.Verify(body, r.Header.Get("Authorization"), m.PrivateKey) {
			io.WriteString(w, authFailed)
			return
		}
		io.WriteString(w, baselineAnswer)
	})
	b := &baselineServer{URL: "http://" + ln.Addr().String(), srv: newHTTPServer(mux)}
	go b.srv.Serve(ln)
	return b, nil
}

func (b *baselineServer) close() error {
	return b.srv.Shutdown(context.Background())
}
