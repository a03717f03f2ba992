package index

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netlab-go/netlab/pdu"
)

// PeerConfig configures a content Peer.
type PeerConfig struct {
	// Name is this peer's name in R, S, D and T PDUs (at most 10 bytes with
	// Classic; 9 or fewer where C peers take part).
	Name string
	// Index is the UDP address of the index server, such as "127.0.0.1:9000".
	Index string
	// Listen is the TCP address to serve content on. Default "127.0.0.1:0".
	Listen string
	// Codec is the wire format; it must match the index server's. Default
	// pdu.Classic{}.
	Codec pdu.Codec
	// Timeout bounds each wait for the index server's reply, and a content
	// server's wait for the D request. Default 1s.
	Timeout time.Duration
	// IdleTimeout bounds how long a content server waits for a downloader
	// that stops reading. Default 30s.
	IdleTimeout time.Duration
	// Retries is how many times a request to the index is sent again after a
	// timeout. Default 2.
	Retries int
	// Trace, if not nil, sees every PDU this peer sends or receives: index
	// exchanges, D requests and content frames. It is for demonstrations and
	// debugging; it is called synchronously.
	Trace func(Event)
	// Logger receives debug logs; nil is silent.
	Logger *slog.Logger
}

// DefaultPeerConfig returns a PeerConfig for a loopback peer; set Name and
// Index.
func DefaultPeerConfig() PeerConfig {
	return PeerConfig{Listen: "127.0.0.1:0", Codec: pdu.Classic{}, Timeout: time.Second, IdleTimeout: 30 * time.Second, Retries: 2}
}

// Event is one PDU a peer sent or received, for PeerConfig.Trace.
type Event struct {
	Peer   string  // the tracing peer's name
	Sent   bool    // true when the peer sent PDU, false when it received it
	Remote string  // "index ADDR", or the other peer's TCP address
	PDU    pdu.PDU // a copy, safe to keep
}

// Errors of a Peer.
var (
	// ErrBadName: a content name is not a plain file name.
	ErrBadName = errors.New("index: bad content name")
	// ErrExists: a download would replace an existing file.
	ErrExists = errors.New("index: file exists")
	// ErrClosed: the peer was closed.
	ErrClosed = errors.New("index: peer closed")
)

// Peer is a content peer: it registers files with the index server, serves
// them to other peers over TCP (RFC 793), and downloads content from other
// peers, after which it serves that content too.
type Peer struct {
	cfg    PeerConfig
	ln     *net.TCPListener
	addr   netip.AddrPort
	client *indexClient

	mu     sync.Mutex
	served map[string]*servedFile // content name → file
	closed bool
	conns  map[net.Conn]struct{}

	running   atomic.Bool
	wg        sync.WaitGroup // connection handlers
	closeOnce sync.Once
	closeErr  error
	done      chan struct{} // closed by Close
}

// servedFile is a file a peer registered; its SHA-256 is computed on the
// first Framed download and kept while size and modification time stay.
type servedFile struct {
	path    string
	mu      sync.Mutex
	sum     [32]byte
	sumSize int64
	sumMod  time.Time
	hasSum  bool
}

// NewPeer validates cfg, binds the TCP listener and the UDP socket to the
// index, and returns the peer. Serve downloads with Run.
func NewPeer(cfg PeerConfig) (*Peer, error) {
	def := DefaultPeerConfig()
	if cfg.Listen == "" {
		cfg.Listen = def.Listen
	}
	if cfg.Codec == nil {
		cfg.Codec = def.Codec
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = def.Timeout
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = def.IdleTimeout
	}
	if cfg.IdleTimeout < 0 {
		return nil, fmt.Errorf("index: PeerConfig.IdleTimeout is %v, want > 0", cfg.IdleTimeout)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("index: PeerConfig.Timeout is %v, want > 0", cfg.Timeout)
	}
	if cfg.Retries < 0 {
		return nil, fmt.Errorf("index: PeerConfig.Retries is %d, want >= 0", cfg.Retries)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	lim := cfg.Codec.Limits()
	if cfg.Name == "" || len(cfg.Name) > lim.MaxName || strings.IndexByte(cfg.Name, 0) >= 0 {
		return nil, fmt.Errorf("index: PeerConfig.Name %q: want 1 to %d bytes without NUL for the %s codec", cfg.Name, lim.MaxName, cfg.Codec.Name())
	}
	if cfg.Index == "" {
		return nil, errors.New("index: PeerConfig.Index is empty: want the index server's UDP host:port")
	}
	ua, err := net.ResolveUDPAddr("udp", cfg.Index)
	if err != nil {
		return nil, fmt.Errorf("index: PeerConfig.Index %q: %w", cfg.Index, err)
	}
	ta, err := net.ResolveTCPAddr("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("index: PeerConfig.Listen %q: %w", cfg.Listen, err)
	}
	ln, err := net.ListenTCP("tcp", ta)
	if err != nil {
		return nil, fmt.Errorf("index: PeerConfig.Listen %q: %w", cfg.Listen, err)
	}
	udp, err := net.DialUDP("udp", nil, ua)
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("index: PeerConfig.Index %q: %w", cfg.Index, err)
	}
	p := &Peer{
		cfg:    cfg,
		ln:     ln,
		addr:   ln.Addr().(*net.TCPAddr).AddrPort(),
		served: make(map[string]*servedFile),
		conns:  make(map[net.Conn]struct{}),
		done:   make(chan struct{}),
	}
	var trace func(Event)
	if cfg.Trace != nil {
		trace = func(e Event) { e.Peer = cfg.Name; cfg.Trace(e) }
	}
	p.client = newIndexClient(udp, cfg.Codec, cfg.Timeout, cfg.Retries, trace)
	return p, nil
}

