package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/feepos/feepos/pos/transport"
)

// The scripted terminals can run in a child process (`posbench pt`), so
// that the measuring process holds nothing but the drivers: its CPU time
// and memory are then the drivers' alone.
//
// Child protocol: it prints "PTY <i> <slave path>" per terminal, then
// "READY"; on stdin it takes "release" (free every holding terminal) and
// "dump <i>" (print "STAMP <seq> <before> <after>" per result frame of
// terminal i, then "END"); it exits at end of input.

func ptMain(args []string) error {
	fs := flag.NewFlagSet("pt", flag.ExitOnError)
	proto := fs.String("proto", "zvt", "zvt or concert")
	n := fs.Int("n", 1, "terminals")
	hmin := fs.Duration("hold-min", time.Millisecond, "shortest pause before the result")
	hmax := fs.Duration("hold-max", 25*time.Millisecond, "longest pause before the result")
	release := fs.Bool("release", false, "hold each result until told to release")
	_ = fs.Parse(args)

	hold := Hold{Min: *hmin, Max: *hmax}
	if *release {
		hold.release = NewRelease()
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	stamps := make([][]Stamp, *n)
	ptys := make([]*transport.PTY, *n)
	var wg sync.WaitGroup
	for i := range *n {
		p, err := transport.NewPTY()
		if err != nil {
			return err
		}
		ptys[i] = p
		ch := make(chan Stamp, 64)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for s := range ch {
				mu.Lock()
				stamps[i] = append(stamps[i], s)
				mu.Unlock()
			}
		}()
		go func() {
			defer wg.Done()
			defer close(ch)
			var err error
			if *proto == "zvt" {
				err = newZVTPT(p.Master, hold, ch, uint64(i+1)).serve()
			} else {
				err = newConcertPT(p.Master, hold, ch, uint64(i+1)).serve()
			}
			if err != nil && !strings.Contains(err.Error(), "closed") {
				fmt.Fprintf(os.Stderr, "pt %d: %v\n", i, err)
			}
		}()
		fmt.Fprintf(out, "PTY %d %s\n", i, p.SlavePath)
	}
	fmt.Fprintln(out, "READY")
	_ = out.Flush()

	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 1 && f[0] == "release" && hold.release != nil:
			hold.release.Fire()
		case len(f) == 2 && f[0] == "dump":
			i, _ := strconv.Atoi(f[1])
			mu.Lock()
			if i >= 0 && i < len(stamps) {
				for _, s := range stamps[i] {
					fmt.Fprintf(out, "STAMP %d %d %d\n", s.Seq, s.Before, s.After)
				}
			}
			mu.Unlock()
			fmt.Fprintln(out, "END")
			_ = out.Flush()
		}
	}
	for _, p := range ptys {
		_ = p.Close()
	}
	wg.Wait()
	return nil
}

type ptChild struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	sc    *bufio.Scanner
	paths []string
}

func startPTChild(proto string, n int, hold Hold, release bool) (*ptChild, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"pt", "-proto", proto, "-n", strconv.Itoa(n),
		"-hold-min", hold.Min.String(), "-hold-max", hold.Max.String()}
	if release {
		args = append(args, "-release")
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &ptChild{cmd: cmd, in: in, sc: bufio.NewScanner(out)}
	for c.sc.Scan() {
		line := c.sc.Text()
		if line == "READY" {
			return c, nil
		}
		if f := strings.Fields(line); len(f) == 3 && f[0] == "PTY" {
			c.paths = append(c.paths, f[2])
		}
	}
	c.stop()
	return nil, fmt.Errorf("terminal child ended before READY")
}

func (c *ptChild) release() error {
	_, err := io.WriteString(c.in, "release\n")
	return err
}

func (c *ptChild) dump(i int) ([]Stamp, error) {
	if _, err := fmt.Fprintf(c.in, "dump %d\n", i); err != nil {
		return nil, err
	}
	var out []Stamp
	for c.sc.Scan() {
		f := strings.Fields(c.sc.Text())
		if len(f) == 1 && f[0] == "END" {
			return out, nil
		}
		if len(f) == 4 && f[0] == "STAMP" {
			var s Stamp
			s.Seq, _ = strconv.Atoi(f[1])
			s.Before, _ = strconv.ParseInt(f[2], 10, 64)
			s.After, _ = strconv.ParseInt(f[3], 10, 64)
			out = append(out, s)
		}
	}
	return out, fmt.Errorf("terminal child ended during dump")
}

func (c *ptChild) stop() {
	_ = c.in.Close()
	_ = c.cmd.Wait()
}
