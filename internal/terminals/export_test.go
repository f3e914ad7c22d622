package terminals

import "github.com/feepos/feepos/pos"

// WithTestHook returns o with hook called at the steps of a charge
// ("prepared": written down; "sent": about to send) — where a test kills
// the process.
func WithTestHook(o Options, hook func(stage, attempt string)) Options {
	o.testHook = hook
	return o
}

// DeliverOrphan hands the manager an orphan answer of terminal id as its
// driver's OnOrphan hook does: an orphan no simulator sends on cue.
func (m *Manager) DeliverOrphan(id string, o pos.Orphan) {
	m.orphans.deliver(m.terms[id], o)
}

// MatchUSB exposes matchUSB.
var MatchUSB = matchUSB

// ExpiryGrace exposes expiryGrace.
const ExpiryGrace = expiryGrace
