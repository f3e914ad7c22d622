package zvt

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/transport"
)

// The public capture (Portalum.Zvt pull request #18, vector C17): its
// length byte announces 0x44 data bytes, it carries 37. Inside a serial
// frame whose CRC is right the frame is the better witness: the driver
// reads what it carries, with a warning, because the field walk is clean
// and the result code is there (6C: aborted, nothing charged).
func TestReadStatusOfTheCaptureWithAWrongLengthByte(t *testing.T) {
	c17 := vectors(t)["C17"]
	require.Equal(t, byte(0x44), c17[2])
	require.Len(t, c17, 3+37)

	serial := &Terminal{cfg: Config{}}
	sr := serial.readStatus(c17, pos.Request{})
	require.NoError(t, sr.problem)
	assert.Equal(t, pos.Aborted, sr.res.Outcome)
	assert.Equal(t, "6C", sr.res.ResultCode)
	assert.Equal(t, int64(1200), sr.res.Amount)
	assert.Equal(t, "978", sr.res.Currency)
	assert.Equal(t, "08-17", sr.res.Date)
	assert.Equal(t, "11:33:39", sr.res.Time)
	assert.Equal(t, "52500295", sr.res.TerminalID)
	assert.Contains(t, sr.warning, "announces 68 data bytes")
	assert.Contains(t, sr.warning, "carries 37")

	// --trace and `feepos pos decode` read the frame the same way, and
	// show the bytes as they came.
	m, err := DecodeFrame(EncodeFrame(c17))
	require.NoError(t, err)
	assert.Equal(t, "status_information", m.Kind)
	assert.Equal(t, "6C", m.ResultCode)
	assert.Equal(t, hexUpper(c17), m.Raw)
	require.NotEmpty(t, m.Fields["warnings"])
	assert.Contains(t, m.Fields["warnings"].([]string)[0], "announces 68")
	// A bare APDU has no frame to overrule its length: still an error.
	_, err = Decode(c17)
	assert.ErrorIs(t, err, ErrAPDU)

	// Over TCP the length is the only framing: the strict rule stands,
	// and an unknown outcome says why.
	tcp := &Terminal{cfg: Config{TCP: true}}
	sr = tcp.readStatus(c17, pos.Request{})
	require.Error(t, sr.problem)
	assert.Equal(t, pos.Unknown, sr.res.Outcome)
	assert.Contains(t, sr.problem.Error(), "68")
}

func TestReadStatusTrustsOnlyWhatItReadCleanly(t *testing.T) {
	serial := &Terminal{cfg: Config{}}
	amount, trace, receipt := int64(150_000), int64(42), int64(7)
	approval := func(extra ...byte) []byte {
		si, err := StatusInformation(StatusInfo{ResultCode: 0x00, Amount: &amount, Currency: 704, TraceNo: &trace, ReceiptNo: &receipt, Date: "0314", Time: "163000"})
		require.NoError(t, err)
		a, err := ParseAPDU(si)
		require.NoError(t, err)
		out, err := APDU{Class: 0x04, Instr: 0x0F, Data: append(append([]byte(nil), a.Data...), extra...)}.Encode()
		require.NoError(t, err)
		return out
	}

	// An approval whose length byte overstates, inside a frame: read.
	long := approval()
	long[2] += 31
	sr := serial.readStatus(long, pos.Request{Amount: amount})
	require.NoError(t, sr.problem)
	assert.Equal(t, pos.Approved, sr.res.Outcome)
	assert.Equal(t, trace, sr.res.TraceNo)
	assert.NotEmpty(t, sr.warning)

	// An approval ending with a BMP nobody declares: what follows it, and
	// its length, are unknown. feepos does not book what it cannot read.
	sr = serial.readStatus(approval(0x4C, 0x01, 0x02), pos.Request{Amount: amount})
	require.Error(t, sr.problem)
	assert.Contains(t, sr.problem.Error(), "4C")
	assert.Equal(t, pos.Unknown, sr.res.Outcome)
	assert.Equal(t, trace, sr.res.TraceNo, "what was read is kept as evidence")

	// A refusal stands, whatever follows its result code: nothing was charged.
	decline, err := StatusInformation(StatusInfo{ResultCode: 0x05, TraceNo: &trace})
	require.NoError(t, err)
	a, _ := ParseAPDU(decline)
	decline, _ = APDU{Class: 0x04, Instr: 0x0F, Data: append(append([]byte(nil), a.Data...), 0x4C, 0x01)}.Encode()
	sr = serial.readStatus(decline, pos.Request{})
	require.NoError(t, sr.problem)
	assert.Equal(t, pos.Declined, sr.res.Outcome)
	assert.Contains(t, sr.warning, "4C")

	// No result code: nothing can be said.
	sr = serial.readStatus([]byte{0x04, 0x0F, 0x04, 0x0B, 0x00, 0x00, 0x42}, pos.Request{})
	require.Error(t, sr.problem)
	assert.Equal(t, pos.Unknown, sr.res.Outcome)

	// A repeat is recognised by its trace and result code, even restamped.
	assert.True(t, sameStatus(approval(), approval()))
	assert.True(t, sameStatus(approval(), long))
	assert.False(t, sameStatus(approval(), decline))
}

// When Confirm (Reject) is woken, the terminal is free already: the
// caller's next Pay must not find it busy. (The benchmark's loop of Pay,
// Confirm, Pay found it busy when the holder freed it after waking.)
func TestHoldFreesTheTerminalBeforeWakingTheCaller(t *testing.T) {
	drv, _ := transport.Pipe("ecr", "terminal")
	term := New(drv, Config{})
	t.Cleanup(func() { _ = term.Close() })
	require.True(t, term.conv.TryLock())
	term.state.Store(termHeld)
	p := newPending(term, pos.Result{Outcome: pos.Approved}, nil, nil)
	p.finishWith(holdEnd{applied: decConfirm, booked: true})
	select {
	case <-p.over:
	default:
		t.Fatal("the caller was not woken")
	}
	assert.Equal(t, termIdle, term.state.Load())
	require.True(t, term.conv.TryLock(), "the terminal is free when the caller wakes")
	term.conv.Unlock()
	assert.NoError(t, p.end.errorFor(decConfirm))
}

// A repeated record that cannot be read is no record, and LastResult says
// why instead of returning an unknown outcome with no error.
func TestUnreadableRecordIsAnError(t *testing.T) {
	term := &Terminal{cfg: Config{}}
	r, err := term.record([]byte{0x04, 0x0F, 0x04, 0x0B, 0x00, 0x00, 0x42})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "result code")
	assert.Equal(t, pos.Unknown, r.Outcome)
}
