package chat

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// startServer runs a chat server on loopback until the test ends.
func startServer(t testing.TB, mod ...func(*ServerConfig)) *Server {
	t.Helper()
	cfg := DefaultServerConfig()
	cfg.Addr = "127.0.0.1:0"
	return serveBuilt(t, cfg, NewServer, mod)
}

// serveBuilt builds a component (a [Server], a [UDPPeer]) from cfg changed
// by each of mod in turn, and runs it until the test ends.
func serveBuilt[C any, S interface{ Run(context.Context) error }](t testing.TB, cfg C, build func(C) (S, error), mod []func(*C)) S {
	t.Helper()
	for _, m := range mod {
		m(&cfg)
	}
	s, err := build(cfg)
	require.NoError(t, err)
	testutil.Serve(t, s.Run)
	return s
}

// recorder keeps every event a Client receives.
type recorder struct {
	c      *Client
	mu     sync.Mutex
	events []Event
	closed bool
	done   chan struct{}
}

func record(c *Client) *recorder {
	r := &recorder{c: c, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for ev := range c.Events() {
			r.mu.Lock()
			r.events = append(r.events, ev)
			r.mu.Unlock()
		}
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
	}()
	return r
}

func (r *recorder) count(match func(Event) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ev := range r.events {
		if match(ev) {
			n++
		}
	}
	return n
}

func (r *recorder) has(match func(Event) bool) bool { return r.count(match) > 0 }

func (r *recorder) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

func (r *recorder) close() {
	_ = r.c.Close()
	<-r.done
}

func dialRec(t testing.TB, s *Server, nick string) *recorder {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, s.Addr().String(), nick)
	require.NoError(t, err)
	r := record(c)
	t.Cleanup(r.close)
	return r
}

func notice(text string) func(Event) bool {
	return func(ev Event) bool { return ev.Kind == EventNotice && ev.Text == text }
}

