package importers

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// camtVersions are the message versions ReadCamt reads (ISO 20022
// "001.NN"). They differ in what ReadCamt uses only in details it handles
// by structure: Sts is a code up to 001.07 and <Sts><Cd> from 001.08; a
// transaction's amount is AmtDtls/TxAmt/Amt in 001.02 and TxDtls/Amt
// from 001.03. A newer version is refused by name rather than guessed at.
var camtVersions = map[string]bool{"02": true, "03": true, "04": true, "05": true, "06": true, "07": true, "08": true}

var camtNamespace = regexp.MustCompile(`^urn:iso:std:iso:20022:tech:xsd:camt\.(\d{3})\.001\.(\d{2})$`)

// The order of the children ReadCamt reads, as the schemas give it
// (union of the versions; a child not listed is not checked). An element
// before one of a lower rank is a file that was cut and pasted or built by
// hand, and is refused: its figures cannot be trusted either.
var (
	camtStmtOrder = rankOf("Id", "StmtPgntn", "NtfctnPgntn", "ElctrncSeqNb", "RptgSeq", "LglSeqNb", "CreDtTm",
		"FrToDt", "CpyDplctInd", "RptgSrc", "Acct", "RltdAcct", "Intrst", "Bal", "TxsSummry", "Ntry",
		"AddtlStmtInf", "AddtlNtfctnInf")
	camtNtryOrder = rankOf("NtryRef", "Amt", "CdtDbtInd", "RvslInd", "Sts", "BookgDt", "ValDt", "AcctSvcrRef",
		"Avlbty", "BkTxCd", "ComssnWvrInd", "AddtlInfInd", "AmtDtls", "Chrgs", "TechInptChanl", "Intrst",
		"CardTx", "NtryDtls", "AddtlNtryInf")
	camtBalOrder = rankOf("Tp", "CdtLine", "Amt", "CdtDbtInd", "Dt", "Avlbty")
	// repeatable children; any other ranked child may appear once
	camtRepeatable = map[string]bool{"Intrst": true, "Bal": true, "Ntry": true, "Avlbty": true, "NtryDtls": true,
		"CdtLine": true, "Chrgs": true}
)

func rankOf(names ...string) map[string]int {
	m := make(map[string]int, len(names))
	for i, n := range names {
		m[n] = i + 1
	}
	return m
}

// maxLeaf bounds one element's text: no field of a statement comes near.
const maxLeaf = 1 << 20

type camtFrame struct {
	name     string
	line     int
	ccy      string // an Amt's Ccy attribute
	hasCcy   bool
	hasChild bool
	order    map[string]int // the children's order to check, nil: none
	lastRank int
	lastName string
	seen     map[string]bool
}

type camtNtry struct {
	line                       int
	amt, ccy, cdtDbt, rvsl     string
	amtLine                    int
	hasAmt, hasCcy             bool
	sts, bookDt, valDt         string
	bookLine, valLine, stsLine int
	ntryRef, acctSvcrRef       string
	domn, fmly, subFmly, prtry string
	text                       string
	details                    []*camtTx
}

type camtTx struct {
	line                                 int
	amt, ccy, cdtDbt, txAmt, txCcy       string
	amtLine, txAmtLine                   int
	hasAmt, hasTxAmt, hasCcy, hasTxCcy   bool
	endToEnd, acctSvcrRef, txID, prtryRf string
	ustrd                                []string
}

type camtBal struct {
	line              int
	code, amt, ccy    string
	cdtDbt, date      string
	amtLine, dateLine int
	hasAmt, hasCcy    bool
}

type camtParser struct {
	file, format, version string
	msgRoot, stmtTag      string
	opt                   BankOptions
	rows                  rowCollector
	stack                 []*camtFrame
	text                  []byte
	stmtAt, ntryAt        int // index in stack, -1 outside
	txAt, balAt           int
	stmts                 []BankStatement
	st                    *BankStatement
	lglSeq, elSeq         string
	ntry                  *camtNtry
	tx                    *camtTx
	bal                   *camtBal
	charset               string // an encoding the file declared that is not UTF-8
}

