package transport

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// events collects OnReconnect reports.
type events struct {
	mu   sync.Mutex
	list []Reconnect
}

func (e *events) add(r Reconnect) { e.mu.Lock(); e.list = append(e.list, r); e.mu.Unlock() }
func (e *events) all() []Reconnect {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Reconnect(nil), e.list...)
}

func TestReconnectingPTY(t *testing.T) {
	// A simulator restarted on a new pty has a new slave path: the open
	// function looks it up each time.
	var mu sync.Mutex
	current := newPTY(t)
	slavePath := current.SlavePath
	path := func() string { mu.Lock(); defer mu.Unlock(); return slavePath }
	failed := make(chan struct{}, 1) // an open attempt failed
	open := func(context.Context) (Conn, error) {
		c, err := OpenSerial(ZVTSerial(path()))
		if err != nil {
			select {
			case failed <- struct{}{}:
			default:
			}
		}
		return c, err
	}

	var ev events
	r := NewReconnecting("T1", open, ReconnectOptions{MinBackoff: 10 * time.Millisecond, MaxWait: 10 * time.Second, OnReconnect: ev.add})
	defer r.Close()

	_, err := r.Write([]byte{0x06, 0x00})
	require.NoError(t, err)
	require.Equal(t, []byte{0x06, 0x00}, readFileN(t, current.Master, 2))
	require.EqualValues(t, 1, r.Generation())

	// cable pulled: the loss reaches the driver, nothing is resent
	require.NoError(t, current.Close())
	mu.Lock()
	slavePath = "/dev/pts/feepos-test-gone" // Linux reuses pty numbers: make the gap visible
	mu.Unlock()
	_, err = r.ReadByteTimeout(10 * time.Second)
	require.ErrorIs(t, err, ErrVanished)

	// the terminal comes back later, on another path: after the first
	// reopen attempt found the old path gone
	second := newPTY(t)
	go func() {
		<-failed
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		slavePath = second.SlavePath
		mu.Unlock()
	}()
	_, err = r.Write([]byte{0x05, 0x01})
	require.NoError(t, err)
	require.Equal(t, []byte{0x05, 0x01}, readFileN(t, second.Master, 2), "only the new write arrives")
	require.EqualValues(t, 2, r.Generation())
	require.Equal(t, second.SlavePath, path())

	evs := ev.all()
	require.Len(t, evs, 2)
	require.Nil(t, evs[0].Cause)
	require.ErrorIs(t, evs[1].Cause, ErrVanished)
	require.Greater(t, evs[1].Attempts, 1, "the first attempts found the old, gone path")
	t.Logf("reconnect: %+v", evs[1])

	_, err = second.Master.Write([]byte{0x80, 0x00, 0x00})
	require.NoError(t, err)
	require.Equal(t, []byte{0x80, 0x00, 0x00}, readConnN(t, r, 3))
}

func TestReconnectingGivesUpAfterMaxWait(t *testing.T) {
	r := NewReconnecting("T9", SerialOpener(ZVTSerial("/dev/ttyACM98")), ReconnectOptions{MinBackoff: 20 * time.Millisecond, MaxWait: 300 * time.Millisecond})
	defer r.Close()
	start := time.Now()
	_, err := r.Write([]byte{1})
	require.ErrorIs(t, err, ErrVanished)
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	require.Less(t, time.Since(start), 5*time.Second, "gave up after MaxWait, give or take a busy machine")
	require.Contains(t, err.Error(), "still gone after")
	t.Log(err)

	// a wrong setting is not waited for: one attempt, however long the
	// allowed wait
	bad := ZVTSerial("/dev/ttyACM98")
	bad.Parity = "x"
	attempts := 0
	open := func(ctx context.Context) (Conn, error) {
		attempts++
		return SerialOpener(bad)(ctx)
	}
	r2 := NewReconnecting("T9", open, ReconnectOptions{MinBackoff: time.Hour, MaxWait: time.Hour})
	_, err = r2.Write([]byte{1})
	require.ErrorIs(t, err, ErrInvalidConfig)
	require.Equal(t, 1, attempts)
}

func TestReconnectingCloseStopsReopenWait(t *testing.T) {
	r := NewReconnecting("T9", SerialOpener(ZVTSerial("/dev/ttyACM98")), ReconnectOptions{MaxWait: 10 * time.Second})
	errc := make(chan error, 1)
	go func() { _, err := r.Write([]byte{1}); errc <- err }()
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, r.Close())
	select {
	case err := <-errc:
		require.ErrorIs(t, err, ErrClosed)
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not stop the reopen wait")
	}
}

func TestReconnectingTCP(t *testing.T) {
	ln, peers := listen(t)
	addr := ln.Addr().String()
	var ev events
	r := NewReconnecting("T2", TCPOpener(addr), ReconnectOptions{MinBackoff: 10 * time.Millisecond, MaxWait: 10 * time.Second, OnReconnect: ev.add})
	defer r.Close()
	require.NoError(t, r.Reopen(context.Background()))
	peer := accept(t, peers)

	_, err := peer.Write([]byte{0x80, 0x00, 0x00})
	require.NoError(t, err)
	require.Equal(t, []byte{0x80, 0x00, 0x00}, readConnN(t, r, 3))

	// terminal restarts: the connection drops and the listener goes away
	require.NoError(t, peer.Close())
	require.NoError(t, ln.Close())
	_, err = r.ReadTimeout(make([]byte, 4), 10*time.Second)
	require.ErrorIs(t, err, ErrVanished)

	// ...and comes back on the same address a little later
	var ln2 net.Listener
	ready := make(chan struct{})
	go func() {
		defer close(ready)
		time.Sleep(100 * time.Millisecond)
		ln2, err = net.Listen("tcp", addr)
	}()
	<-ready
	require.NoError(t, err)
	defer ln2.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln2.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	_, err = r.Write([]byte{0x06, 0x00, 0x00})
	require.NoError(t, err)
	peer2 := accept(t, accepted)
	defer peer2.Close()
	got := make([]byte, 3)
	require.NoError(t, peer2.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = readFull(peer2, got)
	require.NoError(t, err)
	require.Equal(t, []byte{0x06, 0x00, 0x00}, got)
	require.EqualValues(t, 2, r.Generation())
	require.Len(t, ev.all(), 2)
}
