package sqlite

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/feepos/feepos/reconcile"
)

// The hand-written JSON of the bulk paths writes and reads what
// encoding/json does.

func TestJSONStringsAsMarshal(t *testing.T) {
	for _, v := range [][]string{nil, {}, {"a"}, {"2026-03-02|T1|000001|7|SALE|"}, {"x\"y", "<b>&", "Nguyễn", "tab\t"}} {
		want, _ := json.Marshal(v)
		if v == nil {
			want = []byte("[]")
		}
		assert.Equal(t, string(want), string(jsonStrings(nil, v)), "%q", v)
	}
}

func TestTerminalResultAsUnmarshal(t *testing.T) {
	for _, s := range []string{
		`{"trace_no":"12","approval_code":"A1","pan_masked":"970436******1234","terminal_id":"T0000001","receipt_no":"5","card_type":"NAPAS","rrn":"R9"}`,
		`{"trace_no":"12","terminal_id":"T\"1"}`, // an escape: encoding/json decodes it
		`{ "trace_no" : "12" }`,                  // spaces
		`{"trace_no":12}`,                        // not a string: neither reads it
		`{}`, `null`, `{"card_type":"NAPAS","extra":{"a":"b"}}`,
	} {
		var got reconcile.Payment
		terminalResult([]byte(s), &got, newInterner())
		var res struct {
			TraceNo      string `json:"trace_no"`
			ApprovalCode string `json:"approval_code"`
			PANMasked    string `json:"pan_masked"`
			TerminalID   string `json:"terminal_id"`
			CardType     string `json:"card_type"`
			RRN          string `json:"rrn"`
		}
		var want reconcile.Payment
		if json.Unmarshal([]byte(s), &res) == nil {
			want.ApprovalCode, want.PANMasked, want.TerminalID, want.Brand, want.RRN = res.ApprovalCode, res.PANMasked, res.TerminalID, res.CardType, res.RRN
			if res.TraceNo == "12" {
				want.TraceNo = 12
			}
		}
		assert.Equal(t, want.TraceNo, got.TraceNo, s)
		assert.Equal(t, want.TerminalID, got.TerminalID, s)
		assert.Equal(t, want.ApprovalCode, got.ApprovalCode, s)
		assert.Equal(t, want.Brand, got.Brand, s)
	}
}

// parseStrings reads back what jsonStrings wrote (empty: nil, as the
// report's omitempty fields decode).
func TestParseStringsReadsJSONStrings(t *testing.T) {
	for _, v := range [][]string{nil, {"a"}, {"2026-03-02|T1|000001|7|SALE|"}, {"P1", "P2", "P3"}, {"x\"y", "<b>&", "Nguyễn", "tab\t", `a","b`}, {""}} {
		got, err := parseStrings(string(jsonStrings(nil, v)))
		assert.NoError(t, err)
		assert.Equal(t, v, got)
	}
	got, err := parseStrings(`[]`)
	assert.NoError(t, err)
	assert.Nil(t, got)
}

func TestPermute(t *testing.T) {
	ls := make([]reconcile.SettlementLine, 7)
	for i := range ls {
		ls[i].Line = i
	}
	order := []int32{3, 0, 6, 1, 2, 5, 4}
	want := make([]int, len(order))
	for i, o := range order {
		want[i] = int(o)
	}
	permute(ls, order)
	got := make([]int, len(ls))
	for i, l := range ls {
		got[i] = l.Line
	}
	assert.Equal(t, want, got)
}
