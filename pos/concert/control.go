package concert

import "time"

// Control bytes of the Concert serial link (ASCII control characters; the
// same in pyTeliumManager, which names them through curses.ascii.controlnames).
const (
	STX byte = 0x02 // start of text: a message frame begins
	ETX byte = 0x03 // end of text: the LRC byte follows
	EOT byte = 0x04 // end of transmission: the sender gives the line back
	ENQ byte = 0x05 // enquiry: the sender wants to send a message
	ACK byte = 0x06 // positive acknowledgement
	NAK byte = 0x15 // negative acknowledgement: send the frame again
)

// Default serial line settings of a Telium terminal in Concert mode:
// 9600 baud, 7 data bits, even parity, 1 stop bit (7E1), as configured in
// the terminal's "Caisse" menu. pypostelium defaults to 9600 baud
// (telium_terminal_device_rate); both Python drivers leave pyserial's 8N1,
// which works over the USB CDC link where framing bits are ignored. The
// transport may override every value from the terminal's configuration.
const (
	DefaultBaudRate = 9600
	DefaultDataBits = 7
	DefaultParity   = 'E' // even
	DefaultStopBits = 1
)

// Session timers. Named after what the driver waits for.
const (
	// ACKTimeout is how long to wait for the ACK after sending ENQ, and for
	// the ACK (or NAK) after sending a frame. pypostelium opens the port
	// with a 3 s read timeout: "the Telium spec say that we have to wait up
	// to 3 seconds to get LRC" (pypostelium.py, transaction_start).
	ACKTimeout = 3 * time.Second
	// ENQAttempts is how often the ECR sends ENQ before giving up, with
	// ENQRetryPause between attempts, sending EOT after each failed one
	// (pypostelium.py, initialize_msg: max_attempt = 3, time.sleep(1)).
	ENQAttempts   = 3
	ENQRetryPause = 1 * time.Second
	// FrameAttempts is how often a frame is sent when the peer answers NAK
	// (or nothing): the first try and two resends, the usual rule of the
	// ENQ/ACK line protocols. Neither Python driver resends; this is our
	// choice, and the transport may change it.
	FrameAttempts = 3
	// AnswerTimeout is how long the ECR waits for the terminal's ENQ that
	// announces the answer, i.e. the whole card transaction
	// (pyTeliumManager constant.py, DELAY_TERMINAL_ANSWER_TRANSACTION = 120).
	AnswerTimeout = 120 * time.Second
)
