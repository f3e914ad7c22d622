// Command paybench measures the payment workflow of issue 10 (docs/
// BENCHMARKS.md, "Payments (issue 10)"), each number next to its physical
// reference measured in the same run, in rounds whose order alternates:
//
//   - record: the record step (payments.Service.Record in one durable
//     transaction: the payment paid, its ledger entry, a signed receipt,
//     the request paid, the webhook outbox row, the audit line) with 16
//     concurrent writers, commits/s, against plain single-row durable
//     SQLite commits/s with 16 writers (same pragmas, same disk).
//     Target: ≥ 30 % of the plain rate.
//
//   - latency: 16 simulated terminals (zvtsim, concertsim on pseudo-
//     terminals, in a child process; the real serial path) paying at once
//     through the terminal manager and payments.Service: feepos's own time
//     from the driver's read of the result's last byte to the Confirm
//     written on the line (Record committed in between), against the bare
//     drivers' own time (Pay, then Confirm at once). Target: p99 ≤ 15 ms.
//
//   - api: POST /api/v1/payment-requests at a constant arrival rate
//     (open loop) over loopback against the real router, payments and
//     SQLite, against GET /healthz at the same rate. Target: p99 ≤ 10 ms
//     at 200 requests/s.
//
//   - idle: a fresh process with the server, the payments service and the
//     terminal manager with 16 connected simulated terminals, idle:
//     VmRSS and Pss. Target: ≤ 100 MB.
//
//     go build -o /tmp/paybench ./bench/paybench
//     /tmp/paybench record -json record.json
//     /tmp/paybench latency -json latency.json
//     /tmp/paybench api -json api.json
//     /tmp/paybench idle -json idle.json
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "record":
		err = recordMain(args)
	case "latency":
		err = latencyMain(args)
	case "api":
		err = apiMain(args)
	case "idle":
		err = idleMain(args)
	case "idle-one":
		err = idleOneMain(args)
	case "sims":
		err = simsMain(args)
	default:
		usage()
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(os.Stderr, "paybench:", err)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "paybench:", err)
		os.Exit(1)
	}
}

// usageError is a command line that cannot be run as typed (exit code 2).
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q: give the settings as flags (-h lists them)", fs.Name(), fs.Arg(0))
	}
	return nil
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: paybench record|latency|api|idle [flags]   (-h for the flags)")
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
