package importers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/feepos/feepos/reconcile"
)

// Bank statement formats (DetectBank, ReadBank).
const (
	FormatCamt053 = "camt053"
	FormatCamt054 = "camt054"
	FormatMT940   = "mt940"
)

// BankOptions tunes the bank statement readers.
type BankOptions struct {
	// SkipBalanceCheck turns off the per-statement check that the opening
	// balance plus the booked entries equals the closing balance. It exists
	// for anonymised public samples whose figures were edited by hand; a
	// real statement that does not add up is a broken file.
	SkipBalanceCheck bool
}

// Money is an exact amount as a bank file states it, in the currency's
// minor units (VND: đồng, EUR: cents, JPY: yen). The readers keep every
// currency exact; ToFacts turns VND into reconcile's whole đồng and
// refuses the rest.
type Money struct {
	Minor    int64  // signed: credits > 0, debits < 0
	Currency string // ISO 4217 code
}

// String writes the amount with its currency's decimals: "-8.85 EUR".
func (m Money) String() string {
	e := currencyExponent(m.Currency)
	neg := m.Minor < 0
	u := uint64(m.Minor)
	if neg {
		u = -u
	}
	s := strconv.FormatUint(u, 10)
	if e > 0 {
		for len(s) <= e {
			s = "0" + s
		}
		s = s[:len(s)-e] + "." + s[len(s)-e:]
	}
	if neg {
		s = "-" + s
	}
	return s + " " + m.Currency
}

// BankStatement is one statement (camt.053 Stmt, camt.054 Ntfctn, an MT940
// message) as the file states it, amounts exact in their own currency.
// ToFacts turns it into a reconcile.Statement.
type BankStatement struct {
	File     string
	Format   string // FormatCamt053, FormatCamt054, FormatMT940
	Version  string // the ISO 20022 message, e.g. "camt.053.001.02"; "" for MT940
	Source   string // SHA-256 hex of the whole file
	Line     int    // where the statement starts
	ID       string // camt Stmt/Id or Ntfctn/Id; MT940 :20:
	Number   string // camt LglSeqNb or ElctrncSeqNb; MT940 :28C:
	Account  string // IBAN or the bank's other account id (camt Acct/Id, MT940 :25:)
	Currency string // camt Acct/Ccy (may be empty); MT940 the opening balance's
	Entries  []StatementEntry
	Balances []StatementBalance
	Skipped  int    // camt entries not booked (Sts other than BOOK): checked, not in Entries
	Info     string // camt AddtlStmtInf/AddtlNtfctnInf; MT940 the statement's own :86:
}

// StatementEntry is one booked entry (camt Ntry, MT940 :61: with its :86:).
type StatementEntry struct {
	ID          string // unique per account in the file: the bank's reference, else a stable hash
	Line        int
	Amount      Money  // signed: credits > 0, debits < 0 (a reversal signed as it moves money)
	Mark        string // "C", "D", "RC" (reversal of a credit: money out), "RD" (reversal of a debit: money in)
	Reversal    bool
	BookingDate string // YYYY-MM-DD
	ValueDate   string // YYYY-MM-DD, "" when the file has none
	EntryRef    string // camt NtryRef; MT940 the account owner's reference (before //)
	BankRef     string // camt AcctSvcrRef; MT940 the bank's reference (after //)
	TxType      string // camt BkTxCd (Domn/Fmly/SubFmly or Prtry/Cd); MT940 "N426"
	Text        string // camt AddtlNtryInf; MT940 :86: (lines joined by "\n") and the :61: supplementary line
	Details     []EntryDetail
}

// EntryDetail is one transaction of a batch entry (camt NtryDtls/TxDtls).
type EntryDetail struct {
	Line        int
	Amount      Money // signed; zero value when the detail states no amount (HasAmount false)
	HasAmount   bool
	EndToEndID  string
	AcctSvcrRef string
	TxID        string
	OtherRef    string // Refs/Prtry/Ref
	Text        string // RmtInf/Ustrd lines joined by " "
}

