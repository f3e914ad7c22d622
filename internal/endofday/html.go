package endofday

import (
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/feepos/feepos/reconcile"
)

//go:embed report.html.tmpl
var reportHTML string

// ChartDay is one day of the report's chart: what the counters collected
// by card and what the acquirer settled.
type ChartDay struct {
	Date      string
	Collected int64
	Settled   int64
}

// Chart reads the last days (ending on date) of collected vs settled.
func (c *Closer) Chart(ctx context.Context, date string, days int) ([]ChartDay, error) {
	from := addDays(date, -(days - 1))
	col, err := c.db.CardCollectedByDay(ctx, from, date)
	if err != nil {
		return nil, err
	}
	set, err := c.db.SettledByDay(ctx, from, date)
	if err != nil {
		return nil, err
	}
	byDate := map[string]*ChartDay{}
	out := make([]ChartDay, days)
	for i := range out {
		out[i].Date = addDays(from, i)
		byDate[out[i].Date] = &out[i]
	}
	for _, d := range col {
		if c := byDate[d.Date]; c != nil {
			c.Collected = d.Amount
		}
	}
	for _, d := range set {
		if c := byDate[d.Date]; c != nil {
			c.Settled = d.Amount
		}
	}
	return out, nil
}

// Report returns the report of the last committed run of date.
func (c *Closer) Report(ctx context.Context, date string) (reconcile.Report, error) {
	run, ok, err := c.db.LatestReconcileRun(ctx, date)
	if err != nil {
		return reconcile.Report{}, err
	}
	if !ok {
		return reconcile.Report{}, notFoundf("%s has not been reconciled: run feepos reconcile run --date %s first", date, date)
	}
	return run.Report, nil
}

// chartSVG draws the chart server-side: two bars per day, no script, no
// external asset.
func chartSVG(days []ChartDay) template.HTML {
	const w, h, left, bottom, top = 760, 260, 90, 40, 20
	var maxV int64 = 1
	for _, d := range days {
		maxV = max(maxV, d.Collected, d.Settled)
	}
	plotH := float64(h - bottom - top)
	slot := float64(w-left-10) / float64(max(len(days), 1))
	bw := slot * 0.35
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="Thu qua thẻ và tiền quyết toán theo ngày">`, w, h, w, h)
	for i := 0; i <= 4; i++ {
		v := maxV * int64(i) / 4
		y := float64(h-bottom) - plotH*float64(i)/4
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" font-size="10" text-anchor="end">%s</text>`,
			left, y, w-10, y, left-4, y+3, template.HTMLEscapeString(groupDigits(v)))
	}
	for i, d := range days {
		x := float64(left) + slot*float64(i) + slot*0.1
		for j, v := range []int64{d.Collected, d.Settled} {
			bh := plotH * float64(v) / float64(maxV)
			color := "#1f6fb2"
			if j == 1 {
				color = "#2e9d5b"
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s đ</title></rect>`,
				x+float64(j)*bw, float64(h-bottom)-bh, bw, bh, color, VNDate(d.Date), groupDigits(v))
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="10" text-anchor="middle">%s</text>`, x+bw, h-bottom+14, VNDate(d.Date)[:5])
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="#1f6fb2"/><text x="%d" y="%d" font-size="11">Thu qua thẻ (sổ)</text>`, left, h-14, left+14, h-5)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="#2e9d5b"/><text x="%d" y="%d" font-size="11">Ngân hàng quyết toán</text>`, left+150, h-14, left+164, h-5)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"vnd":  FormatVND,
	"date": VNDate,
	"kind": KindVI,
	"join": strings.Join,
	"optvnd": func(v *int64) string {
		if v == nil {
			return ""
		}
		return FormatVND(*v)
	},
}).Parse(reportHTML))

// WriteHTML writes the self-contained HTML report: the summary in
// Vietnamese, the chart of the last days, the matches and the exceptions.
func WriteHTML(w io.Writer, rep reconcile.Report, chart []ChartDay) error {
	return reportTemplate.Execute(w, map[string]any{"R": rep, "Chart": chartSVG(chart), "Days": len(chart)})
}
