//go:build race

package main

// raceBuilt: this test binary has the race detector; feepos is built
// with it too, from the packages the race-enabled build left in the cache.
const raceBuilt = true