// ReadCamt reads an ISO 20022 camt.053 (bank to customer statement) or
// camt.054 (debit/credit notification) file, versions 001.02 to 001.08,
// token by token: a large file is never held as a tree. format is
// FormatCamt053, FormatCamt054, or "" for either (the namespace decides).
//
// Entries with a status other than BOOK (PDNG, INFO, FUTR) are checked
// and counted in BankStatement.Skipped, not returned: they are not money
// on the account yet. A file with any problem is refused whole: a
// *FileError lists every bad element with its line, its path (the
// column) and the reason.
func ReadCamt(name string, r io.Reader, format string, opt BankOptions) ([]BankStatement, error) {
	hr := newHashingReader(r)
	br := bufio.NewReader(hr)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	p := &camtParser{file: name, format: format, opt: opt, stmtAt: -1, ntryAt: -1, txAt: -1, balAt: -1}
	dec := xml.NewDecoder(br)
	dec.Strict = true
	dec.CharsetReader = func(label string, _ io.Reader) (io.Reader, error) {
		p.charset = label
		return nil, errors.New("not UTF-8")
	}
	fatal := p.run(dec)
	if fatal != nil {
		p.rows.rows = append(p.rows.rows, *fatal)
	}
	if len(p.rows.rows) == 0 && len(p.stmts) == 0 {
		tag := p.stmtTag
		if tag == "" {
			tag = "Stmt"
		}
		p.rows.add(0, tag, "the file holds no statement (%s): nothing to import", tag)
	}
	if format == "" {
		format = p.format
	}
	if format == "" {
		format = "camt"
	}
	if len(p.rows.rows) > 0 {
		return nil, &FileError{File: name, Format: format, Rows: p.rows.rows}
	}
	sum, err := hr.sum()
	if err != nil {
		return nil, &FileError{File: name, Format: format, Rows: []RowError{{Reason: "the file could not be read to its end: " + err.Error()}}}
	}
	for i := range p.stmts {
		p.stmts[i].Source = sum
	}
	assignIDs(p.stmts)
	return p.stmts, nil
}

// run reads the tokens; it returns the problem that stops the reading
// (bad XML, not a camt document), nil when it reached the end.
func (p *camtParser) run(dec *xml.Decoder) *RowError {
	sawRoot := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if !sawRoot {
				return &RowError{Reason: "the file is empty or holds no XML element: it is not a camt statement"}
			}
			return nil
		}
		if err != nil {
			line, _ := dec.InputPos()
			var se *xml.SyntaxError
			switch {
			case p.charset != "":
				return &RowError{Line: 1, Reason: fmt.Sprintf(
					"the file declares the encoding %q: ISO 20022 files are UTF-8; ask the bank for the UTF-8 file (or convert it to UTF-8 and fix the declaration)", p.charset)}
			case errors.As(err, &se) && strings.Contains(se.Msg, "UTF-8"):
				return &RowError{Line: se.Line, Column: p.path(), Reason: "the text is not valid UTF-8 (a file saved as Windows-1258 or another code page but declared UTF-8?): save it as UTF-8 and import it again"}
			case errors.As(err, &se) && strings.Contains(se.Msg, "unexpected EOF"):
				return &RowError{Line: se.Line, Column: p.path(), Reason: "the file ends in the middle of the XML (truncated: download or copy it again)"}
			case errors.As(err, &se):
				return &RowError{Line: se.Line, Column: p.path(), Reason: "the XML is malformed: " + se.Msg}
			}
			return &RowError{Line: line, Column: p.path(), Reason: "the XML could not be read: " + err.Error()}
		}
		if p.rows.full() {
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			sawRoot = true
			if fatal := p.start(dec, t); fatal != nil {
				return fatal
			}
		case xml.EndElement:
			p.end()
		case xml.CharData:
			if len(p.stack) > 0 {
				if len(p.text)+len(t) > maxLeaf {
					line, _ := dec.InputPos()
					return &RowError{Line: line, Column: p.path(), Reason: "an element's text is longer than 1 MiB: this is not a bank statement"}
				}
				p.text = append(p.text, t...)
			}
		}
	}
}

// path is the element path from the message's root child (Stmt/Ntry/Amt),
// the "column" of a row error.
func (p *camtParser) path() string {
	var b strings.Builder
	for i := 2; i < len(p.stack); i++ {
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(p.stack[i].name)
	}
	if b.Len() == 0 && len(p.stack) > 0 {
		return p.stack[len(p.stack)-1].name
	}
	return b.String()
}

