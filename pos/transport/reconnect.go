package transport

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// OpenFunc opens a fresh link to the terminal. It is what Reconnecting
// calls again after a loss, so it should look the port up anew where the
// path can change (a pseudo-terminal of a restarted simulator).
type OpenFunc func(ctx context.Context) (Conn, error)

// SerialOpener opens cfg each time.
func SerialOpener(cfg SerialConfig) OpenFunc {
	return func(context.Context) (Conn, error) { return OpenSerial(cfg) }
}

// TCPOpener dials addr each time.
func TCPOpener(addr string) OpenFunc {
	return func(ctx context.Context) (Conn, error) { return DialTCP(ctx, addr) }
}

// Reconnect is what OnReconnect receives when a link was opened again.
type Reconnect struct {
	Name       string        // the link, as given to NewReconnecting
	Generation uint64        // 1 for the first open, then +1 per reopen
	Attempts   int           // open calls it took
	Waited     time.Duration // time spent reopening
	Cause      error         // the loss that made it necessary; nil on the first open
}

// ReconnectOptions tunes Reconnecting. Zero fields take the defaults.
type ReconnectOptions struct {
	// MinBackoff and MaxBackoff bound the pause between two open attempts
	// (doubling from Min to Max). Defaults 100 ms and 2 s.
	MinBackoff, MaxBackoff time.Duration
	// MaxWait bounds how long one call waits for the port to come back
	// before it gives up with the last open error. Default 5 s.
	MaxWait time.Duration
	// OnReconnect, if set, is told of every successful (re)open. It runs
	// in the calling goroutine; keep it short.
	OnReconnect func(Reconnect)
}

// Reconnecting is a Conn that reopens a vanished port or connection on
// its next use, after a loss was reported.
//
// The rule: it never repeats anything. A call that meets the loss returns
// the *VanishedError to the driver, and the bytes written before it may or
// may not have reached the terminal. Only the driver knows what that means
// for the transaction (for a payment: the outcome is Unknown and
// LastResult recovers it), so only the driver decides what to send on the
// new link. Generation tells the driver that the link under it changed.
type Reconnecting struct {
	name string
	open OpenFunc
	opt  ReconnectOptions

	done      chan struct{} // closed by Close: stops a reopen wait
	closeOnce sync.Once

	mu    sync.Mutex // held while reopening: one reopen at a time
	conn  Conn
	gen   uint64
	cause error // the loss since which conn is nil
}

// NewReconnecting wraps open. The first open happens on first use (or
// call Reopen to open eagerly and see the error at once).
func NewReconnecting(name string, open OpenFunc, opt ReconnectOptions) *Reconnecting {
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = 100 * time.Millisecond
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 2 * time.Second
	}
	if opt.MaxBackoff < opt.MinBackoff {
		opt.MaxBackoff = opt.MinBackoff
	}
	if opt.MaxWait <= 0 {
		opt.MaxWait = 5 * time.Second
	}
	return &Reconnecting{name: name, open: open, opt: opt, done: make(chan struct{})}
}

func (r *Reconnecting) String() string { return r.name }

// Generation is the number of opens so far: it changes when the link was
// reopened, 0 before the first.
func (r *Reconnecting) Generation() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gen
}

// Reopen makes sure a link is open, waiting for it at most as long as ctx
// and MaxWait allow.
func (r *Reconnecting) Reopen(ctx context.Context) error {
	_, _, err := r.current(ctx)
	return err
}

// current returns the open link, reopening it if it was lost.
func (r *Reconnecting) current(ctx context.Context) (Conn, uint64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.done:
		return nil, 0, ErrClosed
	default:
	}
	if r.conn != nil {
		return r.conn, r.gen, nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.opt.MaxWait)
	defer cancel()
	start := time.Now()
	pause := r.opt.MinBackoff
	for attempt := 1; ; attempt++ {
		c, err := r.open(ctx)
		if err == nil {
			select {
			case <-r.done: // closed while we were opening
				_ = c.Close()
				return nil, 0, ErrClosed
			default:
			}
			r.conn, r.gen = c, r.gen+1
			ev := Reconnect{Name: r.name, Generation: r.gen, Attempts: attempt, Waited: time.Since(start), Cause: r.cause}
			r.cause = nil
			if r.opt.OnReconnect != nil {
				r.opt.OnReconnect(ev)
			}
			return c, r.gen, nil
		}
		if errors.Is(err, ErrInvalidConfig) {
			return nil, 0, err // waiting does not fix a wrong setting
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, 0, r.giveUp(err, attempt, time.Since(start))
		case <-r.done:
			t.Stop()
			return nil, 0, ErrClosed
		}
		pause = min(2*pause, r.opt.MaxBackoff)
	}
}

func (r *Reconnecting) giveUp(last error, attempts int, waited time.Duration) error {
	var v *VanishedError
	if errors.As(last, &v) {
		return &VanishedError{Port: v.Port, Op: "reopen", Hint: v.Hint,
			Err: fmt.Errorf("still gone after %d attempts in %v: %w", attempts, waited.Round(time.Millisecond), v.Err)}
	}
	return fmt.Errorf("reopen %s: gave up after %d attempts in %v: %w", r.name, attempts, waited.Round(time.Millisecond), last)
}

// lost drops the link of generation gen after it reported err.
func (r *Reconnecting) lost(gen uint64, err error) {
	if !errors.Is(err, ErrVanished) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gen == gen && r.conn != nil {
		_ = r.conn.Close()
		r.conn, r.cause = nil, err
	}
}

func (r *Reconnecting) Write(p []byte) (int, error) {
	c, gen, err := r.current(context.Background())
	if err != nil {
		return 0, err
	}
	n, err := c.Write(p)
	r.lost(gen, err)
	return n, err
}

func (r *Reconnecting) ReadTimeout(p []byte, timeout time.Duration) (int, error) {
	c, gen, err := r.current(context.Background())
	if err != nil {
		return 0, err
	}
	n, err := c.ReadTimeout(p, timeout)
	r.lost(gen, err)
	return n, err
}

func (r *Reconnecting) ReadWait(ctx context.Context, p []byte, timeout time.Duration, wake <-chan struct{}) (int, error) {
	c, gen, err := r.current(ctx)
	if err != nil {
		return 0, err
	}
	n, err := c.ReadWait(ctx, p, timeout, wake)
	r.lost(gen, err)
	return n, err
}

func (r *Reconnecting) ReadByteTimeout(timeout time.Duration) (byte, error) {
	c, gen, err := r.current(context.Background())
	if err != nil {
		return 0, err
	}
	b, err := c.ReadByteTimeout(timeout)
	r.lost(gen, err)
	return b, err
}

func (r *Reconnecting) Drain() (int, error) {
	c, gen, err := r.current(context.Background())
	if err != nil {
		return 0, err
	}
	n, err := c.Drain()
	r.lost(gen, err)
	return n, err
}

// Close closes the link and stops any reopen in progress. A read blocked
// on the link returns ErrClosed.
func (r *Reconnecting) Close() error {
	r.closeOnce.Do(func() { close(r.done) })
	// r.mu is free soon: a reader blocked in the kernel does not hold it,
	// and a reopen wait holding it sees done at once.
	r.mu.Lock()
	c := r.conn
	r.conn = nil
	r.mu.Unlock()
	if c != nil {
		return c.Close()
	}
	return nil
}
