package testutil

import (
	"bufio"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

// echoServer echoes every connection until the test ends.
func echoServer(t *testing.T) string {
	return ServeConns(t, func(c net.Conn) { _, _ = bufio.NewReader(c).WriteTo(c) }).String()
}

func TestProxyForwardsAndCuts(t *testing.T) {
	p := NewProxy(t, echoServer(t))
	echo := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", p.Addr())
		require.NoError(t, err)
		_, err = c.Write([]byte("hi\n"))
		require.NoError(t, err)
		r := bufio.NewReader(c)
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "hi\n", line)
		return c, r
	}
	c, r := echo()
	defer c.Close()
	require.Equal(t, 1, p.Cut())
	_, err := r.ReadString('\n')
	require.Error(t, err, "a cut connection fails")
	c2, _ := echo() // new connections still pass
	c2.Close()
}

// TestProxyCutAfter: the first connection to send more than the limit
// towards the target is cut right after those bytes reach it; the next one
// is not.
func TestProxyCutAfter(t *testing.T) {
	got := make(chan int, 2) // bytes each connection delivered to the target
	target := ServeConns(t, func(c net.Conn) { b, _ := io.ReadAll(c); got <- len(b) })
	p := NewProxy(t, target.String())
	p.CutAfter(10)

	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write(make([]byte, 11))
	require.NoError(t, err)
	require.Equal(t, 11, <-got, "the bytes that passed the limit reached the target, then the cut")
	_, err = c.Read(make([]byte, 1))
	require.Error(t, err, "the client's side is cut too")

	c2, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	_, err = c2.Write(make([]byte, 100))
	require.NoError(t, err)
	_, err = c2.Write(make([]byte, 5))
	require.NoError(t, err)
	require.NoError(t, c2.(*net.TCPConn).CloseWrite())
	require.Equal(t, 105, <-got, "only the first connection is cut")
	require.NoError(t, c2.Close())
}
