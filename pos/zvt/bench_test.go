package zvt_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

// Benchmarks of the driver over a real pseudo-terminal (the driver opens
// the slave with transport.OpenSerial, go.bug.st/serial), against a
// scripted terminal on the master written with this package's encoders.
// They run only with -bench; bench/posbench measures the same thing at
// length (thousands of payments, a terminal in another process, idle CPU
// and memory per terminal) and docs/BENCHMARKS.md ("Card terminals") has the numbers.
//
//	go test -run '^$' -bench . -benchtime 2000x ./pos/zvt/

func benchMono() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// benchPT is the scripted terminal: Registration, and Authorization
// answered 80 00 00, 04 FF "insert card", a pause, 04 0F approved (one
// write(2), its time stamped after the write returns), and after the
// ECR's 80 00 00 the Completion 06 0F.
type benchPT struct {
	f      *os.File
	fr     zvt.FrameReader
	buf    [1024]byte
	q      [][]byte // received APDUs; nil stands for a lone ACK
	pause  func() time.Duration
	stamps chan int64
	trace  int64
}

var errBenchPT = errors.New("scripted terminal: unexpected input")

func (p *benchPT) next() ([]byte, error) {
	for len(p.q) == 0 {
		n, err := p.f.Read(p.buf[:])
		if err != nil {
			return nil, err
		}
		for _, c := range p.buf[:n] {
			switch apdu, ev, _ := p.fr.Feed(c); ev {
			case zvt.FrameAPDU:
				p.q = append(p.q, apdu)
			case zvt.FrameACK:
				p.q = append(p.q, nil)
			case zvt.FrameNAK, zvt.FrameBadCRC:
				return nil, fmt.Errorf("%w: %s", errBenchPT, ev)
			}
		}
	}
	a := p.q[0]
	p.q = p.q[1:]
	return a, nil
}

func (p *benchPT) recv() ([]byte, error) {
	for {
		a, err := p.next()
		if err != nil || a != nil {
			if err == nil {
				_, err = p.f.Write([]byte{zvt.ACK})
			}
			return a, err
		}
	}
}

func (p *benchPT) awaitACK() error {
	a, err := p.next()
	if err == nil && a != nil {
		err = fmt.Errorf("%w: wanted ACK, got % X", errBenchPT, a)
	}
	return err
}

func (p *benchPT) send(apdu []byte) error {
	if _, err := p.f.Write(zvt.EncodeFrame(apdu)); err != nil {
		return err
	}
	return p.awaitACK()
}

func (p *benchPT) expectAck() error {
	a, err := p.recv()
	if err == nil && (len(a) < 1 || a[0] != 0x80) {
		err = fmt.Errorf("%w: wanted 80 00 00, got % X", errBenchPT, a)
	}
	return err
}

func (p *benchPT) completion() error {
	c, err := zvt.Completion(zvt.CompletionInfo{TerminalID: "29001234", Currency: pos.CurrencyVND})
	if err == nil {
		err = p.send(c)
	}
	if err == nil {
		err = p.expectAck()
	}
	return err
}

func (p *benchPT) serve() error {
	for {
		a, err := p.recv()
		if err != nil {
			return err
		}
		switch {
		case len(a) >= 2 && a[0] == 0x06 && a[1] == 0x00:
			if err := p.send(zvt.Ack()); err != nil {
				return err
			}
			if err := p.completion(); err != nil {
				return err
			}
		case len(a) >= 2 && a[0] == 0x06 && a[1] == 0x01:
			if err := p.authorization(a); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: % X", errBenchPT, a)
		}
	}
}

func (p *benchPT) authorization(req []byte) error {
	m, err := zvt.Decode(req)
	if err != nil || m.AmountMinor == nil {
		return fmt.Errorf("%w: authorization % X", errBenchPT, req)
	}
	if err := p.send(zvt.Ack()); err != nil {
		return err
	}
	if err := p.send(zvt.IntermediateStatus(0x0A)); err != nil {
		return err
	}
	if err := p.expectAck(); err != nil {
		return err
	}
	p.trace++
	amount, receipt, trace, ct := *m.AmountMinor, p.trace%10000, p.trace, byte(10)
	si, err := zvt.StatusInformation(zvt.StatusInfo{
		ResultCode: 0x00, Amount: &amount, Currency: pos.CurrencyVND, Time: "163000", Date: "0314",
		PANMasked: "422151EEEEEE5678", ReceiptNo: &receipt, ApprovalCode: "A1B2C3", TraceNo: &trace,
		TerminalID: "29001234", Expiry: "2709", CardType: &ct, CardName: "VISA", MerchantID: "000000012345678",
	})
	if err != nil {
		return err
	}
	frame := zvt.EncodeFrame(si)
	if d := p.pause(); d > 0 {
		time.Sleep(d)
	}
	if _, err := p.f.Write(frame); err != nil {
		return err
	}
	p.stamps <- benchMono() // the last byte (CRC high) is in the pty
	if err := p.awaitACK(); err != nil {
		return err
	}
	if err := p.expectAck(); err != nil { // Confirm
		return err
	}
	return p.completion()
}

