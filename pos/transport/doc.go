// Package transport moves bytes between feepos and a card terminal: a serial
// port (RS-232 or USB CDC/ACM such as /dev/ttyACM0, via go.bug.st/serial), a
// TCP connection, or a pseudo-terminal standing in for a serial port in tests
// and for the simulator. It knows nothing of ZVT or Concert: framing,
// acknowledgements and resends are the drivers' business.
//
// Every Conn waits for input in the kernel (select/epoll), so a terminal
// waiting for a card costs no CPU. A lost port or peer is reported as a
// *VanishedError (errors.Is(err, ErrVanished)); a read that ran out of time
// with nothing received as ErrTimeout; use after Close as ErrClosed.
package transport
