package chat

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netlab-go/netlab/internal/calls"
)

// ServerConfig configures the TCP chat [Server]. A zero field means its
// default, the value in [DefaultServerConfig], so ServerConfig{} is a server
// on a loopback port of the kernel's choice.
type ServerConfig struct {
	// Addr is the TCP address to listen on; port 0 picks a free one.
	Addr string
	// MaxClients bounds the open connections, logged in or not; one more is
	// told "! server full" and closed.
	MaxClients int
	// MaxPerAddr bounds the open connections from one IP address; one more
	// is told "! too many connections from your address" and closed, so that
	// one host cannot take every one of MaxClients. Zero means
	// [DefaultMaxPerAddr].
	MaxPerAddr int
	// NickTimeout is how long a new connection has to send an acceptable
	// nickname (all NickAttempts included) before it is closed, so that
	// connections that never log in do not hold a slot for IdleTimeout.
	// Zero means [DefaultNickTimeout].
	NickTimeout time.Duration
	// MaxLineBytes bounds a line from a client; a longer one closes that
	// connection.
	MaxLineBytes int
	// QueueLen is each client's write queue, in lines. A client whose queue
	// overflows (it reads slower than the chat talks) is disconnected.
	QueueLen int
	// IdleTimeout closes a connection that sends nothing for this long.
	IdleTimeout time.Duration
	// WriteTimeout closes a connection whose socket stays full: once the
	// client's socket takes no more, a write waits for it at most this long
	// (and one write carries at most QueueLen lines).
	WriteTimeout time.Duration
	// ShutdownGrace is how long Run waits, once ctx ends, for the goodbye
	// lines to reach clients before it closes their connections; it ends
	// sooner when every client has read its goodbye. Zero means 2 s.
	ShutdownGrace time.Duration
	// MaxAnnounce bounds the room in which joins and leaves are announced:
	// "* alice joined" goes to everyone only while at most MaxAnnounce
	// users are online, and the same for "left". Each announcement is one
	// line per user, so N users joining a silent room cost N²/2 lines (50
	// million for 10,000 users); Twitch's IRC gateway stops sending JOIN
	// and PART above 1,000 users for the same reason. /who still lists
	// everyone. Zero means [DefaultMaxAnnounce].
	MaxAnnounce int
	// NickAttempts is how many nicknames a connection may try.
	NickAttempts int
	// Logger receives connection records; nil is silent.
	Logger *slog.Logger
}

// Defaults of the [ServerConfig] fields whose zero value means "default".
const (
	DefaultMaxPerAddr  = 16
	DefaultNickTimeout = 10 * time.Second
	DefaultMaxAnnounce = 1000
)

// DefaultServerConfig listens on 127.0.0.1 at a port of the kernel's choice
// ([Server.Addr] tells which; examples/tcpchat uses the course's 23433) for
// up to 256 clients, at most [DefaultMaxPerAddr] from one address, with
// 512-byte lines, 256-line queues, [DefaultNickTimeout] to log in, joins
// announced up to [DefaultMaxAnnounce] users, a
// 5-minute idle timeout, a 10-second write timeout and a 2-second shutdown
// grace.
func DefaultServerConfig() ServerConfig {
	return ServerConfig{
		Addr: "127.0.0.1:0", MaxClients: 256, MaxPerAddr: DefaultMaxPerAddr, MaxLineBytes: 512, QueueLen: 256,
		NickTimeout: DefaultNickTimeout, MaxAnnounce: DefaultMaxAnnounce, IdleTimeout: 5 * time.Minute, WriteTimeout: 10 * time.Second,
		ShutdownGrace: 2 * time.Second, NickAttempts: 3,
	}
}

func (c ServerConfig) validate() error {
	switch {
	case c.Addr == "":
		return errors.New("chat: ServerConfig.Addr is empty")
	case c.MaxClients < 1:
		return fmt.Errorf("chat: ServerConfig.MaxClients %d must be at least 1", c.MaxClients)
	case c.MaxPerAddr < 0:
		return fmt.Errorf("chat: ServerConfig.MaxPerAddr %d is negative", c.MaxPerAddr)
	case c.NickTimeout < 0:
		return fmt.Errorf("chat: ServerConfig.NickTimeout %v is negative", c.NickTimeout)
	case c.MaxAnnounce < 0:
		return fmt.Errorf("chat: ServerConfig.MaxAnnounce %d is negative", c.MaxAnnounce)
	case c.MaxLineBytes < 16 || c.MaxLineBytes > 1<<20:
		return fmt.Errorf("chat: ServerConfig.MaxLineBytes %d outside 16..1048576", c.MaxLineBytes)
	case c.QueueLen < 1:
		return fmt.Errorf("chat: ServerConfig.QueueLen %d must be at least 1", c.QueueLen)
	case c.IdleTimeout <= 0:
		return fmt.Errorf("chat: ServerConfig.IdleTimeout %v must be positive", c.IdleTimeout)
	case c.WriteTimeout <= 0:
		return fmt.Errorf("chat: ServerConfig.WriteTimeout %v must be positive", c.WriteTimeout)
	case c.ShutdownGrace < 0:
		return fmt.Errorf("chat: ServerConfig.ShutdownGrace %v is negative", c.ShutdownGrace)
	case c.NickAttempts < 1:
		return fmt.Errorf("chat: ServerConfig.NickAttempts %d must be at least 1", c.NickAttempts)
	}
	return nil
}

