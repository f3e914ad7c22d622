//go:build race

package e2e

// raceEnabled: the tests run with -race, so the binary is built with it
// too; `make test` has just built every package that way (go vet -race),
// so the build reuses them, and the server's own races are caught.
const raceEnabled = true
