package concert

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fed struct {
	ev    Event
	frame []byte
	err   error
}

// feedAll feeds bs one byte at a time and keeps every event but EventNone.
func feedAll(r *Reader, bs []byte) []fed {
	var out []fed
	for _, b := range bs {
		ev, f, err := r.Feed(b)
		if ev != EventNone {
			out = append(out, fed{ev, f, err})
		}
	}
	return out
}

func TestReaderVectors(t *testing.T) {
	v := loadVectors(t)
	for _, id := range []string{"D1", "D2", "D3", "D4", "D5"} {
		t.Run(id, func(t *testing.T) {
			var r Reader
			got := feedAll(&r, v[id])
			require.Len(t, got, 1)
			assert.Equal(t, EventFrame, got[0].ev)
			assert.NoError(t, got[0].err)
			assert.Equal(t, v[id], got[0].frame)
			assert.False(t, r.InFrame())
		})
	}
}

// D2's LRC is 0x02 (STX): it must end the frame, not start a new one, and the
// next frame right behind it must still be read.
func TestReaderLRCEqualsSTX(t *testing.T) {
	v := loadVectors(t)
	var r Reader
	stream := append(append([]byte{ENQ}, v["D2"]...), v["D3"]...)
	stream = append(stream, EOT)
	got := feedAll(&r, stream)
	require.Len(t, got, 4)
	assert.Equal(t, EventENQ, got[0].ev)
	assert.Equal(t, EventFrame, got[1].ev)
	assert.Equal(t, v["D2"], got[1].frame)
	assert.Equal(t, EventFrame, got[2].ev)
	assert.Equal(t, v["D3"], got[2].frame)
	assert.Equal(t, EventEOT, got[3].ev)
}

func TestReaderControlBytes(t *testing.T) {
	var r Reader
	got := feedAll(&r, []byte{ENQ, ACK, NAK, EOT})
	require.Len(t, got, 4)
	for i, want := range []Event{EventENQ, EventACK, EventNAK, EventEOT} {
		assert.Equal(t, want, got[i].ev)
		assert.NoError(t, got[i].err)
		assert.Nil(t, got[i].frame)
	}
}

func TestReaderBadLRC(t *testing.T) {
	v := loadVectors(t)
	bad := append([]byte(nil), v["D3"]...)
	bad[len(bad)-1] ^= 0xFF
	var r Reader
	got := feedAll(&r, append(bad, v["D4"]...))
	require.Len(t, got, 2)
	assert.Equal(t, EventBadLRC, got[0].ev)
	assert.ErrorIs(t, got[0].err, ErrBadLRC)
	assert.Equal(t, bad, got[0].frame, "the bad frame is returned for --trace")
	assert.Equal(t, EventFrame, got[1].ev, "the reader recovers for the resend")
	assert.Equal(t, v["D4"], got[1].frame)

	// A corrupted text byte is caught the same way.
	bad = append([]byte(nil), v["D5"]...)
	bad[5] = '9'
	r.Reset()
	got = feedAll(&r, bad)
	require.Len(t, got, 1)
	assert.Equal(t, EventBadLRC, got[0].ev)
}

func TestReaderGarbage(t *testing.T) {
	v := loadVectors(t)
	var r Reader
	stream := append([]byte{0xFF, 'x', 0x00, ETX}, v["D1"]...)
	got := feedAll(&r, stream)
	require.Len(t, got, 5)
	for _, g := range got[:4] {
		assert.Equal(t, EventGarbage, g.ev)
		assert.NoError(t, g.err)
	}
	assert.Equal(t, EventFrame, got[4].ev)
	assert.Equal(t, v["D1"], got[4].frame)
}

func TestReaderTruncatedThenReset(t *testing.T) {
	v := loadVectors(t)
	var r Reader
	assert.Empty(t, feedAll(&r, v["D5"][:20]))
	assert.True(t, r.InFrame())
	r.Reset() // the caller's timer ran out
	assert.False(t, r.InFrame())
	got := feedAll(&r, v["D5"])
	require.Len(t, got, 1)
	assert.Equal(t, EventFrame, got[0].ev)
	assert.Equal(t, v["D5"], got[0].frame)

	// Truncated after ETX: the LRC never came; Reset drops it too.
	assert.Empty(t, feedAll(&r, v["D3"][:len(v["D3"])-1]))
	assert.True(t, r.InFrame())
	r.Reset()
	got = feedAll(&r, []byte{ACK})
	require.Len(t, got, 1)
	assert.Equal(t, EventACK, got[0].ev)
}

func TestReaderRestartOnSTX(t *testing.T) {
	v := loadVectors(t)
	var r Reader
	got := feedAll(&r, append(v["D4"][:10], v["D4"]...))
	require.Len(t, got, 2)
	assert.Equal(t, EventGarbage, got[0].ev)
	assert.ErrorIs(t, got[0].err, ErrFrameRestart)
	assert.Equal(t, EventFrame, got[1].ev)
	assert.Equal(t, v["D4"], got[1].frame)
}

func TestReaderLengthCap(t *testing.T) {
	v := loadVectors(t)
	r := Reader{MaxText: 30}
	got := feedAll(&r, v["D1"]) // 34 characters of text
	require.NotEmpty(t, got)
	assert.Equal(t, EventOverflow, got[0].ev)
	assert.ErrorIs(t, got[0].err, ErrFrameTooLong)
	for _, g := range got[1:] {
		assert.NotEqual(t, EventFrame, g.ev)
	}
	// A 30-character frame is still fine after the overflow.
	got = feedAll(&r, Frame([]byte("CZ0040320CA00201CB0042500CD001")))
	require.Len(t, got, 1)
	assert.Equal(t, EventFrame, got[0].ev)
}

func TestSplitFrame(t *testing.T) {
	v := loadVectors(t)
	text, err := SplitFrame(v["D1"])
	require.NoError(t, err)
	assert.Len(t, text, RequestLen)
	for name, f := range map[string][]byte{
		"empty": nil, "no stx": v["D1"][1:], "no etx": v["D1"][:len(v["D1"])-1], "two": {STX, ETX},
	} {
		_, err := SplitFrame(f)
		assert.ErrorIs(t, err, ErrUnexpectedEnd, name)
	}
	assert.Equal(t, "frame", EventFrame.String())
	assert.Equal(t, "event(99)", Event(99).String())
}
