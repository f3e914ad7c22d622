package terminals_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos/sim/concertsim"
)

// An idle Concert terminal is polled with the driver's Probe (E+ has no
// status enquiry). One probe that goes unanswered is a doubt — logged, in
// LastError — not "offline": the probe was never tried on a real Telium.
// Only probeFailuresOffline failures in a row make it offline, and it is
// online again only when a probe is answered.
func TestConcertProbeDoubtThenOffline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := concertTerminal("T2")
		cfg.PollInterval = dur(time.Second)
		r := newPipeRig(t, []config.Terminal{cfg}, nil)
		defer r.close()
		r.waitStatus("T2", terminals.StatusIdle)

		// Someone is in the menu for a moment: one probe goes unanswered.
		r.conc.Inject(concertsim.Fault{Kind: concertsim.FaultBusy, Delay: 500 * time.Millisecond})
		var doubt terminals.TerminalStatus
		for i := 0; i < 50 && doubt.LastError == ""; i++ {
			time.Sleep(50 * time.Millisecond)
			doubt = statusOf(r.m, "T2")
		}
		require.Contains(t, doubt.LastError, "probe 1 of 3 failed")
		assert.Equal(t, terminals.StatusIdle, doubt.Status, "one failed probe is a doubt, not offline")
		for i := 0; i < 50 && statusOf(r.m, "T2").LastError != ""; i++ {
			time.Sleep(50 * time.Millisecond)
		}
		assert.Empty(t, statusOf(r.m, "T2").LastError, "the next probe was answered")
		assert.NotContains(t, r.log.String(), "to=offline")
		assert.Contains(t, r.log.String(), "terminal probe failed: in doubt, not offline yet")

		// In the menu for long: offline after three failures in a row, and
		// back once a probe is answered.
		r.conc.Inject(concertsim.Fault{Kind: concertsim.FaultBusy, Delay: 20 * time.Second})
		r.waitStatus("T2", terminals.StatusOffline)
		assert.Contains(t, statusOf(r.m, "T2").LastError, "did not answer 3 probes in a row")
		assert.Equal(t, 2, strings.Count(r.log.String(), "terminal probe failed: in doubt, not offline yet")-1, "two doubts before the third failure")
		r.waitStatus("T2", terminals.StatusIdle)
	})
}
