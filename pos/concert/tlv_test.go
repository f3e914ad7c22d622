package concert

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos"
)

// The E examples decode to the values the PayXpert Concert V3 doc gives them.
func TestTLVExamples(t *testing.T) {
	v := loadVectors(t)
	for id, want := range map[string]TLV{
		"E1":  {Tag: TagVersion, Value: "0320"},
		"E2":  {Tag: TagProtocolID, Value: "323540032810"},
		"E3":  {Tag: TagRegister, Value: "1"},
		"E4":  {Tag: TagAmount, Value: "2500"},
		"E5":  {Tag: TagAction, Value: ActionDebit},
		"E5b": {Tag: TagAction, Value: ActionRefund},
		"E5c": {Tag: TagAction, Value: ActionCancel},
		"E5d": {Tag: TagAction, Value: ActionDuplicate},
		"E5e": {Tag: TagCurrency, Value: "978"},
		"E5f": {Tag: TagStatus, Value: AEDone},
		"E5g": {Tag: TagStatus, Value: AENotDone},
		"E5h": {Tag: TagStatusComplement, Value: "01"},
		"E5i": {Tag: TagEntryMode, Value: "2"},
		"E5j": {Tag: TagAuthorization, Value: "A00395"},
		"E5k": {Tag: TagTicketWanted, Value: "100"},
	} {
		items, err := DecodeTLV(v[id])
		require.NoError(t, err, id)
		require.Len(t, items, 1, id)
		want.Offset = 5
		assert.Equal(t, want, items[0], id)
		back, err := EncodeTLV(items)
		require.NoError(t, err)
		assert.Equal(t, v[id], back, id)
	}
}

func TestTLVE6RoundTrip(t *testing.T) {
	e6 := loadVectors(t)["E6"]
	items, err := DecodeTLV(e6)
	require.NoError(t, err)
	var tags []string
	for _, it := range items {
		tags = append(tags, it.Tag+"="+it.Value)
	}
	assert.Equal(t, []string{"CZ=0300", "CJ=012345678901", "CA=01", "CE=978", "BA=0", "CD=0", "CB=11245"}, tags)
	back, err := EncodeTLV(items)
	require.NoError(t, err)
	assert.Equal(t, e6, back)

	// Our request encoder gives E6 from the akretion client defaults.
	got, err := TLVRequest{Version: "0300", ProtocolID: "012345678901", Register: 1, Amount: 11245,
		Action: ActionDebit, Currency: 978}.Encode()
	require.NoError(t, err)
	assert.Equal(t, string(e6), string(got))
}

func TestTLVRequestErrors(t *testing.T) {
	ok := TLVRequest{Version: "0320", ProtocolID: "012345678901", Register: 1, Amount: 150000, Action: ActionDebit}
	got, err := ok.Encode()
	require.NoError(t, err)
	assert.Contains(t, string(got), "CE003704", "currency 0 means VND")
	for name, mut := range map[string]func(*TLVRequest){
		"version":  func(r *TLVRequest) { r.Version = "32" },
		"protocol": func(r *TLVRequest) { r.ProtocolID = "1" },
		"register": func(r *TLVRequest) { r.Register = 0 },
		"amount":   func(r *TLVRequest) { r.Amount = 0 },
		"action":   func(r *TLVRequest) { r.Action = string(make([]byte, 1000)) },
	} {
		r := ok
		mut(&r)
		_, err := r.Encode()
		assert.Error(t, err, name)
	}
}

func TestTLVMalformed(t *testing.T) {
	for name, in := range map[string]string{
		"declared longer than data": "CB0102500",
		"short header":              "CB00",
		"non-digit length":          "CB0x42500",
		"lower-case tag":            "cb0042500",
		"trailing byte":             "CZ0040320X",
	} {
		_, err := DecodeTLV([]byte(in))
		assert.ErrorIs(t, err, ErrTLV, name)
	}
	_, err := DecodeTLV([]byte("CB9992500"))
	assert.ErrorContains(t, err, "declares 999 bytes, only 4 left")
	_, err = EncodeTLV([]TLV{{Tag: "C", Value: "1"}})
	assert.ErrorIs(t, err, ErrTLV)

	items, err := DecodeTLV([]byte("CZ0040320QQ003abcCB0010"))
	require.NoError(t, err)
	v, ok := Get(items, "QQ")
	assert.True(t, ok, "unknown tags are kept")
	assert.Equal(t, "abc", v)
	items, err = DecodeTLV(nil)
	assert.NoError(t, err)
	assert.Empty(t, items)
}

func TestTLVOutcome(t *testing.T) {
	for in, want := range map[string]pos.Outcome{
		"AE00210":        pos.Approved,
		"AE00201AF00204": pos.Declined,
		"AE00201AF00205": pos.Declined,
		"AE00201AF00209": pos.Declined,
		"AE00201AF00208": pos.Aborted,
		"AE00201AF00211": pos.Aborted,
		"AE00201AF00201": pos.Unknown,
		"AE00201":        pos.Unknown,
		"AE00211":        pos.Unknown,
		"AE00299":        pos.Unknown,
		"CB0042500":      pos.Unknown,
	} {
		items, err := DecodeTLV([]byte(in))
		require.NoError(t, err, in)
		got, note := TLVOutcome(items)
		assert.Equal(t, want, got, in)
		assert.NotEmpty(t, note, in)
	}
}
