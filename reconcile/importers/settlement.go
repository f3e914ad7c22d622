package importers

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/feepos/feepos/reconcile"

	_ "time/tzdata" // the zone must resolve on a machine without tzdata
)

// Zone is where settlement files' local times are: Vietnam.
var Zone = mustZone("Asia/Ho_Chi_Minh")

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic("importers: load " + name + ": " + err.Error()) // embedded tzdata: cannot happen
	}
	return z
}

// maxRowErrors bounds the rows a FileError keeps: a million-line file in
// the wrong profile must not build a million errors before saying so.
const maxRowErrors = 10000

// collector gathers a file's bad rows and the line ids already seen.
type collector struct {
	file, format string
	rows         []RowError
	more         int
	seen         map[[16]byte]int // line id's hash → its line: 16 bytes a line, not the id
	scratch      []byte
}

func newCollector(file, format string) *collector {
	return &collector{file: file, format: format, seen: map[[16]byte]int{}}
}

func (c *collector) add(line int, column, reason string) {
	if len(c.rows) >= maxRowErrors {
		c.more++
		return
	}
	c.rows = append(c.rows, RowError{Line: line, Column: column, Reason: reason})
}

func (c *collector) bad() bool { return len(c.rows) > 0 }

// unique records id at line, or reports the line that had it first.
func (c *collector) unique(line int, id string) bool {
	var h [16]byte
	c.scratch = append(c.scratch[:0], id...) // no copy of the id per line
	sum := sha256.Sum256(c.scratch)
	copy(h[:], sum[:])
	if first, dup := c.seen[h]; dup {
		c.add(line, "", fmt.Sprintf("duplicate line: same line id %q as line %d", id, first))
		return false
	}
	c.seen[h] = line
	return true
}

func (c *collector) err() error {
	if !c.bad() {
		return nil
	}
	rows := c.rows
	if c.more > 0 {
		rows = append(rows, RowError{Reason: fmt.Sprintf("… and %d more problem(s) not listed", c.more)})
	}
	return &FileError{File: c.file, Format: c.format, Rows: rows}
}

// key normalises a header name or a type word for comparison: Unicode
// NFC (a Windows-1258 file decodes to combining marks; macOS writes NFD),
// lower case, spaces trimmed and collapsed.
func key(s string) string {
	if plainKey(s) {
		return s // the common case (a type word per row): no allocation
	}
	s = strings.TrimPrefix(s, "\uFEFF")
	if !norm.NFC.IsNormalString(s) {
		s = norm.NFC.String(s)
	}
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

func plainKey(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return s == ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' || c < ' ' || c == ' ' && s[i-1] == ' ' {
			return false
		}
	}
	return true
}

// LineID is a settlement line's id when its file gives none: the fields
// that identify a card transaction in an acquirer's batch, joined. Stable
// across re-imports of the same file; two lines with the same id in one
// file are refused as duplicates.
func LineID(l reconcile.SettlementLine) string {
	var buf [96]byte
	return string(appendLineID(buf[:0], l))
}

// appendLineID appends LineID(l) to b: one allocation for the id, not
// one per field, on a million-line file.
func appendLineID(b []byte, l reconcile.SettlementLine) []byte {
	b = append(b, l.SettlementDate...)
	b = append(b, '|')
	b = append(b, l.TerminalID...)
	b = append(b, '|')
	b = append(b, l.BatchNo...)
	b = append(b, '|')
	b = strconv.AppendInt(b, l.TraceNo, 10)
	b = append(b, '|')
	b = append(b, l.Type...)
	b = append(b, '|')
	return append(b, l.RRN...)
}