// ServerStats counts what a [Server] did. Read it with [Server.Stats].
type ServerStats struct {
	Accepted  uint64 // connections accepted
	Rejected  uint64 // connections refused because MaxClients were open
	Limited   uint64 // connections refused because MaxPerAddr were open from that address
	NoNick    uint64 // connections closed because no nickname came within NickTimeout
	Online    int    // users logged in now
	Delivered uint64 // lines queued to clients (one /all to n users counts n)
	Writes    uint64 // write system calls that carried them: Delivered/Writes lines per call
	Slow      uint64 // clients disconnected because their queue overflowed
	BadInput  uint64 // connections closed for binary data or an overlong line
	Idle      uint64 // connections closed by the idle timeout
}

// Server is the multithreaded TCP chat server: one goroutine reads each
// client's lines, and a few writer goroutines (one per core) write every
// client's queue, each queue in one system call that never waits; a client
// whose socket is full gets a writer of its own until it catches up, so a
// slow reader delays nobody but itself. See the package documentation for
// the protocol and the design.
type Server struct {
	cfg     ServerConfig
	ln      net.Listener
	log     *slog.Logger
	closing atomic.Bool
	wg      sync.WaitGroup

	life    calls.Once    // Run begins once, and not after Close
	stopped chan struct{} // closed by Close: Run stops as if ctx ended

	ready   chan *client   // clients with queued lines, for the writers
	writers sync.WaitGroup // the writer goroutines

	mu     sync.RWMutex
	conns  map[*client]struct{} // every open connection
	nicks  map[string]*client   // logged-in users by lower-case nickname
	online []*client            // the same users in a slice, for broadcasts (see client.slot)
	byAddr map[netip.Addr]int   // open connections per remote address

	accepted, rejected, limited, noNick, delivered, writes, slow, badInput, idle atomic.Uint64
}

// NewServer validates cfg and starts listening, so Addr is known at once.
// Call Run to serve.
func NewServer(cfg ServerConfig) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("chat: listen %s: %w", cfg.Addr, err)
	}
	return &Server{cfg: cfg, ln: ln, log: logger(cfg.Logger), stopped: make(chan struct{}),
		ready: make(chan *client, cfg.MaxClients),
		conns: map[*client]struct{}{}, nicks: map[string]*client{}, byAddr: map[netip.Addr]int{}}, nil
}

// Addr returns the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Stats returns the counters so far.
func (s *Server) Stats() ServerStats {
	s.mu.RLock()
	online := len(s.nicks)
	s.mu.RUnlock()
	return ServerStats{Accepted: s.accepted.Load(), Rejected: s.rejected.Load(), Limited: s.limited.Load(),
		NoNick: s.noNick.Load(), Online: online,
		Delivered: s.delivered.Load(), Writes: s.writes.Load(), Slow: s.slow.Load(), BadInput: s.badInput.Load(), Idle: s.idle.Load()}
}

// Users returns the logged-in nicknames, sorted.
func (s *Server) Users() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.nicks))
	for _, c := range s.nicks {
		out = append(out, c.nick)
	}
	slices.Sort(out)
	return out
}

// Run accepts clients until ctx ends or Close is called. Then it stops
// accepting, tells every client "* server shutting down", gives them
// ShutdownGrace to receive it, closes every connection and returns nil once
// all client goroutines are gone. Run may be called once; called again it
// returns an error at once, and after Close an error matching [ErrClosed]
// (and net.ErrClosed).
func (s *Server) Run(ctx context.Context) error {
	if err := s.life.Begin(closedError("Server.Run"), "chat: Server.Run"); err != nil {
		return err
	}
	defer s.life.End()
	stop := context.AfterFunc(ctx, func() { _ = s.ln.Close() })
	defer stop()
	for range max(2, runtime.GOMAXPROCS(0)) {
		s.writers.Add(1)
		go s.writer()
	}
	backoff := 5 * time.Millisecond
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				break
			}
			// Out of file descriptors and the like: wait, as net/http does.
			s.log.Warn("accept", "err", err)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			case <-s.stopped:
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		s.admit(nc)
	}
	_ = s.ln.Close()
	s.shutdown()
	close(s.ready) // every client has finished: nothing is queued any more
	s.writers.Wait()
	return nil
}

