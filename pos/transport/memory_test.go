package transport

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMemoryPerConn notes what an open Conn costs on the Go heap (the
// target for a connected terminal, driver included, is under 1 MB).
func TestMemoryPerConn(t *testing.T) {
	const n = 20
	measure := func(open func(i int) Conn) (allocated, retained uint64) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		conns := make([]Conn, n)
		for i := range conns {
			conns[i] = open(i)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		for _, c := range conns {
			require.NoError(t, c.Close())
		}
		retained = 0
		if after.HeapAlloc > before.HeapAlloc {
			retained = (after.HeapAlloc - before.HeapAlloc) / n
		}
		return (after.TotalAlloc - before.TotalAlloc) / n, retained
	}

	ptys := make([]*PTY, n)
	for i := range ptys {
		ptys[i] = newPTY(t)
	}
	alloc, kept := measure(func(i int) Conn { return openSerialPTY(t, ptys[i], ZVTSerial) })
	t.Logf("serial (pty): %d bytes allocated, %d bytes kept on the heap per open Conn", alloc, kept)
	require.Less(t, alloc, uint64(1<<20))

	ln, peers := listen(t)
	alloc, kept = measure(func(int) Conn { c := dial(t, ln.Addr().String()); accept(t, peers); return c })
	t.Logf("tcp: %d bytes allocated, %d bytes kept on the heap per open Conn (the test's accepted peer included)", alloc, kept)
	require.Less(t, alloc, uint64(1<<20))
}
