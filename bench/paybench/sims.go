package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/pos/sim/concertsim"
	"github.com/feepos/feepos/pos/sim/zvtsim"
	"github.com/feepos/feepos/pos/transport"
)

// The simulated terminals are the real simulators (pos/sim/zvtsim and
// concertsim) on pseudo-terminals, which feepos opens as serial ports
// (the real serial path). By default they run in a child process
// (`paybench sims`), so that the measured process holds feepos only;
// the smoke test runs them in-process.
//
// Child protocol: "PTY <id> <protocol> <slave path>" per terminal, then
// "READY"; it exits at the end of its standard input.

// simTerm is one simulated terminal as feepos configures it.
type simTerm struct{ id, proto, path string }

func (t simTerm) config() config.Terminal {
	return config.Terminal{ID: t.id, Protocol: t.proto, Counter: "Quầy " + t.id, Port: t.path,
		PollInterval: config.Duration{Duration: time.Hour}} // no health poll inside a measurement
}

func simsMain(args []string) error {
	fs := flag.NewFlagSet("sims", flag.ExitOnError)
	nz := fs.Int("zvt", 8, "ZVT terminals")
	nc := fs.Int("concert", 8, "Concert terminals")
	_ = fs.Parse(args)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	terms, stop, err := startSimsInProc(ctx, *nz, *nc)
	if err != nil {
		return err
	}
	defer stop()
	out := bufio.NewWriter(os.Stdout)
	for _, t := range terms {
		fmt.Fprintf(out, "PTY %s %s %s\n", t.id, t.proto, t.path)
	}
	fmt.Fprintln(out, "READY")
	if err := out.Flush(); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// startSimsInProc starts nz ZVT and nc Concert simulators in this process.
func startSimsInProc(ctx context.Context, nz, nc int) ([]simTerm, func(), error) {
	var closers []func()
	stop := func() {
		for _, c := range closers {
			c()
		}
	}
	var terms []simTerm
	for i := range nz {
		s, err := zvtsim.New(zvtsim.Config{TerminalID: fmt.Sprintf("5250%04d", i+1)})
		if err != nil {
			stop()
			return nil, nil, err
		}
		ps, err := s.ServePTY(ctx)
		if err != nil {
			stop()
			return nil, nil, err
		}
		closers = append(closers, func() { _ = ps.Close() })
		terms = append(terms, simTerm{id: "Z" + strconv.Itoa(i+1), proto: "zvt", path: ps.Path})
	}
	for i := range nc {
		s, err := concertsim.New(concertsim.Config{Seed: int64(i + 1)})
		if err != nil {
			stop()
			return nil, nil, err
		}
		p, err := transport.NewPTY()
		if err != nil {
			stop()
			return nil, nil, err
		}
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = s.Serve(cctx, p.Master)
		}()
		closers = append(closers, func() { cancel(); _ = p.Close(); <-done })
		terms = append(terms, simTerm{id: "C" + strconv.Itoa(i+1), proto: "concert", path: p.SlavePath})
	}
	return terms, stop, nil
}

// startSims starts the simulators in a child process (child true) or in
// this one.
func startSims(ctx context.Context, nz, nc int, child bool) ([]simTerm, func(), error) {
	if !child {
		return startSimsInProc(ctx, nz, nc)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(exe, "sims", "-zvt", strconv.Itoa(nz), "-concert", strconv.Itoa(nc))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	stop := func() {
		_ = in.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	var terms []simTerm
	sc := bufio.NewScanner(outp)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 1 && f[0] == "READY" {
			return terms, stop, nil
		}
		if len(f) == 4 && f[0] == "PTY" {
			terms = append(terms, simTerm{id: f[1], proto: f[2], path: f[3]})
		}
	}
	stop()
	return nil, nil, fmt.Errorf("the simulators' child process ended before it was ready")
}

// stampConn is a terminal's serial line that notes when a read last handed
// the driver bytes, and sees every write: from the read that brought the
// result's last byte to the write of the Confirm is feepos's own time (the
// pseudo-terminal's delivery and the terminal's side are left out).
type stampConn struct {
	transport.Conn
	proto    string
	last     atomic.Int64 // mono ns of the last read that returned bytes
	result   atomic.Int64 // the read that completed the result; 0: none waiting for its Confirm
	want     atomic.Int64 // the amount of the payment running (feepos phase)
	onSample func(ns int64)
}

func (s *stampConn) note(n int) {
	if n > 0 {
		s.last.Store(mono())
	}
}

func (s *stampConn) ReadTimeout(p []byte, timeout time.Duration) (int, error) {
	n, err := s.Conn.ReadTimeout(p, timeout)
	s.note(n)
	return n, err
}

func (s *stampConn) ReadWait(ctx context.Context, p []byte, timeout time.Duration, wake <-chan struct{}) (int, error) {
	n, err := s.Conn.ReadWait(ctx, p, timeout, wake)
	s.note(n)
	return n, err
}

func (s *stampConn) ReadByteTimeout(timeout time.Duration) (byte, error) {
	b, err := s.Conn.ReadByteTimeout(timeout)
	if err == nil {
		s.note(1)
	}
	return b, err
}

// resultSeen is told (by the wire tap) that the driver has decoded the
// result: the last read is the one that completed it.
func (s *stampConn) resultSeen() { s.result.Store(s.last.Load()) }

// Write: the first write after the result that is the Confirm (ZVT: the
// 80 00 00 frame, not the line's one-byte ACK of the result frame;
// Concert: the ACK it withheld) closes the sample.
func (s *stampConn) Write(p []byte) (int, error) {
	n, err := s.Conn.Write(p)
	if r := s.result.Load(); r != 0 && err == nil {
		if s.proto == "zvt" && len(p) == 1 {
			return n, err
		}
		if s.result.CompareAndSwap(r, 0) && s.onSample != nil {
			s.onSample(mono() - r)
		}
	}
	return n, err
}

var monoStart = time.Now()

// mono is a monotonic clock in ns.
func mono() int64 { return int64(time.Since(monoStart)) }