// raw is a bare TCP connection, as nc or telnet would make.
type raw struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(t testing.TB, s *Server) *raw {
	t.Helper()
	conn, err := net.Dial("tcp", s.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return &raw{t: t, conn: conn, r: bufio.NewReader(conn)}
}

func (r *raw) send(s string) {
	r.t.Helper()
	_, err := r.conn.Write([]byte(s))
	require.NoError(r.t, err)
}

// line reads the next line, failing the test after 5 s.
func (r *raw) line() string {
	r.t.Helper()
	require.NoError(r.t, r.conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	l, err := r.r.ReadString('\n')
	require.NoError(r.t, err, "read so far: %q", l)
	return strings.TrimSuffix(l, "\n")
}

// eof asserts that the server closed the connection.
func (r *raw) eof() {
	r.t.Helper()
	require.NoError(r.t, r.conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	rest, err := io.ReadAll(r.r)
	require.NoError(r.t, err, "the server closes the connection")
	assert.Empty(r.t, string(rest))
}

func (r *raw) login(nick string) {
	r.t.Helper()
	assert.Equal(r.t, "* netlab chat: send your nickname", r.line())
	r.send(nick + "\r\n") // telnet line ending
	require.True(r.t, strings.HasPrefix(r.line(), "* welcome "+nick))
}

// TestChatHundredClients runs the whole protocol with 100 clients: joins,
// nickname clash, /who, /all, /msg, a slow reader and /quit.
func TestChatHundredClients(t *testing.T) {
	const n = 100
	s := startServer(t, func(c *ServerConfig) { c.MaxClients = n + 10; c.MaxPerAddr = n + 10; c.QueueLen = 64 })
	users := make([]*recorder, n-1)
	nicks := make([]string, n-1)
	for i := range users {
		nicks[i] = fmt.Sprintf("user%03d", i)
		users[i] = dialRec(t, s, nicks[i])
	}
	// The hundredth client reads nothing at all, with a tiny receive buffer.
	sloth := dialRaw(t, s)
	require.NoError(t, sloth.conn.(*net.TCPConn).SetReadBuffer(4096))
	sloth.login("sloth")
	all := append(slices.Clone(nicks), "sloth")
	slices.Sort(all)

	// Nickname clash, whatever the case.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Dial(ctx, s.Addr().String(), "USER007")
	require.ErrorIs(t, err, ErrNickRejected)
	assert.ErrorContains(t, err, "taken")

	// Every earlier client saw every later one join.
	require.Eventually(t, func() bool { return users[0].has(notice("sloth joined")) }, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, n-1, users[0].count(func(ev Event) bool { return ev.Kind == EventNotice && strings.HasSuffix(ev.Text, " joined") }))

	// /who lists all hundred.
	require.NoError(t, users[42].c.Who())
	require.Eventually(t, func() bool {
		return users[42].has(func(ev Event) bool { return ev.Kind == EventUsers && slices.Equal(ev.Users, all) })
	}, 10*time.Second, 10*time.Millisecond)

	// Ten clients talk to everyone; everyone hears all ten, in each
	// sender's order.
	for i := 0; i < 10; i++ {
		require.NoError(t, users[i*9].c.All(fmt.Sprintf("hello from %s", nicks[i*9])))
	}
	// Everyone whispers to the next one.
	for i, u := range users {
		require.NoError(t, u.c.Msg(nicks[(i+1)%len(users)], "psst from "+nicks[i]))
	}
	for i, u := range users {
		require.Eventually(t, func() bool {
			return u.count(func(ev Event) bool { return ev.Kind == EventPublic && strings.HasPrefix(ev.Text, "hello from ") }) == 10 &&
				u.count(func(ev Event) bool { return ev.Kind == EventPrivate }) == 1
		}, 10*time.Second, 10*time.Millisecond, "client %d", i)
		prev := nicks[(i+len(users)-1)%len(users)]
		assert.True(t, u.has(func(ev Event) bool {
			return ev.Kind == EventPrivate && ev.From == prev && ev.Text == "psst from "+prev
		}), "client %d got its whisper from %s", i, prev)
	}

	// Unknown user.
	require.NoError(t, users[1].c.Msg("nobody", "hi"))
	require.Eventually(t, func() bool {
		return users[1].has(func(ev Event) bool { return ev.Kind == EventError && ev.Text == "no such user: nobody" })
	}, 10*time.Second, 10*time.Millisecond)

	// The slow client: whisper to it until its queue overflows. Only it is
	// cut off; the others keep chatting.
	big := strings.Repeat("z", 400)
	require.Eventually(t, func() bool {
		for k := 0; k < 10; k++ {
			if err := users[2].c.Msg("sloth", big); err != nil {
				return false
			}
		}
		return s.Stats().Slow == 1
	}, 20*time.Second, time.Millisecond, "the sloth is disconnected")
	require.Eventually(t, func() bool { return users[3].has(notice("sloth left")) }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, users[4].c.All("still here"))
	for i, u := range users {
		require.Eventually(t, func() bool {
			return u.has(func(ev Event) bool { return ev.Kind == EventPublic && ev.Text == "still here" })
		}, 10*time.Second, 10*time.Millisecond, "client %d", i)
	}

	// /quit: a polite goodbye, an announcement, and the user is gone.
	last := users[len(users)-1]
	require.NoError(t, last.c.Quit())
	require.Eventually(t, last.isClosed, 10*time.Second, 10*time.Millisecond)
	assert.True(t, last.has(notice("bye "+nicks[len(nicks)-1])))
	require.Eventually(t, func() bool { return users[0].has(notice(nicks[len(nicks)-1] + " left")) }, 10*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool { return len(s.Users()) == n-2 }, 10*time.Second, 10*time.Millisecond)
	assert.NotContains(t, s.Users(), "sloth")
}

func TestChatNicknameValidation(t *testing.T) {
	s := startServer(t, func(c *ServerConfig) { c.NickAttempts = 2 })
	r := dialRaw(t, s)
	assert.Equal(t, "* netlab chat: send your nickname", r.line())
	r.send("9lives\n")
	assert.True(t, strings.HasPrefix(r.line(), "! invalid nickname: "))
	r.send("still bad\n")
	assert.True(t, strings.HasPrefix(r.line(), "! invalid nickname: "))
	assert.Equal(t, "! too many attempts; closing", r.line())
	r.eof()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Dial(ctx, s.Addr().String(), "has space")
	assert.ErrorIs(t, err, ErrNickRejected)
}

func TestChatUnknownCommandGetsHelp(t *testing.T) {
	s := startServer(t)
	r := dialRaw(t, s)
	r.login("alice")
	r.send("/dance\n")
	assert.Equal(t, `! unknown command "/dance"; `+HelpText, r.line())
	r.send("/all\n")
	assert.Equal(t, "! wrong use of command: /all <text>", r.line())
	r.send("/help\n")
	assert.Equal(t, "* "+HelpText, r.line())
	r.send("plain text goes to all\n")
	assert.Equal(t, "<alice> plain text goes to all", r.line())
}

func TestChatBadInputClosesOnlyThatConnection(t *testing.T) {
	s := startServer(t, func(c *ServerConfig) { c.MaxLineBytes = 64 })
	good := dialRec(t, s, "good")

	bin := dialRaw(t, s)
	bin.login("binary")
	bin.send("\x00\x01\xff\xfe garbage\n")
	assert.True(t, strings.HasPrefix(bin.line(), "! line is not text"))
	bin.eof()

	long := dialRaw(t, s)
	long.login("long")
	long.send(strings.Repeat("x", 300)) // no newline, just too much
	assert.Equal(t, "! line longer than 64 bytes; closing", long.line())
	long.eof()

	// Garbage before login is handled the same way.
	pre := dialRaw(t, s)
	assert.Equal(t, "* netlab chat: send your nickname", pre.line())
	pre.send("\x1b[2J\n")
	assert.True(t, strings.HasPrefix(pre.line(), "! line is not text"))
	pre.eof()

	require.NoError(t, good.c.All("unharmed"))
	require.Eventually(t, func() bool {
		return good.has(func(ev Event) bool { return ev.Kind == EventPublic && ev.Text == "unharmed" })
	}, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, uint64(3), s.Stats().BadInput)
	assert.Equal(t, []string{"good"}, s.Users())
}

func TestChatMaxClients(t *testing.T) {
	s := startServer(t, func(c *ServerConfig) { c.MaxClients = 2 })
	dialRec(t, s, "a")
	dialRaw(t, s).line() // connected, not logged in: still counts
	full := dialRaw(t, s)
	assert.Equal(t, "! server full (2 clients); try again later", full.line())
	full.eof()
	assert.Equal(t, uint64(1), s.Stats().Rejected)
}

func TestChatIdleTimeout(t *testing.T) {
	s := startServer(t, func(c *ServerConfig) { c.IdleTimeout = 150 * time.Millisecond })
	r := dialRaw(t, s)
	r.login("dozy")
	assert.Equal(t, "* idle for 150ms; closing", r.line())
	r.eof()
	assert.Equal(t, uint64(1), s.Stats().Idle)
}

func TestChatGracefulShutdownTellsClients(t *testing.T) {
	cfg := DefaultServerConfig()
	cfg.Addr = "127.0.0.1:0"
	s, err := NewServer(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	a := dialRec(t, s, "alice")
	b := dialRaw(t, s)
	b.login("bob")
	cancel()
	require.NoError(t, testutil.Recv(t, done, 10*time.Second, "return of Run"))
	require.Eventually(t, a.isClosed, 5*time.Second, 5*time.Millisecond)
	assert.True(t, a.has(notice("server shutting down")))
	for {
		l := b.line()
		if l == "* server shutting down" {
			break
		}
	}
	b.eof()
	_, err = net.DialTimeout("tcp", s.Addr().String(), time.Second)
	assert.Error(t, err, "the listener is closed")
}

func TestServerConfigValidation(t *testing.T) {
	for field, mod := range map[string]func(*ServerConfig){
		"MaxClients":    func(c *ServerConfig) { c.MaxClients = -1 },
		"MaxLineBytes":  func(c *ServerConfig) { c.MaxLineBytes = 3 },
		"QueueLen":      func(c *ServerConfig) { c.QueueLen = -1 },
		"IdleTimeout":   func(c *ServerConfig) { c.IdleTimeout = -1 },
		"WriteTimeout":  func(c *ServerConfig) { c.WriteTimeout = -1 },
		"ShutdownGrace": func(c *ServerConfig) { c.ShutdownGrace = -1 },
		"NickAttempts":  func(c *ServerConfig) { c.NickAttempts = -1 },
		"MaxPerAddr":    func(c *ServerConfig) { c.MaxPerAddr = -1 },
		"NickTimeout":   func(c *ServerConfig) { c.NickTimeout = -time.Second },
		"MaxAnnounce":   func(c *ServerConfig) { c.MaxAnnounce = -1 },
	} {
		cfg := DefaultServerConfig()
		cfg.Addr = "127.0.0.1:0"
		mod(&cfg)
		_, err := NewServer(cfg)
		require.Error(t, err, field)
		assert.Contains(t, err.Error(), field)
	}
}

// newLoopbackServer builds a server on a free loopback port, not running.
func newLoopbackServer(t *testing.T) *Server {
	t.Helper()
	cfg := DefaultServerConfig()
	cfg.Addr = "127.0.0.1:0"
	s, err := NewServer(cfg)
	require.NoError(t, err)
	return s
}

// requirePortFree binds addr again, which works only once it was released.
func requirePortFree(t *testing.T, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err, "%s is still bound", addr)
	require.NoError(t, ln.Close())
}

// TestServerCloseWithoutRun closes a server that never ran: the port is
// free again, a second Close is harmless and Run refuses to start.
func TestServerCloseWithoutRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	s := newLoopbackServer(t)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	requirePortFree(t, s.Addr().String())
	require.ErrorIs(t, s.Run(context.Background()), net.ErrClosed, "Run after Close")
}

// TestServerCloseDuringRun stops a running server with Close instead of
// its context: Run says goodbye to the client, returns nil and frees the port.
func TestServerCloseDuringRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	s := newLoopbackServer(t)
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	b := dialRaw(t, s)
	b.login("bob")
	require.ErrorContains(t, s.Run(context.Background()), "Run called twice")

	require.NoError(t, s.Close())
	require.NoError(t, testutil.Recv(t, done, 10*time.Second, "return of Run after Close"))
	l := b.line()
	for l != "* server shutting down" { // lines queued before the goodbye
		l = b.line()
	}
	b.eof()
	require.NoError(t, s.Close(), "Close after Run is harmless")
	requirePortFree(t, s.Addr().String())
	require.ErrorIs(t, s.Run(context.Background()), net.ErrClosed, "Run after Close")
}

// dialFrom connects from a given loopback source address (all of 127/8 is
// loopback on Linux), as a distinct host would.
func dialFrom(t testing.TB, s *Server, src string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", s.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// firstLine reads the server's first line on conn.
func firstLine(t testing.TB, conn net.Conn) string {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	l, err := bufio.NewReader(conn).ReadString('\n')
	require.NoError(t, err)
	return strings.TrimSuffix(l, "\n")
}

// TestChatSilentConnectionsFromOneHost is the exhaustion attack of issue 17:
// 300 connections from one address that never send a nickname. Only
// MaxPerAddr of them get a slot, the rest are refused at once, and a real
// client from another address still gets in.
func TestChatSilentConnectionsFromOneHost(t *testing.T) {
	s := startServer(t) // the default limits: 256 clients, 16 per address
	var limited int
	for range 300 {
		c := dialFrom(t, s, "127.0.0.2")
		if firstLine(t, c) == fmt.Sprintf("! too many connections from your address (%d); try again later", DefaultMaxPerAddr) {
			limited++
		}
	}
	assert.Equal(t, 300-DefaultMaxPerAddr, limited)
	assert.Equal(t, uint64(300-DefaultMaxPerAddr), s.Stats().Limited)

	dialRec(t, s, "alice") // from 127.0.0.1; Dial returns once the server welcomed alice
	assert.Equal(t, []string{"alice"}, s.Users())
}

// TestChatSilentConnectionsFromManyHosts spreads the 300 silent connections
// over 30 addresses, each under MaxPerAddr, so that they fill MaxClients.
// The nickname deadline frees their slots, and a real client gets in.
func TestChatSilentConnectionsFromManyHosts(t *testing.T) {
	s := startServer(t, func(c *ServerConfig) {
		c.MaxClients = 200
		c.NickTimeout = 2 * time.Second // longer than 300 dials take, even under -race
	})
	silent := make([]net.Conn, 0, 300)
	for i := range 300 {
		silent = append(silent, dialFrom(t, s, fmt.Sprintf("127.0.1.%d", 1+i%30)))
	}
	// The slots are taken: the connections beyond MaxClients are told the
	// server is full...
	readers := make([]*bufio.Reader, len(silent))
	full := 0
	for i, c := range silent {
		readers[i] = bufio.NewReader(c)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
		l, err := readers[i].ReadString('\n')
		require.NoError(t, err)
		if l == "! server full (200 clients); try again later\n" {
			full++
		} else {
			require.Equal(t, "* netlab chat: send your nickname\n", l)
		}
	}
	require.Positive(t, full, "the silent connections filled MaxClients")
	// ...until the silent ones run out of time for their nickname.
	var c *Client
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var err error
		c, err = Dial(ctx, s.Addr().String(), "alice")
		return err == nil
	}, 30*time.Second, 50*time.Millisecond, "a real client never got in")
	r := record(c)
	t.Cleanup(r.close)
	assert.Equal(t, []string{"alice"}, s.Users())
	require.Eventually(t, func() bool { return s.Stats().NoNick == uint64(300-full) }, 30*time.Second, 5*time.Millisecond,
		"every silent connection that got a slot is closed for want of a nickname: %+v", s.Stats())

	// What a silent connection with a slot saw after the greeting: the
	// reason it was closed.
	reason, err := readers[0].ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "! no nickname within 2s; closing\n", reason)
}

