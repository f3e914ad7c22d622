package importers

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// mtTag is a field's first line: ":61:…", ":28C:…".
var mtTag = regexp.MustCompile(`^:([0-9]{2}[A-Z]?):(.*)$`)

type mtField struct {
	tag   string
	line  int
	value string   // the text on the tag's line
	more  []string // the lines after it up to the next tag
}

type mtBlock struct {
	line   int
	fields []mtField
}

// ReadMT940 reads a SWIFT MT940 customer statement file: one or several
// statements, each ended by a "-" line, or wrapped in SWIFT blocks
// ({1:…}{2:…}{4: … -}); a new :20: also starts a new statement. Lines
// before a statement's first field (a bank's own header such as
// "ABNANL2A / 940") are skipped.
//
// Per statement: :20:, :25:, :28: or :28C:, one opening :60F:/:60M: and
// one closing :62F:/:62M: are required, entries (:61: with its :86:) come
// between them, every amount is in the opening balance's currency, and the
// opening balance plus the entries must equal the closing balance (unless
// opt.SkipBalanceCheck). A file with any problem is refused whole: a
// *FileError lists every bad line with its field and the reason.
func ReadMT940(name string, r io.Reader, opt BankOptions) ([]BankStatement, error) {
	hr := newHashingReader(r)
	var rows rowCollector
	blocks, err := mtSplit(hr, &rows)
	fail := func() error { return &FileError{File: name, Format: FormatMT940, Rows: rows.rows} }
	if err != nil {
		rows.add(0, "", "the file could not be read: %v", err)
		return nil, fail()
	}
	if len(blocks) == 0 && len(rows.rows) == 0 {
		rows.add(0, "", "the file holds no MT940 statement (no :20: … :62F: fields): is it the right file?")
	}
	stmts := make([]BankStatement, 0, len(blocks))
	for _, b := range blocks {
		if rows.full() {
			break
		}
		stmts = append(stmts, mtStatement(name, b, opt, &rows))
	}
	if len(rows.rows) > 0 {
		return nil, fail()
	}
	sum, err := hr.sum()
	if err != nil {
		rows.add(0, "", "the file could not be read to its end: %v", err)
		return nil, fail()
	}
	for i := range stmts {
		stmts[i].Source = sum
	}
	assignIDs(stmts)
	return stmts, nil
}

// mtSplit cuts the file into statements of fields.
func mtSplit(r io.Reader, rows *rowCollector) ([]mtBlock, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var blocks []mtBlock
	var cur *mtBlock
	closeCur := func() {
		if cur != nil && len(cur.fields) > 0 {
			blocks = append(blocks, *cur)
		}
		cur = nil
	}
	n := 0
	for sc.Scan() {
		n++
		l := strings.TrimRight(sc.Text(), "\r")
		if n == 1 {
			l = strings.TrimPrefix(l, "\ufeff")
		}
		if !utf8.ValidString(l) {
			rows.add(n, "", "the line is not valid UTF-8 (a file saved as Windows-1258 or another code page?): save it as UTF-8 and import it again")
			l = strings.ToValidUTF8(l, "?")
		}
		if strings.HasPrefix(l, "{") {
			// SWIFT blocks: {1:…}{2:…}{4: opens the text, anything else is a header or trailer
			closeCur()
			i := strings.Index(l, "{4:")
			if i < 0 {
				continue
			}
			l = l[i+3:]
			if l == "" {
				continue
			}
		}
		if l == "-" || strings.HasPrefix(l, "-}") {
			closeCur()
			continue
		}
		if m := mtTag.FindStringSubmatch(l); m != nil {
			if m[1] == "20" && cur != nil && len(cur.fields) > 0 {
				closeCur()
			}
			if cur == nil {
				cur = &mtBlock{line: n}
			}
			cur.fields = append(cur.fields, mtField{tag: m[1], line: n, value: m[2]})
			continue
		}
		if cur != nil && len(cur.fields) > 0 {
			f := &cur.fields[len(cur.fields)-1]
			f.more = append(f.more, l)
		}
		// else: a line before the statement's first field (bank header): skipped
	}
	closeCur()
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			rows.add(n+1, "", "a line is longer than 1 MiB: this is not an MT940 file")
			return blocks, nil
		}
		return nil, err
	}
	return blocks, nil
}