func (p *camtParser) start(dec *xml.Decoder, t xml.StartElement) *RowError {
	line, _ := dec.InputPos()
	name := t.Name.Local
	depth := len(p.stack)
	switch depth {
	case 0:
		if fatal := p.root(line, t); fatal != nil {
			return fatal
		}
	case 1:
		if name != p.msgRoot {
			return &RowError{Line: line, Column: name, Reason: fmt.Sprintf("a %s document holds <%s>, not <%s>", p.version, p.msgRoot, name)}
		}
	}
	fr := &camtFrame{name: name, line: line}
	for _, a := range t.Attr {
		if a.Name.Local == "Ccy" {
			fr.ccy, fr.hasCcy = strings.TrimSpace(a.Value), true
		}
	}
	if depth > 0 {
		parent := p.stack[depth-1]
		parent.hasChild = true
		p.checkOrder(parent, name, line)
	}
	p.stack = append(p.stack, fr)
	p.text = p.text[:0]
	switch {
	case name == p.stmtTag:
		if depth != 2 {
			p.rows.add(line, p.path(), "<%s> is not directly inside <%s>: the file's structure is broken", name, p.msgRoot)
			return nil
		}
		p.stmtAt = depth
		fr.order = camtStmtOrder
		p.st = &BankStatement{File: p.file, Format: p.format, Version: p.version, Line: line}
		p.lglSeq, p.elSeq = "", ""
	case name == "Ntry":
		if p.stmtAt < 0 || depth != p.stmtAt+1 {
			p.rows.add(line, p.path(), "an entry (Ntry) outside a statement (%s): the file's structure is broken (cut and pasted?)", p.stmtTag)
			return nil
		}
		p.ntryAt = depth
		fr.order = camtNtryOrder
		p.ntry = &camtNtry{line: line}
	case name == "Bal" && p.stmtAt >= 0 && depth == p.stmtAt+1:
		p.balAt = depth
		fr.order = camtBalOrder
		p.bal = &camtBal{line: line}
	case name == "TxDtls" && p.ntryAt >= 0 && depth == p.ntryAt+2 && p.stack[depth-1].name == "NtryDtls":
		p.txAt = depth
		p.tx = &camtTx{line: line}
	}
	return nil
}

func (p *camtParser) checkOrder(parent *camtFrame, name string, line int) {
	if parent.order == nil {
		return
	}
	rank, ok := parent.order[name]
	if !ok {
		return
	}
	if parent.seen == nil {
		parent.seen = map[string]bool{}
	}
	switch {
	case parent.seen[name] && !camtRepeatable[name]:
		p.rows.add(line, p.path()+"/"+name, "<%s> appears twice in <%s>: the schema allows one", name, parent.name)
	case rank < parent.lastRank:
		p.rows.add(line, p.path()+"/"+name, "<%s> comes after <%s> inside <%s>, but the schema puts it before: the elements are out of order (a hand-edited or cut-and-pasted file?)",
			name, parent.lastName, parent.name)
	}
	parent.seen[name] = true
	if rank > parent.lastRank {
		parent.lastRank, parent.lastName = rank, name
	}
}

func (p *camtParser) root(line int, t xml.StartElement) *RowError {
	if t.Name.Local != "Document" {
		return &RowError{Line: line, Column: t.Name.Local, Reason: fmt.Sprintf("the root element is <%s>, not an ISO 20022 <Document>: this is not a camt statement", t.Name.Local)}
	}
	m := camtNamespace.FindStringSubmatch(t.Name.Space)
	if m == nil {
		return &RowError{Line: line, Column: "Document", Reason: fmt.Sprintf("the namespace %q is not an ISO 20022 camt message (urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN)", t.Name.Space)}
	}
	msg := "camt." + m[1] + ".001." + m[2]
	var got string
	switch m[1] {
	case "053":
		got, p.msgRoot, p.stmtTag = FormatCamt053, "BkToCstmrStmt", "Stmt"
	case "054":
		got, p.msgRoot, p.stmtTag = FormatCamt054, "BkToCstmrDbtCdtNtfctn", "Ntfctn"
	case "052":
		return &RowError{Line: line, Column: "Document", Reason: msg + " is an intraday account report, not a booked statement: import the end-of-day camt.053 (or the camt.054 notifications)"}
	default:
		return &RowError{Line: line, Column: "Document", Reason: msg + " is not a bank statement: import a camt.053 statement or camt.054 notification"}
	}
	if !camtVersions[m[2]] {
		return &RowError{Line: line, Column: "Document", Reason: fmt.Sprintf("%s is a version this reader does not know (it reads camt.%s.001.02 to .08): ask the bank for one of those", msg, m[1])}
	}
	if p.format != "" && p.format != got {
		return &RowError{Line: line, Column: "Document", Reason: fmt.Sprintf("the file is %s, not %s: import it as %s", msg, p.format, got)}
	}
	p.format, p.version = got, msg
	return nil
}

