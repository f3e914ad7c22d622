package terminals_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

// A status information carrying a whole card number, as a terminal that
// does not mask may send it: BMP 22 (LLVAR, BCD) 4111111111111111.
var fullPANStatus = []byte{0x04, 0x0F, 0x0D, 0x27, 0x00, 0x22, 0xF0, 0xF8, 0x41, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11}

// The tap keeps what was on the wire as the protocol's decoder shows it:
// the card number masked, never whole, in the hex and in the decoded
// message; an undecodable frame by its length only.
func TestTapMasksCardNumbers(t *testing.T) {
	at := time.Date(2026, 7, 15, 10, 0, 0, 0, time.UTC)
	for name, b := range map[string][]byte{"bare APDU (TCP)": fullPANStatus, "serial frame": zvt.EncodeFrame(fullPANStatus)} {
		e := terminals.Decode(pos.ZVT, "recv", b, at)
		assert.Equal(t, "pt_to_ecr", e.Direction, name)
		assert.Equal(t, "status_information", e.Message.Kind, name)
		assert.Equal(t, "411111******1111", e.Message.PANMasked, name)
		all := e.Text()
		assert.NotContains(t, all, "41 11 11 11 11 11 11 11", name)
		assert.NotContains(t, all, "4111111111111111", name)
		assert.NotContains(t, strings.ReplaceAll(all, " ", ""), "4111111111111111", name)
	}
	broken := zvt.EncodeFrame(fullPANStatus)
	broken[len(broken)-1] ^= 0xFF // bad CRC
	e := terminals.Decode(pos.ZVT, "recv", broken, at)
	assert.NotContains(t, strings.ReplaceAll(e.Text(), " ", ""), "4111111111111111")

	text, err := concert.PaymentAnswer{POSNumber: "01", Status: '0', Amount: 150_000, Mode: '1', Currency: "704", Priv: "REF1",
		Long: true, PANMasked: "4111111111111111", ReportRest: "AUT 00A1B2"}.Text()
	require.NoError(t, err)
	e = terminals.Decode(pos.Concert, concert.DirPTToECR, concert.Frame(text), at)
	assert.NotContains(t, e.Text(), "4111111111111111")
	assert.NotContains(t, strings.ReplaceAll(e.Text(), " ", ""), "34313131313131313131313131313131", "nor in hex")

	// What --trace prints is the same text.
	var out bytes.Buffer
	terminals.TraceWriter(pos.ZVT, &out)("send", []byte{0x80, 0x00, 0x00})
	assert.True(t, strings.HasPrefix(out.String(), "zvt ecr_to_pt 80 00 00\n{"), out.String())
}

// The ring keeps the newest entries, numbered, and says how many of those
// asked for were overwritten.
func TestTapRing(t *testing.T) {
	tap := terminals.NewTap(pos.ZVT, 4, nil)
	mark := tap.Mark()
	for i := 0; i < 6; i++ {
		tap.Add(terminals.TapEntry{Hex: string(rune('a' + i))})
	}
	got, lost := tap.Since(mark)
	assert.EqualValues(t, 2, lost)
	require.Len(t, got, 4)
	assert.Equal(t, "c", got[0].Hex)
	assert.EqualValues(t, 3, got[0].Seq)
	assert.Equal(t, "f", got[3].Hex)
	got, lost = tap.Since(6)
	assert.Zero(t, lost)
	require.Len(t, got, 1)
	got, _ = tap.Since(tap.Mark())
	assert.Empty(t, got)
}

// A terminal configured by USB ids is found among the ports present,
// under whatever name it has now; the ids are compared without case; two
// terminals of one model need their serial numbers.
func TestMatchUSB(t *testing.T) {
	ports := []transport.PortInfo{
		{Path: "/dev/ttyS0"},
		{Path: "/dev/ttyACM3", USB: true, VID: "0b00", PID: "0080", SerialNumber: "A1"},
		{Path: "/dev/ttyACM4", USB: true, VID: "0B00", PID: "0080", SerialNumber: "B2"},
	}
	p, err := terminals.MatchUSB(config.USB{VID: "0B00", PID: "0080", SerialNumber: "B2"}, ports)
	require.NoError(t, err)
	assert.Equal(t, "/dev/ttyACM4", p)
	_, err = terminals.MatchUSB(config.USB{VID: "0b00", PID: "0080"}, ports)
	require.ErrorIs(t, err, transport.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "add the terminal's serial_number")
	_, err = terminals.MatchUSB(config.USB{VID: "0b00", PID: "0080", SerialNumber: "C3"}, ports)
	require.ErrorIs(t, err, transport.ErrVanished, "not plugged in: tried again later")
}

// /metrics per terminal: online, state, transactions by outcome, in
// doubt, queue length.
func TestMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newPipeRig(t, []config.Terminal{zvtTerminal("T1"), concertTerminal("T2")}, nil)
		defer r.close()
		r.waitStatus("T1", terminals.StatusIdle)
		r.waitStatus("T2", terminals.StatusIdle)
		r.unplug("T2")
		_, _ = r.m.Charge(context.Background(), terminals.ChargeRequest{Terminal: "T2", Amount: 1000})
		c, err := r.m.Charge(context.Background(), terminals.ChargeRequest{Terminal: "T1", Amount: 1000})
		require.NoError(t, err)
		require.NoError(t, c.Confirm(context.Background()))
		r.waitStatus("T1", terminals.StatusIdle)
		r.waitStatus("T2", terminals.StatusOffline)

		reg := prometheus.NewRegistry()
		require.NoError(t, reg.Register(r.m.Collector()))
		families, err := reg.Gather()
		require.NoError(t, err)
		got := map[string]float64{}
		for _, f := range families {
			for _, m := range f.GetMetric() {
				key := f.GetName()
				for _, l := range m.GetLabel() {
					key += " " + l.GetName() + "=" + l.GetValue()
				}
				v := m.GetGauge().GetValue()
				if m.GetCounter() != nil {
					v = m.GetCounter().GetValue()
				}
				got[key] = v
			}
		}
		for key, v := range map[string]float64{
			"feepos_terminal_online terminal=T1":                                     1,
			"feepos_terminal_online terminal=T2":                                     0,
			"feepos_terminal_state state=idle terminal=T1":                           1,
			"feepos_terminal_state state=offline terminal=T2":                        1,
			"feepos_terminal_state state=offline terminal=T1":                        0,
			"feepos_terminal_transactions_total outcome=approved terminal=T1":        1,
			"feepos_terminal_transactions_total outcome=transport_error terminal=T2": 1,
			"feepos_terminal_transactions_total outcome=unknown terminal=T1":         0,
			"feepos_terminal_in_doubt terminal=T1":                                   0,
			"feepos_terminal_queue_length terminal=T2":                               0,
		} {
			have, ok := got[key]
			if assert.True(t, ok, key) {
				assert.Equal(t, v, have, key)
			}
		}
		assert.Greater(t, got["feepos_terminal_last_seen_timestamp_seconds terminal=T1"], 0.0)
	})
}
