package dashboard

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opaygate/opaygate"
)

// dashboardFuncs are the helpers templates may call. They return plain strings: html/template
// escapes them for wherever they land.
var dashboardFuncs = template.FuncMap{
	"money":      money,
	"major":      major,
	"when":       when,
	"date":       date,
	"badge":      badge,
	"millis":     func(d time.Duration) int64 { return d.Milliseconds() },
	"join":       strings.Join,
	"add":        func(a, b int64) int64 { return a + b },
	"pathEscape": url.PathEscape,
	"mask":       opaygate.MaskIdentifier,
	"whenMs":     whenMs,
	"duration":   duration,
	"endpoint":   endpoint,
	"clip":       clip,
}

// whenMs is when with seconds and milliseconds, for requests a few apart.
func whenMs(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") }

// duration shows a request's duration in milliseconds: "1.25 ms".
func duration(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + " ms"
}

// endpoint shortens an API path to what tells endpoints apart: "international/cashier/status".
func endpoint(path string) string { return strings.TrimPrefix(path, "/api/v1/") }

// clip cuts s to n runes.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// money shows an amount in minor units with its currency: "EGP 1,234.56". Both supported
// currencies have two decimals.
func money(amount int64, currency string) string {
	return strings.TrimSpace(currency + " " + groupThousands(major(amount)))
}

// major writes minor units as a decimal with two places, as a form field takes it back.
func major(amount int64) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	return sign + strconv.FormatInt(amount/100, 10) + "." + twoDigits(amount%100)
}

func twoDigits(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

func groupThousands(dec string) string {
	whole, frac, _ := strings.Cut(dec, ".")
	neg := strings.HasPrefix(whole, "-")
	whole = strings.TrimPrefix(whole, "-")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String() + "." + frac
	if neg {
		out = "-" + out
	}
	return out
}

// parseMoney reads an amount in major units ("1234", "1,234.5", "0.99") as minor units,
// without floats.
func parseMoney(field, s string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if !opaygate.Digits(whole) || len(frac) > 2 || (dot && frac != "" && !opaygate.Digits(frac)) || len(whole) > 12 {
		return 0, errForm("%s must be an amount like 150 or 150.25", field)
	}
	n, _ := strconv.ParseInt(whole, 10, 64)
	frac += strings.Repeat("0", 2-len(frac))
	f, _ := strconv.ParseInt(frac, 10, 64)
	v := n*100 + f
	if v <= 0 || v > opaygate.MaxAmount {
		return 0, errForm("%s must be more than 0", field)
	}
	return v, nil
}

// when shows a time in UTC to the minute; the dashboard says everywhere that times are UTC.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

// parseDate reads a YYYY-MM-DD form field as midnight UTC.
func parseDate(field, s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, errForm("%s must be a date like 2026-01-31", field)
	}
	return t, nil
}

// badge is the CSS class of a status: the colour comes from the stylesheet, and the text of
// the status is always shown too.
func badge(status string) string {
	switch status {
	case "SUCCESS", "Paid", "delivered":
		return "badge ok"
	case "FAIL", "dead":
		return "badge bad"
	case "CLOSE", "Cancelled", "Expired":
		return "badge off"
	default:
		return "badge open"
	}
}

// pageURL is a listing's URL with its filters and another page number.
func pageURL(base string, q url.Values, page int) string {
	v := url.Values{}
	for k, vals := range q {
		if k != "page" && k != "ok" {
			v[k] = vals
		}
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

// pager is the pagination of a listing.
type pager struct {
	Page, Pages, Total int
	First, Last        int // 1-based rows shown
	Base               string
	Query              url.Values
}

func newPager(base string, q url.Values, page, total int) pager {
	pages := max(1, (total+pageSize-1)/pageSize)
	p := pager{Page: page, Pages: pages, Total: total, Base: base, Query: q}
	if total > 0 {
		p.First = (page-1)*pageSize + 1
		p.Last = min(total, page*pageSize)
	}
	return p
}

// Prev and Next are the neighbouring pages' URLs, "" at either end.
func (p pager) Prev() string {
	if p.Page <= 1 {
		return ""
	}
	return pageURL(p.Base, p.Query, p.Page-1)
}

func (p pager) Next() string {
	if p.Page >= p.Pages {
		return ""
	}
	return pageURL(p.Base, p.Query, p.Page+1)
}

// pageNumber reads ?page=, 1 when absent or nonsense.
func pageNumber(q url.Values) int {
	n, err := strconv.Atoi(q.Get("page"))
	if err != nil || n < 1 || n > 100000 {
		return 1
	}
	return n
}
