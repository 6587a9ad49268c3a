package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/opaygate/opaygate/opay"
)

// maxBody bounds every request body (spec section 1).
const maxBody = 1 << 20

// DefaultMaxBodyBytesInFlight is how many bytes of API request bodies a server holds at once
// unless configured otherwise: 64 of the largest bodies, or tens of thousands of ordinary ones
// (a few hundred bytes each).
const DefaultMaxBodyBytesInFlight = 64 << 20

// DefaultBodyTimeout is how long an API request body may take to arrive once its headers are
// in. A merchant's server sends a few hundred bytes in one write; even the largest body allowed
// arrives in 5 s at 200 KiB/s.
const DefaultBodyTimeout = 5 * time.Second

// largeBody is the size above which a body counts as large: large bodies may fill only half of
// the budget (see bodyBudget). Real API bodies are far smaller.
const largeBody = 64 << 10

// bodyBudget bounds the bytes of request bodies held in memory at once. Without it every
// connection of a client that sends most of a 1 MiB body and then stalls holds that megabyte
// until the read deadline, so a few hundred such connections grew a node by hundreds of MiB.
//
// Bodies larger than largeBody (and chunked bodies, whose size is unknown until they end) may
// only be admitted while the total stays within half of the limit: a flood of large stalled
// bodies then leaves the other half to ordinary requests, which keep being answered.
type bodyBudget struct {
	limit int64

	mu   sync.Mutex
	used int64
	peak int64 // the most ever held; tests check the bound with it
}

func newBodyBudget(limit int64) *bodyBudget {
	// A budget that cannot hold one largest body would refuse it always.
	return &bodyBudget{limit: max(limit, 2*maxBody)}
}

// acquire reserves n bytes, or reports false at once when they do not fit: a request waiting
// for room would hold its connection, the very thing being bounded.
func (b *bodyBudget) acquire(n int64) bool {
	ceiling := b.limit
	if n > largeBody {
		ceiling = b.limit / 2
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > ceiling {
		return false
	}
	b.used += n
	b.peak = max(b.peak, b.used)
	return true
}

func (b *bodyBudget) release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
}

// inFlight returns the bytes held now and the most held at once.
func (b *bodyBudget) inFlight() (used, peak int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used, b.peak
}

// errBusy answers a request whose body does not fit in the budget: 50003, which clients
// already retry, with HTTP 200 like every API answer.
func errBusy(limit int64) error {
	return &wireError{code: opay.CodeUnavailable, message: messageUnavailable,
		detail: fmt.Sprintf("the gateway is reading as many request bodies as it may at once (%d MiB); try again", limit>>20)}
}

// readBody reads the whole body once, at most maxBody bytes, within the body timeout, holding
// its bytes in the budget. release gives them back; call it when the body is no longer used.
// On failure it answers the request itself.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (body []byte, release func(), ok bool) {
	if r.ContentLength > maxBody {
		s.refuseUnread(w, r, http.StatusRequestEntityTooLarge, invalid("request body is larger than 1 MiB"))
		return nil, nil, false
	}
	// A chunked body may be as large as the largest allowed until it ends.
	reserved := r.ContentLength
	if reserved < 0 {
		reserved = maxBody
	}
	if !s.bodies.acquire(reserved) {
		w.Header().Set("Retry-After", "1")
		s.refuseUnread(w, r, http.StatusOK, errBusy(s.bodies.limit))
		return nil, nil, false
	}
	// release reads reserved when it runs, so it gives back what is held by then.
	var once sync.Once
	release = func() { once.Do(func() { s.bodies.release(reserved) }) }

	// The server's ReadTimeout counts from the start of the headers and is long enough for the
	// pages' forms; an API body gets its own, shorter deadline. Clearing it afterwards keeps
	// the deadline from firing in the server's background read of the idle connection while
	// the handler runs, which would cancel the request. Writers that cannot set deadlines
	// (httptest.ResponseRecorder) keep the server's.
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(s.bodyTimeout)) == nil {
		defer rc.SetReadDeadline(time.Time{})
	}
	body, err := readAll(http.MaxBytesReader(w, r.Body, maxBody), r.ContentLength)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		release()
		s.refuseUnread(w, r, http.StatusRequestEntityTooLarge, invalid("request body is larger than 1 MiB"))
		return nil, nil, false
	case errors.Is(err, errShortBody):
		release()
		s.refuseUnread(w, r, http.StatusBadRequest, invalid("request body is shorter than its Content-Length"))
		return nil, nil, false
	case err != nil:
		release()
		s.refuseUnread(w, r, http.StatusBadRequest, invalid("request body could not be read within %s", s.bodyTimeout))
		return nil, nil, false
	}
	if int64(len(body)) < reserved {
		// A chunked body now has its size: hold only that.
		s.bodies.release(reserved - int64(len(body)))
		reserved = int64(len(body))
	}
	return body, release, true
}

var errShortBody = errors.New("body shorter than Content-Length")

// readAll reads a body of a known length into one buffer of exactly that size, the size the
// budget holds for it (io.ReadAll's doubling would hold up to twice as much); an unknown
// length grows as io.ReadAll does.
func readAll(r io.Reader, n int64) ([]byte, error) {
	if n < 0 {
		return io.ReadAll(r)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, errShortBody
		}
		return nil, err
	}
	return body, nil
}

// refuseUnread answers a request whose body it did not read whole, and closes the connection
// after the answer. Otherwise the server would first read up to 256 KiB of the unread body to
// reuse the connection, so a client that stalls mid-body would hold its answer, and its
// connection, until the read deadline, or for ever once readBody cleared it.
func (s *Server) refuseUnread(w http.ResponseWriter, r *http.Request, status int, err error) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
	s.writeStatus(w, r, status, err)
}

// readBody reads a body of the sandbox's control API, at most maxBody bytes. Those routes
// have no merchant to check first and exist only in the sandbox, so they stay outside the
// budget and keep the server's read deadline.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	if r.ContentLength > maxBody {
		return nil, http.StatusRequestEntityTooLarge, invalid("request body is larger than 1 MiB")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, http.StatusRequestEntityTooLarge, invalid("request body is larger than 1 MiB")
	} else if err != nil {
		return nil, http.StatusBadRequest, invalid("request body could not be read")
	}
	return body, http.StatusOK, nil
}
