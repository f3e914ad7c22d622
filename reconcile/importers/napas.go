package importers

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/feepos/feepos/reconcile"
)

// The NAPAS-style tagged-record settlement file. No public specification
// exists; the layout below is feepos's ASSUMPTION, built from what is
// known of such files (HR/DR/TR records, [TAG]value fields named after
// ISO 8583 fields, a per-line [CSR] checksum) and documented in
// docs/RECONCILE.md "NAPAS tagged records". Where a real file differs,
// this reader refuses it with the line and tag, never guesses.
//
//	HR[REV]1.0[BANK]970436[DATE]20260302[CSR]<md5>
//	DR[MTI]0210[F2]970436******1234[F3]000000[F4]000000015000000[F11]000101…[CSR]<md5>
//	TR[NOT]5[TOT]000000291000000[CSR]<md5>
//
// Checksum rule (assumed): [CSR] is the last field of every record and
// holds the lower-case hex MD5 of the record's bytes before "[CSR]" (its
// record type included, its line ending excluded).
//
// Amounts (assumed): [F4] (gross) and [FEE] (the acquirer's fee, a
// feepos tag) are ISO 8583 amounts, 12 digits with two implied minor
// digits even for VND, so they end in "00"; [TOT] sums the details' [F4]
// in the same unit.

// napasMaxLine bounds a record: a longer "line" is not this format.
const napasMaxLine = 8 << 10

// NAPASChecksum is the [CSR] value of a record whose text before "[CSR]"
// is content.
func NAPASChecksum(content string) string {
	sum := md5.Sum([]byte(content))
	return hex.EncodeToString(sum[:])
}

