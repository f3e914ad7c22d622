package zvt

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/feepos/feepos/pos"
)

// seeds are the vectors, as frames and as APDUs.
func seeds(f *testing.F) {
	for _, b := range vectors(f) {
		f.Add(b)
		if a, err := UnwrapFrame(b); err == nil {
			f.Add(a)
		} else {
			f.Add(EncodeFrame(b))
		}
	}
}

func countDigits(s string) int {
	n := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			n++
		}
	}
	return n
}

// FuzzFrameReader: any byte stream, no panic; every APDU reported has the
// right CRC (re-encoding it and feeding it again gives it back); memory
// stays capped.
func FuzzFrameReader(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		var r FrameReader
		for _, c := range in {
			apdu, ev, err := r.Feed(c)
			if (err != nil) != (ev == FrameBadCRC || ev == FrameError) {
				t.Fatalf("event %v with err %v", ev, err)
			}
			if len(r.buf) > MaxAPDULen {
				t.Fatalf("buffer grew to %d", len(r.buf))
			}
			if ev != FrameAPDU {
				continue
			}
			var r2 FrameReader
			var got []byte
			for _, c := range EncodeFrame(apdu) {
				if a, ev2, _ := r2.Feed(c); ev2 == FrameAPDU {
					got = a
				}
			}
			if !bytes.Equal(got, apdu) {
				t.Fatalf("re-framed APDU % X came back as % X", apdu, got)
			}
		}
		// Whatever was fed, a clean frame after Reset is read.
		r.Reset()
		var ok bool
		for _, c := range EncodeFrame([]byte{0x80, 0x00, 0x00}) {
			if _, ev, _ := r.Feed(c); ev == FrameAPDU {
				ok = true
			}
		}
		if !ok {
			t.Fatal("reader stuck after Reset")
		}
	})
}

// FuzzDecode: any bytes, no panic; the message marshals to JSON; a masked
// PAN never shows more than 10 digits; track data and CVV only ever come
// out as redacted; a parsed APDU re-encodes to the same bytes; TLV
// round-trips.
func FuzzDecode(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		// DecodeAny reads 10 02 … as a serial frame; the APDU checks below
		// use Decode, since such bytes can also parse as an APDU of class 10.
		m, _ := DecodeAny(in)
		checkMessage(t, m)
		m, err := Decode(in)
		checkMessage(t, m)
		if a, perr := ParseAPDU(in); perr == nil {
			if err != nil {
				t.Fatalf("APDU parses but Decode failed: %v", err)
			}
			out, eerr := a.Encode()
			// The short form allows at most FE; a 255+ byte APDU re-encodes
			// to the same bytes only if it was sent in the extended form.
			if eerr != nil || (len(a.Data) < 0xFF && in[2] != 0xFF && !bytes.Equal(out, in)) {
				t.Fatalf("re-encode % X -> % X (%v)", in, out, eerr)
			}
			if b, e := ParseAPDU(out); e != nil || !bytes.Equal(b.Data, a.Data) {
				t.Fatalf("encode/parse round trip failed: %v", e)
			}
			if !strings.HasPrefix(m.Raw, hexUpper(in[:2])) {
				t.Fatalf("raw %q does not start with the control field", m.Raw)
			}
		}
		if objs, terr := ParseTLV(in); terr == nil {
			b, eerr := EncodeTLV(objs)
			if eerr != nil {
				t.Fatalf("tlv encode: %v", eerr)
			}
			back, perr := ParseTLV(b)
			if perr != nil {
				t.Fatalf("tlv re-parse: %v", perr)
			}
			b2, _ := EncodeTLV(back)
			if !bytes.Equal(b, b2) {
				t.Fatalf("tlv not stable: % X vs % X", b, b2)
			}
		}
	})
}

func checkMessage(t *testing.T, m pos.Message) {
	t.Helper()
	if m.Protocol != pos.ZVT {
		t.Fatalf("protocol %q", m.Protocol)
	}
	if _, err := json.Marshal(m); err != nil {
		t.Fatalf("json: %v", err)
	}
	if n := countDigits(m.PANMasked); n > 10 {
		t.Fatalf("pan_masked %q shows %d digits", m.PANMasked, n)
	}
	for _, k := range []string{"track_1", "track_2", "track_3", "cvv", "chip_data", "ef_info", "pan"} {
		if v, ok := m.Fields[k]; ok && v != redactedMark {
			t.Fatalf("%s output as %v", k, v)
		}
	}
}