// StatementBalance is a balance the statement states.
type StatementBalance struct {
	Line   int
	Code   string // camt OPBD, CLBD, OPAV, CLAV, ITBD, ITAV, PRCD, FWAV…; MT940 60F, 60M, 62F, 62M, 64, 65
	Date   string // YYYY-MM-DD
	Amount Money  // signed: a debit (overdrawn) balance < 0
}

// DetectBank names the bank statement format of a file from its name and
// first bytes (a few KiB are enough): FormatCamt053, FormatCamt054,
// FormatMT940, or "" when it is none of them.
func DetectBank(name string, head []byte) string {
	h := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	t := bytes.TrimLeft(h, " \t\r\n")
	if bytes.HasPrefix(t, []byte("<")) {
		switch {
		case bytes.Contains(h, []byte("camt.053.")), bytes.Contains(h, []byte("BkToCstmrStmt")):
			return FormatCamt053
		case bytes.Contains(h, []byte("camt.054.")), bytes.Contains(h, []byte("BkToCstmrDbtCdtNtfctn")):
			return FormatCamt054
		}
		return ""
	}
	if bytes.Contains(h, []byte("{2:I940")) || bytes.Contains(h, []byte("{2:O940")) {
		return FormatMT940
	}
	hasTag := func(tag string) bool {
		return bytes.HasPrefix(t, []byte(tag)) || bytes.Contains(h, []byte("\n"+tag))
	}
	if hasTag(":20:") && (hasTag(":25:") || hasTag(":60F:") || hasTag(":60M:") || hasTag(":28C:")) {
		return FormatMT940
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".sta", ".940", ".mt940":
		if hasTag(":20:") || hasTag(":25:") {
			return FormatMT940
		}
	}
	return ""
}

// ReadBank reads a bank statement file of the given format (DetectBank's
// names). It returns every statement, or a *FileError listing every
// problem.
func ReadBank(name string, r io.Reader, format string, opt BankOptions) ([]BankStatement, error) {
	switch format {
	case FormatCamt053, FormatCamt054:
		return ReadCamt(name, r, format, opt)
	case FormatMT940:
		return ReadMT940(name, r, opt)
	}
	return nil, &FileError{File: name, Format: format, Rows: []RowError{{Reason: fmt.Sprintf(
		"%q is not a bank statement format: use %s, %s or %s", format, FormatCamt053, FormatCamt054, FormatMT940)}}}
}

// ReadBankFacts reads a bank statement file and converts every statement
// to reconcile's facts in VND (ToFacts): the one call the import needs.
func ReadBankFacts(name string, r io.Reader, format string, opt BankOptions) ([]reconcile.Statement, error) {
	stmts, err := ReadBank(name, r, format, opt)
	if err != nil {
		return nil, err
	}
	out := make([]reconcile.Statement, 0, len(stmts))
	var bad *FileError
	for _, st := range stmts {
		f, err := ToFacts(st, "VND")
		var fe *FileError
		switch {
		case errors.As(err, &fe):
			if bad == nil {
				bad = &FileError{File: fe.File, Format: fe.Format}
			}
			bad.Rows = append(bad.Rows, fe.Rows...)
		case err != nil:
			return nil, err
		}
		out = append(out, f)
	}
	if bad != nil {
		return nil, bad
	}
	return out, nil
}

