package importers

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// napasRec appends the [CSR] checksum to a record's content.
func napasRec(content string) string { return content + "[CSR]" + NAPASChecksum(content) }

func TestReadNAPAS(t *testing.T) {
	want, err := ReadCSV(open(t, "generic.csv"), "generic.csv", nil)
	require.NoError(t, err)
	lines, err := ReadNAPAS(open(t, "napas.txt"), "napas.txt")
	require.NoError(t, err)
	require.Len(t, lines, len(want))
	for i := range want {
		want[i].CardBrand = "" // the tagged records carry no brand
	}
	assert.Equal(t, want, lines, "the same day as tagged records reads to the generic file's lines")
}

func TestNAPASChecksum(t *testing.T) {
	assert.Equal(t, "dd4ea228a1d7ef3cce69322f64133936", NAPASChecksum("HR[REV]1.0[BANK]970436[DATE]20260302"))
}

func napasFixture(t *testing.T) []string {
	data, err := os.ReadFile("testdata/settlement/napas.txt")
	require.NoError(t, err)
	return strings.Split(strings.TrimRight(string(data), "\r\n"), "\r\n")
}

func TestReadNAPASRefuses(t *testing.T) {
	read := func(lines []string) string {
		t.Helper()
		got, err := ReadNAPAS(strings.NewReader(strings.Join(lines, "\n")+"\n"), "n.txt")
		assert.Nil(t, got)
		_, text := fileError(t, err)
		return text
	}
	fx := napasFixture(t)

	altered := append([]string(nil), fx...)
	altered[2] = strings.Replace(altered[2], "[F4]000250000000", "[F4]000260000000", 1)
	text := read(altered)
	assert.Contains(t, text, "line 3: the [CSR] checksum")
	assert.Contains(t, text, "does not match the record")
	assert.NotContains(t, text, "TOT", "a damaged detail leaves the total unchecked rather than doubly reported")

	assert.Equal(t, "no TR trailer record: the file is truncated\n", read(fx[:4]))

	dropped := append(append([]string(nil), fx[:3]...), fx[4:]...)
	text = read(dropped)
	assert.Contains(t, text, "line 6, NOT: the trailer counts 5 detail records and the file has 4")
	assert.Contains(t, text, "line 6, TOT: the trailer's total 277000000 is not the sum of the details' [F4] 273500000")

	bad := append([]string(nil), fx...)
	bad[1] = napasRec(strings.Replace(strings.Split(fx[1], "[CSR]")[0], "970436******1234", "9704360000001234", 1))
	bad[2] = napasRec(strings.Replace(strings.Split(fx[2], "[CSR]")[0], "[F4]000250000000", "[F4]000250000050", 1))
	bad[3] = napasRec(strings.Replace(strings.Split(fx[3], "[CSR]")[0], "[F49]704", "[F49]840", 1))
	bad[4] = napasRec(strings.Replace(strings.Split(fx[4], "[CSR]")[0], "[F11]000103", "", 1))
	text = read(bad)
	assert.Contains(t, text, "line 2, F2: is a full card number")
	assert.NotContains(t, text, "9704360000001234")
	assert.Contains(t, text, `line 3, F4: "000250000050" has a fraction of a đồng`)
	assert.Contains(t, text, `line 4, F49: currency "840"`)
	assert.Contains(t, text, "line 5, F11: is missing")

	text = read([]string{fx[1], fx[0], fx[6]})
	assert.Contains(t, text, "line 1: a DR detail record before the HR header")

	text = read(append(append([]string(nil), fx...), napasRec("XX[A]1")))
	assert.Contains(t, text, "line 8: a record after the TR trailer")

	text = read([]string{"not a napas file"})
	assert.Contains(t, text, "is not a tagged record")
}
