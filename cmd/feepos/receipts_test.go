package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReceiptsWords(t *testing.T) {
	r := feepos(t, "", "receipts", "words", "1005")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "Một nghìn không trăm linh năm đồng\n", r.stdout)
	assert.Empty(t, r.stderr)

	r = feepos(t, "", "receipts", "words", "2000000005", "--style", "le")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "Hai tỉ không trăm lẻ năm đồng\n", r.stdout)

	r = feepos(t, "", "receipts", "words", "0", "--style", "linh")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "Không đồng\n", r.stdout)

	r = feepos(t, "", "--json", "receipts", "words", "2350000")
	require.Equal(t, 0, r.code, r.stderr)
	var got struct {
		Amount int64  `json:"amount"`
		Words  string `json:"words"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&got))
	assert.EqualValues(t, 2350000, got.Amount)
	assert.Equal(t, "Hai triệu ba trăm năm mươi nghìn đồng", got.Words)
	assert.Contains(t, r.stdout, `"words": "Hai triệu`, "Vietnamese letters are written as they are, not escaped")
}

func TestReceiptsWordsBadUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"receipts", "words", "1.5"}, `amount "1.5" is not a whole number of đồng`},
		{[]string{"receipts", "words", "1,5"}, "not a whole number"},
		{[]string{"receipts", "words", "abc"}, `amount "abc" is not a whole number of đồng`},
		{[]string{"receipts", "words", ""}, "is not between 0 and"},
		{[]string{"receipts", "words", "-1"}, `amount "-1" is negative`},
		{[]string{"receipts", "words", "--", "-1"}, `amount "-1" is negative`},
		{[]string{"receipts", "words", "1000000000000000000"}, "is not between 0 and 999999999999999999"},
		{[]string{"receipts", "words", "99999999999999999999"}, "is not between 0 and"},
		{[]string{"receipts", "words"}, "expected one amount"},
		{[]string{"receipts", "words", "1", "2"}, "expected one amount"},
		{[]string{"receipts", "words", "1", "--style", "south"}, `word style "south" is not known`},
		{[]string{"receipts", "wrods", "1"}, `unknown command "wrods"`},
	} {
		r := feepos(t, "", tc.args...)
		assert.Equal(t, 2, r.code, "%q: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.msg, "%q", tc.args)
		assert.Empty(t, r.stdout, "%q", tc.args)
	}
}
