package dashboard

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opaygate/opaygate"
	"github.com/opaygate/opaygate/server/internal/httplog"
)

// Cookies. Over https they carry the __Host- prefix, which browsers accept only with Secure,
// Path=/ and no Domain, so no sibling host can plant or overwrite them.
const (
	sessionCookie = "opaygate_session"
	loginCookie   = "opaygate_login" // the login form's CSRF token, before there is a session
	maxFormBytes  = 64 << 10
)

// dashHandler is a dashboard handler that runs for a logged-in merchant.
type dashHandler func(w http.ResponseWriter, r *http.Request, v *visit)

// get wraps a page: without a live session it sends the browser to the login page, and back
// here after it.
func (d *Dashboard) get(h dashHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := d.authenticate(w, r)
		if !ok {
			return
		}
		h(w, r, v)
	}
}

// post wraps a form's action: it runs only for a logged-in merchant, from a page of this site
// (Origin or Referer), with the session's CSRF token in the form.
func (d *Dashboard) post(h dashHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !d.sameOrigin(r) {
			d.forbidden(w, r, nil)
			return
		}
		v, ok := d.authenticate(w, r)
		if !ok {
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			d.render(w, r, http.StatusBadRequest, "error", v, page{Title: "Bad request", Error: "The form could not be read."})
			return
		}
		if !tokensEqual(r.PostFormValue("csrf"), v.sess.CSRFToken) {
			d.forbidden(w, r, v)
			return
		}
		h(w, r, v)
	}
}

func (d *Dashboard) forbidden(w http.ResponseWriter, r *http.Request, v *visit) {
	d.render(w, r, http.StatusForbidden, "error", v, page{Title: "Refused",
		Error: "This form was not sent from this dashboard page, or it is too old. Reload the page and try again."})
}

// tokensEqual compares a token from a request with the expected one in constant time; an
// empty expected token matches nothing.
func tokensEqual(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// authenticate finds the live session of the request and its merchant, or answers with a
// redirect to the login page and returns false.
func (d *Dashboard) authenticate(w http.ResponseWriter, r *http.Request) (*visit, bool) {
	toLogin := func(flash string) {
		q := url.Values{}
		if flash != "" {
			q.Set("ok", flash)
		}
		if r.Method == http.MethodGet {
			q.Set("next", r.URL.RequestURI())
		}
		target := "/dashboard/login"
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
		d.redirect(w, r, target)
	}
	c, err := r.Cookie(d.cookieName(sessionCookie))
	if err != nil || c.Value == "" {
		toLogin("")
		return nil, false
	}
	sess, err := d.svc.Sessions.FindSession(r.Context(), c.Value, d.policy)
	if opaygate.ErrorCode(err) == opaygate.ENOTFOUND {
		d.clearCookie(w, sessionCookie)
		toLogin("expired")
		return nil, false
	} else if err != nil {
		d.fail(w, r, nil, err)
		return nil, false
	}
	m, err := d.svc.Merchants.FindMerchant(r.Context(), sess.MerchantID)
	if err != nil && opaygate.ErrorCode(err) != opaygate.ENOTFOUND {
		d.fail(w, r, nil, err)
		return nil, false
	}
	if err != nil || m.Status == opaygate.MerchantDisabled {
		// A disabled merchant's session ends now; so does one whose merchant is gone.
		_ = d.svc.Sessions.DeleteSession(r.Context(), c.Value)
		d.clearCookie(w, sessionCookie)
		if err != nil {
			toLogin("expired")
		} else {
			toLogin("disabled")
		}
		return nil, false
	}
	httplog.From(r.Context()).Merchant = m.ID
	return &visit{m: m, sess: sess}, true
}

// sameOrigin is the second CSRF defence: a state-changing request must come from a page of
// this site. Sec-Fetch-Site, when the browser sends it, must not say another site; Origin
// (else Referer) must be the public URL's origin or this request's own host. A request with
// neither header is refused: every browser sends Origin with a POST form.
func (d *Dashboard) sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		ref, err := url.Parse(r.Header.Get("Referer"))
		if err != nil || ref.Host == "" {
			return false
		}
		origin = ref.Scheme + "://" + ref.Host
	}
	if d.origin != "" && strings.EqualFold(origin, d.origin) {
		return true
	}
	return strings.EqualFold(origin, d.scheme+"://"+r.Host)
}