// Close stops the server. Before Run it releases the listening socket, and
// a later Run returns an error; during Run it closes the listener, and Run
// shuts down as when its context ends (goodbye lines, ShutdownGrace) and
// returns nil; Close waits for that, so when it returns every goroutine and
// connection of the server is gone. It may be called any number of times,
// from any goroutine, and always returns nil.
func (s *Server) Close() error {
	if s.life.Close() {
		close(s.stopped)
		_ = s.ln.Close() // Run, if running, sees net.ErrClosed from Accept
	}
	s.life.Wait()
	return nil
}

func (s *Server) admit(nc net.Conn) {
	s.accepted.Add(1)
	addr := remoteIP(nc)
	s.mu.Lock()
	var refusal string
	switch {
	case len(s.conns) >= s.cfg.MaxClients:
		s.rejected.Add(1)
		refusal = fmt.Sprintf("! server full (%d clients); try again later\n", s.cfg.MaxClients)
	case s.byAddr[addr] >= s.cfg.MaxPerAddr:
		s.limited.Add(1)
		refusal = fmt.Sprintf("! too many connections from your address (%d); try again later\n", s.cfg.MaxPerAddr)
	}
	if refusal != "" {
		s.mu.Unlock()
		_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = io.WriteString(nc, refusal)
		_ = nc.Close()
		return
	}
	c := newClient(s, nc)
	c.addr = addr
	s.byAddr[addr]++
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go c.serve()
}

func (s *Server) shutdown() {
	s.mu.Lock()
	s.closing.Store(true)
	for c := range s.conns {
		c.send("* server shutting down")
		c.closeRead()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	t := time.NewTimer(s.cfg.ShutdownGrace)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
	}
	s.mu.Lock()
	for c := range s.conns {
		c.abort()
	}
	s.mu.Unlock()
	<-done
}

// register claims nick for c, reporting the number online or why not.
func (s *Server) register(c *client, nick string) (int, error) {
	key := strings.ToLower(nick)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return 0, errors.New("server shutting down")
	}
	if _, taken := s.nicks[key]; taken {
		return 0, fmt.Errorf("nickname %q is taken; choose another", nick)
	}
	c.nick = nick
	s.nicks[key] = c
	c.slot = len(s.online)
	s.online = append(s.online, c)
	return len(s.nicks), nil
}

// remoteIP is the connection's remote address without its port; every
// connection that is not TCP/IP shares the zero address.
func remoteIP(nc net.Conn) netip.Addr {
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// logout frees c's nickname and returns the number of users that were
// online before it left.
func (s *Server) logout(c *client) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	online := len(s.nicks)
	if c.nick != "" && s.nicks[strings.ToLower(c.nick)] == c {
		delete(s.nicks, strings.ToLower(c.nick))
		last := s.online[len(s.online)-1]
		s.online[c.slot], last.slot = last, c.slot
		s.online[len(s.online)-1] = nil
		s.online = s.online[:len(s.online)-1]
	}
	return online
}

// unregister forgets the connection once it is closed.
func (s *Server) unregister(c *client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if s.byAddr[c.addr]--; s.byAddr[c.addr] <= 0 {
		delete(s.byAddr, c.addr)
	}
}

// broadcast queues line to every logged-in user except skip. It walks a
// slice rather than the map of nicknames: the clients come in the order
// they logged in, which is about the order in which they were allocated,
// so the walk touches memory in order instead of at random (and the
// writers, which take the clients in the order they were queued, do too).
func (s *Server) broadcast(line string, skip *client) {
	b := []byte(line + "\n") // encoded once, shared by every queue
	var n uint64
	s.mu.RLock()
	for _, c := range s.online {
		if c != skip && c.sendBytes(b) {
			n++
		}
	}
	s.mu.RUnlock()
	s.delivered.Add(n)
}

func (s *Server) lookup(nick string) *client {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.nicks[strings.ToLower(nick)]
}

