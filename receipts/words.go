package receipts

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The total of a receipt is printed in figures and in words (issue 4: the
// content of a "biên lai thu phí, lệ phí điện tử" under Decree
// 254/2026/NĐ-CP). A wrong amount in words is not corrected by a
// replacement receipt but reported on form 04/SS-CTĐT (Circular
// 91/2026/TT-BTC Art. 20), so the words are produced here, once, from the
// integer amount and never typed by hand.
//
// The reading follows common Vietnamese accounting usage:
//   - digits are read in groups of three with "nghìn" and "triệu"; "tỷ"
//     is applied by recursion, so 1.500.000.000.000 is "một nghìn năm trăm
//     tỷ" and 10^15 is "một triệu tỷ";
//   - a group that is all zeros is left out; a group said after a non-zero
//     higher group is read in full: "không trăm" when its hundreds digit is
//     0 and "linh" when its tens digit is 0 and its units digit is not
//     (1.005 "một nghìn không trăm linh năm");
//   - 10–19 are "mười …", 20–99 "… mươi …"; a final 1 is "mốt" after a tens
//     digit of 2 or more (21 "hai mươi mốt", 11 "mười một"); a final 5 is
//     "lăm" after a non-zero tens digit (15 "mười lăm", 105 "một trăm linh
//     năm"); a final 4 is "bốn", as receipts print it;
//   - the first letter is a capital and the text ends in "đồng".

// WordStyle picks the regional variant of three words. The zero value is
// WordStyleLinh.
type WordStyle string

const (
	// WordStyleLinh says "linh", "nghìn", "tỷ": the default, the form of
	// official documents.
	WordStyleLinh WordStyle = "linh"
	// WordStyleLe says "lẻ", "ngàn", "tỉ", for an organisation whose
	// configuration asks for the southern usage.
	WordStyleLe WordStyle = "le"
)

// ParseWordStyle reads a style from a flag or a configuration value:
// "linh" (or empty) and "le" (or "lẻ").
func ParseWordStyle(s string) (WordStyle, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "linh":
		return WordStyleLinh, nil
	case "le", "lẻ":
		return WordStyleLe, nil
	}
	return "", fmt.Errorf("word style %q is not known: use %q or %q", s, WordStyleLinh, WordStyleLe)
}

// MaxAmountInWords is the largest amount Words writes: 999.999.999.999.999.999
// đồng ("chín trăm chín mươi chín triệu … tỷ"). It is far above any fee and
// keeps the arithmetic inside int64.
const MaxAmountInWords int64 = 999_999_999_999_999_999

// ErrAmountOutOfRange is the cause of an error from Words for a negative
// amount or one above MaxAmountInWords.
var ErrAmountOutOfRange = errors.New("amount out of range for words")

type amountError struct{ amount int64 }

func (e amountError) Error() string {
	if e.amount < 0 {
		return fmt.Sprintf("amount %d đồng is negative: a receipt never carries a negative amount (a refund is made by a replacement receipt)", e.amount)
	}
	return fmt.Sprintf("amount %s đồng is above %s đồng, the largest amount written in words",
		groupDigits(e.amount), groupDigits(MaxAmountInWords))
}

func (e amountError) Unwrap() error { return ErrAmountOutOfRange }

// ErrorCode lets internal/apperr map the error to "invalid".
func (e amountError) ErrorCode() string { return "invalid" }

// Words writes amount, in whole đồng, in Vietnamese words in the default
// style: 1005 → "Một nghìn không trăm linh năm đồng".
func Words(amount int64) (string, error) {
	return WordsStyle(amount, WordStyleLinh)
}

// WordsStyle writes amount in words in the given style. It fails for an
// unknown style, a negative amount and an amount above MaxAmountInWords.
func WordsStyle(amount int64, style WordStyle) (string, error) {
	v, err := style.vocabulary()
	if err != nil {
		return "", err
	}
	if amount < 0 || amount > MaxAmountInWords {
		return "", amountError{amount}
	}
	var w []string
	if amount == 0 {
		w = []string{digitWords[0]}
	} else {
		w = v.appendNumber(w, amount)
	}
	w = append(w, wordDong)
	return capitalise(strings.Join(w, " ")), nil
}

// The words, in Unicode NFC (tested).
const (
	wordHundred = "trăm"
	wordMillion = "triệu"
	wordTen     = "mười" // the tens word of 10–19
	wordTens    = "mươi" // the tens word of 20–99
	wordOne     = "mốt"  // a final 1 after a tens digit of 2 or more
	wordFive    = "lăm"  // a final 5 after a non-zero tens digit
	wordDong    = "đồng"
)

var digitWords = [10]string{"không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"}

// vocabulary is the words that differ between styles.
type vocabulary struct {
	odd      string // "linh" | "lẻ": a zero tens digit before a non-zero units digit
	thousand string // "nghìn" | "ngàn"
	billion  string // "tỷ" | "tỉ"
}

var (
	vocabularyLinh = vocabulary{odd: "linh", thousand: "nghìn", billion: "tỷ"}
	vocabularyLe   = vocabulary{odd: "lẻ", thousand: "ngàn", billion: "tỉ"}
)

func (s WordStyle) vocabulary() (vocabulary, error) {
	switch s {
	case "", WordStyleLinh:
		return vocabularyLinh, nil
	case WordStyleLe:
		return vocabularyLe, nil
	}
	return vocabulary{}, fmt.Errorf("word style %q is not known: use %q or %q", string(s), WordStyleLinh, WordStyleLe)
}

const billion = 1_000_000_000

// appendNumber appends the words of n > 0, read on its own (not after a
// higher group).
func (v vocabulary) appendNumber(w []string, n int64) []string {
	hi, lo := n/billion, n%billion
	afterHigher := false
	if hi > 0 {
		w = v.appendNumber(w, hi)
		w = append(w, v.billion)
		afterHigher = true
	}
	for _, g := range [...]struct {
		div   int64
		scale string
	}{{1_000_000, wordMillion}, {1_000, v.thousand}, {1, ""}} {
		d := int(lo / g.div % 1000)
		if d == 0 {
			continue // a group of zeros is left out
		}
		w = v.appendGroup(w, d, afterHigher)
		if g.scale != "" {
			w = append(w, g.scale)
		}
		afterHigher = true
	}
	return w
}

// appendGroup appends the words of one group of three digits, 1 ≤ g ≤ 999.
// full says a non-zero higher group was said before it, so its hundreds
// are always said ("không trăm") and a zero tens digit is said ("linh").
func (v vocabulary) appendGroup(w []string, g int, full bool) []string {
	h, t, u := g/100, g/10%10, g%10
	if h > 0 || full {
		w = append(w, digitWords[h], wordHundred)
		full = true
	}
	switch {
	case t == 0 && u == 0:
	case t == 0:
		if full {
			w = append(w, v.odd)
		}
		w = append(w, digitWords[u])
	case t == 1:
		w = append(w, wordTen)
		w = appendUnitAfterTens(w, t, u)
	default:
		w = append(w, digitWords[t], wordTens)
		w = appendUnitAfterTens(w, t, u)
	}
	return w
}

// appendUnitAfterTens appends the units digit u said after a tens digit t ≥ 1.
func appendUnitAfterTens(w []string, t, u int) []string {
	switch {
	case u == 0:
		return w
	case u == 1 && t >= 2:
		return append(w, wordOne)
	case u == 5:
		return append(w, wordFive)
	}
	return append(w, digitWords[u])
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// groupDigits writes n ≥ 0 with dots between groups of three: 1.500.000.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
