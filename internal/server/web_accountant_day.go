package server

import (
	"fmt"
	"html/template"
	"net/http"
	"unicode"

	"github.com/feepos/feepos/internal/sqlite"
)

// The day at a glance (GET /accountant): what the counters collected on a
// date (default today), by method, organisation, agency and procedure,
// with bar charts drawn server-side, and the payments waiting for a
// person.

type acctDayGroup struct {
	Title string
	Head  string // the first column's header
	Rows  []sqlite.CollectedRow
	Chart template.HTML
}

type acctDayData struct {
	Date        string
	Today       string
	Count       int
	Amount      int64
	Groups      []acctDayGroup
	NeedsReview int
}

func methodVI(m string) string {
	switch m {
	case "card":
		return "Thẻ"
	case "cash":
		return "Tiền mặt"
	}
	return m
}

func (s *Server) handleAcctDay(w http.ResponseWriter, r *http.Request) {
	date, msg := s.acctDate(r)
	status := http.StatusOK
	if msg != "" {
		status = http.StatusUnprocessableEntity
	}
	c, err := s.db.DayCollection(r.Context(), date)
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	for i := range c.ByMethod {
		c.ByMethod[i].Name = methodVI(c.ByMethod[i].Key)
	}
	d := acctDayData{Date: date, Today: s.acctToday(), Count: c.Count, Amount: c.Amount, NeedsReview: c.NeedsReview}
	for _, g := range []struct {
		title, head string
		rows        []sqlite.CollectedRow
	}{
		{"Theo hình thức thanh toán", "Hình thức", c.ByMethod},
		{"Theo đơn vị thu", "Đơn vị thu", c.ByOrg},
		{"Theo cơ quan", "Cơ quan", c.ByAgency},
		{"Theo thủ tục", "Thủ tục", c.ByProcedure},
	} {
		bars := make([]barRow, len(g.rows))
		for i, row := range g.rows {
			if row.Name == "" {
				g.rows[i].Name = row.Key
				if row.Key == "" {
					g.rows[i].Name = "(không gắn thủ tục)"
				}
			}
			bars[i] = barRow{Label: g.rows[i].Name, Value: row.Amount, Note: fmt.Sprintf("(%d giao dịch)", row.Count)}
		}
		d.Groups = append(d.Groups, acctDayGroup{Title: g.title, Head: g.head, Rows: g.rows,
			Chart: barChart("Số tiền đã thu ngày "+dayVN(date)+" "+lowerFirst(g.title), bars)})
	}
	s.renderWeb(w, r, status, "accountant_day", webPage{Title: "Tổng quan ngày " + dayVN(date), Error: msg, Data: d})
}

func lowerFirst(s string) string {
	r := []rune(s)
	if len(r) > 0 {
		r[0] = unicode.ToLower(r[0])
	}
	return string(r)
}