// ReadNAPAS reads a NAPAS-style tagged-record settlement file: every
// detail line, or a *FileError listing every bad record.
func ReadNAPAS(r io.Reader, name string) ([]reconcile.SettlementLine, error) {
	var lines []reconcile.SettlementLine
	err := ReadNAPASFunc(r, name, func(l reconcile.SettlementLine) error {
		lines = append(lines, l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return lines, nil
}

// ReadNAPASFunc is ReadNAPAS without holding the lines (as ReadCSVFunc).
func ReadNAPASFunc(r io.Reader, name string, fn func(reconcile.SettlementLine) error) error {
	c := newCollector(name, "napas")
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), napasMaxLine)
	var (
		n           int
		date        time.Time // HR [DATE]
		haveHR      bool
		trailerLine int
		count       int   // DR records
		total       int64 // sum of their F4 in the file's unit
		totalOK     = true
	)
	for sc.Scan() {
		n++
		raw := sc.Bytes()
		raw = bytes.TrimSuffix(raw, []byte("\r"))
		if n == 1 {
			raw = bytes.TrimPrefix(raw, bomUTF8)
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		if !utf8.Valid(raw) {
			c.add(n, "", "not valid UTF-8 text")
			continue
		}
		text := string(raw)
		kind, fields, bad := napasFields(text)
		if bad != "" {
			c.add(n, "", bad)
			if kind == "DR" {
				count++
				totalOK = false
			}
			continue
		}
		if trailerLine > 0 {
			c.add(n, "", fmt.Sprintf("a record after the TR trailer (line %d): the trailer must be last", trailerLine))
			continue
		}
		switch kind {
		case "HR":
			if haveHR {
				c.add(n, "", "a second HR header record: one file holds one settlement")
				continue
			}
			if count > 0 {
				c.add(n, "", "the HR header comes after detail records: it must be first")
			}
			haveHR = true
			d, ok := fields.get("DATE")
			t, err := time.ParseInLocation("20060102", d, Zone)
			if !ok || err != nil {
				c.add(n, "DATE", fmt.Sprintf("%q is not a settlement date YYYYMMDD", d))
				continue
			}
			date = t
		case "DR":
			count++
			if !haveHR {
				c.add(n, "", "a DR detail record before the HR header: the file must start with HR")
				totalOK = false
				continue
			}
			l, f4, ok := napasDetail(c, n, fields, date)
			if !ok {
				totalOK = false
				continue
			}
			total += f4
			l.ID = LineID(l)
			if c.unique(n, l.ID) && !c.bad() {
				if err := fn(l); err != nil {
					return err
				}
			}
		case "TR":
			trailerLine = n
			if v, _ := fields.get("NOT"); !digits(v) || v == "" {
				c.add(n, "NOT", fmt.Sprintf("%q is not a record count", v))
			} else if got, _ := strconv.Atoi(v); got != count {
				c.add(n, "NOT", fmt.Sprintf("the trailer counts %d detail records and the file has %d: the file is incomplete or altered", got, count))
			}
			if v, _ := fields.get("TOT"); !digits(v) || v == "" || len(v) > 18 {
				c.add(n, "TOT", fmt.Sprintf("%q is not a total amount", v))
			} else if got, _ := strconv.ParseInt(v, 10, 64); totalOK && got != total {
				c.add(n, "TOT", fmt.Sprintf("the trailer's total %d is not the sum of the details' [F4] %d: the file is incomplete or altered", got, total))
			}
		default:
			c.add(n, "", fmt.Sprintf("record type %q: a NAPAS file has HR, DR and TR records only", kind))
		}
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			c.add(n+1, "", fmt.Sprintf("a line longer than %d bytes: not a NAPAS tagged-record file", napasMaxLine))
		} else {
			c.add(0, "", fmt.Sprintf("cannot read the file: %v", err))
		}
		return c.err()
	}
	if !haveHR && !c.bad() {
		c.add(0, "", "no HR header record: not a NAPAS tagged-record file, or an empty one")
	}
	if trailerLine == 0 && haveHR {
		c.add(0, "", "no TR trailer record: the file is truncated")
	}
	return c.err()
}

// napasRecord is a record's fields in order.
type napasRecord []struct{ tag, value string }

func (r napasRecord) get(tag string) (string, bool) {
	for _, f := range r {
		if f.tag == tag {
			return f.value, true
		}
	}
	return "", false
}

// napasFields splits "DR[MTI]0210[F2]…[CSR]x" and checks the checksum.
func napasFields(line string) (kind string, rec napasRecord, bad string) {
	if len(line) < 3 || line[2] != '[' {
		return "", nil, fmt.Sprintf("%q is not a tagged record (XX[TAG]value…)", clip(line))
	}
	kind = line[:2]
	csr := strings.LastIndex(line, "[CSR]")
	if csr < 0 {
		return kind, nil, "no [CSR] checksum: every record ends with one"
	}
	if want, got := NAPASChecksum(line[:csr]), line[csr+len("[CSR]"):]; !strings.EqualFold(got, want) {
		return kind, nil, fmt.Sprintf("the [CSR] checksum %q does not match the record (MD5 of the text before [CSR]): the line is damaged or altered", clip(got))
	}
	rest := line[2:csr]
	seen := map[string]bool{}
	for rest != "" {
		if rest[0] != '[' {
			return kind, nil, fmt.Sprintf("text %q outside a [TAG]value field", clip(rest))
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return kind, nil, "a tag without its closing ]"
		}
		tag := rest[1:end]
		rest = rest[end+1:]
		next := strings.IndexByte(rest, '[')
		if next < 0 {
			next = len(rest)
		}
		if tag == "" || seen[tag] {
			return kind, nil, fmt.Sprintf("tag [%s] is empty or repeated", clip(tag))
		}
		seen[tag] = true
		rec = append(rec, struct{ tag, value string }{tag, strings.TrimSpace(rest[:next])})
		rest = rest[next:]
	}
	return kind, rec, ""
}

func clip(s string) string {
	if len(s) <= 40 {
		return s
	}
	i := 40
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// napasAmount reads a 12-digit ISO 8583 amount with two implied minor
// digits into whole đồng (and the raw value, for the trailer's total).
func napasAmount(c *collector, line int, tag, v string) (dong, raw int64, ok bool) {
	if len(v) != 12 || !digits(v) {
		c.add(line, tag, fmt.Sprintf("%q is not a 12-digit amount", clip(v)))
		return 0, 0, false
	}
	raw, _ = strconv.ParseInt(v, 10, 64)
	if raw%100 != 0 {
		c.add(line, tag, fmt.Sprintf("%q has a fraction of a đồng (the last two digits are minor units): amounts are whole đồng", v))
		return 0, 0, false
	}
	return raw / 100, raw, true
}

// napasDetail turns a DR record into a line, reporting what is wrong.
func napasDetail(c *collector, n int, f napasRecord, date time.Time) (l reconcile.SettlementLine, f4 int64, ok bool) {
	before := len(c.rows) + c.more
	need := func(tag string) string {
		v, present := f.get(tag)
		if !present || v == "" {
			c.add(n, tag, "is missing: a DR record needs [MTI], [F3], [F4], [F11], [F12], [F13], [F41] and [F49]")
		}
		return v
	}
	l.Line = n
	l.SettlementDate = date.Format(time.DateOnly)
	mti, f3 := need("MTI"), need("F3")
	switch {
	case mti == "":
	case mti == "0400" || mti == "0420" || mti == "0410" || mti == "0430":
		l.Type = reconcile.Void
	case mti == "0200" || mti == "0210" || mti == "0220" || mti == "0230":
		switch {
		case f3 == "":
		case len(f3) == 6 && strings.HasPrefix(f3, "00") && digits(f3):
			l.Type = reconcile.Sale
		case len(f3) == 6 && strings.HasPrefix(f3, "20") && digits(f3):
			l.Type = reconcile.Refund
		default:
			c.add(n, "F3", fmt.Sprintf("processing code %q: feepos reads purchases (00xxxx) and refunds (20xxxx)", clip(f3)))
		}
	default:
		c.add(n, "MTI", fmt.Sprintf("message type %q: feepos reads 0200/0210 (financial) and 0400/0420 (reversal)", clip(mti)))
	}
	amount, raw, amountOK := int64(0), int64(0), false
	if v := need("F4"); v != "" {
		amount, raw, amountOK = napasAmount(c, n, "F4", v)
		if amountOK && amount <= 0 {
			c.add(n, "F4", "the amount must be > 0")
		}
	}
	if v, present := f.get("FEE"); present && v != "" {
		if fee, _, ok := napasAmount(c, n, "FEE", v); ok {
			l.Fee = fee
			if amountOK && fee > amount {
				c.add(n, "FEE", fmt.Sprintf("fee %d is more than the amount %d", fee, amount))
			}
		}
	}
	l.Amount, l.Net = amount, amount-l.Fee
	if v := need("F11"); v != "" {
		if len(v) > 12 || !digits(v) {
			c.add(n, "F11", fmt.Sprintf("%q is not a trace number", clip(v)))
		} else {
			l.TraceNo, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	hms, md := need("F12"), need("F13")
	if hms != "" && md != "" {
		t, err := time.ParseInLocation("20060102150405", fmt.Sprintf("%04d%s%s", date.Year(), md, hms), Zone)
		if err != nil || len(md) != 4 || len(hms) != 6 {
			c.add(n, "F13", fmt.Sprintf("%q %q is not a local date MMDD and time hhmmss", clip(md), clip(hms)))
		} else {
			if t.After(date.AddDate(0, 0, 1)) {
				t = t.AddDate(-1, 0, 0) // a December transaction settled in January
			}
			l.TxnTime = t
		}
	}
	if v, _ := f.get("F2"); v != "" {
		if fullPAN(v) {
			c.add(n, "F2", "is a full card number: the file must carry masked card numbers only")
		} else {
			l.PANMasked = v
		}
	}
	l.TerminalID = need("F41")
	l.MerchantID, _ = f.get("F42")
	l.RRN, _ = f.get("F37")
	l.ApprovalCode, _ = f.get("F38")
	l.BatchNo, _ = f.get("BATCH")
	switch cur := need("F49"); cur {
	case "", "704", "VND":
		l.Currency = "VND"
	default:
		c.add(n, "F49", fmt.Sprintf("currency %q: feepos reconciles VND (704) only", clip(cur)))
	}
	return l, raw, len(c.rows)+c.more == before
}
