package receipts_test

import (
	"math"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/feepos/feepos/internal/soak"
	"github.com/feepos/feepos/receipts"
)

var styles = []receipts.WordStyle{receipts.WordStyleLinh, receipts.WordStyleLe}

func TestWordsExamples(t *testing.T) {
	for _, tc := range []struct {
		amount int64
		words  string
	}{
		// The examples of issue 4.
		{0, "Không đồng"},
		{15, "Mười lăm đồng"},
		{21, "Hai mươi mốt đồng"},
		{101, "Một trăm linh một đồng"},
		{1_005, "Một nghìn không trăm linh năm đồng"},
		{1_000_500, "Một triệu năm trăm đồng"},
		{2_350_000, "Hai triệu ba trăm năm mươi nghìn đồng"},
		{2_000_000_005, "Hai tỷ không trăm linh năm đồng"},
		{1_500_000_000_000, "Một nghìn năm trăm tỷ đồng"},
		// Units, tens, "mười"/"mươi", "mốt", "lăm", "bốn".
		{1, "Một đồng"},
		{5, "Năm đồng"},
		{10, "Mười đồng"},
		{11, "Mười một đồng"},
		{14, "Mười bốn đồng"},
		{20, "Hai mươi đồng"},
		{24, "Hai mươi bốn đồng"},
		{25, "Hai mươi lăm đồng"},
		{31, "Ba mươi mốt đồng"},
		{55, "Năm mươi lăm đồng"},
		{99, "Chín mươi chín đồng"},
		// Hundreds and "linh".
		{100, "Một trăm đồng"},
		{105, "Một trăm linh năm đồng"},
		{110, "Một trăm mười đồng"},
		{111, "Một trăm mười một đồng"},
		{115, "Một trăm mười lăm đồng"},
		{121, "Một trăm hai mươi mốt đồng"},
		{505, "Năm trăm linh năm đồng"},
		// A group after a non-zero higher group: "không trăm", "linh";
		// a group of zeros is left out.
		{1_000, "Một nghìn đồng"},
		{1_001, "Một nghìn không trăm linh một đồng"},
		{1_010, "Một nghìn không trăm mười đồng"},
		{1_015, "Một nghìn không trăm mười lăm đồng"},
		{1_021, "Một nghìn không trăm hai mươi mốt đồng"},
		{1_100, "Một nghìn một trăm đồng"},
		{21_000, "Hai mươi mốt nghìn đồng"},
		{15_000, "Mười lăm nghìn đồng"},
		{105_000, "Một trăm linh năm nghìn đồng"},
		{150_000, "Một trăm năm mươi nghìn đồng"},
		{1_000_005, "Một triệu không trăm linh năm đồng"},
		{1_005_000, "Một triệu không trăm linh năm nghìn đồng"},
		{1_050_000, "Một triệu không trăm năm mươi nghìn đồng"},
		{1_000_000, "Một triệu đồng"},
		// "tỷ" by recursion.
		{1_000_000_000, "Một tỷ đồng"},
		{1_000_000_001, "Một tỷ không trăm linh một đồng"},
		{1_001_000_000, "Một tỷ không trăm linh một triệu đồng"},
		{21_000_000_000, "Hai mươi mốt tỷ đồng"},
		{1_000_000_000_005, "Một nghìn tỷ không trăm linh năm đồng"},
		{1_000_000_000_000_000, "Một triệu tỷ đồng"},
		{1_000_001_000_000_000, "Một triệu không trăm linh một tỷ đồng"},
		{receipts.MaxAmountInWords, "Chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín tỷ " +
			"chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín đồng"},
	} {
		got, err := receipts.Words(tc.amount)
		require.NoError(t, err, tc.amount)
		assert.Equal(t, tc.words, got, "%d", tc.amount)
		assert.True(t, norm.NFC.IsNormalString(got), "%d: %q is not NFC", tc.amount, got)
		back, err := receipts.ParseWords(tc.words)
		require.NoError(t, err, tc.words)
		assert.Equal(t, tc.amount, back, tc.words)
	}
}