// parseAmount reads a whole-đồng amount written with the given thousands
// separator (0: none) and decimal mark: "1.234.567", "1,234,567.00",
// "150000 đ", "150.000 VND". A non-zero fraction is refused.
func parseAmount(s string, thousands, decimal byte) (int64, string) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\u00a0", " "))
	orig := s
	for _, suf := range []string{"VNĐ", "VND", "vnđ", "vnd", "đ", "₫", "Đ"} {
		if strings.HasSuffix(s, suf) {
			s = strings.TrimSpace(strings.TrimSuffix(s, suf))
			break
		}
	}
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	} else if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	intPart, frac := s, ""
	if i := strings.LastIndexByte(s, decimal); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
		if frac == "" {
			return 0, fmt.Sprintf("%q is not an amount", orig)
		}
	}
	if thousands != 0 && strings.IndexByte(intPart, thousands) >= 0 {
		groups := strings.Split(intPart, string(thousands))
		if len(groups[0]) < 1 || len(groups[0]) > 3 {
			return 0, fmt.Sprintf("%q is not an amount in this profile's format (thousands %q)", orig, thousands)
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, fmt.Sprintf("%q is not an amount in this profile's format (thousands %q)", orig, thousands)
			}
		}
		intPart = strings.Join(groups, "")
	}
	if intPart == "" || !digits(intPart) || !digits(frac) {
		return 0, fmt.Sprintf("%q is not an amount in this profile's format (thousands %q, decimal %q)", orig, string(rune(thousands)), decimal)
	}
	if strings.Trim(frac, "0") != "" {
		return 0, fmt.Sprintf("%q has a fraction of a đồng: amounts are whole đồng", orig)
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > 15 {
		return 0, fmt.Sprintf("%q is too large for an amount", orig)
	}
	var n int64
	for i := 0; i < len(intPart); i++ {
		n = n*10 + int64(intPart[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, ""
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// fullPAN reports a card number that is not masked: 13–19 digits once
// spaces and dashes are out. feepos never stores one (and never echoes it
// in an error).
func fullPAN(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			n++
		case c == ' ' || c == '-':
		default:
			return false
		}
	}
	return n >= 13 && n <= 19
}

// validText is a cell's text check: valid UTF-8 and no control
// characters other than tab.
func validText(s string) string {
	if !utf8.ValidString(s) {
		return "not valid UTF-8: the file is probably in Windows-1258 or another code page; save it as UTF-8 or use a profile with encoding = \"windows-1258\""
	}
	return ""
}

// Detectors recognise a file's format for `--format auto`. Detect asks
// the xlsx and NAPAS checks, then each detector in order (the bank
// statement readers append theirs in init), then falls back to CSV for
// text. A detector returns "" for a file that is not its format.
var detectors []func(name string, head []byte) string

// RegisterDetector adds a detector (call it from init).
func RegisterDetector(d func(name string, head []byte) string) { detectors = append(detectors, d) }

// Detect names the format of a file from its name and its first bytes
// (a few KiB): "xlsx", "napas", a registered detector's answer, "csv",
// or "" when it cannot tell.
func Detect(name string, head []byte) string {
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		if strings.HasSuffix(strings.ToLower(name), ".xlsx") || bytes.Contains(head, []byte("[Content_Types].xml")) || bytes.Contains(head, []byte("xl/")) {
			return "xlsx"
		}
		return ""
	}
	text := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")), " \t\r\n")
	if bytes.HasPrefix(text, []byte("HR[")) {
		return "napas"
	}
	for _, d := range detectors {
		if f := d(name, head); f != "" {
			return f
		}
	}
	if bytes.HasPrefix(head, []byte("\xFF\xFE")) || bytes.HasPrefix(head, []byte("\xFE\xFF")) {
		return "csv" // UTF-16 text: a spreadsheet's "Unicode text" export
	}
	if len(text) > 0 && bytes.IndexByte(head, 0) < 0 {
		return "csv"
	}
	return ""
}

// headerScan is how many rows the header may come after: bank exports
// put a title block (bank, merchant, period) above it.
const headerScan = 20

// mapper turns a table's rows (CSV records, Excel rows) into settlement
// lines by a profile; it is shared by the CSV and Excel readers.
type mapper struct {
	p      *Profile
	c      *collector
	col    [nFields][]int // field → its columns in this file, in the profile's order
	req    [nFields]bool  // the profile requires the field
	header []string       // the file's header cells, to name a column in an error

	lastType, lastTypeKey string // the last type word and its key

	shared map[string]string // the few distinct values of low-cardinality columns
	buf    []byte            // scratch for a line's id and its own strings
}

// maxShared bounds the values shared: a column with more distinct values
// than this (an id, not a terminal) is not worth the map.
const maxShared = 1 << 14

// share returns s as the one copy of that value seen in the file: a
// million lines carry a handful of dates, batches, brands and a few
// hundred terminals, and each cell's string would otherwise keep its
// whole record (the CSV reader's one string per row) alive.
func (m *mapper) share(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := m.shared[s]; ok {
		return v
	}
	v := strings.Clone(s)
	if m.shared == nil {
		m.shared = map[string]string{}
	}
	if len(m.shared) < maxShared {
		m.shared[v] = v
	}
	return v
}

// shareBytes is share of a value being formatted (a date): no string
// is made when the value was seen before.
func (m *mapper) shareBytes(b []byte) string {
	if v, ok := m.shared[string(b)]; ok {
		return v
	}
	return m.share(string(b))
}

// compact gives the line its own strings: the low-cardinality columns
// shared, the line's id, RRN, approval code and masked PAN in one
// allocation, so that nothing keeps the row it was read from alive (a
// million rows are ~130 MB).
func (m *mapper) compact(l *reconcile.SettlementLine, ext string) {
	l.SettlementDate, l.TerminalID, l.MerchantID = m.share(l.SettlementDate), m.share(l.TerminalID), m.share(l.MerchantID)
	l.BatchNo, l.CardBrand, l.Currency = m.share(l.BatchNo), m.share(l.CardBrand), m.share(l.Currency)
	l.Type = reconcile.TxnType(m.share(string(l.Type)))
	// One allocation: the id, the RRN (the generated id ends with it),
	// the approval code and the masked PAN.
	b := m.buf[:0]
	if ext == "" {
		b = appendLineID(b, *l)
	} else {
		b = append(append(b, ext...), l.RRN...)
	}
	idEnd := len(b)
	b = append(append(b, l.ApprovalCode...), l.PANMasked...)
	m.buf = b
	own := string(b)
	apprEnd := idEnd + len(l.ApprovalCode)
	l.ID = own[:idEnd]
	if ext != "" {
		l.ID = own[:len(ext)]
	}
	l.RRN = own[idEnd-len(l.RRN) : idEnd]
	l.ApprovalCode, l.PANMasked = own[idEnd:apprEnd], own[apprEnd:]
}

// matchHeader maps rec as a header row: the columns of every field, and
// the required fields none of whose names is there.
func (p *Profile) matchHeader(rec []string) (map[string][]int, []string) {
	at := make(map[string]int, len(rec))
	for i, h := range rec {
		if k := key(h); k != "" {
			if _, dup := at[k]; !dup {
				at[k] = i
			}
		}
	}
	col := map[string][]int{}
	for f, names := range p.columns {
		for _, n := range names {
			if i, ok := at[n]; ok {
				col[f] = append(col[f], i)
			}
		}
	}
	var missing []string
	for _, f := range p.Required {
		if col[f] == nil {
			missing = append(missing, f)
		}
	}
	return col, missing
}

// headerFinder looks for the header row among a table's first rows.
type headerFinder struct {
	p        *Profile
	rows     int
	bestLine int
	best     []string // the fewest missing fields seen
}

// try reports whether rec (at line) is the header; the mapper is ready then.
func (h *headerFinder) try(line int, rec []string, c *collector) *mapper {
	h.rows++
	col, missing := h.p.matchHeader(rec)
	if len(missing) == 0 {
		m := &mapper{p: h.p, c: c, header: append([]string(nil), rec...)}
		for f, idx := range col {
			m.col[fieldNo[f]] = idx
		}
		for _, f := range h.p.Required {
			m.req[fieldNo[f]] = true
		}
		return m
	}
	if h.best == nil || len(missing) < len(h.best) {
		h.best, h.bestLine = missing, line
	}
	return nil
}

// fail reports the missing columns of the best candidate header.
func (h *headerFinder) fail(c *collector) {
	if h.rows == 0 {
		c.add(0, "", "the file is empty: a settlement file starts with a header row")
		return
	}
	for _, f := range h.best {
		names := h.p.Columns[f]
		also := ""
		if len(names) > 1 {
			also = fmt.Sprintf(" (or %s)", strings.Join(quoteAll(names[1:]), ", "))
		}
		c.add(h.bestLine, names[0], fmt.Sprintf("required column %q%s is missing from the header (profile %s, field %s)",
			names[0], also, h.p.Name, f))
	}
}

func quoteAll(s []string) []string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return q
}

