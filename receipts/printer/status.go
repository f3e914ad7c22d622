package printer

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Real-time status (Epson ESC/POS command reference, DLE EOT n; the same
// bytes on the Bixolon, HPRT, Xprinter and other clones): the host sends
// DLE EOT n, 10 04 n, and the printer answers one byte at once, even when
// it is offline or its buffer is full. Every answer has bit 0 = 0,
// bit 1 = 1, bit 4 = 1, bit 7 = 0 (the pattern 0xx1xx10), which tells a
// status byte from anything else on the line.
//
// The manuals ask the host not to send anything after DLE EOT until the
// answer came, so the three requests go one at a time and the job only
// after them.
const (
	dle = 0x10
	eot = 0x04

	statusPrinter = 1 // n = 1: printer status
	statusOffline = 2 // n = 2: offline cause
	statusPaper   = 4 // n = 4: roll paper sensor

	statusFixedMask = 0x93 // bits 0, 1, 4, 7
	statusFixed     = 0x12 // bit 1 and bit 4 set, bits 0 and 7 clear
)

// Bits of each answer.
const (
	// n = 1
	bitOffline = 1 << 3 // 1: offline
	// n = 2
	bitCoverOpen    = 1 << 2 // 1: cover open
	bitFeedButton   = 1 << 3 // 1: paper being fed with the FEED button
	bitPaperEndStop = 1 << 5 // 1: printing stopped at paper end
	bitError        = 1 << 6 // 1: an error occurred (cutter, head temperature…)
	// n = 4: two bits each, both set when the sensor triggers
	bitsNearEnd  = 3 << 2 // 11: roll paper near end
	bitsPaperOut = 3 << 5 // 11: roll paper end, no paper
)

// StatusRequest is DLE EOT n.
func StatusRequest(n byte) []byte { return []byte{dle, eot, n} }

// IsStatusByte reports whether b has the fixed bits of a DLE EOT answer.
func IsStatusByte(b byte) bool { return b&statusFixedMask == statusFixed }

// Status is a printer's real-time status.
type Status struct {
	Offline      bool `json:"offline"`
	CoverOpen    bool `json:"cover_open"`
	FeedButton   bool `json:"feed_button,omitempty"`
	PaperOut     bool `json:"paper_out"` // roll end sensor, or printing stopped at paper end
	PaperNearEnd bool `json:"paper_near_end"`
	Error        bool `json:"error,omitempty"` // cutter jam, head too hot, …
	// Raw holds the answers to DLE EOT 1, 2 and 4.
	Raw [3]byte `json:"-"`
}

// ParseStatus reads the answers to DLE EOT 1, 2 and 4.
func ParseStatus(printer, offline, paper byte) (Status, error) {
	for _, b := range []byte{printer, offline, paper} {
		if !IsStatusByte(b) {
			return Status{}, fmt.Errorf("%#02x is not a DLE EOT status byte (pattern 0xx1xx10)", b)
		}
	}
	return Status{
		Offline:      printer&bitOffline != 0,
		CoverOpen:    offline&bitCoverOpen != 0,
		FeedButton:   offline&bitFeedButton != 0,
		PaperOut:     offline&bitPaperEndStop != 0 || paper&bitsPaperOut == bitsPaperOut,
		PaperNearEnd: paper&bitsNearEnd == bitsNearEnd,
		Error:        offline&bitError != 0,
		Raw:          [3]byte{printer, offline, paper},
	}, nil
}

// refusal is the error that stops a job, or nil when the printer can
// print. An open cover and paper end also set the offline bit; the most
// specific cause is named.
func (s Status) refusal(printer string) error {
	e := &Error{Printer: printer}
	switch {
	case s.PaperOut:
		e.Kind = ErrPaperOut
		e.Message = "out of paper: load a new paper roll, close the cover and print again"
		e.TextVI = "Máy in hết giấy: thay cuộn giấy rồi in lại"
	case s.CoverOpen:
		e.Kind = ErrCoverOpen
		e.Message = "the cover is open: close the printer cover and print again"
		e.TextVI = "Nắp máy in đang mở: đóng nắp máy in rồi in lại"
	case s.Error:
		e.Kind = ErrOffline
		e.Message = "the printer reports an error (cutter jam or print head too hot): clear the paper at the cutter or let the printer cool, switch it off and on, and print again"
		e.TextVI = "Máy in báo lỗi (kẹt dao cắt hoặc đầu in quá nóng): gỡ giấy kẹt hoặc chờ máy nguội, tắt rồi bật lại máy in và in lại"
	case s.FeedButton:
		e.Kind = ErrOffline
		e.Message = "paper is being fed with the FEED button: release it and print again"
		e.TextVI = "Đang kéo giấy bằng nút FEED: thả nút rồi in lại"
	case s.Offline:
		e.Kind = ErrOffline
		e.Message = "the printer is offline: check its error light, paper and cover, and print again"
		e.TextVI = "Máy in đang ngoại tuyến (offline): kiểm tra đèn báo lỗi, giấy và nắp máy rồi in lại"
	default:
		return nil
	}
	return e
}

// statusLink is the two-way part of a link that queryStatus needs.
type statusLink interface {
	// request writes a status request.
	request(ctx context.Context, p []byte) error
	// readByte waits for one byte until deadline; errNoAnswer when none
	// came.
	readByte(ctx context.Context, deadline time.Time) (byte, error)
	String() string
}

var errNoAnswer = errors.New("no answer")

// queryStatus asks DLE EOT 1, 2 and 4, one after the other, giving each
// answer timeout to arrive. Bytes that are not status answers (an
// automatic status message, XON/XOFF, line noise) are skipped.
func queryStatus(ctx context.Context, l statusLink, timeout time.Duration) (Status, error) {
	var got [3]byte
	for i, n := range []byte{statusPrinter, statusOffline, statusPaper} {
		if err := l.request(ctx, StatusRequest(n)); err != nil {
			return Status{}, statusError(l.String(), err)
		}
		deadline := time.Now().Add(timeout)
		for {
			b, err := l.readByte(ctx, deadline)
			if errors.Is(err, errNoAnswer) {
				return Status{}, &Error{Kind: ErrStatusUnknown, Printer: l.String(),
					Message: fmt.Sprintf("no answer to DLE EOT %d within %v (the printer may not support status requests)", n, timeout)}
			}
			if err != nil {
				return Status{}, statusError(l.String(), err)
			}
			if IsStatusByte(b) {
				got[i] = b
				break
			}
		}
	}
	return ParseStatus(got[0], got[1], got[2])
}

func statusError(printer string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: ErrUnreachable, Printer: printer, Err: err,
			Message: "stopped while asking the printer's status; nothing was printed",
			TextVI:  "Đã dừng trước khi in, chưa in gì"}
	}
	return &Error{Kind: ErrUnreachable, Printer: printer, Err: err,
		Message: "the link failed while asking the printer's status; nothing was printed; check the printer and its cable and print again",
		TextVI:  "Mất kết nối với máy in, chưa in gì: kiểm tra máy in và cáp rồi in lại"}
}