func TestWordsStyleLe(t *testing.T) {
	for _, tc := range []struct {
		amount int64
		words  string
	}{
		{0, "Không đồng"},
		{21, "Hai mươi mốt đồng"},
		{101, "Một trăm lẻ một đồng"},
		{1_005, "Một ngàn không trăm lẻ năm đồng"},
		{2_350_000, "Hai triệu ba trăm năm mươi ngàn đồng"},
		{2_000_000_005, "Hai tỉ không trăm lẻ năm đồng"},
		{1_500_000_000_000, "Một ngàn năm trăm tỉ đồng"},
	} {
		got, err := receipts.WordsStyle(tc.amount, receipts.WordStyleLe)
		require.NoError(t, err)
		assert.Equal(t, tc.words, got, "%d", tc.amount)
		assert.True(t, norm.NFC.IsNormalString(got), "%d: %q is not NFC", tc.amount, got)
		back, err := receipts.ParseWords(got)
		require.NoError(t, err, got)
		assert.Equal(t, tc.amount, back)
	}

	// The zero value is the default style.
	def, err := receipts.WordsStyle(1_005, "")
	require.NoError(t, err)
	assert.Equal(t, "Một nghìn không trăm linh năm đồng", def)

	_, err = receipts.WordsStyle(1, "southern")
	assert.ErrorContains(t, err, `"southern" is not known`)
}