func (p *camtParser) end() {
	depth := len(p.stack) - 1
	if depth < 0 {
		return
	}
	fr := p.stack[depth]
	if !fr.hasChild {
		p.leaf(fr, strings.TrimSpace(string(p.text)))
	}
	switch depth {
	case p.txAt:
		p.ntry.details = append(p.ntry.details, p.tx)
		p.tx, p.txAt = nil, -1
	case p.balAt:
		p.finishBal()
		p.bal, p.balAt = nil, -1
	case p.ntryAt:
		p.finishNtry()
		p.ntry, p.ntryAt = nil, -1
	case p.stmtAt:
		p.finishStmt(fr.line)
		p.st, p.stmtAt = nil, -1
	}
	p.stack = p.stack[:depth]
	p.text = p.text[:0]
}

// rel is the path of the current element below the context at index at.
func (p *camtParser) rel(at int) string {
	var b strings.Builder
	for i := at + 1; i < len(p.stack); i++ {
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(p.stack[i].name)
	}
	return b.String()
}

func (p *camtParser) leaf(fr *camtFrame, v string) {
	switch {
	case p.txAt >= 0:
		tx := p.tx
		switch p.rel(p.txAt) {
		case "Amt":
			tx.amt, tx.ccy, tx.hasAmt, tx.hasCcy, tx.amtLine = v, fr.ccy, true, fr.hasCcy, fr.line
		case "CdtDbtInd":
			tx.cdtDbt = v
		case "AmtDtls/TxAmt/Amt":
			tx.txAmt, tx.txCcy, tx.hasTxAmt, tx.hasTxCcy, tx.txAmtLine = v, fr.ccy, true, fr.hasCcy, fr.line
		case "Refs/EndToEndId":
			tx.endToEnd = v
		case "Refs/AcctSvcrRef":
			tx.acctSvcrRef = v
		case "Refs/TxId":
			tx.txID = v
		case "Refs/Prtry/Ref":
			tx.prtryRf = v
		case "RmtInf/Ustrd":
			tx.ustrd = append(tx.ustrd, v)
		}
	case p.balAt >= 0:
		b := p.bal
		switch p.rel(p.balAt) {
		case "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry":
			b.code = v
		case "Amt":
			b.amt, b.ccy, b.hasAmt, b.hasCcy, b.amtLine = v, fr.ccy, true, fr.hasCcy, fr.line
		case "CdtDbtInd":
			b.cdtDbt = v
		case "Dt/Dt", "Dt/DtTm":
			b.date, b.dateLine = v, fr.line
		}
	case p.ntryAt >= 0:
		n := p.ntry
		switch p.rel(p.ntryAt) {
		case "NtryRef":
			n.ntryRef = v
		case "Amt":
			n.amt, n.ccy, n.hasAmt, n.hasCcy, n.amtLine = v, fr.ccy, true, fr.hasCcy, fr.line
		case "CdtDbtInd":
			n.cdtDbt = v
		case "RvslInd":
			n.rvsl = v
		case "Sts", "Sts/Cd", "Sts/Prtry":
			n.sts, n.stsLine = v, fr.line
		case "BookgDt/Dt", "BookgDt/DtTm":
			n.bookDt, n.bookLine = v, fr.line
		case "ValDt/Dt", "ValDt/DtTm":
			n.valDt, n.valLine = v, fr.line
		case "AcctSvcrRef":
			n.acctSvcrRef = v
		case "BkTxCd/Domn/Cd":
			n.domn = v
		case "BkTxCd/Domn/Fmly/Cd":
			n.fmly = v
		case "BkTxCd/Domn/Fmly/SubFmlyCd":
			n.subFmly = v
		case "BkTxCd/Prtry/Cd":
			n.prtry = v
		case "AddtlNtryInf":
			n.text = v
		}
	case p.stmtAt >= 0:
		st := p.st
		switch p.rel(p.stmtAt) {
		case "Id":
			st.ID = v
		case "LglSeqNb":
			p.lglSeq = v
		case "ElctrncSeqNb":
			p.elSeq = v
		case "Acct/Id/IBAN", "Acct/Id/Othr/Id":
			st.Account = v
		case "Acct/Ccy":
			st.Currency = v
		case "AddtlStmtInf", "AddtlNtfctnInf":
			st.Info = v
		}
	}
}