func (d *Dashboard) cookieName(base string) string {
	if d.secure {
		return "__Host-" + base
	}
	return base
}

func (d *Dashboard) setCookie(w http.ResponseWriter, base, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: d.cookieName(base), Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (d *Dashboard) clearCookie(w http.ResponseWriter, base string) {
	http.SetCookie(w, &http.Cookie{Name: d.cookieName(base), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteLaxMode})
}

// loginForm is the login page's data.
type loginForm struct {
	MerchantID string
	Next       string
	Token      string // the login CSRF token, also in the login cookie
	RetryAfter int    // minutes, when rate-limited
}

// loginPage shows the login form, or sends a merchant who is logged in on.
func (d *Dashboard) loginPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if c, err := r.Cookie(d.cookieName(sessionCookie)); err == nil && c.Value != "" {
		if _, err := d.svc.Sessions.FindSession(r.Context(), c.Value, d.policy); err == nil {
			d.redirect(w, r, next)
			return
		}
	}
	d.showLogin(w, r, http.StatusOK, loginForm{Next: next}, "")
}

// showLogin renders the login form with a fresh login CSRF token.
func (d *Dashboard) showLogin(w http.ResponseWriter, r *http.Request, status int, f loginForm, msg string) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	f.Token = hex.EncodeToString(b[:])
	d.setCookie(w, loginCookie, f.Token, time.Hour)
	d.render(w, r, status, "login", nil, page{Title: "Log in", Error: msg, Data: f})
}

// login checks the login CSRF token, the rate limits and the password, then starts a session
// under a new id (never one the browser brought along).
func (d *Dashboard) login(w http.ResponseWriter, r *http.Request) {
	if !d.sameOrigin(r) {
		d.forbidden(w, r, nil)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		d.showLogin(w, r, http.StatusBadRequest, loginForm{}, "The form could not be read.")
		return
	}
	f := loginForm{MerchantID: strings.TrimSpace(r.PostFormValue("merchant_id")), Next: safeNext(r.PostFormValue("next"))}
	c, err := r.Cookie(d.cookieName(loginCookie))
	if err != nil || !tokensEqual(r.PostFormValue("csrf"), c.Value) {
		d.showLogin(w, r, http.StatusForbidden, f, "The login form was too old or came from elsewhere. Please try again.")
		return
	}
	password := r.PostFormValue("password")
	if f.MerchantID == "" || password == "" || len(f.MerchantID) > 64 {
		d.showLogin(w, r, http.StatusUnauthorized, f, "Merchant id or password is wrong.")
		return
	}
	httplog.From(r.Context()).Merchant = f.MerchantID
	if !d.throttleLogin(w, r, f) {
		return
	}
	pair := f.MerchantID + " " + clientIP(r)
	if err := d.svc.Sessions.VerifyPassword(r.Context(), f.MerchantID, password); err != nil {
		if opaygate.ErrorCode(err) != opaygate.EUNAUTHENTICATED {
			d.perMerchantIP.forgive(pair) // our failure, not the client's
			d.fail(w, r, nil, err)
			return
		}
		d.showLogin(w, r, http.StatusUnauthorized, f, "Merchant id or password is wrong.")
		return
	}
	// The right password clears this address's failures on the id, and gives back the
	// token it took from the id's bucket, which thus counts failures only.
	d.perMerchantIP.forgive(pair)
	d.perMerchant.giveBack(f.MerchantID, d.svc.Clock.Now())
	m, err := d.svc.Merchants.FindMerchant(r.Context(), f.MerchantID)
	if err != nil {
		d.fail(w, r, nil, err)
		return
	}
	if m.Status == opaygate.MerchantDisabled {
		d.showLogin(w, r, http.StatusForbidden, f, flashes["disabled"])
		return
	}
	if old, err := r.Cookie(d.cookieName(sessionCookie)); err == nil && old.Value != "" {
		_ = d.svc.Sessions.DeleteSession(r.Context(), old.Value)
	}
	token, _, err := d.svc.Sessions.CreateSession(r.Context(), m.ID, d.policy)
	if err != nil {
		d.fail(w, r, nil, err)
		return
	}
	d.setCookie(w, sessionCookie, token, d.policy.Absolute)
	d.clearCookie(w, loginCookie)
	d.redirect(w, r, f.Next)
}

