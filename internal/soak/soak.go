// Package soak switches the randomized and crash tests between the run
// that `make test` makes on every change and a long run that looks for
// rare interleavings: FEEPOS_SOAK=1 (or `make soak`) asks for the long
// one. Both runs check the same behaviours; the long one draws more
// random cases (more conversations, crash points, amounts).
package soak

import "os"

// Env is the environment variable that asks for the long runs.
const Env = "FEEPOS_SOAK"

// Enabled reports whether the long runs are asked for: Env set to
// anything but "" or "0".
func Enabled() bool {
	v := os.Getenv(Env)
	return v != "" && v != "0"
}

// Pick returns quick, or long when Enabled.
func Pick[T any](quick, long T) T {
	if Enabled() {
		return long
	}
	return quick
}