// trimBlank drops the blank lines at the end of a field's lines.
func trimBlank(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func mtStatement(file string, b mtBlock, opt BankOptions, rows *rowCollector) BankStatement {
	st := BankStatement{File: file, Format: FormatMT940, Line: b.line}
	const (
		beforeOpening = iota
		entries
		afterClosing
	)
	state := beforeOpening
	count := map[string]int{}
	var last *mtField
	bad := len(rows.rows)
	for i := range b.fields {
		f := &b.fields[i]
		col := ":" + f.tag + ":"
		count[f.tag]++
		if f.tag != "61" && f.tag != "86" {
			if more := trimBlank(f.more); len(more) > 0 {
				rows.add(f.line+1, col, "unexpected text on the line after %s (only :61: and :86: continue on further lines)", col)
			}
		}
		single := func() bool {
			if count[f.tag] > 1 {
				rows.add(f.line, col, "a second %s in the same statement", col)
				return false
			}
			return true
		}
		switch f.tag {
		case "20", "25", "28", "28C":
			if strings.TrimSpace(f.value) == "" {
				rows.add(f.line, col, "%s is empty", col)
			}
		}
		switch f.tag {
		case "20":
			st.ID = strings.TrimSpace(f.value)
		case "21":
		case "25":
			if single() {
				st.Account = strings.TrimSpace(f.value)
			}
		case "28", "28C":
			if count["28"]+count["28C"] > 1 {
				rows.add(f.line, col, "a second statement number (:28:/:28C:) in the same statement")
			}
			st.Number = strings.TrimSpace(f.value)
		case "60F", "60M":
			if count["60F"]+count["60M"] > 1 || state != beforeOpening {
				rows.add(f.line, col, "a second opening balance in the same statement")
				break
			}
			state = entries
			if bal, ok := mtBalance(f, "", rows); ok {
				st.Currency = bal.Amount.Currency
				st.Balances = append(st.Balances, bal)
			}
		case "61":
			switch state {
			case beforeOpening:
				rows.add(f.line, col, "an entry before the opening balance (:60F:/:60M:)")
			case afterClosing:
				rows.add(f.line, col, "an entry after the closing balance (:62F:/:62M:)")
			}
			ccy := st.Currency
			if ccy == "" {
				ccy = "XXX" // no opening balance: reported above, the entry is still checked
			}
			if e, ok := mtEntry(f, ccy, rows); ok {
				st.Entries = append(st.Entries, e)
			}
		case "86":
			text := strings.Join(trimBlank(append([]string{f.value}, f.more...)), "\n")
			if last != nil && last.tag == "61" && len(st.Entries) > 0 && st.Entries[len(st.Entries)-1].Line == last.line {
				e := &st.Entries[len(st.Entries)-1]
				e.Text = strings.TrimPrefix(e.Text+"\n"+text, "\n")
			} else {
				st.Info = strings.TrimPrefix(st.Info+"\n"+text, "\n")
			}
		case "62F", "62M":
			if count["62F"]+count["62M"] > 1 {
				rows.add(f.line, col, "a second closing balance in the same statement")
				break
			}
			if state == beforeOpening {
				rows.add(f.line, col, "the closing balance comes before the opening balance (:60F:/:60M:)")
			}
			state = afterClosing
			if bal, ok := mtBalance(f, st.Currency, rows); ok {
				st.Balances = append(st.Balances, bal)
			}
		case "64":
			if single() {
				if bal, ok := mtBalance(f, st.Currency, rows); ok {
					st.Balances = append(st.Balances, bal)
				}
			}
		case "65":
			if bal, ok := mtBalance(f, st.Currency, rows); ok {
				st.Balances = append(st.Balances, bal)
			}
		case "13", "13D", "34F", "90C", "90D":
			rows.add(f.line, col, "%s belongs to an MT942 interim report, not an MT940 statement: import the end-of-day MT940", col)
		default:
			rows.add(f.line, col, "%s is not an MT940 field", col)
		}
		last = f
	}
	for _, req := range []struct{ tags, what string }{
		{"20", ":20: (the statement's reference)"},
		{"25", ":25: (the account)"},
		{"28 28C", ":28C: (the statement number)"},
		{"60F 60M", ":60F: or :60M: (the opening balance)"},
		{"62F 62M", ":62F: or :62M: (the closing balance)"},
	} {
		n := 0
		for _, t := range strings.Fields(req.tags) {
			n += count[t]
		}
		if n == 0 {
			rows.add(b.line, ":"+strings.Fields(req.tags)[0]+":", "the statement has no %s", req.what)
		}
	}
	if !opt.SkipBalanceCheck && len(rows.rows) == bad {
		checkBalances(&st, rows, []string{"60F", "60M"}, []string{"62F", "62M"}, func(code string) string {
			if code == "" {
				return ":61:"
			}
			return ":" + code + ":"
		})
	}
	return st
}

// mtDate reads YYMMDD as 20YY-MM-DD.
func mtDate(s string) (time.Time, bool) {
	if len(s) != 6 || !allDigits(s) {
		return time.Time{}, false
	}
	y, m, d := 2000+atoi2(s[0:2]), atoi2(s[2:4]), atoi2(s[4:6])
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Month() != time.Month(m) || t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

func atoi2(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

// mtBalance reads a balance field: C or D, YYMMDD, currency, amount. want
// is the statement's currency ("" for the opening balance, which sets it).
func mtBalance(f *mtField, want string, rows *rowCollector) (StatementBalance, bool) {
	col := ":" + f.tag + ":"
	v := strings.TrimSpace(f.value)
	if len(v) < 11 {
		rows.add(f.line, col, "%q is too short for a balance (C or D, date YYMMDD, currency, amount: C110522EUR3236,28)", v)
		return StatementBalance{}, false
	}
	mark, date, ccy, amt := v[0], v[1:7], v[7:10], v[10:]
	if mark != 'C' && mark != 'D' {
		rows.add(f.line, col, "the balance starts with %q: it must be C (credit) or D (debit)", mark)
		return StatementBalance{}, false
	}
	t, ok := mtDate(date)
	if !ok {
		rows.add(f.line, col, "%q is not a date (YYMMDD)", date)
		return StatementBalance{}, false
	}
	m, err := mtAmount(amt, ccy)
	if err != nil {
		rows.add(f.line, col, "%v", err)
		return StatementBalance{}, false
	}
	if want != "" && ccy != want {
		rows.add(f.line, col, "the balance is in %s but the opening balance is in %s", ccy, want)
		return StatementBalance{}, false
	}
	if mark == 'D' {
		m.Minor = -m.Minor
	}
	return StatementBalance{Line: f.line, Code: f.tag, Date: t.Format("2006-01-02"), Amount: m}, true
}

// mtAmount reads an MT940 amount: digits, a decimal comma, the decimals
// (possibly none: "9,").
func mtAmount(s, ccy string) (Money, error) {
	if strings.IndexByte(s, ',') < 0 && strings.IndexByte(s, '.') < 0 && allDigits(s) && s != "" {
		return Money{}, fmt.Errorf("the amount %q has no decimal comma (MT940 writes 1500000, or 9,50)", s)
	}
	return parseDecimalAmount(s, ',', ccy)
}

// mtEntry reads a :61: statement line: value date YYMMDD, optional entry
// date MMDD, mark (C, D, RC, RD), optional funds code, amount, type
// (N/S/F + 3), the owner's reference, //the bank's reference, and the
// supplementary details on the next line.
func mtEntry(f *mtField, ccy string, rows *rowCollector) (StatementEntry, bool) {
	const col = ":61:"
	s := strings.TrimSpace(f.value)
	fail := func(format string, args ...any) (StatementEntry, bool) {
		rows.add(f.line, col, format, args...)
		return StatementEntry{}, false
	}
	if len(s) < 6 {
		return fail("%q is too short for an entry (value date YYMMDD, C or D, amount, type: 1105240524D9,N192NONREF)", s)
	}
	vd, ok := mtDate(s[:6])
	if !ok {
		return fail("the value date %q is not a date (YYMMDD)", s[:6])
	}
	s = s[6:]
	book := vd
	if len(s) >= 4 && allDigits(s[:4]) {
		if book, ok = mtEntryDate(vd, s[:4]); !ok {
			return fail("the entry date %q is not a date (MMDD)", s[:4])
		}
		s = s[4:]
	}
	var mark string
	for _, m := range []string{"RC", "RD", "C", "D"} {
		if strings.HasPrefix(s, m) {
			mark = m
			break
		}
	}
	if mark == "" {
		return fail("the debit/credit mark (C, D, RC or RD) is missing after the date(s), found %q", clipMT940(s))
	}
	s = s[len(mark):]
	if len(s) > 1 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= '0' && s[1] <= '9' {
		s = s[1:] // funds code (the currency's third letter)
	}
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == ',' || s[i] == '.') {
		i++
	}
	if i == 0 {
		return fail("the amount is missing after the mark %s, found %q", mark, clipMT940(s))
	}
	amt, err := mtAmount(s[:i], ccy)
	if err != nil {
		return fail("%v", err)
	}
	s = s[i:]
	if len(s) < 4 || strings.IndexByte("NSF", s[0]) < 0 {
		return fail("the transaction type (N, S or F and three characters, e.g. NTRF) is missing after the amount, found %q", clipMT940(s))
	}
	txType := s[:4]
	s = s[4:]
	ownRef, bankRef := s, ""
	if j := strings.Index(s, "//"); j >= 0 {
		ownRef, bankRef = s[:j], s[j+2:]
	}
	if mark == "D" || mark == "RC" {
		amt.Minor = -amt.Minor
	}
	e := StatementEntry{
		Line: f.line, Amount: amt, Mark: mark, Reversal: mark[0] == 'R',
		BookingDate: book.Format("2006-01-02"), ValueDate: vd.Format("2006-01-02"),
		EntryRef: strings.TrimSpace(ownRef), BankRef: strings.TrimSpace(bankRef), TxType: txType,
	}
	var supp []string
	for _, l := range f.more {
		if l = strings.TrimSpace(l); l != "" {
			supp = append(supp, l)
		}
	}
	e.Text = strings.Join(supp, "\n")
	return e, true
}

// mtEntryDate resolves the entry date MMDD to the year that puts it
// nearest the value date: 1231 with value date 2025-01-02 is 2024-12-31,
// 0102 with value date 2024-12-31 is 2025-01-02.
func mtEntryDate(value time.Time, mmdd string) (time.Time, bool) {
	m, d := atoi2(mmdd[:2]), atoi2(mmdd[2:])
	var best time.Time
	var bestDiff time.Duration = -1
	for _, y := range []int{value.Year() - 1, value.Year(), value.Year() + 1} {
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if t.Month() != time.Month(m) || t.Day() != d {
			continue
		}
		diff := t.Sub(value)
		if diff < 0 {
			diff = -diff
		}
		if bestDiff < 0 || diff < bestDiff {
			best, bestDiff = t, diff
		}
	}
	return best, bestDiff >= 0
}

func clipMT940(s string) string {
	if r := []rune(s); len(r) > 20 {
		return string(r[:20]) + "…"
	}
	return s
}
