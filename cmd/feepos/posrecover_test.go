package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/sim/zvtsim"
)

// After an unknown outcome, `pos pay` shows the terminal's last record as
// what it is, and what it proves for THIS payment, by pos.Judge: never
// the previous payment, nor a reversal, as if it were this one.
func TestPrintRecoveryJudgesTheRecordForThisAttempt(t *testing.T) {
	zvtCfg := config.Terminal{Protocol: "zvt", Port: "/dev/null"}
	start := time.Date(2026, 5, 4, 10, 0, 0, 0, terminals.Zone)
	read := start.Add(10 * time.Minute)
	facts := pos.AttemptFacts{Kind: pos.KindPay, Amount: 150_000, StartedAt: start, Until: start.Add(4 * time.Minute)}
	rec := func(kind string, o pos.Outcome, at time.Time) pos.Result {
		at = at.In(terminals.Zone)
		return pos.Result{Kind: kind, Outcome: o, Amount: 150_000, TraceNo: 7, ReceiptNo: 3, ResultCode: "00",
			Date: at.Format("01-02"), Time: at.Format("15:04:05")}
	}
	for _, tc := range []struct {
		name string
		cfg  config.Terminal
		r    pos.Result
		err  error
		want pos.Verdict
		says []string
	}{
		{"the previous payment", zvtCfg, rec("", pos.Approved, start.Add(-10*time.Minute)), nil, pos.NotCharged,
			[]string{"thanh toán THÀNH CÔNG, 150.000 đồng, trace 7, hóa đơn 3", "chưa chắc là lần này", "Kết luận cho lần thanh toán này: KHÔNG TRỪ TIỀN", "trước khi gửi lệnh lần này"}},
		{"a reversal is no payment", zvtCfg, rec(pos.KindReverse, pos.Approved, start.Add(3*time.Minute)), nil, pos.StillUnknown,
			[]string{"hủy giao dịch THÀNH CÔNG", "Kết luận cho lần thanh toán này: CHƯA XÁC ĐỊNH", "không phải thanh toán", "KHÔNG thu tiền lại"}},
		{"this payment", zvtCfg, rec(pos.KindPay, pos.Approved, start.Add(3*time.Minute)), nil, pos.Charged,
			[]string{"Kết luận cho lần thanh toán này: ĐÃ TRỪ TIỀN", "đúng số tiền"}},
		{"a terminal that repeats the original", config.Terminal{Protocol: "zvt", Port: "/dev/null", RepeatsOriginalReceipt: true},
			rec(pos.KindPay, pos.Approved, start.Add(3*time.Minute)), nil, pos.StillUnknown,
			[]string{"CHƯA XÁC ĐỊNH", "in lại hóa đơn gốc"}},
		{"too close to the start", zvtCfg, rec(pos.KindPay, pos.Approved, start.Add(30*time.Second)), nil, pos.StillUnknown,
			[]string{"CHƯA XÁC ĐỊNH", "quá sát thời điểm bắt đầu"}},
		{"a later transaction", zvtCfg, rec(pos.KindPay, pos.Approved, start.Add(9*time.Minute)), nil, pos.StillUnknown,
			[]string{"CHƯA XÁC ĐỊNH", "giao dịch sau"}},
		{"no last transaction", zvtCfg, pos.Result{Outcome: pos.Unknown}, pos.ErrNoLastResult, pos.StillUnknown,
			[]string{"Kết luận cho lần thanh toán này: CHƯA XÁC ĐỊNH", "KHÔNG thu tiền lại"}},
		{"no answer", zvtCfg, pos.Result{}, errors.New("timeout"), pos.StillUnknown, []string{"CHƯA XÁC ĐỊNH"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			f := printRecovery(&b, tc.cfg, facts, tc.r, tc.err, read)
			assert.Equal(t, tc.want, f.Verdict, f.Reason)
			for _, s := range tc.says {
				assert.Contains(t, b.String(), s)
			}
		})
	}

	var b strings.Builder
	rev := pos.AttemptFacts{Kind: pos.KindReverse, Amount: 150_000, StartedAt: start, TraceBefore: 6}
	printRecovery(&b, zvtCfg, rev, rec(pos.KindReverse, pos.Approved, start.Add(10*time.Second)), nil, read)
	assert.Contains(t, b.String(), "Kết luận cho lần hủy giao dịch này: ĐÃ HỦY")
}

// End to end: a payment whose approval cannot be read is unknown; the
// terminal's last record (that payment, which the terminal reversed when
// feepos refused it) is shown for what it is, and judged for this payment:
// without a trace number to go by, and dated at its start, it cannot be
// told from the transaction before, so it stays unknown.
func TestPosPayZVTUnknownJudgesTheLastRecord(t *testing.T) {
	s, path := startZVTSim(t)
	r := feepos(t, "", "pos", "pay", "--protocol", "zvt", "--port", path, "--amount", "150000")
	assert.Equal(t, 0, r.code, r.stderr)

	s.Inject(zvtsim.Fault{Kind: zvtsim.FaultStatusUnknownField})
	r = feepos(t, "", "pos", "pay", "--protocol", "zvt", "--port", path, "--amount", "150000")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stdout, "CHƯA RÕ KẾT QUẢ")
	assert.Contains(t, r.stderr, "Đang hỏi lại giao dịch cuối")
	assert.Contains(t, r.stderr, "Giao dịch cuối trên máy POS (chưa chắc là lần này): thanh toán ĐÃ HỦY, 150.000 đồng, trace 2")
	assert.Contains(t, r.stderr, "Kết luận cho lần thanh toán này: CHƯA XÁC ĐỊNH")
	assert.NotContains(t, r.stderr, "ĐÃ TRỪ TIỀN")
	assert.Len(t, s.Batch(), 1, "only the first payment stands")
}
