package transport

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// listen starts a loopback listener that hands each accepted connection
// to the test.
func listen(t *testing.T) (net.Listener, <-chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	peers := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
			peers <- c
		}
	}()
	return ln, peers
}

func dial(t *testing.T, addr string) Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := DialTCP(ctx, addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func accept(t *testing.T, peers <-chan net.Conn) net.Conn {
	t.Helper()
	select {
	case p := <-peers:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no connection accepted")
		return nil
	}
}

func TestTCPExchangeAllByteValues(t *testing.T) {
	ln, peers := listen(t)
	c := dial(t, ln.Addr().String())
	peer := accept(t, peers)
	require.Equal(t, "tcp "+ln.Addr().String(), c.String())

	_, err := c.Write(allBytes())
	require.NoError(t, err)
	got := make([]byte, 256)
	require.NoError(t, peer.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = readFull(peer, got)
	require.NoError(t, err)
	require.Equal(t, allBytes(), got)

	_, err = peer.Write(allBytes())
	require.NoError(t, err)
	require.Equal(t, allBytes(), readConnN(t, c, 256))
}

func readFull(c net.Conn, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := c.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func TestTCPTimedReadWaitsInKernel(t *testing.T) {
	ln, peers := listen(t)
	c := dial(t, ln.Addr().String())
	accept(t, peers)
	assertIdleTimeout(t, c)
	_, err := c.ReadTimeout(make([]byte, 4), 0)
	require.ErrorIs(t, err, ErrTimeout, "timeout 0 takes only what is there")
}

func TestTCPDrain(t *testing.T) {
	ln, peers := listen(t)
	c := dial(t, ln.Addr().String())
	peer := accept(t, peers)
	_, err := peer.Write([]byte("stale garbage"))
	require.NoError(t, err)
	waitBuffered(t, c, len("stale garbage"))
	n, err := c.Drain()
	require.NoError(t, err)
	require.Equal(t, len("stale garbage"), n)
	_, err = c.ReadByteTimeout(20 * time.Millisecond)
	require.ErrorIs(t, err, ErrTimeout)
}

func TestTCPPeerCloseIsVanished(t *testing.T) {
	ln, peers := listen(t)
	c := dial(t, ln.Addr().String())
	peer := accept(t, peers)
	errc := make(chan error, 1)
	go func() {
		_, err := c.ReadTimeout(make([]byte, 8), 10*time.Second)
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, peer.Close())
	select {
	case err := <-errc:
		require.ErrorIs(t, err, ErrVanished)
		require.Contains(t, err.Error(), "terminal is switched on")
		t.Log(err)
	case <-time.After(10 * time.Second):
		t.Fatal("read still blocked after the peer closed")
	}
	_, err := c.Write([]byte{1})
	require.ErrorIs(t, err, ErrVanished)
}

func TestTCPCloseWakesBlockedRead(t *testing.T) {
	ln, peers := listen(t)
	c := dial(t, ln.Addr().String())
	accept(t, peers)
	assertCloseWakesRead(t, c)
}

func TestDialTCPRefusedIsVanished(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err = DialTCP(context.Background(), addr)
	require.ErrorIs(t, err, ErrVanished)
	t.Log(err)
}