// benchTerminal is a registered driver on a pty served by a benchPT.
func benchTerminal(b *testing.B, pause func() time.Duration) (*zvt.Terminal, <-chan int64) {
	b.Helper()
	pty, err := transport.NewPTY()
	if err != nil {
		b.Fatal(err)
	}
	pt := &benchPT{f: pty.Master, pause: pause, stamps: make(chan int64, 1), trace: 1000}
	done := make(chan error, 1)
	go func() { done <- pt.serve() }()
	conn, err := transport.OpenSerial(transport.ZVTSerial(pty.SlavePath))
	if err != nil {
		b.Fatal(err)
	}
	term := zvt.New(conn, zvt.Config{ID: "B1"})
	b.Cleanup(func() {
		_ = term.Close()
		_ = pty.Close()
		<-done
	})
	if err := term.Register(context.Background()); err != nil {
		b.Fatal(err)
	}
	return term, pt.stamps
}

func benchPay(b *testing.B, term *zvt.Terminal, stamps <-chan int64, i int) (overhead time.Duration) {
	ctx := context.Background()
	p, err := term.Pay(ctx, pos.Request{Amount: 150_000 + int64(i), Reference: "HS-1"}, nil)
	res := p.Result()
	returned := benchMono()
	if err != nil || res.Outcome != pos.Approved {
		b.Fatalf("payment %d: %s %v", i, res.Outcome, err)
	}
	written := <-stamps
	if err := p.Confirm(ctx); err != nil {
		b.Fatalf("confirm %d: %v", i, err)
	}
	return time.Duration(returned - written)
}

// BenchmarkPayOverPTY reports the driver overhead from the terminal's
// write(2) of its Status-Information frame returning to Pay returning the
// Pending (the driver's line ACK 06 is written inside that time): p50,
// p99 and max in µs. The terminal pauses 1–3 ms before its result so the
// driver is waiting in its read, as it is while a customer pays; ns/op is
// the whole Pay + Confirm sequence including that pause.
func BenchmarkPayOverPTY(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	term, stamps := benchTerminal(b, func() time.Duration {
		return time.Millisecond + time.Duration(rng.Int64N(int64(2*time.Millisecond)))
	})
	var over []time.Duration
	i := 0
	for b.Loop() {
		over = append(over, benchPay(b, term, stamps, i))
		i++
	}
	reportPercentiles(b, over)
}

// BenchmarkPaySequenceOverPTY is the whole Pay + Confirm conversation
// (seven frames each way, every one acknowledged) over the pty with a
// terminal that answers at once: the cost of a payment's protocol work.
func BenchmarkPaySequenceOverPTY(b *testing.B) {
	term, stamps := benchTerminal(b, func() time.Duration { return 0 })
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		benchPay(b, term, stamps, i)
		i++
	}
}

func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	q := func(p float64) float64 {
		i := min(len(d)-1, max(0, int(p*float64(len(d))+0.999999)-1))
		return float64(d[i]) / 1e3
	}
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(float64(d[len(d)-1])/1e3, "max-µs")
}

// BenchmarkDecodeStatusInformation is the CPU part of handling the result:
// decoding an approved 04 0F as the driver does before it returns.
func BenchmarkDecodeStatusInformation(b *testing.B) {
	amount, receipt, trace, ct := int64(150_000), int64(42), int64(1042), byte(10)
	si, err := zvt.StatusInformation(zvt.StatusInfo{
		ResultCode: 0x00, Amount: &amount, Currency: pos.CurrencyVND, Time: "163000", Date: "0314",
		PANMasked: "422151EEEEEE5678", ReceiptNo: &receipt, ApprovalCode: "A1B2C3", TraceNo: &trace,
		TerminalID: "29001234", Expiry: "2709", CardType: &ct, CardName: "VISA", MerchantID: "000000012345678",
	})
	if err != nil {
		b.Fatal(err)
	}
	frame := zvt.EncodeFrame(si)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		apdu, err := zvt.UnwrapFrame(frame)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := zvt.Decode(apdu); err != nil {
			b.Fatal(err)
		}
	}
}
