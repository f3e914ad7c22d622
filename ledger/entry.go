package ledger

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Side is the side of a journal line.
type Side string

const (
	Debit  Side = "D"
	Credit Side = "C"
)

// Limits that keep sums far from int64 overflow and rows printable.
const (
	// MaxAmount is 10^15 đồng per line, a thousand times the largest fee
	// a service centre collects in a year.
	MaxAmount    int64 = 1_000_000_000_000_000
	MaxLines           = 1000
	maxTextRunes       = 500
	maxDimRunes        = 64
	maxKeyRunes        = 200
)

// DefaultCurrency is the Vietnamese đồng; VND has no minor unit, so amounts
// are whole đồng.
const DefaultCurrency = "VND"

// Dimensions say what a line is about, so reports can group by them.
type Dimensions struct {
	Agency   string `json:"agency,omitempty" db:"agency"`     // collecting organisation (district, police, tax…)
	FeeCode  string `json:"fee_code,omitempty" db:"fee_code"` // fee or charge of the procedure
	Terminal string `json:"terminal,omitempty" db:"terminal"` // card terminal id
	Counter  string `json:"counter,omitempty" db:"counter"`   // counter (quầy) number
	Cashier  string `json:"cashier,omitempty" db:"cashier"`   // cashier user
	Dossier  string `json:"dossier,omitempty" db:"dossier"`   // dossier code (mã hồ sơ)
}

// Line is one debit or credit of an entry. Amount is in whole units of
// Currency (đồng for VND) and always positive: the side carries the sign.
type Line struct {
	Account  string `json:"account" db:"account_code"`
	Side     Side   `json:"side" db:"side"`
	Amount   int64  `json:"amount" db:"amount"`
	Currency string `json:"currency" db:"currency"`
	Dimensions
}

// NewEntry is what a caller asks the ledger to post.
type NewEntry struct {
	// Date is the business date (YYYY-MM-DD, Asia/Ho_Chi_Minh) the entry
	// counts on; balances "as of" a date include it.
	Date        string `json:"date"`
	Description string `json:"description"`
	// IdempotencyKey, when set, makes a repeat harmless: the same key with
	// the same content returns the first entry, with other content it is a
	// conflict.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Reverses is the id of the entry this one reverses; set by ReversalOf.
	Reverses int64  `json:"reverses,omitempty"`
	Lines    []Line `json:"lines"`
}

// Entry is a posted journal entry. It never changes; a correction is a new
// entry that reverses it.
type Entry struct {
	ID int64 `json:"id"`
	NewEntry
	ReversedBy  int64  `json:"reversed_by,omitempty"`
	CreatedAt   string `json:"created_at"`   // UTC RFC 3339
	ContentHash string `json:"content_hash"` // SHA-256 of the canonical content
	PrevHash    string `json:"prev_hash"`    // Hash of the entry before
	Hash        string `json:"hash"`         // chains ContentHash to PrevHash
}

// Normalize fills defaults and puts text in Unicode NFC, so that the same
// Vietnamese words typed on two keyboards hash the same.
func (e NewEntry) Normalize() NewEntry {
	e.Description = norm.NFC.String(strings.TrimSpace(e.Description))
	e.IdempotencyKey = strings.TrimSpace(e.IdempotencyKey)
	lines := make([]Line, len(e.Lines))
	for i, l := range e.Lines {
		l.Account = strings.TrimSpace(l.Account)
		l.Currency = strings.ToUpper(strings.TrimSpace(l.Currency))
		if l.Currency == "" {
			l.Currency = DefaultCurrency
		}
		d := &l.Dimensions
		for _, s := range []*string{&d.Agency, &d.FeeCode, &d.Terminal, &d.Counter, &d.Cashier, &d.Dossier} {
			*s = norm.NFC.String(strings.TrimSpace(*s))
		}
		lines[i] = l
	}
	e.Lines = lines
	return e
}