// cell is one field's value in a row and the column it came from.
type cell struct {
	v      string
	column string
	num    bool // an Excel number cell: v is its raw value
	mapped bool // the file has a column for the field
}

// get returns a field's first non-empty cell.
func (m *mapper) get(rec []string, num []bool, field int) cell {
	idx := m.col[field]
	if len(idx) == 0 {
		return cell{}
	}
	first := cell{column: m.header[idx[0]], mapped: true}
	for _, i := range idx {
		if i < len(rec) {
			if v := strings.TrimSpace(rec[i]); v != "" {
				return cell{v: v, column: m.header[i], num: num != nil && i < len(num) && num[i], mapped: true}
			}
		}
	}
	return first
}

// text returns a text field, NFC.
func (m *mapper) text(rec []string, num []bool, field, line int) string {
	c := m.get(rec, num, field)
	if c.v == "" && c.mapped && m.req[field] {
		m.c.add(line, c.column, "is empty: this column is required")
	}
	if !isASCII(c.v) && !norm.NFC.IsNormalString(c.v) {
		return norm.NFC.String(c.v)
	}
	return c.v
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// amount reads an amount cell (ok false: empty or bad, reported).
func (m *mapper) amount(c cell, line int) (int64, bool) {
	if c.v == "" {
		return 0, false
	}
	if c.num {
		f, err := strconv.ParseFloat(c.v, 64)
		if err != nil || f != float64(int64(f)) || f > 1e15 || f < -1e15 {
			m.c.add(line, c.column, fmt.Sprintf("%q is not a whole number of đồng", c.v))
			return 0, false
		}
		return int64(f), true
	}
	n, bad := parseAmount(c.v, m.p.thousands, m.p.decimal)
	if bad != "" {
		m.c.add(line, c.column, bad)
		return 0, false
	}
	return n, true
}

// when reads a date or time cell: the profile's layout, or an Excel
// date serial in a number cell.
func (m *mapper) when(c cell, layout, format string, line int) (time.Time, bool) {
	if c.num {
		f, err := strconv.ParseFloat(c.v, 64)
		if err == nil && f > 0 && f < 2958466 {
			if t, err := excelSerial(f); err == nil {
				return t, true
			}
		}
		m.c.add(line, c.column, fmt.Sprintf("%q is not an Excel date", c.v))
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(layout, c.v, Zone)
	if err != nil {
		m.c.add(line, c.column, fmt.Sprintf("%q is not a date in the format %s", c.v, format))
		return time.Time{}, false
	}
	return t, true
}

// end reports a row that ends the table (profile's end_at).
func (m *mapper) end(rec []string) bool {
	if len(m.p.endAt) == 0 {
		return false
	}
	for _, v := range rec {
		if k := key(v); k != "" {
			for _, w := range m.p.endAt {
				if strings.HasPrefix(k, w) {
					return true
				}
			}
			return false
		}
	}
	return false
}

// row turns one row into a line; ok is false for a row read past (blank,
// a payout row) or bad (reported to the collector).
func (m *mapper) row(line int, rec []string, num []bool) (l reconcile.SettlementLine, ok bool) {
	blank := true
	for i, v := range rec {
		if strings.TrimSpace(v) != "" {
			blank = false
		}
		if bad := validText(v); bad != "" {
			col := ""
			if i < len(m.header) {
				col = m.header[i]
			}
			m.c.add(line, col, bad)
			return l, false
		}
	}
	if blank {
		return l, false
	}
	before := len(m.c.rows) + m.c.more
	p := m.p
	l.Line = line
	l.Type = reconcile.Sale
	if c := m.get(rec, num, fTxnType); c.mapped {
		if c.v != m.lastType {
			m.lastType, m.lastTypeKey = c.v, key(c.v) // files repeat a handful of words: key them once
		}
		t, known := p.typeOf[m.lastTypeKey]
		switch {
		case c.v == "":
			m.c.add(line, c.column, "is empty: SALE, VOID or REFUND (in this profile's words)")
			return l, false
		case !known:
			m.c.add(line, c.column, fmt.Sprintf("%q is not a transaction type of profile %s (%s)", c.v, p.Name, p.typeWords()))
			return l, false
		case t == "skip":
			return l, false
		}
		l.Type = reconcile.TxnType(t)
	}
	ext := m.text(rec, num, fExternalId, line)
	l.TerminalID = m.text(rec, num, fTerminalId, line)
	l.MerchantID = m.text(rec, num, fMerchantId, line)
	l.BatchNo = m.text(rec, num, fBatchNo, line)
	l.RRN = m.text(rec, num, fRrn, line)
	l.ApprovalCode = m.text(rec, num, fApprovalCode, line)
	l.CardBrand = m.text(rec, num, fCardBrand, line)
	if c := m.get(rec, num, fPanMasked); c.v != "" {
		if fullPAN(c.v) {
			m.c.add(line, c.column, "is a full card number: the file must carry masked card numbers only (e.g. 970436******1234); ask the acquirer for a masked export")
		} else {
			l.PANMasked = c.v
		}
	}
	if c := m.get(rec, num, fTraceNo); c.v != "" {
		v := strings.TrimSuffix(c.v, ".0") // an Excel number cell
		if !digits(v) || len(v) > 12 {
			m.c.add(line, c.column, fmt.Sprintf("%q is not a trace number (digits only)", c.v))
		} else {
			l.TraceNo, _ = strconv.ParseInt(v, 10, 64)
		}
	} else if c.mapped && m.req[fTraceNo] {
		m.c.add(line, c.column, "is empty: this column is required")
	}
	if c := m.get(rec, num, fTxnTime); c.v != "" {
		if t, ok := m.when(c, p.timeLayout, orDefault(p.TimeFormat, "yyyy-mm-ddTHH:MM:SS"), line); ok {
			l.TxnTime = t
		}
	} else if c.mapped && m.req[fTxnTime] {
		m.c.add(line, c.column, "is empty: this column is required")
	}
	if c := m.get(rec, num, fSettlementDate); c.mapped {
		if c.v == "" {
			m.c.add(line, c.column, "is empty: the settlement date is required")
		} else if t, ok := m.when(c, p.dateLayout, orDefault(p.DateFormat, "yyyy-mm-dd"), line); ok {
			var db, tb [16]byte
			l.SettlementDate = m.shareBytes(t.AppendFormat(db[:0], time.DateOnly))
			if !l.TxnTime.IsZero() && string(l.TxnTime.AppendFormat(tb[:0], time.DateOnly)) > l.SettlementDate {
				m.c.add(line, c.column, fmt.Sprintf("settlement date %s is before the transaction (%s): check the columns or the date format", l.SettlementDate, l.TxnTime.Format(time.DateTime)))
			}
		}
	} else if !l.TxnTime.IsZero() {
		var db [16]byte
		l.SettlementDate = m.shareBytes(l.TxnTime.AppendFormat(db[:0], time.DateOnly)) // the profile has no settlement date: the transaction's
	} else if m.get(rec, num, fTxnTime).v == "" {
		m.c.add(line, "", "has no date: neither a settlement date nor a transaction time")
	}

	amt := m.get(rec, num, fAmount)
	amount, amountOK := m.amount(amt, line)
	if amt.v == "" {
		m.c.add(line, amt.column, "is empty: the amount is required")
	} else if amountOK && amount <= 0 {
		m.c.add(line, amt.column, fmt.Sprintf("amount %d must be > 0 (a refund is a REFUND line with a positive amount)", amount))
		amountOK = false
	}
	var fee int64
	feeOK, haveFee := true, false
	feeColumn := ""
	for _, i := range m.col[fFee] {
		feeColumn = m.header[m.col[fFee][0]]
		if i >= len(rec) || strings.TrimSpace(rec[i]) == "" {
			continue
		}
		c := cell{v: strings.TrimSpace(rec[i]), column: m.header[i], num: num != nil && i < len(num) && num[i]}
		f, ok := m.amount(c, line)
		if !ok {
			feeOK = false
			continue
		}
		if f < 0 {
			m.c.add(line, c.column, fmt.Sprintf("fee %d must be ≥ 0", f))
			feeOK = false
		}
		fee += f
		haveFee = true
	}
	if !haveFee && feeOK && len(m.col[fFee]) > 0 && m.req[fFee] {
		m.c.add(line, feeColumn, "is empty: the fee is required (0 for none)")
		feeOK = false
	}
	netC := m.get(rec, num, fNetAmount)
	net, netOK := int64(0), false
	if netC.v != "" {
		net, netOK = m.amount(netC, line)
	} else if netC.mapped && m.req[fNetAmount] {
		m.c.add(line, netC.column, "is empty: the net amount is required")
	}
	if amountOK && feeOK && (netOK || netC.v == "") {
		switch {
		case haveFee && netOK:
			if l.Type == reconcile.Sale && net != amount-fee {
				m.c.add(line, netC.column, fmt.Sprintf("net %d is not amount − fee (%d − %d = %d)", net, amount, fee, amount-fee))
			}
		case haveFee:
			net = amount - fee
		case netOK:
			fee = amount - net // the file states gross and net only: the fee is their difference
		default:
			net = amount // neither fee nor net: no fee
		}
		if fee > amount {
			m.c.add(line, feeColumn, fmt.Sprintf("fee %d is more than the amount %d", fee, amount))
		}
		if net < 0 || fee < 0 {
			m.c.add(line, netC.column, fmt.Sprintf("net %d must be between 0 and the amount %d", net, amount))
		}
	}
	l.Amount, l.Fee, l.Net = amount, fee, net

	cur := m.get(rec, num, fCurrency)
	switch v := strings.ToUpper(cur.v); {
	case v == "" && cur.mapped && m.req[fCurrency]:
		m.c.add(line, cur.column, "is empty: the currency is required (VND)")
	case v == "" && orDefault(strings.ToUpper(p.Currency), "VND") == "VND", v == "VND", v == "704":
		l.Currency = "VND"
	case v == "":
		m.c.add(line, "", fmt.Sprintf("currency %s: feepos reconciles VND only", p.Currency))
	default:
		m.c.add(line, cur.column, fmt.Sprintf("currency %q: feepos reconciles VND only", cur.v))
	}

	if len(m.c.rows)+m.c.more != before {
		return l, false
	}
	m.compact(&l, ext)
	if !m.c.unique(line, l.ID) {
		return l, false
	}
	return l, true
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (p *Profile) typeWords() string {
	var parts []string
	for _, t := range []string{"SALE", "VOID", "REFUND"} {
		if w := p.Types[t]; len(w) > 0 {
			parts = append(parts, t+": "+strings.Join(quoteAll(w), ", "))
		}
	}
	return strings.Join(parts, "; ")
}
