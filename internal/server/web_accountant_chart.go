package server

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/feepos/feepos/receipts"
)

// barChart draws a horizontal bar chart as inline SVG, server-side (no
// script, no asset): one bar per row, its label on the left and its
// amount on the right. title is the chart's accessible name.
type barRow struct {
	Label string
	Value int64
	Note  string // after the amount, e.g. "3 giao dịch"
}

func barChart(title string, rows []barRow) template.HTML {
	if len(rows) == 0 {
		return ""
	}
	const width, labelW, valueW, barH, gap = 720, 230, 190, 22, 8
	plotW := float64(width - labelW - valueW - 10)
	var maxV int64 = 1
	for _, r := range rows {
		maxV = max(maxV, r.Value)
	}
	height := len(rows)*(barH+gap) + gap
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMinYMin meet" role="img" aria-label="%s">`,
		width, height, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<title>%s</title>`, template.HTMLEscapeString(title))
	for i, r := range rows {
		y := gap + i*(barH+gap)
		w := plotW * float64(r.Value) / float64(maxV)
		if r.Value > 0 && w < 2 {
			w = 2
		}
		label := r.Label
		if n := []rune(label); len(n) > 30 {
			label = string(n[:29]) + "…"
		}
		value := receipts.FormatDong(r.Value)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" text-anchor="end" fill="#1a1a1a">%s</text>`,
			labelW-8, y+barH/2+5, template.HTMLEscapeString(label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="#0b4f8a"><title>%s: %s</title></rect>`,
			labelW, y, w, barH, template.HTMLEscapeString(r.Label), template.HTMLEscapeString(value+" "+r.Note))
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="13" fill="#1a1a1a">%s</text>`,
			float64(labelW)+w+6, y+barH/2+5, template.HTMLEscapeString(value))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