// serve is the reader goroutine: nickname, then commands until the client
// quits, misbehaves, idles out, or the server shuts down.
func (c *client) serve() {
	defer c.s.wg.Done()
	r := bufio.NewReaderSize(c.conn, c.s.cfg.MaxLineBytes+2)
	joined := c.login(r)
	if joined {
		for c.handle(r) {
		}
	}
	online := c.s.logout(c)
	if joined && !c.s.closing.Load() && online <= c.s.cfg.MaxAnnounce {
		c.s.broadcast("* "+c.nick+" left", c)
	}
	c.finish()
	c.s.unregister(c)
}

// readLine returns the next line, or a non-nil reason to close. It waits
// until deadline, or IdleTimeout from now when deadline is zero.
func (c *client) readLine(r *bufio.Reader, deadline time.Time) (Command, []byte, error) {
	idle := deadline.IsZero()
	if idle {
		deadline = time.Now().Add(c.s.cfg.IdleTimeout)
	}
	_ = c.conn.SetReadDeadline(deadline)
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(line) > c.s.cfg.MaxLineBytes+2 {
		c.s.badInput.Add(1)
		c.send(fmt.Sprintf("! line longer than %d bytes; closing", c.s.cfg.MaxLineBytes))
		return Command{}, nil, ErrLineTooLong
	}
	if err != nil && (len(line) == 0 || !errors.Is(err, io.EOF)) {
		var ne net.Error
		switch {
		case c.s.closing.Load():
		case errors.As(err, &ne) && ne.Timeout() && !idle:
			c.s.noNick.Add(1)
			c.send(fmt.Sprintf("! no nickname within %v; closing", c.s.cfg.NickTimeout))
		case errors.As(err, &ne) && ne.Timeout():
			c.s.idle.Add(1)
			c.send(fmt.Sprintf("* idle for %v; closing", c.s.cfg.IdleTimeout))
		}
		return Command{}, nil, err
	}
	line = line[:len(line)-btoi(len(line) > 0 && line[len(line)-1] == '\n')]
	cmd, perr := ParseLine(line, c.s.cfg.MaxLineBytes)
	if errors.Is(perr, ErrBinary) || errors.Is(perr, ErrLineTooLong) {
		c.s.badInput.Add(1)
		c.send("! " + strings.TrimPrefix(perr.Error(), "chat: ") + "; closing")
		return Command{}, nil, perr
	}
	return cmd, line, perr
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (c *client) login(r *bufio.Reader) bool {
	c.send("* netlab chat: send your nickname")
	deadline := time.Now().Add(c.s.cfg.NickTimeout)
	for attempt := 0; attempt < c.s.cfg.NickAttempts; attempt++ {
		cmd, line, err := c.readLine(r, deadline)
		if line == nil {
			return false
		}
		if err == nil && cmd.Kind == CmdQuit {
			c.send("* bye")
			return false
		}
		nick := strings.TrimSpace(strings.TrimSuffix(string(line), "\r"))
		if err := ValidateNick(nick); err != nil {
			c.send("! invalid nickname: " + err.Error())
			continue
		}
		n, err := c.s.register(c, nick)
		if err != nil {
			c.send("! " + err.Error())
			continue
		}
		c.send(fmt.Sprintf("* welcome %s, %d users online; /help lists the commands", nick, n))
		if n <= c.s.cfg.MaxAnnounce {
			c.s.broadcast("* "+nick+" joined", c)
		}
		c.s.log.Debug("joined", "nick", nick, "remote", c.conn.RemoteAddr())
		return true
	}
	c.send("! too many attempts; closing")
	return false
}

// handle runs one command and reports whether to keep reading.
func (c *client) handle(r *bufio.Reader) bool {
	cmd, line, err := c.readLine(r, time.Time{})
	if line == nil {
		return false
	}
	switch {
	case errors.Is(err, ErrUnknownCommand):
		c.send("! " + strings.TrimPrefix(err.Error(), "chat: ") + "; " + HelpText)
		return true
	case err != nil:
		c.send("! " + strings.TrimPrefix(err.Error(), "chat: "))
		return true
	}
	switch cmd.Kind {
	case CmdAll:
		c.s.broadcast("<"+c.nick+"> "+cmd.Text, nil)
	case CmdMsg:
		to := c.s.lookup(cmd.Nick)
		if to == nil {
			c.send("! no such user: " + cmd.Nick)
			break
		}
		to.send("*" + c.nick + "* " + cmd.Text)
	case CmdWho:
		c.send("* users: " + strings.Join(c.s.Users(), " "))
	case CmdHelp:
		c.send("* " + HelpText)
	case CmdQuit:
		c.send("* bye " + c.nick)
		return false
	}
	return true
}