func TestParseWordStyle(t *testing.T) {
	for in, want := range map[string]receipts.WordStyle{
		"": receipts.WordStyleLinh, "linh": receipts.WordStyleLinh, "LINH": receipts.WordStyleLinh,
		"le": receipts.WordStyleLe, "lẻ": receipts.WordStyleLe, " Le ": receipts.WordStyleLe,
	} {
		got, err := receipts.ParseWordStyle(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := receipts.ParseWordStyle("tỉ")
	assert.Error(t, err)
}

func TestWordsRejectsAmountsOutOfRange(t *testing.T) {
	for _, n := range []int64{-1, -1_005, math.MinInt64, receipts.MaxAmountInWords + 1, math.MaxInt64} {
		for _, style := range styles {
			_, err := receipts.WordsStyle(n, style)
			require.ErrorIs(t, err, receipts.ErrAmountOutOfRange, n)
			var coded interface{ ErrorCode() string }
			require.ErrorAs(t, err, &coded)
			assert.Equal(t, "invalid", coded.ErrorCode())
		}
	}
	_, err := receipts.Words(-1)
	assert.ErrorContains(t, err, "negative")
	_, err = receipts.Words(receipts.MaxAmountInWords + 1)
	assert.ErrorContains(t, err, "1.000.000.000.000.000.000 đồng is above 999.999.999.999.999.999 đồng")
}

// TestWordsExhaustive writes every amount from 0 to 20.000 in both styles
// and checks that the words read back to the amount, that no two amounts
// share their words, and the reading rules on the text itself, independent
// of the parser.
func TestWordsExhaustive(t *testing.T) {
	const limit = 20_000
	for _, style := range styles {
		seen := make(map[string]int64, limit+1)
		for n := int64(0); n <= limit; n++ {
			w, err := receipts.WordsStyle(n, style)
			require.NoError(t, err, n)
			if prev, dup := seen[w]; dup {
				t.Fatalf("style %s: %d and %d are both %q", style, prev, n, w)
			}
			seen[w] = n
			back, err := receipts.ParseWords(w)
			require.NoError(t, err, w)
			require.Equal(t, n, back, w)
			checkReadingRules(t, n, w, style)
		}
	}
}

// TestWordsRoundTripRandom checks ParseWords(Words(n)) == n for random
// amounts up to 10^15: half uniform, half with many zero digits, so that
// zero groups, "không trăm" and "linh" come up often: 20,000 of them
// (1,000,000 with FEEPOS_SOAK=1; TestWordsExhaustive takes every amount up
// to 20,000). Set FEEPOS_WORDS_SEED to replay a failing run.
func TestWordsRoundTripRandom(t *testing.T) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("FEEPOS_WORDS_SEED"); s != "" {
		var err error
		seed, err = strconv.ParseInt(s, 10, 64)
		require.NoError(t, err, "FEEPOS_WORDS_SEED")
	}
	t.Logf("seed %d (replay with FEEPOS_WORDS_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewSource(seed))

	const max = 1_000_000_000_000_000
	for i := range soak.Pick(20_000, 1_000_000) {
		var n int64
		if i%2 == 0 {
			n = rng.Int63n(max + 1)
		} else {
			n = sparseAmount(rng, max)
		}
		style := styles[rng.Intn(len(styles))]
		w, err := receipts.WordsStyle(n, style)
		require.NoError(t, err, n)
		back, err := receipts.ParseWords(w)
		require.NoError(t, err, "%d: %q", n, w)
		require.Equal(t, n, back, "style %s: %q", style, w)
		checkReadingRules(t, n, w, style)
	}
}

// sparseAmount is a random amount ≤ max with up to 16 digits, each zero
// with probability 1/2.
func sparseAmount(rng *rand.Rand, max int64) int64 {
	var n int64
	for range 1 + rng.Intn(16) {
		d := int64(0)
		if rng.Intn(2) == 0 {
			d = 1 + rng.Int63n(9)
		}
		n = n*10 + d
	}
	return min(n, max)
}

// checkReadingRules checks the rules of issue 4 on the text of w.
func checkReadingRules(t *testing.T, n int64, w string, style receipts.WordStyle) {
	t.Helper()
	if !norm.NFC.IsNormalString(w) {
		t.Fatalf("%d: %q is not NFC", n, w)
	}
	first, _ := utf8.DecodeRuneInString(w)
	if !unicode.IsUpper(first) || strings.ToLower(w)[1:] != w[1:] {
		t.Fatalf("%d: %q does not start with the only capital letter", n, w)
	}
	words := strings.Split(strings.ToLower(w), " ")
	if words[len(words)-1] != "đồng" {
		t.Fatalf("%d: %q does not end in đồng", n, w)
	}
	odd, other := "linh", "lẻ"
	if style == receipts.WordStyleLe {
		odd, other = "lẻ", "linh"
	}
	prev := ""
	for i, x := range words {
		ok := true
		switch x {
		case "":
			ok = false // a double space
		case "mốt":
			ok = prev == "mươi"
		case "lăm":
			ok = prev == "mươi" || prev == "mười"
		case odd:
			ok = prev == "trăm"
		case other:
			ok = false
		case "không":
			ok = n == 0 || words[i+1] == "trăm"
		case "mươi":
			ok = prev != "một" && prev != "không" && prev != ""
		case "một":
			ok = prev != "mươi"
		case "năm":
			ok = prev != "mươi" && prev != "mười"
		}
		if !ok {
			t.Fatalf("%d: %q: %q out of place after %q", n, w, x, prev)
		}
		prev = x
	}
}

func TestParseWordsIsLenientOnForm(t *testing.T) {
	for in, want := range map[string]int64{
		"Một nghìn không trăm linh năm đồng":           1_005,
		"một nghìn không trăm linh năm":                1_005,
		"  MỘT   NGHÌN không trăm LINH năm  ĐỒNG ":     1_005,
		norm.NFD.String("Một nghìn không trăm lẻ năm"): 1_005,
		"một ngàn không trăm linh năm tỷ":              1_005_000_000_000,
		"Không":        0,
		"hai mươi mốt": 21,
	} {
		got, err := receipts.ParseWords(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
}

func TestParseWordsRejectsWhatWordsNeverWrites(t *testing.T) {
	for in, reason := range map[string]string{
		"":                           "there is no number",
		"đồng":                       "there is no number",
		"một nghìn đồng đồng":        `word 3: "đồng" is not a word of a number`,
		"mười hai dollars":           `"dollars" is not a word of a number`,
		"một nghìn năm":              "word 3: a group after a higher group starts with its hundreds",
		"một triệu năm":              "starts with its hundreds",
		"một tỷ năm triệu":           "starts with its hundreds",
		"không trăm linh năm":        `"không trăm" is said only after a higher group`,
		"một nghìn không trăm":       "a group of zeros is left out",
		"một triệu không trăm nghìn": "a group of zeros is left out",
		"một trăm năm":               `a lone units digit is said with "linh"`,
		"linh năm":                   `"linh" comes only after "trăm"`,
		"một trăm linh":              "exactly one digit",
		"một trăm linh không":        "from một to chín",
		"một trăm linh lăm":          "from một to chín",
		"hai mươi một":               `a final 1 is "mốt"`,
		"mười mốt":                   `"mốt" is said only after a tens digit of hai or more`,
		"mười năm":                   `a final 5 is "lăm"`,
		"hai mươi năm":               `a final 5 is "lăm"`,
		"hai mươi không":             `"không" is out of place`,
		"một mươi":                   `before "mươi" comes a digit from hai to chín`,
		"mốt":                        `"mốt" is out of place`,
		"lăm":                        `"lăm" is out of place`,
		"nghìn":                      `"nghìn" needs a number before it`,
		"tỷ":                         `"tỷ" needs a number before it`,
		"một nghìn triệu":            `"triệu" is out of place`,
		"một nghìn một trăm nghìn":   `"nghìn" is out of place`,
		"một trăm hai trăm":          `"hai" is out of place`,
		"mười hai ba":                `"ba" is out of place`,
		"một tỷ tỷ":                  "above 999.999.999.999.999.999 đồng",
		"không không":                `"không" is out of place`,
		"không nghìn":                `"không" is out of place`,
	} {
		_, err := receipts.ParseWords(in)
		var pe *receipts.ParseError
		require.ErrorAs(t, err, &pe, "%q parsed", in)
		assert.Contains(t, pe.Error(), reason, in)
		assert.Equal(t, "invalid", pe.ErrorCode())
	}
}
