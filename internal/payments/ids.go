package payments

import (
	"crypto/rand"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

var lastMillis atomic.Int64

// newID is prefix and ten lower-case letters and digits: the time in
// milliseconds (base 36, strictly increasing in this process, so ids sort
// by creation for paging) and two random characters. The ten characters
// alone fit every terminal protocol's reference (Concert's PRIV holds ten).
func newID(prefix string, now time.Time) string {
	ms := now.UnixMilli()
	for {
		last := lastMillis.Load()
		if ms <= last {
			ms = last + 1
		}
		if lastMillis.CompareAndSwap(last, ms) {
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
	return prefix + head[len(head)-8:] + string([]byte{digits[int(r[0])%36], digits[int(r[1])%36]})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
