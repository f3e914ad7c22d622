package pos

import "time"

// EventKind is a step of a transaction the cashier's screen shows.
//
// Intermediate kinds come while the terminal works; exactly one final kind
// ends every transaction the driver started (FinalEvent). A final kind is
// never sent for an intermediate status: a cashier who reads "declined"
// takes another card or charges again, so only an outcome the terminal
// stated may say so (docs/TERMINALS.md, "Events").
type EventKind string

// Intermediate kinds.
const (
	EventInsertCard  EventKind = "insert_card"
	EventEnterPIN    EventKind = "enter_pin"
	EventProcessing  EventKind = "processing"
	EventRemoveCard  EventKind = "remove_card"
	EventWait        EventKind = "wait"
	EventCardProblem EventKind = "card_problem" // the card could not be used yet; the terminal goes on (another try, another card)
	EventOther       EventKind = "other"
)

// Final kinds: exactly these end a transaction.
const (
	EventApproved       EventKind = "approved"
	EventDeclined       EventKind = "declined"
	EventAborted        EventKind = "aborted"
	EventUnknown        EventKind = "unknown"
	EventTransportError EventKind = "transport_error"
)

// Final reports whether k ends a transaction.
func (k EventKind) Final() bool {
	switch k {
	case EventApproved, EventDeclined, EventAborted, EventUnknown, EventTransportError:
		return true
	}
	return false
}

// Event is one status of a transaction. Drivers fill Kind, Code, Text and
// At; the terminal manager stamps Terminal, Attempt and Seq before
// handing it to listeners.
type Event struct {
	Kind EventKind `json:"kind"`
	Code string    `json:"code,omitempty"` // the protocol's own code, hex
	Text string    `json:"text"`           // Vietnamese, for the cashier
	At   time.Time `json:"at"`

	Terminal string `json:"terminal,omitempty"` // feepos's terminal id, e.g. "T1"
	Attempt  string `json:"attempt,omitempty"`  // the payment attempt it belongs to
	Seq      uint64 `json:"seq,omitempty"`      // per terminal, increasing: listeners see gaps when they lag
}

// FinalKind is the final event kind of an outcome. Declined and
// CardError are the card's refusal (declined); Busy and TransportError ran
// nothing on the terminal (transport_error: the card was not charged).
func FinalKind(o Outcome) EventKind {
	switch o {
	case Approved:
		return EventApproved
	case Declined, CardError:
		return EventDeclined
	case Aborted:
		return EventAborted
	case Busy, TransportError:
		return EventTransportError
	}
	return EventUnknown
}

// FinalEvent is the event that ends a transaction with result r.
func FinalEvent(r Result, at time.Time) Event {
	text := r.TextVI
	if text == "" {
		text = finalTextVI[FinalKind(r.Outcome)]
	}
	return Event{Kind: FinalKind(r.Outcome), Code: r.ResultCode, Text: text, At: at}
}

// finalTextVI is the cashier's text of a final event whose result carries
// none.
var finalTextVI = map[EventKind]string{
	EventApproved:       "Giao dịch thành công",
	EventDeclined:       "Giao dịch bị từ chối",
	EventAborted:        "Giao dịch đã bị hủy: thẻ không bị trừ tiền",
	EventUnknown:        "Chưa rõ kết quả: KHÔNG thu lại tiền cho đến khi giao dịch được đối chiếu",
	EventTransportError: "Không gửi được lệnh tới máy POS: thẻ chưa bị trừ tiền",
}

// Send delivers e without blocking the driver on a slow screen.
func Send(ch chan<- Event, e Event) {
	if ch == nil {
		return
	}
	select {
	case ch <- e:
	default:
	}
}