// ToFacts converts a statement to reconcile's types, amounts in
// wantCurrency's minor units. reconcile counts whole đồng, so the import
// passes "VND"; any amount in another currency is refused (a *FileError
// row per entry or balance), as a statement of a foreign-currency account
// has nothing to reconcile against the ledger.
//
// Balances: booked balances only (camt OPBD/PRCD/CLBD and ITBD, MT940
// 60F/60M/62F/62M); available and forward balances (OPAV, CLAV, 64, 65…)
// stay in BankStatement. A camt ITBD is the opening (intermediate) when
// the statement has no OPBD/PRCD and the closing (intermediate) when it
// has no CLBD.
func ToFacts(st BankStatement, wantCurrency string) (reconcile.Statement, error) {
	fe := &FileError{File: st.File, Format: st.Format}
	conv := func(line int, column string, m Money) int64 {
		if m.Currency != wantCurrency {
			fe.Rows = append(fe.Rows, RowError{Line: line, Column: column, Reason: fmt.Sprintf(
				"the amount %s is not in %s: only %s accounts are reconciled; import the statement of the %s account",
				m, wantCurrency, wantCurrency, wantCurrency)})
			return 0
		}
		return m.Minor
	}
	out := reconcile.Statement{Account: st.Account, ID: st.ID}
	if st.Number != "" && st.Format == FormatMT940 {
		out.ID = st.ID + " " + st.Number
	}
	amtCol, detCol := "Amt", "TxDtls/Amt"
	if st.Format == FormatMT940 {
		amtCol, detCol = ":61:", ":61:"
	}
	for _, e := range st.Entries {
		be := reconcile.BankEntry{
			ID:          e.ID,
			Source:      st.Source,
			Line:        e.Line,
			Account:     st.Account,
			BookingDate: e.BookingDate,
			ValueDate:   e.ValueDate,
			Amount:      conv(e.Line, amtCol, e.Amount),
			Currency:    wantCurrency,
			Reversal:    e.Reversal,
			Reference:   entryReference(st.Format, e),
			Text:        entryText(e),
		}
		for _, d := range e.Details {
			bd := reconcile.BankDetail{Reference: detailReference(d), Text: d.Text}
			switch {
			case d.HasAmount:
				bd.Amount = conv(d.Line, detCol, d.Amount)
			case len(e.Details) == 1:
				bd.Amount = be.Amount
			}
			be.Details = append(be.Details, bd)
		}
		out.Entries = append(out.Entries, be)
	}
	hasCode := func(codes ...string) bool {
		for _, b := range st.Balances {
			for _, c := range codes {
				if b.Code == c {
					return true
				}
			}
		}
		return false
	}
	for _, b := range st.Balances {
		kind, final := "", false
		switch b.Code {
		case "OPBD", "PRCD", "60F":
			kind, final = "opening", true
		case "60M":
			kind = "opening"
		case "CLBD", "62F":
			kind, final = "closing", true
		case "62M":
			kind = "closing"
		case "ITBD":
			if !hasCode("OPBD", "PRCD") && b == firstCode(st.Balances, "ITBD") {
				kind = "opening"
			} else if !hasCode("CLBD") {
				kind = "closing"
			}
		}
		if kind == "" {
			continue
		}
		col := b.Code
		if st.Format == FormatMT940 {
			col = ":" + b.Code + ":"
		}
		out.Balances = append(out.Balances, reconcile.BankBalance{
			Account: st.Account, Kind: kind, Final: final, Date: b.Date,
			Amount: conv(b.Line, col, b.Amount), Currency: wantCurrency,
		})
	}
	if len(fe.Rows) > 0 {
		return reconcile.Statement{}, fe
	}
	return out, nil
}

func firstCode(bs []StatementBalance, code string) StatementBalance {
	for _, b := range bs {
		if b.Code == code {
			return b
		}
	}
	return StatementBalance{}
}

// usableRef drops the placeholders banks write for "no reference".
func usableRef(s string) string {
	switch strings.ToUpper(s) {
	case "NONREF", "NOTPROVIDED", "NOT PROVIDED":
		return ""
	}
	return s
}

// entryReference is the reference a matcher looks for: the end-to-end id
// of a single-transaction entry, else (MT940) the account owner's
// reference, else the bank's; camt's NtryRef (a number within the
// statement) comes last.
func entryReference(format string, e StatementEntry) string {
	if len(e.Details) == 1 {
		if r := usableRef(e.Details[0].EndToEndID); r != "" {
			return r
		}
	}
	refs := []string{e.EntryRef, e.BankRef}
	if format != FormatMT940 {
		refs = []string{e.BankRef, e.EntryRef}
	}
	for _, r := range refs {
		if r = usableRef(r); r != "" {
			return r
		}
	}
	return ""
}

