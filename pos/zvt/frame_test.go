package zvt

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fed struct {
	apdus  [][]byte
	events []FrameEvent
	errs   []error
}

func feedAll(r *FrameReader, b []byte) fed {
	var out fed
	for _, c := range b {
		apdu, ev, err := r.Feed(c)
		if ev == FrameNone {
			continue
		}
		out.events = append(out.events, ev)
		out.errs = append(out.errs, err)
		if apdu != nil {
			out.apdus = append(out.apdus, apdu)
		}
	}
	return out
}

func TestFrameVectors(t *testing.T) {
	v := vectors(t)
	for _, tc := range []struct{ frame, apdu string }{
		{"A1", "05 01 03 12 34 56"},
		{"A2", "80 00 00"},
		{"A3", "06 0F 15 F0 F1 F7 30 36 31 30 32 32 61 20 4D 20 49 43 5F 20 53 74 64 00"},
		{"A4", "06 0F 0B F0 F0 F7 32 2E 31 34 2E 31 35 00"},
		{"B5", "06 01 07 04 00 00 00 00 10 00"}, // the 10 is stuffed on the line
		{"B6", "06 01 0A 04 00 00 00 15 00 00 49 07 04"},
		{"B7", "06 20 05 00 00 00 03 01"},
	} {
		t.Run(tc.frame, func(t *testing.T) {
			want, err := ParseHex(tc.apdu)
			require.NoError(t, err)
			var r FrameReader
			got := feedAll(&r, v[tc.frame])
			require.Equal(t, []FrameEvent{FrameAPDU}, got.events)
			assert.Equal(t, want, got.apdus[0])
			assert.False(t, r.InFrame())
			assert.Equal(t, v[tc.frame], EncodeFrame(want), "encoder gives the same frame")
			u, err := UnwrapFrame(v[tc.frame])
			require.NoError(t, err)
			assert.Equal(t, want, u)
		})
	}
}

func TestFrameReader(t *testing.T) {
	v := vectors(t)
	bad := append([]byte(nil), v["A1"]...)
	bad[len(bad)-1] ^= 0xFF

	t.Run("bad CRC reported, next frame fine", func(t *testing.T) {
		var r FrameReader
		got := feedAll(&r, append(bad, v["A2"]...))
		require.Equal(t, []FrameEvent{FrameBadCRC, FrameAPDU}, got.events)
		assert.ErrorIs(t, got.errs[0], ErrBadCRC)
		assert.Equal(t, []byte{0x80, 0, 0}, got.apdus[0])
	})
	t.Run("lone ACK and NAK", func(t *testing.T) {
		var r FrameReader
		got := feedAll(&r, []byte{ACK, NAK, ACK})
		assert.Equal(t, []FrameEvent{FrameACK, FrameNAK, FrameACK}, got.events)
	})
	t.Run("garbage before a frame skipped", func(t *testing.T) {
		var r FrameReader
		got := feedAll(&r, append([]byte{0x00, 0xFF, 0x42, DLE, 0x99, 0x03}, v["A1"]...))
		require.Equal(t, []FrameEvent{FrameAPDU}, got.events)
		assert.Equal(t, 5, r.Skipped()) // 00 FF 42, DLE 99 (not STX), 03
	})
	t.Run("bad escape is an error, not a panic", func(t *testing.T) {
		var r FrameReader
		got := feedAll(&r, append([]byte{DLE, STX, 0x06, DLE, 0x41}, v["A2"]...))
		require.Equal(t, []FrameEvent{FrameError, FrameAPDU}, got.events)
		assert.ErrorIs(t, got.errs[0], ErrBadEscape)
	})
	t.Run("DLE STX inside a frame restarts", func(t *testing.T) {
		var r FrameReader
		got := feedAll(&r, append([]byte{DLE, STX, 0x06, 0x01}, v["A1"]...))
		require.Equal(t, []FrameEvent{FrameError, FrameAPDU}, got.events)
		assert.ErrorIs(t, got.errs[0], ErrFrameRestart)
		assert.Equal(t, []byte{0x05, 0x01, 0x03, 0x12, 0x34, 0x56}, got.apdus[0])
	})
	t.Run("truncated frame then Reset (T1)", func(t *testing.T) {
		var r FrameReader
		half := v["A3"][:10]
		got := feedAll(&r, half)
		assert.Empty(t, got.events)
		assert.True(t, r.InFrame())
		r.Reset()
		assert.False(t, r.InFrame())
		got = feedAll(&r, v["A4"])
		require.Equal(t, []FrameEvent{FrameAPDU}, got.events)
	})
	t.Run("truncated in CRC then Reset", func(t *testing.T) {
		var r FrameReader
		feedAll(&r, v["A1"][:len(v["A1"])-1])
		assert.True(t, r.InFrame())
		r.Reset()
		got := feedAll(&r, v["A2"])
		require.Equal(t, []FrameEvent{FrameAPDU}, got.events)
	})
	t.Run("endless data capped", func(t *testing.T) {
		var r FrameReader
		r.Feed(DLE)
		r.Feed(STX)
		var errs int
		for i := 0; i < MaxAPDULen+10; i++ {
			_, ev, err := r.Feed(0x41)
			if ev == FrameError {
				errs++
				assert.ErrorIs(t, err, ErrFrameTooLong)
			}
		}
		assert.Equal(t, 1, errs)
		assert.False(t, r.InFrame())
	})
	t.Run("UnwrapFrame errors", func(t *testing.T) {
		_, err := UnwrapFrame(bad)
		assert.ErrorIs(t, err, ErrBadCRC)
		_, err = UnwrapFrame(v["A1"][:5])
		assert.ErrorIs(t, err, ErrFrameShort)
		_, err = UnwrapFrame(append(append([]byte(nil), v["A1"]...), 0x00))
		assert.ErrorIs(t, err, ErrFrameTrailing)
	})
	t.Run("frame with a lying APDU length decodes what it carries, with a warning", func(t *testing.T) {
		// The CRC is right, the APDU inside says 0x20 data bytes but has
		// 2: the frame delimits it (issue 9; real terminals send these).
		frame := EncodeFrame([]byte{0x04, 0x0F, 0x20, 0x27, 0x00})
		m, err := DecodeFrame(frame)
		require.NoError(t, err)
		assert.Equal(t, "00", m.ResultCode)
		assert.Equal(t, "040F202700", m.Raw, "the bytes as they came")
		assert.Contains(t, m.Fields["warnings"].([]string)[0], "announces 32 data bytes, the frame (CRC correct) carries 2")
		// Without the frame, the length is all there is: an error.
		_, err = Decode([]byte{0x04, 0x0F, 0x20, 0x27, 0x00})
		assert.ErrorIs(t, err, ErrAPDU)
	})
}
