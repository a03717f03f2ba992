package amqpdemo

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cutProxy forwards TCP connections to the broker and can cut them all at
// once, as a broker crash or a network failure would, without disturbing
// the shared broker or anyone else's connections.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &cutProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, u)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); _, _ = io.Copy(u, c); u.Close() }()
		go func() { defer p.wg.Done(); _, _ = io.Copy(c, u); c.Close() }()
	}
}

// cut closes every forwarded connection.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestSenderAndReceiverSurviveACutConnection cuts the TCP connections of a
// sender and a receiver; both reconnect, and routed and unroutable messages
// are still told apart on the new connection.
func TestSenderAndReceiverSurviveACutConnection(t *testing.T) {
	cfg := brokerConfig(t)
	u, err := url.Parse(cfg.URL)
	require.NoError(t, err)
	proxy := newCutProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	cfg.URL = u.String()
	cfg.ReconnectMin, cfg.ReconnectMax = 10*time.Millisecond, 100*time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	r, err := NewReceiver(ctx, cfg, []string{"cut.#"}, nil)
	require.NoError(t, err)
	runReceiver(t, r)
	s, err := NewSender(ctx, cfg)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Publish(ctx, "cut.before", []byte("1")))

	proxy.cut()
	// The receiver's queue is exclusive and went with its connection;
	// wait until it has bound a new one before publishing again.
	require.Eventually(t, func() bool { return r.Reconnects() >= 1 }, 30*time.Second, 5*time.Millisecond)
	require.NoError(t, s.Publish(ctx, "cut.after", []byte("2")))
	require.ErrorIs(t, s.Publish(ctx, "nobody.after", []byte("3")), ErrUnroutable)

	assert.GreaterOrEqual(t, s.Stats().Reconnects, uint64(1))
	assert.Equal(t, uint64(2), s.Stats().Confirmed)
	assert.Equal(t, uint64(1), s.Stats().Unroutable)
	require.Eventually(t, func() bool { return len(r.Messages("cut.after")) == 1 }, 10*time.Second, 5*time.Millisecond)
}
