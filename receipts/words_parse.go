package receipts

import (
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// ParseError is text that ParseWords cannot read as an amount.
type ParseError struct {
	Input  string // the text as given
	Word   int    // 1-based position of the word at fault; 0 when the text as a whole is
	Reason string
}

func (e *ParseError) Error() string {
	if e.Word == 0 {
		return fmt.Sprintf("amount in words %q: %s", e.Input, e.Reason)
	}
	return fmt.Sprintf("amount in words %q: word %d: %s", e.Input, e.Word, e.Reason)
}

// ErrorCode lets internal/apperr map the error to "invalid".
func (e *ParseError) ErrorCode() string { return "invalid" }

// ParseWords reads an amount in words back into đồng: the inverse of Words
// for both styles, which may be mixed ("một ngàn không trăm linh năm").
// Case, spacing, a final "đồng" and the Unicode normal form do not matter.
//
// It is strict on structure, so that every text it accepts has one
// reading: a group after a higher group must start with its hundreds
// ("một nghìn năm" could mean 1.005 or, spoken, 1.500, and is refused), a
// zero group is left out, "mốt" and "lăm" stand only where Words puts them.
func ParseWords(s string) (int64, error) {
	p := &wordParser{input: s, words: strings.Fields(norm.NFC.String(strings.ToLower(s)))}
	n := len(p.words)
	if n > 0 && p.words[n-1] == wordDong {
		n--
	}
	if n == 0 {
		return 0, p.fail(-1, "there is no number")
	}
	for i, w := range p.words[:n] {
		if !numberWords[w] {
			return 0, p.fail(i, "%q is not a word of a number", w)
		}
	}
	if n == 1 && p.words[0] == digitWords[0] {
		return 0, nil
	}
	return p.number(0, n)
}

var numberWords = func() map[string]bool {
	m := map[string]bool{wordHundred: true, wordMillion: true, wordTen: true, wordTens: true, wordOne: true, wordFive: true}
	for _, v := range []vocabulary{vocabularyLinh, vocabularyLe} {
		m[v.odd], m[v.thousand], m[v.billion] = true, true, true
	}
	for _, d := range digitWords {
		m[d] = true
	}
	return m
}()

type wordParser struct {
	input string
	words []string // lower case, NFC
}

// fail reports the word at index i (0-based), or the whole text for i < 0.
func (p *wordParser) fail(i int, format string, args ...any) error {
	return &ParseError{Input: p.input, Word: i + 1, Reason: fmt.Sprintf(format, args...)}
}

func isBillion(w string) bool  { return w == vocabularyLinh.billion || w == vocabularyLe.billion }
func isThousand(w string) bool { return w == vocabularyLinh.thousand || w == vocabularyLe.thousand }
func isOdd(w string) bool      { return w == vocabularyLinh.odd || w == vocabularyLe.odd }

func digitValue(w string) (int, bool) {
	for d, dw := range digitWords {
		if w == dw {
			return d, true
		}
	}
	return 0, false
}

// number reads words[lo:hi], not empty, as a number > 0 said on its own.
// "tỷ" is read by recursion, as Words writes it: what stands before the
// last "tỷ" is a number of its own.
func (p *wordParser) number(lo, hi int) (int64, error) {
	last := -1
	for i := hi - 1; i >= lo; i-- {
		if isBillion(p.words[i]) {
			last = i
			break
		}
	}
	if last < 0 {
		return p.belowBillion(lo, hi, false)
	}
	if last == lo {
		return 0, p.fail(last, "%q needs a number before it", p.words[last])
	}
	top, err := p.number(lo, last)
	if err != nil {
		return 0, err
	}
	if top > MaxAmountInWords/billion {
		return 0, p.fail(last, "the amount is above %s đồng, the largest amount written in words", groupDigits(MaxAmountInWords))
	}
	var rest int64
	if last+1 < hi {
		if rest, err = p.belowBillion(last+1, hi, true); err != nil {
			return 0, err
		}
	}
	return top*billion + rest, nil
}

// belowBillion reads words[lo:hi], not empty, with no "tỷ": groups with
// "triệu" and "nghìn", each scale at most once and in that order.
// afterHigher says a non-zero group was said before.
func (p *wordParser) belowBillion(lo, hi int, afterHigher bool) (int64, error) {
	var total int64
	start, prevRank := lo, 3
	for i := lo; i < hi; i++ {
		var mult int64
		var rank int
		switch w := p.words[i]; {
		case w == wordMillion:
			mult, rank = 1_000_000, 2
		case isThousand(w):
			mult, rank = 1_000, 1
		default:
			continue
		}
		if rank >= prevRank {
			return 0, p.fail(i, "%q is out of place: the scales come in the order tỷ, triệu, nghìn, each once", p.words[i])
		}
		if i == start {
			return 0, p.fail(i, "%q needs a number before it", p.words[i])
		}
		g, err := p.group(start, i, afterHigher)
		if err != nil {
			return 0, err
		}
		total += g * mult
		afterHigher, prevRank, start = true, rank, i+1
	}
	if start < hi {
		g, err := p.group(start, hi, afterHigher)
		if err != nil {
			return 0, err
		}
		total += g
	}
	return total, nil
}

// group reads words[lo:hi], not empty, as one group of three digits, 1–999.
// full says a non-zero higher group was said before it, so the group must
// start with its hundreds.
func (p *wordParser) group(lo, hi int, full bool) (int64, error) {
	var h, t, u int
	i := lo
	hasHundreds := hi-lo >= 2 && p.words[lo+1] == wordHundred
	if hasHundreds {
		d, ok := digitValue(p.words[lo])
		if !ok {
			return 0, p.fail(lo, "before %q comes a digit, not %q", wordHundred, p.words[lo])
		}
		if d == 0 && !full {
			return 0, p.fail(lo, "\"không trăm\" is said only after a higher group: leave it out")
		}
		h, i = d, lo+2
	} else if full {
		return 0, p.fail(lo, "a group after a higher group starts with its hundreds (e.g. \"không trăm\"), not %q", p.words[lo])
	}
	var err error
	switch rest := hi - i; {
	case rest == 0:
	case isOdd(p.words[i]):
		if !hasHundreds {
			return 0, p.fail(i, "%q comes only after %q", p.words[i], wordHundred)
		}
		if rest != 2 {
			return 0, p.fail(i, "%q is followed by exactly one digit", p.words[i])
		}
		d, ok := digitValue(p.words[i+1])
		if !ok || d == 0 {
			return 0, p.fail(i+1, "after %q comes a digit from một to chín, not %q", p.words[i], p.words[i+1])
		}
		u = d
	case p.words[i] == wordTen:
		t = 1
		if rest > 2 {
			return 0, p.fail(i+2, "%q is out of place", p.words[i+2])
		}
		if rest == 2 {
			u, err = p.unitAfterTens(i+1, t)
		}
	case rest >= 2 && p.words[i+1] == wordTens:
		d, ok := digitValue(p.words[i])
		if !ok || d < 2 {
			return 0, p.fail(i, "before %q comes a digit from hai to chín, not %q", wordTens, p.words[i])
		}
		t = d
		if rest > 3 {
			return 0, p.fail(i+3, "%q is out of place", p.words[i+3])
		}
		if rest == 3 {
			u, err = p.unitAfterTens(i+2, t)
		}
	case rest == 1 && !hasHundreds:
		d, ok := digitValue(p.words[i])
		if !ok || d == 0 {
			return 0, p.fail(i, "%q is out of place", p.words[i])
		}
		u = d
	case rest == 1:
		return 0, p.fail(i, "after %q a lone units digit is said with \"linh\" or \"lẻ\" (một trăm linh năm), not %q", wordHundred, p.words[i])
	default:
		return 0, p.fail(i, "%q is out of place", p.words[i])
	}
	if err != nil {
		return 0, err
	}
	if h == 0 && t == 0 && u == 0 {
		return 0, p.fail(lo, "a group of zeros is left out, not said")
	}
	return int64(h*100 + t*10 + u), nil
}

// unitAfterTens reads words[i] as the units digit after a tens digit t ≥ 1.
func (p *wordParser) unitAfterTens(i, t int) (int, error) {
	switch w := p.words[i]; w {
	case wordOne:
		if t < 2 {
			return 0, p.fail(i, "%q is said only after a tens digit of hai or more: mười một", wordOne)
		}
		return 1, nil
	case wordFive:
		return 5, nil
	}
	d, ok := digitValue(p.words[i])
	switch {
	case !ok || d == 0:
		return 0, p.fail(i, "%q is out of place", p.words[i])
	case d == 1 && t >= 2:
		return 0, p.fail(i, "after %q a final 1 is %q", wordTens, wordOne)
	case d == 5:
		return 0, p.fail(i, "after a tens word a final 5 is %q", wordFive)
	}
	return d, nil
}