// Name returns the peer's name.
func (p *Peer) Name() string { return p.cfg.Name }

// Addr returns the TCP address the peer serves content on.
func (p *Peer) Addr() netip.AddrPort { return p.addr }

func (p *Peer) trace(sent bool, remote string, q *pdu.PDU) {
	if p.cfg.Trace != nil {
		p.cfg.Trace(Event{Peer: p.cfg.Name, Sent: sent, Remote: remote, PDU: clonePDU(q)})
	}
}

// CheckContentName reports whether name can be content: a plain file name
// (no directory, not "." or "..", no NUL) of 1 to max bytes. Content names
// are names, not paths.
func CheckContentName(name string, max int) error {
	switch {
	case name == "" || len(name) > max:
		return fmt.Errorf("%w %q: want 1 to %d bytes", ErrBadName, name, max)
	case name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00"):
		return fmt.Errorf("%w %q: a name, not a path", ErrBadName, name)
	}
	return nil
}

// Register tells the index server that this peer serves the file at path as
// content name, and serves it from now on.
func (p *Peer) Register(name, path string) error { return p.register(name, path, nil) }

// register registers path as name; sum, when known (a verified Framed
// download), seeds the SHA-256 cache.
func (p *Peer) register(name, path string, sum *[32]byte) error {
	if err := CheckContentName(name, p.cfg.Codec.Limits().MaxName); err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("index: register %q: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("index: register %q: %s is not a regular file", name, path)
	}
	if p.isClosed() {
		return ErrClosed
	}
	// Serve before announcing, so a peer that searches at once finds us ready.
	p.mu.Lock()
	if _, dup := p.served[name]; dup {
		p.mu.Unlock()
		return fmt.Errorf("%w: %q by this peer", ErrDuplicate, name)
	}
	f := &servedFile{path: path}
	if sum != nil {
		f.sum, f.sumSize, f.sumMod, f.hasSum = *sum, st.Size(), st.ModTime(), true
	}
	p.served[name] = f
	p.mu.Unlock()
	req := pdu.PDU{Type: pdu.Register, Peer: p.cfg.Name, Content: name, Addr: p.addr}
	err = p.client.exchange(&req, func(rep *pdu.PDU) (bool, error) {
		switch rep.Type {
		case pdu.Ack:
			return true, nil
		case pdu.Error:
			return true, indexError(rep.Text)
		}
		return false, nil // a stray reply: keep waiting
	})
	if err != nil {
		p.mu.Lock()
		delete(p.served, name)
		p.mu.Unlock()
	}
	return err
}

// Deregister withdraws content name from the index and stops serving it.
func (p *Peer) Deregister(name string) error {
	p.mu.Lock()
	_, ok := p.served[name]
	delete(p.served, name)
	p.mu.Unlock()
	req := pdu.PDU{Type: pdu.Deregister, Peer: p.cfg.Name, Content: name}
	err := p.client.exchange(&req, func(rep *pdu.PDU) (bool, error) {
		switch rep.Type {
		case pdu.Ack:
			return true, nil
		case pdu.Error:
			return true, indexError(rep.Text)
		}
		return false, nil
	})
	if err != nil && !ok {
		return err
	}
	if errors.Is(err, ErrNotRegistered) {
		return nil // we served it, the index had forgotten: the goal is reached
	}
	return err
}

// List returns the distinct content names registered with the index.
func (p *Peer) List() ([]string, error) {
	var names []string
	slots := p.cfg.Codec.Limits().MaxNames
	req := pdu.PDU{Type: pdu.List, Peer: p.cfg.Name}
	err := p.client.exchange(&req, func(rep *pdu.PDU) (bool, error) {
		switch rep.Type {
		case pdu.List:
			names = append(names, rep.Names...)
			return len(rep.Names) < slots, nil
		case pdu.Error:
			return true, indexError(rep.Text)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return names, nil
}

// Serving returns the content names this peer serves, sorted.
func (p *Peer) Serving() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := make([]string, 0, len(p.served))
	for n := range p.served {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// search asks the index which peer serves content.
func (p *Peer) search(content string) (netip.AddrPort, error) {
	var addr netip.AddrPort
	req := pdu.PDU{Type: pdu.Search, Peer: p.cfg.Name, Content: content}
	err := p.client.exchange(&req, func(rep *pdu.PDU) (bool, error) {
		switch rep.Type {
		case pdu.Search:
			addr = rep.Addr
			return true, nil
		case pdu.Error:
			return true, indexError(rep.Text)
		}
		return false, nil
	})
	return addr, err
}

func (p *Peer) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// Close de-registers everything this peer registered, stops serving (Run
// returns) and releases the sockets. It waits for running transfers to end.
// It is safe to call more than once.
func (p *Peer) Close() error {
	p.closeOnce.Do(func() {
		var errs []error
		for _, name := range p.Serving() {
			if err := p.Deregister(name); err != nil {
				errs = append(errs, fmt.Errorf("de-register %q: %w", name, err))
			}
		}
		p.mu.Lock()
		p.closed = true
		for c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
		close(p.done)
		errs = append(errs, ignoreClosed(p.ln.Close()))
		p.wg.Wait()
		errs = append(errs, p.client.close())
		p.closeErr = errors.Join(errs...)
	})
	return p.closeErr
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