func TestChatNicknameDeadlineCoversEveryAttempt(t *testing.T) {
	s := startServer(t, func(c *ServerConfig) { c.NickTimeout = 300 * time.Millisecond; c.NickAttempts = 100 })
	r := dialRaw(t, s)
	assert.Equal(t, "* netlab chat: send your nickname", r.line())
	// Wrong nicknames keep the connection talking but buy no time. (The
	// sleep paces the attacker; nothing waits on it.)
	for {
		time.Sleep(20 * time.Millisecond)
		r.send("1bad\n")
		l := r.line()
		if l == "! no nickname within 300ms; closing" {
			break
		}
		require.True(t, strings.HasPrefix(l, "! invalid nickname"), "%q", l)
	}
	r.eof()
	assert.Equal(t, uint64(1), s.Stats().NoNick)
}

// TestChatMaxAnnounce checks that joins and leaves are announced only while
// at most MaxAnnounce users are online.
func TestChatMaxAnnounce(t *testing.T) {
	s := startServer(t, func(c *ServerConfig) { c.MaxAnnounce = 2 })
	a := dialRec(t, s, "alice")
	dialRec(t, s, "bob") // the second user: announced
	require.Eventually(t, func() bool { return a.has(notice("bob joined")) }, 10*time.Second, 10*time.Millisecond)
	carol := dialRec(t, s, "carol") // the third: not announced
	carol.close()
	require.Eventually(t, func() bool { return len(s.Users()) == 2 }, 10*time.Second, 10*time.Millisecond)
	dave := dialRec(t, s, "dave") // the third again: not announced
	// Everything the server sends alice is in order: once she has the
	// answer to a /who sent after dave logged in, a join notice for him
	// would have arrived before it.
	require.NoError(t, a.c.Who())
	require.Eventually(t, func() bool {
		return a.has(func(ev Event) bool { return ev.Kind == EventUsers && slices.Contains(ev.Users, "dave") })
	}, 10*time.Second, 10*time.Millisecond)
	dave.close() // three online before he leaves: not announced
	require.Eventually(t, func() bool { return len(s.Users()) == 2 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, a.c.Who())
	require.Eventually(t, func() bool {
		return a.count(func(ev Event) bool { return ev.Kind == EventUsers }) == 2
	}, 10*time.Second, 10*time.Millisecond)
	assert.False(t, a.has(notice("carol joined")), "carol joined a room of 3")
	assert.False(t, a.has(notice("carol left")), "carol left a room of 3")
	assert.False(t, a.has(notice("dave joined")), "dave joined a room of 3")
	assert.False(t, a.has(notice("dave left")), "dave left a room of 3")
	// bob leaves a room of 2: announced.
	require.NoError(t, s.lookup("bob").conn.Close())
	require.Eventually(t, func() bool { return a.has(notice("bob left")) }, 10*time.Second, 10*time.Millisecond)
}

// TestChatBlockedClientGetsEverythingInOrder fills one client's socket
// (it reads nothing for a while, with a small receive buffer): its lines
// wait in its queue while a writer of its own waits for the socket, and
// once it reads, every line arrives, in order, in fewer write system calls
// than lines.
func TestChatBlockedClientGetsEverythingInOrder(t *testing.T) {
	const lines = 200 // 100 KB, more than the two sockets hold; within QueueLen: the client is slow, not cut off
	s := startServer(t, func(c *ServerConfig) { c.QueueLen = lines + 10 })
	slow := dialRaw(t, s)
	require.NoError(t, slow.conn.(*net.TCPConn).SetReadBuffer(4096))
	slow.login("slow")
	require.NoError(t, s.lookup("slow").conn.(*net.TCPConn).SetWriteBuffer(4096)) // the server's end
	talker := dialRec(t, s, "talker")
	assert.Equal(t, "* talker joined", slow.line())
	pad := strings.Repeat("p", 480)
	before := s.Stats()
	for i := range lines {
		require.NoError(t, talker.c.Msg("slow", fmt.Sprintf("%03d %s", i, pad)))
	}
	// All queued (or written) before the slow client reads a byte.
	require.Eventually(t, func() bool { return s.Stats().Delivered-before.Delivered >= lines },
		10*time.Second, time.Millisecond)
	for i := range lines {
		assert.Equal(t, fmt.Sprintf("*talker* %03d %s", i, pad), slow.line())
	}
	after := s.Stats()
	assert.Zero(t, after.Slow, "nobody was cut off")
	assert.Less(t, after.Writes-before.Writes, uint64(lines), "lines that waited left together")
}

// TestChatWriteTimeoutClosesStuckClient fills the socket of a client that
// never reads: the write that waits for it gives up after WriteTimeout and
// the connection is closed, though the queue never overflowed.
func TestChatWriteTimeoutClosesStuckClient(t *testing.T) {
	s := startServer(t, func(c *ServerConfig) { c.WriteTimeout = 200 * time.Millisecond; c.QueueLen = 10000 })
	stuck := dialRaw(t, s)
	require.NoError(t, stuck.conn.(*net.TCPConn).SetReadBuffer(4096))
	stuck.login("stuck")
	require.NoError(t, s.lookup("stuck").conn.(*net.TCPConn).SetWriteBuffer(4096)) // the server's end
	talker := dialRec(t, s, "talker")
	pad := strings.Repeat("p", 400)
	for range 300 { // 120 KB: far more than the two sockets hold
		require.NoError(t, talker.c.Msg("stuck", pad))
	}
	require.Eventually(t, func() bool { return !slices.Contains(s.Users(), "stuck") }, 10*time.Second, 10*time.Millisecond)
	assert.Zero(t, s.Stats().Slow, "closed by the write timeout, not by an overflowing queue")
	assert.Equal(t, []string{"talker"}, s.Users())
}

// TestOnlineSliceFollowsLogins: the slice that broadcasts walk holds
// exactly the logged-in clients, each at its slot, through logouts from
// the middle, the end and the start.
func TestOnlineSliceFollowsLogins(t *testing.T) {
	s, err := NewServer(ServerConfig{})
	require.NoError(t, err)
	defer s.Close()
	clients := make([]*client, 6)
	for i := range clients {
		clients[i] = newClient(s, nil)
		_, err := s.register(clients[i], fmt.Sprintf("u%d", i))
		require.NoError(t, err)
	}
	for _, gone := range []int{2, 5, 0} {
		s.logout(clients[gone])
		s.mu.RLock()
		require.Len(t, s.online, len(s.nicks))
		for slot, c := range s.online {
			require.Equal(t, slot, c.slot)
			require.Same(t, c, s.nicks[strings.ToLower(c.nick)])
		}
		s.mu.RUnlock()
	}
}