// throttleLogin applies the login limits before the password is hashed, and answers 429
// and returns false when the attempt is refused. An attempt spends a token of its address
// and one of its (merchant id, address) pair — given back when the password is right, so
// the pair counts failures. Only those two refuse: they belong to the address that spent
// them. The merchant id's own bucket, spent by failures from every address, only slows:
// when it is empty the attempt waits LoginSlowdown, whatever its password, and goes on.
// So an attacker with many addresses can neither lock the owner out nor learn from the
// wait whether a guess was right, and one address guessing at one id is stopped after 5.
func (d *Dashboard) throttleLogin(w http.ResponseWriter, r *http.Request, f loginForm) bool {
	now := d.svc.Clock.Now()
	ip := clientIP(r)
	okIP, waitIP := d.perIP.allow(ip, now)
	okPair, waitPair := true, time.Duration(0)
	if okIP {
		okPair, waitPair = d.perMerchantIP.allow(f.MerchantID+" "+ip, now)
	}
	if !okIP || !okPair {
		wait := max(waitIP, waitPair)
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		f.RetryAfter = int(math.Ceil(wait.Minutes()))
		d.showLogin(w, r, http.StatusTooManyRequests, f, "Too many login attempts. Please wait and try again.")
		return false
	}
	if ok, _ := d.perMerchant.allow(f.MerchantID, now); !ok {
		d.log.Warn("dashboard login slowed: many failed attempts on this merchant id", "merchant_id", f.MerchantID,
			"delay", d.slowdown.String())
		select {
		case <-time.After(d.slowdown):
		case <-r.Context().Done():
			return false
		}
	}
	return true
}

// logout ends the session in the database, not only in the browser.
func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request, v *visit) {
	if c, err := r.Cookie(d.cookieName(sessionCookie)); err == nil {
		if err := d.svc.Sessions.DeleteSession(r.Context(), c.Value); err != nil {
			d.fail(w, r, v, err)
			return
		}
	}
	d.clearCookie(w, sessionCookie)
	d.redirect(w, r, "/dashboard/login?ok=logout")
}

// safeNext keeps a post-login destination on the dashboard: a path, never another host.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.Scheme != "" || u.Host != "" || u.Opaque != "" ||
		!strings.HasPrefix(next, "/dashboard") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n") || strings.HasPrefix(next, "/dashboard/login") {
		return "/dashboard/orders"
	}
	return next
}

// clientIP is the address the connection came from. Forwarding headers are not trusted: any
// client can send them (see docs/DASHBOARD.md about proxies).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter is a set of token buckets in memory, one per key.
type limiter struct {
	mu      sync.Mutex
	rate    RateLimit
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds the limiter's memory; past it, buckets that have refilled are dropped
// (they are the same as no bucket).
const maxBuckets = 10000

func newLimiter(rate RateLimit) *limiter {
	return &limiter{rate: rate, buckets: make(map[string]*bucket)}
}

// allow takes a token from key's bucket, or reports how long until one is back.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.prune(now)
		}
		b = &bucket{tokens: float64(l.rate.Burst), last: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.rate.Every))
}

// giveBack returns a token taken from key's bucket.
func (l *limiter) giveBack(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.buckets[key]; ok {
		l.refill(b, now)
		b.tokens = min(float64(l.rate.Burst), b.tokens+1)
	}
}

// forgive forgets key's bucket: the next attempt starts with a full one.
func (l *limiter) forgive(key string) {
	l.mu.Lock()
	delete(l.buckets, key)
	l.mu.Unlock()
}

func (l *limiter) refill(b *bucket, now time.Time) {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(float64(l.rate.Burst), b.tokens+float64(elapsed)/float64(l.rate.Every))
		b.last = now
	}
}

func (l *limiter) prune(now time.Time) {
	for k, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= float64(l.rate.Burst) {
			delete(l.buckets, k)
		}
	}
	// Still full: forget some at random rather than grow without bound. A forgotten key
	// starts again with a full bucket, which the per-IP limit still covers.
	for k := range l.buckets {
		if len(l.buckets) < maxBuckets*9/10 {
			break
		}
		delete(l.buckets, k)
	}
}
