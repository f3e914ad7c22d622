// Command feepos is the one binary: the service, the terminal simulator,
// and the tools of technicians and accountants. This package parses flags
// and wires packages together; the rules live in the packages it calls.
package main

import (
	"context"
	"io"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit code: 0 success, 1 a
// handled failure (the message says what to do), 2 bad usage.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && !a.jsonOut {
		// A flag error stops parsing before a later --json is read.
		a.jsonOut = jsonAsked(args)
	}
	return a.exitCode(cmd, err)
}

// jsonAsked reports whether the command line has --json before any "--".
func jsonAsked(args []string) bool {
	for _, arg := range args {
		switch arg {
		case "--":
			return false
		case "--json", "--json=true":
			return true
		}
	}
	return false
}
