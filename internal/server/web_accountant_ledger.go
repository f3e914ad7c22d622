package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/feepos/feepos/ledger"
)

// The ledger page (GET /accountant/ledger): the trial balance as of a
// date (as `feepos ledger trial-balance`) and the journal of that date
// (as `feepos ledger journal`), 50 entries a page with their lines, the
// accounts named in Vietnamese (the chart's names).

type acctLedgerLine struct {
	ledger.Line
	Name  string
	Debit bool
	Dims  string
}

type acctLedgerEntry struct {
	ledger.Entry
	Lines []acctLedgerLine
}

// acctTBRow is a trial balance row with its balance on its side.
type acctTBRow struct {
	ledger.TrialBalanceRow
	Dr, Cr int64
}

type acctLedgerData struct {
	Date     string
	Trial    ledger.TrialBalance
	Rows     []acctTBRow
	Balanced bool
	Entries  []acctLedgerEntry
	Total    int
	Shown    int
	Next     string // the next page of the journal
	First    string // back to the journal's first page ("" on it)
}

func (s *Server) handleAcctLedger(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	date, msg := s.acctDate(r)
	tb, err := s.db.TrialBalance(ctx, date)
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	names := map[string]string{}
	for _, row := range tb.Rows {
		names[row.Account] = row.Name
	}
	if accts, err := s.db.Accounts(ctx); err == nil {
		for _, a := range accts {
			names[a.Code] = a.Name
		}
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	entries, total, err := s.db.JournalPage(ctx, date, max(after, 0), acctPerPage)
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	d := acctLedgerData{Date: date, Trial: tb, Balanced: tb.Balanced(), Total: total, Shown: len(entries)}
	for _, row := range tb.Rows {
		x := acctTBRow{TrialBalanceRow: row}
		if row.Balance > 0 {
			x.Dr = row.Balance
		} else {
			x.Cr = -row.Balance
		}
		d.Rows = append(d.Rows, x)
	}
	for _, e := range entries {
		x := acctLedgerEntry{Entry: e}
		for _, l := range e.Lines {
			x.Lines = append(x.Lines, acctLedgerLine{Line: l, Name: names[l.Account], Debit: l.Side == ledger.Debit, Dims: dimsVI(l.Dimensions)})
		}
		d.Entries = append(d.Entries, x)
	}
	if len(entries) == acctPerPage {
		d.Next = "/accountant/ledger?" + url.Values{"date": {date}, "after": {strconv.FormatInt(entries[len(entries)-1].ID, 10)}}.Encode() + "#journal"
	}
	if after > 0 {
		d.First = "/accountant/ledger?" + url.Values{"date": {date}}.Encode() + "#journal"
	}
	status := http.StatusOK
	if msg != "" {
		status = http.StatusUnprocessableEntity
	}
	s.renderWeb(w, r, status, "accountant_ledger", webPage{Title: "Sổ sách ngày " + dayVN(date), Error: msg, Data: d})
}

// dimsVI writes a line's dimensions as the CLI's journal does, in
// Vietnamese.
func dimsVI(d ledger.Dimensions) string {
	var parts []string
	for _, p := range []struct{ k, v string }{{"Cơ quan", d.Agency}, {"Mã phí", d.FeeCode}, {"Máy POS", d.Terminal},
		{"Quầy", d.Counter}, {"Thu ngân", d.Cashier}, {"Hồ sơ", d.Dossier}} {
		if p.v != "" {
			parts = append(parts, p.k+": "+p.v)
		}
	}
	return strings.Join(parts, "; ")
}