// Validate checks the rules every entry obeys: a date, a description, at
// least two lines, positive whole amounts, and debits equal to credits in
// each currency. It does not know which accounts exist; the store checks
// that. Call it on a normalized entry.
func (e NewEntry) Validate() error {
	if _, err := ParseDate(e.Date); err != nil {
		return err
	}
	if err := checkText("description", e.Description, maxTextRunes, true); err != nil {
		return err
	}
	if err := checkText("idempotency key", e.IdempotencyKey, maxKeyRunes, false); err != nil {
		return err
	}
	if e.Reverses < 0 {
		return Invalidf("reverses must be the id of an entry, got %d", e.Reverses)
	}
	if len(e.Lines) < 2 {
		return Invalidf("an entry needs at least two lines (a debit and a credit), got %d", len(e.Lines))
	}
	if len(e.Lines) > MaxLines {
		return Invalidf("an entry has at most %d lines, got %d: split it", MaxLines, len(e.Lines))
	}
	type sums struct{ debit, credit int64 }
	perCurrency := map[string]*sums{}
	var currencies []string
	for i, l := range e.Lines {
		n := i + 1
		if l.Account == "" {
			return Invalidf("line %d has no account code", n)
		}
		if l.Side != Debit && l.Side != Credit {
			return Invalidf("line %d has side %q: use D (debit) or C (credit)", n, l.Side)
		}
		if l.Amount <= 0 {
			return Invalidf("line %d has amount %d: amounts are positive whole đồng; the side (D/C) carries the direction", n, l.Amount)
		}
		if l.Amount > MaxAmount {
			return Invalidf("line %d has amount %d, above the limit of %d", n, l.Amount, MaxAmount)
		}
		if !validCurrency(l.Currency) {
			return Invalidf("line %d has currency %q: use an ISO 4217 code such as VND", n, l.Currency)
		}
		for _, d := range []struct{ name, v string }{
			{"agency", l.Agency}, {"fee_code", l.FeeCode}, {"terminal", l.Terminal},
			{"counter", l.Counter}, {"cashier", l.Cashier}, {"dossier", l.Dossier},
		} {
			if err := checkText("line "+strconv.Itoa(n)+" "+d.name, d.v, maxDimRunes, false); err != nil {
				return err
			}
		}
		s := perCurrency[l.Currency]
		if s == nil {
			s = &sums{}
			perCurrency[l.Currency] = s
			currencies = append(currencies, l.Currency)
		}
		if l.Side == Debit {
			s.debit += l.Amount // cannot overflow: ≤ 1000 lines × 10^15
		} else {
			s.credit += l.Amount
		}
	}
	for _, c := range currencies {
		if s := perCurrency[c]; s.debit != s.credit {
			return Invalidf("entry does not balance in %s: debits %d, credits %d (difference %d)", c, s.debit, s.credit, s.debit-s.credit)
		}
	}
	return nil
}

// validCurrency reports whether c looks like an ISO 4217 code: three
// upper-case letters.
func validCurrency(c string) bool {
	return len(c) == 3 && strings.IndexFunc(c, func(r rune) bool { return r < 'A' || r > 'Z' }) < 0
}

func checkText(what, s string, maxRunes int, required bool) error {
	if required && s == "" {
		return Invalidf("%s is empty: say what the entry is for", what)
	}
	if !utf8.ValidString(s) {
		return Invalidf("%s is not valid UTF-8", what)
	}
	if utf8.RuneCountInString(s) > maxRunes {
		return Invalidf("%s is longer than %d characters", what, maxRunes)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return Invalidf("%s contains a control character (newline, tab…): remove it", what)
	}
	return nil
}

// ReversalOf builds the entry that cancels orig: the same lines with debit
// and credit swapped, pointing back at it.
func ReversalOf(orig Entry, date, description, key string) NewEntry {
	if description == "" {
		description = "Bút toán đảo của bút toán #" + strconv.FormatInt(orig.ID, 10) + ": " + orig.Description
		if r := []rune(description); len(r) > maxTextRunes {
			description = string(r[:maxTextRunes])
		}
	}
	lines := make([]Line, len(orig.Lines))
	for i, l := range orig.Lines {
		if l.Side == Debit {
			l.Side = Credit
		} else {
			l.Side = Debit
		}
		lines[i] = l
	}
	return NewEntry{Date: date, Description: description, IdempotencyKey: key, Reverses: orig.ID, Lines: lines}
}
