package terminals

import (
	"sync"
	"sync/atomic"

	"github.com/feepos/feepos/pos"
)

// ListenerBuffer is how many events a listener may lag behind before the
// oldest it has not read are dropped.
const ListenerBuffer = 64

// hub fans the terminals' events out to listeners (the cashier's page,
// logs, metrics). Publishing never waits: a listener whose buffer is full
// loses its oldest unread event, counted, and sees a gap in Seq.
type hub struct {
	mu        sync.Mutex // taken by Subscribe and cancel only
	listeners atomic.Pointer[[]*listener]
	dropped   atomic.Uint64 // events lost by all listeners
}

type listener struct {
	terminal string // "" for all
	mu       sync.Mutex
	ch       chan pos.Event
	closed   bool
	dropped  atomic.Uint64
}

func newHub() *hub {
	h := &hub{}
	h.listeners.Store(&[]*listener{})
	return h
}

// subscribe adds a listener of terminal ("" for every terminal).
func (h *hub) subscribe(terminal string) (<-chan pos.Event, func()) {
	l := &listener{terminal: terminal, ch: make(chan pos.Event, ListenerBuffer)}
	h.mu.Lock()
	old := *h.listeners.Load()
	next := make([]*listener, 0, len(old)+1)
	next = append(append(next, old...), l)
	h.listeners.Store(&next)
	h.mu.Unlock()
	var once sync.Once
	return l.ch, func() { once.Do(func() { h.remove(l) }) }
}

func (h *hub) remove(l *listener) {
	h.mu.Lock()
	old := *h.listeners.Load()
	next := make([]*listener, 0, len(old))
	for _, x := range old {
		if x != l {
			next = append(next, x)
		}
	}
	h.listeners.Store(&next)
	h.mu.Unlock()
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.ch)
	}
	l.mu.Unlock()
}

// publish hands e to every listener of its terminal without waiting.
func (h *hub) publish(e pos.Event) {
	for _, l := range *h.listeners.Load() {
		if l.terminal != "" && l.terminal != e.Terminal {
			continue
		}
		if l.deliver(e) {
			h.dropped.Add(1)
		}
	}
}

// deliver puts e in the listener's buffer, dropping the oldest unread
// event if it is full; it reports whether one was dropped.
func (l *listener) deliver(e pos.Event) (dropped bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	for {
		select {
		case l.ch <- e:
			return dropped
		default:
		}
		select {
		case <-l.ch:
			dropped = true
			l.dropped.Add(1)
		default:
		}
	}
}

// closeAll ends every subscription (the manager closes).
func (h *hub) closeAll() {
	for _, l := range *h.listeners.Load() {
		h.remove(l)
	}
}

// forward relays one attempt's events from the driver to the listeners,
// stamped with the terminal, the attempt and the terminal's next Seq. The
// driver's own final event is dropped: the manager sends the one final
// event of every attempt itself (pos.FinalEvent of the result, marked by
// its Attempt field), after the driver's intermediate events, so that a
// final event dropped or mis-kinded by a driver cannot reach the cashier
// and none is missing. Events after the final one are dropped too. When
// stop is closed, forward relays what is still buffered and closes the
// returned channel.
func (t *terminal) forward(attempt string, in <-chan pos.Event, stop <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		final := false
		relay := func(e pos.Event) {
			own := e.Attempt != ""
			switch {
			case final:
				return
			case e.Kind.Final() && !own:
				return
			}
			e.Terminal, e.Attempt, e.Seq = t.id, attempt, t.seq.Add(1)
			if e.Kind.Final() {
				final = true
				t.finals.Add(1)
			}
			t.m.events.publish(e)
		}
		for {
			select {
			case e := <-in:
				relay(e)
			case <-stop:
				for {
					select {
					case e := <-in:
						relay(e)
					default:
						return
					}
				}
			}
		}
	}()
	return done
}
