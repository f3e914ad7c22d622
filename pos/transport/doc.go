// Package transport moves bytes between feepos and a card terminal: a serial
// port (RS-232 or USB CDC/ACM such as /dev/ttyACM0, via go.bug.st/serial), a
// TCP connection, or a pseudo-terminal standing in for a serial port in tests
// and for the simulator. It knows nothing of ZVT or Concert: framing,
// acknowledgements and resends are the drivers' business.
//
// Every Conn has one reader goroutine that waits for input in the kernel
// without a timeout (go.bug.st/serial's select for a serial port, the
// runtime's epoll for a socket or pty master) and hands it on in chunks
// through a buffer; a read waits on that hand-over, its timer, its
// context and an optional wake channel (ReadWait). So a terminal waiting
// for a card costs no CPU and causes no periodic wake-up, and a
// cancellation or the driver's abort still ends the wait at once. A lost
// port is seen by the reader as soon as the kernel reports it. The
// simulator's side of a line uses the same Conn (FromFile, FromNetConn).
// Pipe is an in-memory line for tests: made of channels only, its waits
// run on a testing/synctest bubble's fake clock. A lost port or peer is
// reported as a *VanishedError (errors.Is(err, ErrVanished)); a read that
// ran out of time with nothing received as ErrTimeout; use after Close as
// ErrClosed.
package transport
