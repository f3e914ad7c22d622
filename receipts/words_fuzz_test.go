package receipts_test

import (
	"testing"

	"github.com/feepos/feepos/receipts"
)

// FuzzParseWords feeds the words parser anything: it never panics, and
// what it accepts is a number whose words (either style) parse back to it.
// CI runs the seeds; explore with
//
//	go test -run '^$' -fuzz FuzzParseWords -fuzztime 60s ./receipts/
func FuzzParseWords(f *testing.F) {
	for _, s := range []string{"Không đồng", "Mười lăm đồng", "Hai mươi mốt đồng", "Một trăm linh một đồng",
		"Một nghìn không trăm linh năm đồng", "Hai tỷ không trăm linh năm đồng", "Một nghìn năm trăm tỷ đồng",
		"Một ngàn lẻ năm đồng", "mười mốt đồng", "Hai mươi lăm", "", "đồng", "Một tỷ tỷ đồng"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := receipts.ParseWords(s)
		if err != nil {
			return
		}
		for _, style := range []receipts.WordStyle{receipts.WordStyleLinh, receipts.WordStyleLe} {
			w, err := receipts.WordsStyle(n, style)
			if err != nil {
				t.Fatalf("%q parsed to %d, which has no words: %v", s, n, err)
			}
			back, err := receipts.ParseWords(w)
			if err != nil || back != n {
				t.Fatalf("%q parsed to %d, written %q, parsed back to %d (%v)", s, n, w, back, err)
			}
		}
	})
}
