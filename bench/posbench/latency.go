package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

// LatencyResult is one latency run: driver overhead from the last byte of
// the terminal's result frame written to the pty master to Pay's return.
type LatencyResult struct {
	Protocol   string  `json:"protocol"`
	PT         string  `json:"pt"` // inproc or child
	Payments   int     `json:"payments"`
	Warmup     int     `json:"warmup"`
	HoldMin    string  `json:"hold_min"`
	HoldMax    string  `json:"hold_max"`
	Overhead   Summary `json:"overhead_us"`    // Pay returned − write(2) of the result returned
	FromBefore Summary `json:"from_before_us"` // Pay returned − write(2) of the result called
	Write      Summary `json:"write_us"`       // the terminal's write(2) itself
	// ZVT with -breakdown: driver's Trace hook timestamps.
	Parsed  *Summary `json:"to_frame_parsed_us,omitempty"` // last byte → frame complete in the driver
	Acked   *Summary `json:"to_ack_written_us,omitempty"`  // last byte → line ACK 06 written
	Elapsed string   `json:"elapsed"`
}

type latencyOpts struct {
	proto     string
	n, warmup int
	hold      Hold
	child     bool
	breakdown bool
}

func runLatency(o latencyOpts) (LatencyResult, error) {
	res := LatencyResult{Protocol: o.proto, PT: "inproc", Payments: o.n, Warmup: o.warmup,
		HoldMin: o.hold.Min.String(), HoldMax: o.hold.Max.String()}
	if o.child {
		res.PT = "child"
	}
	total := o.n + o.warmup
	var (
		path    string
		stamps  <-chan Stamp
		cleanup func()
		dump    func() ([]Stamp, error)
	)
	if o.child {
		c, err := startPTChild(o.proto, 1, o.hold, false)
		if err != nil {
			return res, err
		}
		path, cleanup, dump = c.paths[0], c.stop, func() ([]Stamp, error) { return c.dump(0) }
	} else {
		pty, err := transport.NewPTY()
		if err != nil {
			return res, err
		}
		ch := make(chan Stamp, total+8)
		stamps = ch
		errc := make(chan error, 1)
		if o.proto == "zvt" {
			go func() { errc <- newZVTPT(pty.Master, o.hold, ch, 1).serve() }()
		} else {
			go func() { errc <- newConcertPT(pty.Master, o.hold, ch, 1).serve() }()
		}
		path = pty.SlavePath
		cleanup = func() { _ = pty.Close(); <-errc }
	}
	defer cleanup()

	ctx := context.Background()
	var parsedAt, ackedAt int64
	var pay func(i int) (int64, error)
	var closeTerm func() error
	switch o.proto {
	case "zvt":
		conn, err := transport.OpenSerial(transport.ZVTSerial(path))
		if err != nil {
			return res, err
		}
		cfg := zvt.Config{ID: "B1"}
		if o.breakdown {
			armed := false
			cfg.Trace = func(dir string, b []byte) {
				switch {
				case dir == "recv" && len(b) > 4 && b[2] == 0x04 && b[3] == 0x0F:
					parsedAt, armed = mono(), true
				case armed && dir == "send" && len(b) == 1 && b[0] == zvt.ACK:
					ackedAt, armed = mono(), false
				}
			}
		}
		term := zvt.New(conn, cfg)
		closeTerm = term.Close
		if err := term.Register(ctx); err != nil {
			return res, fmt.Errorf("register: %w", err)
		}
		pay = func(i int) (int64, error) {
			p, err := term.Pay(ctx, pos.Request{Amount: 150_000 + int64(i), Reference: "HS-1"}, nil)
			r := p.Result()
			t := mono()
			if err != nil || r.Outcome != pos.Approved {
				return 0, fmt.Errorf("payment %d: %s %v", i, r.Outcome, err)
			}
			return t, p.Confirm(ctx)
		}
	case "concert":
		conn, err := transport.OpenSerial(transport.ConcertSerial(path))
		if err != nil {
			return res, err
		}
		term := concert.New(conn, concert.Config{ID: "B1"})
		closeTerm = term.Close
		pay = func(i int) (int64, error) {
			p, err := term.Pay(ctx, pos.Request{Amount: 150_000 + int64(i), Reference: fmt.Sprintf("P%d", i)}, nil)
			r := p.Result()
			t := mono()
			if err != nil || r.Outcome != pos.Approved {
				return 0, fmt.Errorf("payment %d: %s %v (%s)", i, r.Outcome, err, r.Text)
			}
			return t, p.Confirm(ctx)
		}
	default:
		return res, fmt.Errorf("unknown protocol %q", o.proto)
	}
	defer func() { _ = closeTerm() }()

	start := time.Now()
	returned := make([]int64, 0, total)
	var parsed, acked []int64
	var got []Stamp
	for i := 0; i < total; i++ {
		t, err := pay(i)
		if err != nil {
			return res, err
		}
		returned = append(returned, t)
		if o.breakdown {
			parsed, acked = append(parsed, parsedAt), append(acked, ackedAt)
		}
		if stamps != nil {
			got = append(got, <-stamps)
		}
	}
	res.Elapsed = time.Since(start).Round(time.Millisecond).String()
	if dump != nil {
		s, err := dump()
		if err != nil {
			return res, err
		}
		got = s
	}
	if len(got) != total {
		return res, fmt.Errorf("%d stamps from the terminal for %d payments", len(got), total)
	}
	var over, fromBefore, write, toParsed, toAcked []float64
	for i := o.warmup; i < total; i++ {
		s := got[i]
		over = append(over, us(returned[i]-s.After))
		fromBefore = append(fromBefore, us(returned[i]-s.Before))
		write = append(write, us(s.After-s.Before))
		if o.breakdown {
			toParsed = append(toParsed, us(parsed[i]-s.After))
			toAcked = append(toAcked, us(acked[i]-s.After))
		}
	}
	res.Overhead, res.FromBefore, res.Write = summarize(over), summarize(fromBefore), summarize(write)
	if o.breakdown && o.proto == "zvt" {
		a, b := summarize(toParsed), summarize(toAcked)
		res.Parsed, res.Acked = &a, &b
	}
	return res, nil
}

func us(ns int64) float64 { return float64(ns) / 1e3 }

func printLatency(r LatencyResult) {
	fmt.Fprintf(os.Stdout, "latency %s, terminal %s, %d payments (+%d warm-up), pause before result %s..%s, %s\n",
		r.Protocol, r.PT, r.Payments, r.Warmup, r.HoldMin, r.HoldMax, r.Elapsed)
	fmt.Fprintf(os.Stdout, "  %-44s %s\n", "µs", summaryHeader())
	fmt.Fprintf(os.Stdout, "  %-44s %s\n", "overhead: result write(2) returned → Pay returned", row(r.Overhead))
	fmt.Fprintf(os.Stdout, "  %-44s %s\n", "  (from write(2) called)", row(r.FromBefore))
	fmt.Fprintf(os.Stdout, "  %-44s %s\n", "  terminal's write(2) of the result", row(r.Write))
	if r.Parsed != nil {
		fmt.Fprintf(os.Stdout, "  %-44s %s\n", "  breakdown: → frame complete in driver", row(*r.Parsed))
		fmt.Fprintf(os.Stdout, "  %-44s %s\n", "  breakdown: → line ACK 06 written", row(*r.Acked))
	}
}
