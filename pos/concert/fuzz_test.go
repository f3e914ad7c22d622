package concert

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"testing"
)

func seedAll(f *testing.F) {
	for _, b := range loadVectors(f) {
		f.Add(b)
		if len(b) > 3 && b[0] == STX {
			f.Add(b[1 : len(b)-2])
		}
	}
	f.Add([]byte{ENQ, ACK, NAK, EOT, 0xFF, STX, ETX, STX})
	f.Add(Frame([]byte("CZ0040320AE00210AA0164111111111111111ZT013CK003100AK000")))
}

// countDigits counts the digits a masked PAN shows.
func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

func FuzzReader(f *testing.F) {
	seedAll(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := Reader{MaxText: 128}
		for _, b := range data {
			ev, frame, err := r.Feed(b)
			switch ev {
			case EventFrame:
				if err != nil {
					t.Fatalf("frame with error %v", err)
				}
				text, err := SplitFrame(frame)
				if err != nil {
					t.Fatalf("reader gave a frame SplitFrame rejects: %v (% x)", err, frame)
				}
				if bytes.IndexByte(text, STX) >= 0 || bytes.IndexByte(text, ETX) >= 0 {
					t.Fatalf("STX/ETX inside frame text: % x", frame)
				}
				if len(text) > 128 {
					t.Fatalf("frame text %d over the cap", len(text))
				}
				if !bytes.Equal(Frame(text), frame) {
					t.Fatalf("frame does not re-encode: % x", frame)
				}
			case EventBadLRC:
				if err == nil || len(frame) < 3 {
					t.Fatalf("bad LRC event without error or frame")
				}
			case EventENQ, EventACK, EventNAK, EventEOT, EventNone, EventGarbage, EventOverflow:
				if frame != nil {
					t.Fatalf("event %v with a frame", ev)
				}
			default:
				t.Fatalf("unknown event %v", ev)
			}
		}
		r.Reset()
		if r.InFrame() {
			t.Fatal("Reset left a frame open")
		}
	})
}

func FuzzDecode(f *testing.F) {
	seedAll(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if m.Protocol != "concert" || m.Kind == "" {
			t.Fatalf("decode left protocol %q kind %q (err %v)", m.Protocol, m.Kind, err)
		}
		if countDigits(m.PANMasked) > 10 {
			t.Fatalf("masked PAN shows %d digits: %q", countDigits(m.PANMasked), m.PANMasked)
		}
		if aa, ok := m.TLV["AA"].(string); ok && countDigits(aa) > 10 {
			t.Fatalf("TLV AA shows %d digits: %q", countDigits(aa), aa)
		}
		if _, jerr := json.Marshal(m); jerr != nil {
			t.Fatalf("message does not marshal: %v", jerr)
		}
		if _, herr := hex.DecodeString(m.Raw); herr != nil || len(m.Raw) != 2*len(data) {
			t.Fatalf("raw %q is not the input's hex", m.Raw)
		}
		if err != nil {
			return
		}
		text := data
		if len(data) > 1 && data[0] == STX {
			text = data[1 : len(data)-2]
		}
		switch m.Kind {
		case KindPaymentRequest:
			r, perr := ParsePaymentRequest(text)
			if perr != nil {
				t.Fatalf("decoded as request but does not parse: %v", perr)
			}
			// Requests outside our encoder's domain (amount 0, odd flags)
			// may not re-encode; those that do must give the same text.
			if back, eerr := r.Text(); eerr == nil && !bytes.Equal(back, text) {
				t.Fatalf("request round trip: %q -> %q", text, back)
			}
		case KindPaymentAnswer:
			a, perr := ParsePaymentAnswer(text)
			if perr != nil {
				t.Fatalf("decoded as answer but does not parse: %v", perr)
			}
			if !a.Long {
				back, eerr := a.Text()
				if eerr == nil && !bytes.Equal(back, text) {
					t.Fatalf("answer round trip: %q -> %q", text, back)
				}
			}
		case KindTLVRequest, KindTLVAnswer:
			items, derr := DecodeTLV(text)
			if derr != nil {
				t.Fatalf("decoded as TLV but does not parse: %v", derr)
			}
			back, eerr := EncodeTLV(items)
			if eerr != nil || !bytes.Equal(back, text) {
				t.Fatalf("TLV round trip: %q -> %q (%v)", text, back, eerr)
			}
		}
	})
}
