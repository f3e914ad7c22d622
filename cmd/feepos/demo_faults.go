package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/sim"
)

// demoFaultsEnv names the faults the demo's simulated ZVT terminal
// (DEMO-ZVT) applies to its next card transactions, one each, in order,
// written as `feepos sim --fault` takes them, comma-separated: e.g.
// FEEPOS_DEMO_ZVT_FAULTS=slow_card:700ms,decline:51 makes the first card
// payment slow (every live status shows: insert card, PIN, bank) and
// approved, and the second declined (host code 51). The simulator has no
// rule by amount, so an order of faults is how a demo or a browser test
// gets a decline it can count on. Unset: every card is approved.
const demoFaultsEnv = "FEEPOS_DEMO_ZVT_FAULTS"

// demoZVTFaults reads demoFaultsEnv.
func demoZVTFaults() ([]sim.Fault, error) {
	v := strings.TrimSpace(os.Getenv(demoFaultsEnv))
	if v == "" {
		return nil, nil
	}
	var specs []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			specs = append(specs, s)
		}
	}
	f, err := sim.ParseFaults(pos.ZVT, specs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", demoFaultsEnv, err)
	}
	return f, nil
}
