package terminals

import (
	"crypto/rand"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// lastIDMillis makes attempt ids of one process strictly increasing.
var lastIDMillis atomic.Int64

// newAttemptID is a new payment attempt id: 10 lower-case letters and
// digits, the time in milliseconds (base 36, increasing) and two random
// characters. Ten characters fit every protocol's reference (Concert's
// PRIV holds ten), so an attempt id can be the reference the terminal
// echoes: a late answer then names its attempt.
func newAttemptID(now time.Time) string {
	ms := now.UnixMilli()
	for {
		last := lastIDMillis.Load()
		if ms <= last {
			ms = last + 1
		}
		if lastIDMillis.CompareAndSwap(last, ms) {
			break
		}
	}
	head := strconv.FormatInt(ms, 36)
	if len(head) < 8 {
		head = strings.Repeat("0", 8-len(head)) + head
	}
	var r [2]byte
	_, _ = rand.Read(r[:])
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	return head[len(head)-8:] + string([]byte{digits[int(r[0])%36], digits[int(r[1])%36]})
}
