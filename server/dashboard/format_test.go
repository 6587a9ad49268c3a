package dashboard

import (
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestDashboardMoney(t *testing.T) {
	for amount, want := range map[int64]string{0: "EGP 0.00", 5: "EGP 0.05", 150: "EGP 1.50", 123456789: "EGP 1,234,567.89",
		100000: "EGP 1,000.00", -2550: "EGP -25.50"} {
		if got := money(amount, "EGP"); got != want {
			t.Errorf("money(%d) = %q, want %q", amount, got, want)
		}
	}
	for in, want := range map[string]int64{"150": 15000, "150.5": 15050, "150.25": 15025, "1,234.56": 123456, " 0.99 ": 99,
		".5": 50, "7.": 700} {
		if got, err := parseMoney("amount", in); err != nil || got != want {
			t.Errorf("parseMoney(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "0.00", "-1", "1.234", "1e3", "abc", "1.2.3", "99999999999999", "+5"} {
		if got, err := parseMoney("amount", in); err == nil {
			t.Errorf("parseMoney(%q) = %d, want an error", in, got)
		}
	}
}

func TestDashboardSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "/dashboard/orders",
		"/dashboard/invoices?page=2": "/dashboard/invoices?page=2",
		"/dashboard":                 "/dashboard",
		"//evil.example":             "/dashboard/orders",
		"https://evil.example/":      "/dashboard/orders",
		"/\\evil.example":            "/dashboard/orders",
		"/dashboard/login?next=x":    "/dashboard/orders",
		"javascript:alert(1)":        "/dashboard/orders",
		"/api/v1/international":      "/dashboard/orders",
		"/dashboard\r\nSet-Cookie:x": "/dashboard/orders",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDashboardLimiter(t *testing.T) {
	l := newLimiter(RateLimit{Burst: 2, Every: time.Minute})
	now := time.Unix(1_800_000_000, 0)
	for i, want := range []bool{true, true, false} {
		if ok, _ := l.allow("k", now); ok != want {
			t.Fatalf("attempt %d: %v", i+1, ok)
		}
	}
	if _, wait := l.allow("k", now); wait != time.Minute {
		t.Fatalf("wait %v", wait)
	}
	if ok, _ := l.allow("k", now.Add(30*time.Second)); ok {
		t.Fatal("half a token was enough")
	}
	if ok, _ := l.allow("k", now.Add(61*time.Second)); !ok {
		t.Fatal("no token after a minute")
	}
	if ok, _ := l.allow("other", now); !ok {
		t.Fatal("keys share a bucket")
	}
	t.Run("GiveBackAndForgive", func(t *testing.T) {
		l := newLimiter(RateLimit{Burst: 2, Every: time.Hour})
		l.allow("k", now)
		l.allow("k", now)
		l.giveBack("k", now) // a right password returns its token
		if ok, _ := l.allow("k", now); !ok {
			t.Fatal("the token given back was not there")
		}
		l.giveBack("k", now)
		l.giveBack("k", now)
		l.giveBack("k", now)
		if b := l.buckets["k"]; b.tokens != 2 {
			t.Fatalf("%v tokens, more than the burst", b.tokens)
		}
		l.allow("k", now)
		l.allow("k", now)
		l.forgive("k")
		if ok, _ := l.allow("k", now); !ok {
			t.Fatal("a forgiven key is still limited")
		}
	})
	t.Run("Bounded", func(t *testing.T) {
		l := newLimiter(RateLimit{Burst: 1, Every: time.Hour})
		for i := range 3 * maxBuckets {
			l.allow(strconv.Itoa(i), now) // every bucket stays empty, so none refills
		}
		if n := len(l.buckets); n > maxBuckets {
			t.Fatalf("%d buckets", n)
		}
	})
}

func TestDashboardSameOrigin(t *testing.T) {
	d := &Dashboard{scheme: "https", origin: "https://pay.example"}
	for name, tc := range map[string]struct {
		host    string
		headers map[string]string
		want    bool
	}{
		"PublicOrigin":        {"internal:8080", map[string]string{"Origin": "https://pay.example"}, true},
		"OwnHost":             {"pay2.example", map[string]string{"Origin": "https://pay2.example"}, true},
		"OtherOrigin":         {"pay.example", map[string]string{"Origin": "https://evil.example"}, false},
		"SchemeMismatch":      {"pay.example", map[string]string{"Origin": "http://pay.example"}, false},
		"RefererOnly":         {"pay.example", map[string]string{"Referer": "https://pay.example/dashboard/orders"}, true},
		"OtherReferer":        {"pay.example", map[string]string{"Referer": "https://evil.example/pay.example"}, false},
		"Nothing":             {"pay.example", nil, false},
		"CrossSiteFetch":      {"pay.example", map[string]string{"Origin": "https://pay.example", "Sec-Fetch-Site": "cross-site"}, false},
		"SameSiteIsNotOrigin": {"pay.example", map[string]string{"Origin": "https://pay.example", "Sec-Fetch-Site": "same-site"}, false},
		"SameOriginFetch":     {"pay.example", map[string]string{"Origin": "https://pay.example", "Sec-Fetch-Site": "same-origin"}, true},
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "http://"+tc.host+"/dashboard/logout", nil)
			r.Host = tc.host
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			if got := d.sameOrigin(r); got != tc.want {
				t.Fatalf("%v", got)
			}
		})
	}
}

func TestDashboardNiceCeil(t *testing.T) {
	for in, want := range map[int64]int64{0: 0, 1: 1, 7: 10, 15000: 20000, 20000: 20000, 20001: 50000, 99: 100, 120001: 200000} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", in, got, want)
		}
	}
}
