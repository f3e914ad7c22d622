package terminals

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/transport"
)

// DialTimeout bounds connecting to a terminal over TCP.
const DialTimeout = 10 * time.Second

// Resolver finds the serial device path of a terminal at each (re)open.
// ResolvePort is the usual one; a test or the demo gives its own (a
// simulator's pseudo-terminal gets a new path when it is "replugged").
type Resolver func(ctx context.Context, t config.Terminal) (string, error)

// ResolvePort is the configured port, or for a terminal configured by usb
// the one port present whose USB ids (and serial number) match.
func ResolvePort(_ context.Context, t config.Terminal) (string, error) {
	if t.USB == nil {
		return t.Port, nil
	}
	ports, err := transport.ListPorts()
	if err != nil {
		return "", err
	}
	return matchUSB(*t.USB, ports)
}

// matchUSB picks the port of u among ports.
func matchUSB(u config.USB, ports []transport.PortInfo) (string, error) {
	var found []string
	for _, p := range ports {
		if !p.USB || !strings.EqualFold(p.VID, u.VID) || !strings.EqualFold(p.PID, u.PID) {
			continue
		}
		if u.SerialNumber != "" && p.SerialNumber != u.SerialNumber {
			continue
		}
		found = append(found, p.Path)
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", &transport.VanishedError{Port: u.String(), Op: "open", Err: fmt.Errorf("no serial port with these USB ids is present"),
			Hint: "check the terminal's USB cable and that it is switched on; `feepos pos ports` lists the ports present with their USB ids"}
	}
	return "", fmt.Errorf("%w: %d ports match %s (%s): add the terminal's serial_number to tell them apart (`feepos pos ports` shows it)",
		transport.ErrInvalidConfig, len(found), u, strings.Join(found, ", "))
}

// Opener is how a terminal's link is opened: each call opens it anew,
// resolving the port again. The manager reopens a lost link with it.
func Opener(t config.Terminal, resolve Resolver) transport.OpenFunc {
	if resolve == nil {
		resolve = ResolvePort
	}
	return func(ctx context.Context) (transport.Conn, error) {
		if t.TCP != "" {
			dctx, cancel := context.WithTimeout(ctx, DialTimeout)
			defer cancel()
			return transport.DialTCP(dctx, t.TCP)
		}
		path, err := resolve(ctx, t)
		if err != nil {
			return nil, err
		}
		return transport.OpenSerial(t.Serial(path))
	}
}

// OpenOptions are the extras of Open.
type OpenOptions struct {
	Resolve Resolver
	// Trace, if set, sees every unit on the wire (TraceWriter prints them
	// as --trace does).
	Trace func(direction string, b []byte)
	// Log, if set, gets the driver's warnings (a status information read
	// leniently, an orphan answer).
	Log *slog.Logger
}

// Open connects to one terminal for a technician's direct use (`feepos
// pos …`) and, for ZVT, registers (06 00). The manager opens its terminals
// itself (lazily, reconnecting); both build the driver the same way.
func Open(ctx context.Context, t config.Terminal, o OpenOptions) (pos.Terminal, error) {
	check := t
	if check.ID == "" {
		check.ID = "pos" // a technician's test names no terminal
	}
	if err := check.Check(); err != nil {
		return nil, err
	}
	conn, err := Opener(t, o.Resolve)(ctx)
	if err != nil {
		return nil, err
	}
	if t.ID == "" {
		t.ID = conn.String()
	}
	d := newDriver(t, conn, hooks{trace: o.Trace, log: o.Log})
	if r, ok := d.(registerer); ok {
		if err := r.Register(ctx); err != nil {
			_ = d.Close()
			return nil, fmt.Errorf("registration with the terminal failed: %w", err)
		}
	}
	return d, nil
}