func (p *camtParser) col(ctx, child string) string {
	return p.stmtTag + "/" + ctx + "/" + child
}

// amount reads an Amt with its Ccy, signed by a CdtDbtInd.
func (p *camtParser) amount(line int, column, v, ccy string, hasCcy bool, cdtDbt string) (Money, bool) {
	if !hasCcy {
		p.rows.add(line, column, "the amount has no Ccy attribute (the currency)")
		return Money{}, false
	}
	m, err := parseDecimalAmount(v, '.', ccy)
	if err != nil {
		p.rows.add(line, column, "%v", err)
		return Money{}, false
	}
	if cdtDbt == "DBIT" {
		m.Minor = -m.Minor
	}
	return m, true
}

func (p *camtParser) cdtDbt(line int, column, v string) bool {
	switch v {
	case "CRDT", "DBIT":
		return true
	case "":
		p.rows.add(line, column, "CdtDbtInd is missing: without it the amount has no sign")
	default:
		p.rows.add(line, column, "CdtDbtInd is %q: it must be CRDT or DBIT", v)
	}
	return false
}

func (p *camtParser) finishBal() {
	b := p.bal
	col := p.col("Bal", "")
	if b.code == "" {
		p.rows.add(b.line, col+"Tp", "the balance has no type (Tp/CdOrPrtry/Cd: OPBD, CLBD…)")
		return
	}
	col = fmt.Sprintf("%s/Bal(%s)/", p.stmtTag, b.code)
	okSign := p.cdtDbt(b.line, col+"CdtDbtInd", b.cdtDbt)
	if !b.hasAmt {
		p.rows.add(b.line, col+"Amt", "the balance has no amount")
		return
	}
	m, ok := p.amount(b.amtLine, col+"Amt", b.amt, b.ccy, b.hasCcy, b.cdtDbt)
	date, okDate := "", false
	if b.date == "" {
		p.rows.add(b.line, col+"Dt", "the balance has no date")
	} else {
		date, okDate = p.date(b.dateLine, col+"Dt", b.date)
	}
	if !ok || !okSign || !okDate {
		return
	}
	switch b.code {
	case "OPBD", "CLBD", "PRCD", "OPAV", "CLAV":
		for _, o := range p.st.Balances {
			if o.Code == b.code {
				p.rows.add(b.line, col+"Tp", "a second %s balance in the same statement", b.code)
				return
			}
		}
	}
	p.st.Balances = append(p.st.Balances, StatementBalance{Line: b.line, Code: b.code, Date: date, Amount: m})
}

// date reads an ISODate or ISODateTime as a business date; a date-time
// with an offset is taken in Vietnam's time (UTC+7).
func (p *camtParser) date(line int, column, v string) (string, bool) {
	if isoDate(v) {
		return v, true
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.In(vietnam).Format("2006-01-02"), true
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", v); err == nil {
		return t.Format("2006-01-02"), true
	}
	p.rows.add(line, column, "%q is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDThh:mm:ss±hh:mm)", v)
	return "", false
}

