package receipts_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

// Decree 254 Art. 29.3.b: the day's summary goes out the same day; a receipt
// issued after it goes out in an amendment, which the form marks ([02] lần
// đầu / [03] bổ sung lần thứ) and whose file has its own name.
func TestDailySummaryAmendmentIndicatorAndName(t *testing.T) {
	s := fixtureSummary(t)
	first, err := receipts.SummaryXML(s)
	require.NoError(t, err)
	assert.Contains(t, string(first), "<FirstFiling>1</FirstFiling>")
	assert.NotContains(t, string(first), "AmendmentNumber")
	assert.Equal(t, "Lần đầu", s.FilingWords())

	s.Amendment = 2
	amended, err := receipts.SummaryXML(s)
	require.NoError(t, err)
	assert.Contains(t, string(amended), "<FirstFiling>0</FirstFiling>\n  <AmendmentNumber>2</AmendmentNumber>")
	assert.Equal(t, "01TH-BLDT_0101234567_20261125_BS02.xml", s.FileName("xml"))
	assert.Equal(t, "Bổ sung lần thứ 2", s.FilingWords())
	assert.NotEqual(t, s.FileName("xml"), fixtureSummary(t).FileName("xml"), "two filings of one day never share a name")
}
