package importers

import (
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/feepos/feepos/reconcile"
)

// genericLines streams n generic CSV lines without holding them.
type genericLines struct {
	n, i int
	buf  []byte
}

func (g *genericLines) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.i <= g.n {
		if g.i == 0 {
			g.buf = append(g.buf, "settlement_date,terminal_id,merchant_id,batch_no,trace_no,rrn,approval_code,pan_masked,card_brand,txn_type,txn_time,amount,fee,net_amount,currency\n"...)
		} else {
			amount := int64(10000 + g.i%500*1000)
			fee := amount * 11 / 1000
			g.buf = fmt.Appendf(g.buf, "2026-03-02,T%07d,MID000000000001,%06d,%06d,%012d,A%05d,970436******1234,NAPAS,SALE,2026-03-02T08:15:02,%d,%d,%d,VND\n",
				g.i%200, g.i/999999, g.i%999999+1, g.i, g.i%100000, amount, fee, amount-fee)
		}
		g.i++
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[:copy(g.buf, g.buf[n:])]
	return n, nil
}

// BenchmarkReadCSVFunc1M streams 1,000,000 generic lines through the
// callback reader: the heap stays bounded (line-id hashes aside).
func BenchmarkReadCSVFunc1M(b *testing.B) {
	for i := 0; i < b.N; i++ {
		count := 0
		err := ReadCSVFunc(&genericLines{n: 1_000_000}, "bench.csv", nil, func(reconcile.SettlementLine) error {
			count++
			return nil
		})
		if err != nil || count != 1_000_000 {
			b.Fatal(count, err)
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heapsys-MiB")
}