func (p *camtParser) finishNtry() {
	n := p.ntry
	col := func(c string) string { return p.col("Ntry", c) }
	bad := len(p.rows.rows)
	okSign := p.cdtDbt(n.line, col("CdtDbtInd"), n.cdtDbt)
	var amt Money
	if !n.hasAmt {
		p.rows.add(n.line, col("Amt"), "the entry has no amount (Amt)")
	} else {
		amt, _ = p.amount(n.amtLine, col("Amt"), n.amt, n.ccy, n.hasCcy, n.cdtDbt)
	}
	rev := false
	switch n.rvsl {
	case "", "false", "0":
	case "true", "1":
		rev = true
	default:
		p.rows.add(n.line, col("RvslInd"), "RvslInd is %q: it must be true or false", n.rvsl)
	}
	if n.sts == "" {
		p.rows.add(n.line, col("Sts"), "the entry has no status (Sts: BOOK, PDNG, INFO)")
	}
	booked := n.sts == "BOOK"
	var book, val string
	switch {
	case n.bookDt != "":
		book, _ = p.date(n.bookLine, col("BookgDt"), n.bookDt)
	case booked:
		p.rows.add(n.line, col("BookgDt"), "a booked entry (Sts BOOK) has no booking date (BookgDt)")
	}
	if n.valDt != "" {
		val, _ = p.date(n.valLine, col("ValDt"), n.valDt)
	}
	e := StatementEntry{
		Line: n.line, Amount: amt, Reversal: rev, BookingDate: book, ValueDate: val,
		EntryRef: n.ntryRef, BankRef: n.acctSvcrRef, Text: n.text,
	}
	switch {
	case n.domn != "":
		e.TxType = strings.Trim(n.domn+"/"+n.fmly+"/"+n.subFmly, "/")
	case n.prtry != "":
		e.TxType = n.prtry
	}
	e.Mark = map[bool]string{true: "C", false: "D"}[n.cdtDbt == "CRDT"]
	if rev {
		e.Mark = map[bool]string{true: "RD", false: "RC"}[n.cdtDbt == "CRDT"]
	}
	// the transactions of a batch entry: when each states an amount in the
	// entry's currency, they must add up to the entry.
	sum, allAmounts := int64(0), len(n.details) > 0
	for _, tx := range n.details {
		d := EntryDetail{Line: tx.line, EndToEndID: tx.endToEnd, AcctSvcrRef: tx.acctSvcrRef, TxID: tx.txID,
			OtherRef: tx.prtryRf, Text: strings.Join(tx.ustrd, " ")}
		sign := n.cdtDbt
		if tx.cdtDbt != "" && p.cdtDbt(tx.line, col("NtryDtls/TxDtls/CdtDbtInd"), tx.cdtDbt) {
			sign = tx.cdtDbt
		}
		switch {
		case tx.hasAmt:
			d.Amount, d.HasAmount = p.amount(tx.amtLine, col("NtryDtls/TxDtls/Amt"), tx.amt, tx.ccy, tx.hasCcy, sign)
		case tx.hasTxAmt:
			d.Amount, d.HasAmount = p.amount(tx.txAmtLine, col("NtryDtls/TxDtls/AmtDtls/TxAmt/Amt"), tx.txAmt, tx.txCcy, tx.hasTxCcy, sign)
		}
		if !d.HasAmount || d.Amount.Currency != amt.Currency || !addMoney(&sum, d.Amount.Minor) {
			allAmounts = false
		}
		e.Details = append(e.Details, d)
	}
	if len(p.rows.rows) > bad || !okSign {
		return
	}
	if allAmounts && sum != amt.Minor {
		p.rows.add(n.line, col("NtryDtls"), "the entry's %d transactions add up to %s, but the entry is %s",
			len(n.details), Money{Minor: sum, Currency: amt.Currency}, amt)
		return
	}
	if !booked {
		p.st.Skipped++
		return
	}
	p.st.Entries = append(p.st.Entries, e)
}

func (p *camtParser) finishStmt(line int) {
	st := p.st
	st.Number = p.lglSeq
	if st.Number == "" {
		st.Number = p.elSeq
	}
	if st.ID == "" {
		p.rows.add(line, p.stmtTag+"/Id", "the statement has no Id")
	}
	if st.Account == "" {
		p.rows.add(line, p.stmtTag+"/Acct/Id", "the statement names no account (Acct/Id/IBAN or Acct/Id/Othr/Id)")
	}
	if p.format == FormatCamt053 && len(st.Balances) == 0 && len(p.rows.rows) == 0 {
		p.rows.add(line, "Stmt/Bal", "the statement states no balance: a camt.053 statement has at least its opening and closing balances")
	}
	if !p.opt.SkipBalanceCheck && len(p.rows.rows) == 0 {
		checkBalances(st, &p.rows, []string{"OPBD", "PRCD", "ITBD"}, []string{"CLBD", "ITBD"}, func(code string) string {
			if code == "" {
				return "Stmt/Ntry/Amt"
			}
			return "Stmt/Bal(" + code + ")/Amt"
		})
	}
	p.stmts = append(p.stmts, *st)
}
