package terminals

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/zvt"
)

// TapEntry is one unit the driver's trace hook saw on the wire — a frame,
// a control byte (ACK, NAK, ENQ, EOT), line noise — with its time, as a
// technician reads it: the hex as it was on the wire, card numbers masked
// and track data redacted by the protocol's decoder, and the decoded
// message. Raw card data is never kept.
type TapEntry struct {
	Seq       uint64       `json:"seq"` // per terminal, increasing
	At        time.Time    `json:"at"`
	Protocol  pos.Protocol `json:"protocol"`
	Direction string       `json:"direction"` // ecr_to_pt or pt_to_ecr
	Hex       string       `json:"hex"`       // masked; a frame that cannot be decoded shows its length only
	Message   pos.Message  `json:"message"`
	Error     string       `json:"error,omitempty"` // why the decoder did not take it whole
}

// Decode turns what a driver's trace hook gave (direction "send"/"recv"
// or ecr_to_pt/pt_to_ecr, and the bytes) into a masked TapEntry, with the
// decoders of the protocol, exactly as `feepos pos … --trace` prints it.
func Decode(p pos.Protocol, dir string, b []byte, at time.Time) TapEntry {
	switch dir {
	case "send":
		dir = "ecr_to_pt"
	case "recv":
		dir = "pt_to_ecr"
	}
	var m pos.Message
	var err error
	var hexLine string
	if p == pos.ZVT {
		m, err = zvt.DecodeAny(b)
		switch {
		case len(b) == 1:
			hexLine = fmt.Sprintf("%02X", b[0])
		case len(b) >= 2 && b[0] == zvt.DLE && b[1] == zvt.STX && m.Kind == "invalid":
			hexLine = fmt.Sprintf("(frame of %d bytes not shown)", len(b))
		case len(b) >= 2 && b[0] == zvt.DLE && b[1] == zvt.STX:
			hexLine = "10 02 " + spacedHex(m.Raw) + " 10 03 (frame; CRC checked)"
		default:
			hexLine = spacedHex(m.Raw)
		}
	} else {
		m, err = concert.Decode(b)
		hexLine = spacedHex(m.Raw)
	}
	if m.Direction == "" {
		m.Direction = dir
	}
	e := TapEntry{At: at, Protocol: p, Direction: dir, Hex: hexLine, Message: m}
	if err != nil {
		e.Error = err.Error()
	}
	return e
}

// Text is the entry as `--trace` prints it: the hex line, then the
// decoded message as JSON on the next line.
func (e TapEntry) Text() string {
	line := fmt.Sprintf("%s %s %s", e.Protocol, e.Direction, e.Hex)
	if e.Error != "" {
		line += "  (" + e.Error + ")"
	}
	js, err := json.Marshal(e.Message)
	if err != nil {
		js = []byte(fmt.Sprintf(`{"error":%q}`, err.Error()))
	}
	return line + "\n" + string(js) + "\n"
}

// TraceWriter is a driver trace hook that prints each unit on w as Text
// does: what `feepos pos … --trace` writes to stderr. w must take whole
// writes from several goroutines (a driver may trace from two).
func TraceWriter(p pos.Protocol, w io.Writer) func(string, []byte) {
	return func(dir string, b []byte) {
		io.WriteString(w, Decode(p, dir, b, time.Now()).Text())
	}
}

// spacedHex writes hex digits in pairs: "0601" → "06 01".
func spacedHex(h string) string {
	h = strings.ToUpper(h)
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h[i:min(i+2, len(h))])
	}
	return b.String()
}

// DefaultTapSize is how many wire units a terminal's tap keeps: several
// transactions' worth (a ZVT payment is some 20 units), a few hundred
// kilobytes at most.
const DefaultTapSize = 256

// Tap is a terminal's wire tap: a ring of the last units on its line. Its
// memory is bounded: the oldest entries are overwritten. Safe for
// concurrent use; Add never waits for a reader.
type Tap struct {
	protocol pos.Protocol
	clock    func() time.Time

	mu   sync.Mutex
	ring []TapEntry
	next uint64 // the Seq the next entry gets; entries next-len(ring)… are kept
}

// NewTap keeps the last size entries of a terminal speaking p.
func NewTap(p pos.Protocol, size int, clock func() time.Time) *Tap {
	if size <= 0 {
		size = DefaultTapSize
	}
	if clock == nil {
		clock = time.Now
	}
	return &Tap{protocol: p, clock: clock, ring: make([]TapEntry, 0, size), next: 1}
}

// Hook is the driver trace hook feeding the tap; then, if not nil, also
// calls also with the entry (a --trace printer, a debug log).
func (t *Tap) Hook(also func(TapEntry)) func(string, []byte) {
	return func(dir string, b []byte) {
		e := t.Add(Decode(t.protocol, dir, b, t.clock()))
		if also != nil {
			also(e)
		}
	}
}

// Add keeps e, numbering it, and returns it numbered.
func (t *Tap) Add(e TapEntry) TapEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	e.Seq = t.next
	t.next++
	if len(t.ring) < cap(t.ring) {
		t.ring = append(t.ring, e)
	} else {
		t.ring[int((e.Seq-1)%uint64(cap(t.ring)))] = e
	}
	return e
}

// Size is how many entries the tap keeps.
func (t *Tap) Size() int { return cap(t.ring) }

// Mark is the Seq the next entry will get: Since(Mark()) later returns
// what came after.
func (t *Tap) Mark() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.next
}

// Since returns the entries numbered from seq on, oldest first, and how
// many of them were already overwritten.
func (t *Tap) Since(seq uint64) (entries []TapEntry, lost uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	oldest := t.next - uint64(len(t.ring))
	if seq < oldest {
		lost, seq = oldest-seq, oldest
	}
	for s := seq; s < t.next; s++ {
		entries = append(entries, t.ring[int((s-1)%uint64(cap(t.ring)))])
	}
	return entries, lost
}
