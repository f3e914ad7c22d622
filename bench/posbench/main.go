// Command posbench measures the terminal drivers (pos/zvt, pos/concert)
// over real pseudo-terminals opened with transport.OpenSerial, against a
// scripted terminal on the pty master (issue 3's performance targets):
//
//   - latency: driver overhead from the moment the terminal's write(2) of
//     its result frame (ZVT 04 0F Status-Information with its CRC; Concert
//     answer frame with its LRC) returns, to the moment Pay has returned the
//     Pending and the caller holds its Result. Target: p99 ≤ 1 ms.
//   - fleet: process CPU time while N terminals are connected (between
//     transactions, and with a Pay in progress on each while the terminal
//     says nothing), and heap, RSS, goroutines and threads per connected
//     terminal. Targets: no busy polling; < 1 MB per terminal. Each N runs
//     in a fresh process; the scripted terminals run in a child process, so
//     the measured process holds the drivers only.
//
// Run from the repository root on an otherwise quiet machine:
//
//	go build -o /tmp/posbench ./bench/posbench
//	/tmp/posbench latency -proto zvt -n 5000
//	/tmp/posbench latency -proto zvt -n 5000 -pt child
//	/tmp/posbench latency -proto zvt -n 5000 -breakdown
//	/tmp/posbench latency -proto concert -n 3000
//	/tmp/posbench fleet -proto zvt,concert -n 0,1,50,200 -wait 10s
//
// docs/BENCHMARKS.md ("Card terminals") records the results.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "latency":
		err = latencyMain(os.Args[2:])
	case "fleet":
		err = fleetMain(os.Args[2:])
	case "fleet-one":
		err = fleetOneMain(os.Args[2:])
	case "pt":
		err = ptMain(os.Args[2:])
	case "manager":
		err = managerMain(os.Args[2:])
	case "manager-idle":
		err = managerIdleMain(os.Args[2:])
	case "manager-idle-one":
		err = managerIdleOneMain(os.Args[2:])
	default:
		usage()
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(os.Stderr, "posbench:", err)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "posbench:", err)
		os.Exit(1)
	}
}

// usageError is a command line that cannot be run as typed: exit code 2,
// as for a flag the flag package refuses, and nothing is measured.
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// checkProto accepts the protocols the scripted terminals speak; anything
// else would run (and be reported as) the Concert terminal.
func checkProto(p string) error {
	if p != "zvt" && p != "concert" {
		return usagef("-proto %q: use zvt or concert", p)
	}
	return nil
}

// noArgs refuses words after the flags, which the flag package would
// otherwise ignore (posbench latency concert would measure ZVT).
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q: give the settings as flags (-h lists them)", fs.Name(), fs.Arg(0))
	}
	return nil
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: posbench latency|fleet|manager|manager-idle [flags]   (-h for the flags)")
	os.Exit(2)
}

func printMachine() {
	m := machineInfo()
	fmt.Printf("machine: %d CPUs (GOMAXPROCS %d), %s, %s, kernel %s, %s, load %s\n",
		m.CPUs, m.GOMAXPROCS, m.CPUModel, m.MemTotal, m.Kernel, m.GoVersion, m.LoadAvg)
}

func writeJSON(path string, v any) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func latencyMain(args []string) error {
	fs := flag.NewFlagSet("latency", flag.ExitOnError)
	proto := fs.String("proto", "zvt", "zvt or concert")
	n := fs.Int("n", 5000, "measured payments (each confirmed, sequence completed)")
	warmup := fs.Int("warmup", 100, "payments run first and not counted")
	hmin := fs.Duration("hold-min", time.Millisecond, "shortest pause of the terminal before its result (the driver is then blocked in its read)")
	hmax := fs.Duration("hold-max", 25*time.Millisecond, "longest pause (a spread over the ZVT driver's 20 ms read slices and Concert's 100 ms ones)")
	pt := fs.String("pt", "inproc", "where the scripted terminal runs: inproc (goroutine) or child (separate process)")
	breakdown := fs.Bool("breakdown", false, "ZVT: also time the frame's completion and the line ACK through Config.Trace")
	jsonPath := fs.String("json", "", "write the result as JSON to this file")
	_ = fs.Parse(args)
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := checkProto(*proto); err != nil {
		return err
	}
	switch {
	case *pt != "inproc" && *pt != "child":
		return usagef("-pt %q: use inproc or child", *pt)
	case *n < 1 || *warmup < 0:
		return usagef("-n must be at least 1 and -warmup not negative")
	}
	printMachine()
	r, err := runLatency(latencyOpts{proto: *proto, n: *n, warmup: *warmup, hold: Hold{Min: *hmin, Max: *hmax},
		child: *pt == "child", breakdown: *breakdown})
	if err != nil {
		return err
	}
	printLatency(r)
	return writeJSON(*jsonPath, map[string]any{"machine": machineInfo(), "latency": r})
}

func fleetMain(args []string) error {
	fs := flag.NewFlagSet("fleet", flag.ExitOnError)
	protos := fs.String("proto", "zvt,concert", "protocols, comma separated")
	ns := fs.String("n", "0,1,50,200", "terminal counts, comma separated (0: the process's own floor)")
	wait := fs.Duration("wait", 10*time.Second, "how long each CPU measurement waits")
	jsonPath := fs.String("json", "", "write the results as JSON to this file")
	_ = fs.Parse(args)
	if err := noArgs(fs); err != nil {
		return err
	}
	var protocols []string
	for _, p := range strings.Split(*protos, ",") {
		p = strings.TrimSpace(p)
		if err := checkProto(p); err != nil {
			return err
		}
		protocols = append(protocols, p)
	}
	var counts []int
	for _, s := range strings.Split(*ns, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || v < 0 {
			return usagef("-n: %q is not a terminal count (0 or more)", s)
		}
		counts = append(counts, v)
	}
	printMachine()
	res, err := fleet(protocols, counts, *wait)
	if err != nil {
		return err
	}
	return writeJSON(*jsonPath, map[string]any{"machine": machineInfo(), "fleet": res})
}

func fleetOneMain(args []string) error {
	fs := flag.NewFlagSet("fleet-one", flag.ExitOnError)
	proto := fs.String("proto", "zvt", "zvt or concert")
	n := fs.Int("n", 1, "terminals")
	wait := fs.Duration("wait", 10*time.Second, "CPU measurement wait")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the waiting window (N Pay calls waiting) to this file")
	_ = fs.Parse(args)
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := checkProto(*proto); err != nil {
		return err
	}
	if *n < 0 {
		return usagef("-n %d: the number of terminals cannot be negative", *n)
	}
	r, err := fleetOne(*proto, *n, *wait, *cpuProfile)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}