func detailReference(d EntryDetail) string {
	for _, r := range []string{d.EndToEndID, d.AcctSvcrRef, d.TxID, d.OtherRef} {
		if r = usableRef(r); r != "" {
			return r
		}
	}
	return ""
}

// entryText joins the entry's narrative on one line; a single-transaction
// entry without its own text takes its transaction's.
func entryText(e StatementEntry) string {
	t := e.Text
	if t == "" && len(e.Details) == 1 {
		t = e.Details[0].Text
	}
	return strings.Join(strings.Fields(t), " ")
}

// assignIDs gives every entry its ID: the bank's reference when it has
// one, else a hash of what the entry states; a repeat within the file
// (same account) gets "#2", "#3"… so re-reading the file gives the same
// IDs.
func assignIDs(stmts []BankStatement) {
	seen := map[string]int{}
	for i := range stmts {
		st := &stmts[i]
		for j := range st.Entries {
			e := &st.Entries[j]
			id := usableRef(e.BankRef)
			if id == "" {
				h := sha256.New()
				for _, f := range []string{st.Account, e.BookingDate, e.ValueDate, e.Mark,
					strconv.FormatInt(e.Amount.Minor, 10), e.Amount.Currency, e.EntryRef, e.TxType, e.Text} {
					h.Write([]byte(f))
					h.Write([]byte{0})
				}
				for _, d := range e.Details {
					fmt.Fprintf(h, "%d\x00%s\x00%s\x00%s\x00", d.Amount.Minor, d.EndToEndID, d.AcctSvcrRef, d.Text)
				}
				id = "h" + hex.EncodeToString(h.Sum(nil))[:24]
			}
			key := st.Account + "\x00" + id
			seen[key]++
			if n := seen[key]; n > 1 {
				id += "#" + strconv.Itoa(n)
			}
			e.ID = id
		}
	}
}

// currencyExponent is ISO 4217's number of decimals (minor unit) of a
// currency; 2 for a code not listed.
func currencyExponent(ccy string) int {
	switch ccy {
	case "VND", "JPY", "KRW", "CLP", "ISK", "PYG", "UGX", "VUV", "XAF", "XOF", "XPF",
		"BIF", "DJF", "GNF", "KMF", "RWF":
		return 0
	case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
		return 3
	}
	return 2
}

func validCurrency(ccy string) bool {
	if len(ccy) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if ccy[i] < 'A' || ccy[i] > 'Z' {
			return false
		}
	}
	return true
}

// parseDecimalAmount reads an unsigned decimal amount exactly, with sep as the
// decimal separator ('.' in XML, ',' in MT940), into ccy's minor units.
// Any number of decimals is accepted ("1500000", "1500000.00") as long as
// the amount is a whole number of minor units: a fraction of a đồng (or
// of a cent) is refused.
func parseDecimalAmount(s string, sep byte, ccy string) (Money, error) {
	if !validCurrency(ccy) {
		return Money{}, fmt.Errorf("the currency %q is not an ISO 4217 code (three capital letters)", ccy)
	}
	if s == "" {
		return Money{}, errors.New("the amount is empty")
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, sep); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
	}
	other := byte(',')
	if sep == ',' {
		other = '.'
	}
	if strings.IndexByte(s, other) >= 0 {
		return Money{}, fmt.Errorf("the amount %q uses %q as the decimal separator: this format uses %q and no thousands separator", s, other, sep)
	}
	if intPart == "" || !allDigits(intPart) || !allDigits(frac) {
		return Money{}, fmt.Errorf("the amount %q is not a number (digits, then %q and the decimals; no sign, no spaces)", s, sep)
	}
	e := currencyExponent(ccy)
	if len(frac) > e {
		if strings.Trim(frac[e:], "0") != "" {
			return Money{}, fmt.Errorf("the amount %q has a fraction of the smallest unit of %s (%d decimals)", s, ccy, e)
		}
		frac = frac[:e]
	}
	frac += strings.Repeat("0", e-len(frac))
	digits := strings.TrimLeft(intPart+frac, "0")
	if digits == "" {
		return Money{Currency: ccy}, nil
	}
	if len(digits) > 18 {
		return Money{}, fmt.Errorf("the amount %q is too large", s)
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return Money{}, fmt.Errorf("the amount %q is too large", s)
	}
	return Money{Minor: v, Currency: ccy}, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// addMoney adds b to a in place; false on an overflow (no real statement
