package testutil

import (
	"bufio"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProxyForwardsAndCuts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = bufio.NewReader(c).WriteTo(c) }()
		}
	}()
	p := NewProxy(t, ln.Addr().String())
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
	_, err = r.ReadString('\n')
	require.Error(t, err, "a cut connection fails")
	c2, _ := echo() // new connections still pass
	c2.Close()
}
