package pos

import "time"

// EventKind is a step of a transaction the cashier's screen shows.
type EventKind string

const (
	EventInsertCard EventKind = "insert_card"
	EventEnterPIN   EventKind = "enter_pin"
	EventProcessing EventKind = "processing"
	EventApproved   EventKind = "approved"
	EventDeclined   EventKind = "declined"
	EventRemoveCard EventKind = "remove_card"
	EventWait       EventKind = "wait"
	EventOther      EventKind = "other"
)

// Event is one intermediate status from the terminal.
type Event struct {
	Kind EventKind `json:"kind"`
	Code string    `json:"code,omitempty"` // the protocol's own code, hex
	Text string    `json:"text"`           // Vietnamese, for the cashier
	At   time.Time `json:"at"`
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
