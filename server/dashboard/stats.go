package dashboard

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/opaygate/opaygate"
)

// chartDays is how many days the payment volume chart shows, today included.
const chartDays = 30

// statsPage is the data of the statistics page.
type statsPage struct {
	From, To string
	Lines    []statLine
	Charts   []chart
	// ByMethod sums the successful payments of the chart's 30 days by pay method.
	ByMethod []opaygate.MethodVolume
}

// statLine is one row of the invoice statistics: a status (or the total) in one currency.
type statLine struct {
	Status   string
	Currency string
	Count    int64
	Amount   int64
}

// stats shows the invoice counts and sums by status for a range of creation days (the last 30
// by default), and the daily volume of successful payments over the last 30 days.
func (d *Dashboard) stats(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	now := d.svc.Clock.Now()
	today := now.UTC().Truncate(24 * time.Hour)
	from, to := today.AddDate(0, 0, -(chartDays-1)), today
	var problem string
	if s := q.Get("from"); s != "" {
		if t, err := parseDate("from", s); err == nil {
			from = t
		} else {
			problem = opaygate.ErrorMessage(err)
		}
	}
	if s := q.Get("to"); s != "" {
		if t, err := parseDate("to", s); err == nil {
			to = t
		} else {
			problem = opaygate.ErrorMessage(err)
		}
	}
	if from.After(to) || to.Sub(from) > 366*24*time.Hour {
		problem = "The range must start before it ends and span at most 366 days; showing the last 30 days."
		from, to = today.AddDate(0, 0, -(chartDays-1)), today
	}
	stats, err := d.svc.Invoices.InvoiceStats(r.Context(), v.m.ID, from, to.Add(24*time.Hour-time.Millisecond))
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	data := statsPage{From: date(from), To: date(to), Lines: statLines(stats, v.m.Currency())}
	data.Charts, err = d.volume(r.Context(), v.m, today)
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	start := today.AddDate(0, 0, -(chartDays - 1))
	data.ByMethod, err = d.svc.Orders.VolumeByMethod(r.Context(), v.m.ID, start, today.AddDate(0, 0, 1))
	if err != nil {
		d.fail(w, r, v, err)
		return
	}
	d.render(w, r, http.StatusOK, "stats", v, page{Title: "Statistics", Nav: "stats", Error: problem, Data: data})
}

// statLines puts the statistics in a fixed order: each status then the total, per currency,
// zero rows included so the table always has the same shape.
func statLines(stats []opaygate.InvoiceStat, fallback string) []statLine {
	var curs []string
	for _, s := range stats {
		if !slices.Contains(curs, s.Currency) {
			curs = append(curs, s.Currency)
		}
	}
	if len(curs) == 0 {
		curs = []string{fallback}
	}
	slices.Sort(curs)
	var out []statLine
	for _, c := range curs {
		total := statLine{Status: "Total", Currency: c}
		for _, st := range opaygate.InvoiceStatuses() {
			line := statLine{Status: string(st), Currency: c}
			for _, s := range stats {
				if s.Currency == c && s.Status == st {
					line.Count += s.Count
					line.Amount += s.Amount
				}
			}
			total.Count += line.Count
			total.Amount += line.Amount
			out = append(out, line)
		}
		out = append(out, total)
	}
	return out
}

// volume sums the merchant's SUCCESS orders by UTC day of creation over the last chartDays
// days, one chart per currency. (An order lives at most a day, so the day it was created is
// the day it was paid or the one before.) The database does the summing.
func (d *Dashboard) volume(ctx context.Context, m *opaygate.Merchant, today time.Time) ([]chart, error) {
	start := today.AddDate(0, 0, -(chartDays - 1))
	days, err := d.svc.Orders.DailyVolume(ctx, m.ID, start, today.AddDate(0, 0, 1))
	if err != nil {
		return nil, err
	}
	sums := map[string]*[chartDays]dayVolume{}
	for _, v := range days {
		if v.Day < 0 || v.Day >= chartDays {
			continue
		}
		cur, ok := sums[v.Currency]
		if !ok {
			cur = new([chartDays]dayVolume)
			sums[v.Currency] = cur
		}
		cur[v.Day].Amount += v.Amount
		cur[v.Day].Count += int(v.Count)
	}
	curs := make([]string, 0, len(sums))
	for c := range sums {
		curs = append(curs, c)
	}
	if len(curs) == 0 {
		curs = []string{m.Currency()}
		sums[curs[0]] = new([chartDays]dayVolume)
	}
	slices.Sort(curs)
	charts := make([]chart, 0, len(curs))
	for _, c := range curs {
		charts = append(charts, newChart(c, start, sums[c][:]))
	}
	return charts, nil
}

type dayVolume struct {
	Amount int64
	Count  int
}

// chart is a bar chart drawn as SVG by the template from these precomputed coordinates: no
// JavaScript, and readable without it through each bar's <title> and the table beside it.
type chart struct {
	Currency      string
	Width, Height int
	PlotTop       int
	PlotBottom    int
	PlotLeft      int
	MaxLabel      string
	MidLabel      string
	MidY          int
	Total         int64
	Count         int
	Bars          []bar
}

type bar struct {
	Day        string
	X, Y, W, H float64
	Amount     int64
	Count      int
	Label      string // the day under every fifth bar
	LabelX     float64
}

func newChart(currency string, start time.Time, days []dayVolume) chart {
	c := chart{Currency: currency, Width: 640, Height: 240, PlotTop: 12, PlotBottom: 200, PlotLeft: 84}
	var peak int64
	for _, d := range days {
		peak = max(peak, d.Amount)
		c.Total += d.Amount
		c.Count += d.Count
	}
	scale := niceCeil(peak)
	c.MaxLabel, c.MidLabel = money(scale, currency), money(scale/2, currency)
	c.MidY = (c.PlotTop + c.PlotBottom) / 2
	slot := float64(c.Width-c.PlotLeft-4) / float64(len(days))
	height := float64(c.PlotBottom - c.PlotTop)
	for i, d := range days {
		h := 0.0
		if scale > 0 {
			h = height * float64(d.Amount) / float64(scale)
		}
		if d.Amount > 0 && h < 1 {
			h = 1 // a paid day never looks empty
		}
		x := float64(c.PlotLeft) + float64(i)*slot
		b := bar{Day: date(start.AddDate(0, 0, i)), X: x + slot*0.15, W: slot * 0.7, H: h,
			Y: float64(c.PlotBottom) - h, Amount: d.Amount, Count: d.Count, LabelX: x + slot/2}
		if i%5 == 0 || i == len(days)-1 {
			b.Label = start.AddDate(0, 0, i).Format("Jan 2")
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

// niceCeil rounds a peak up to 1, 2 or 5 times a power of ten (in minor units), so the axis
// reads well; 0 stays 0.
func niceCeil(v int64) int64 {
	if v <= 0 {
		return 0
	}
	p := int64(1)
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []int64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}