// gets there).
func addMoney(a *int64, b int64) bool {
	if (b > 0 && *a > math.MaxInt64-b) || (b < 0 && *a < math.MinInt64-b) {
		return false
	}
	*a += b
	return true
}

// isoDate checks a YYYY-MM-DD calendar date.
func isoDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	t, err := time.Parse("2006-01-02", s)
	return err == nil && t.Format("2006-01-02") == s
}

// vietnam is the business dates' time zone (UTC+7, no daylight saving).
var vietnam = time.FixedZone("ICT", 7*3600)

// hashingReader hashes what is read through it, so a reader gives the
// file's SHA-256 without reading it twice.
type hashingReader struct {
	r io.Reader
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
}

func newHashingReader(r io.Reader) *hashingReader { return &hashingReader{r: r, h: sha256.New()} }

func (hr *hashingReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	return n, err
}

// sum drains what is left (the file's hash covers all of it) and returns
// the hex SHA-256.
func (hr *hashingReader) sum() (string, error) {
	if _, err := io.Copy(io.Discard, hr); err != nil {
		return "", err
	}
	return hex.EncodeToString(hr.h.Sum(nil)), nil
}

// maxRows bounds the problems a reader collects: past it, the file is
// clearly not the format, and listing more helps nobody.
const maxRows = 1000

type rowCollector struct {
	rows []RowError
}

func (c *rowCollector) add(line int, column, format string, args ...any) {
	if len(c.rows) == maxRows {
		c.rows = append(c.rows, RowError{Line: line, Reason: "too many problems: stopped listing them here"})
	}
	if len(c.rows) > maxRows {
		return
	}
	c.rows = append(c.rows, RowError{Line: line, Column: column, Reason: fmt.Sprintf(format, args...)})
}

func (c *rowCollector) full() bool { return len(c.rows) > maxRows }

// checkBalances checks opening + booked entries = closing for a
// statement whose opening and closing balances it can find. opening and
// closing are the codes to look for, in order of preference.
func checkBalances(st *BankStatement, rows *rowCollector, opening, closing []string, column func(code string) string) {
	find := func(codes []string, last bool) *StatementBalance {
		for _, c := range codes {
			var found *StatementBalance
			for i := range st.Balances {
				if st.Balances[i].Code == c {
					found = &st.Balances[i]
					if !last {
						break
					}
				}
			}
			if found != nil {
				return found
			}
		}
		return nil
	}
	op, cl := find(opening, false), find(closing, true)
	if op == nil || cl == nil || op == cl {
		return
	}
	if op.Amount.Currency != cl.Amount.Currency {
		rows.add(cl.Line, column(cl.Code), "the closing balance is in %s but the opening balance is in %s",
			cl.Amount.Currency, op.Amount.Currency)
		return
	}
	sum := op.Amount.Minor
	for _, e := range st.Entries {
		if e.Amount.Currency != op.Amount.Currency {
			rows.add(e.Line, column(""), "the entry is in %s but the statement's balances are in %s",
				e.Amount.Currency, op.Amount.Currency)
			return
		}
		if !addMoney(&sum, e.Amount.Minor) {
			rows.add(e.Line, column(""), "the entries add up to more than can be counted")
			return
		}
	}
	if sum != cl.Amount.Minor {
		rows.add(cl.Line, column(cl.Code),
			"the balances do not add up: opening %s + %d entries = %s, but the closing balance is %s (a missing or altered entry?)",
			op.Amount, len(st.Entries), Money{Minor: sum, Currency: op.Amount.Currency}, cl.Amount)
	}
}

// Bank statements take part in Detect (--format auto).
func init() { RegisterDetector(DetectBank) }
