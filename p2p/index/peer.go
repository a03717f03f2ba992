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
	"time"

	"github.com/netlab-go/netlab/internal/connset"
	"github.com/netlab-go/netlab/internal/defaults"
	"github.com/netlab-go/netlab/pdu"
)

// PeerConfig configures a content [Peer]. Name and Index are required; a
// zero value of any other field means its default, the value in
// [DefaultPeerConfig], except Retries, whose zero means none.
type PeerConfig struct {
	// Name is this peer's name in R, S, D and T PDUs (at most 10 bytes with
	// Classic; 9 or fewer where C peers take part).
	Name string
	// Index is the UDP address of the index server, such as what
	// [Server.Addr] returns. Required.
	Index netip.AddrPort
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
	// timeout. Unlike the other fields, zero is meaningful here (each
	// request is sent once); [DefaultPeerConfig] sets 2.
	Retries int
	// MaxDownload bounds the bytes one download may write: a Framed
	// announcement of more is refused at once, and a Classic stream that
	// runs past it is cut off (pdu.ErrTooLarge). Default
	// [DefaultMaxDownload].
	MaxDownload int64
	// ChunkSize is the chunk size of the manifests this peer serves for
	// multi-source downloads (Framed): a power of two from
	// pdu.MinChunkSize to pdu.MaxChunkSize. Default pdu.ChunkSizeFor the
	// content's size (1 MiB up to 64 GiB).
	ChunkSize int
	// SwarmProgress, if not nil, is called during a multi-source download
	// (DownloadSwarm) after each verified chunk and when a holder is
	// dropped.
	SwarmProgress func(SwarmProgress)
	// Progress, if not nil, is called as a download's content is written
	// (at most every 256 KiB) and once when it ends, to show progress.
	Progress func(DownloadProgress)
	// Trace, if not nil, sees every PDU this peer sends or receives: index
	// exchanges, D requests and content frames. It is for demonstrations and
	// debugging; it is called synchronously.
	Trace func(Event)
	// Logger receives debug logs; nil is silent.
	Logger *slog.Logger
}

// DefaultMaxDownload is [PeerConfig.MaxDownload]'s default: 1 GiB.
const DefaultMaxDownload = 1 << 30

// DefaultPeerConfig returns a [PeerConfig] for a loopback peer; set Name and
// Index.
func DefaultPeerConfig() PeerConfig {
	return PeerConfig{Listen: "127.0.0.1:0", Codec: pdu.Classic{}, Timeout: time.Second, IdleTimeout: 30 * time.Second, Retries: 2, MaxDownload: DefaultMaxDownload}
}

// DownloadProgress is how far a download has come, for [PeerConfig.Progress].
type DownloadProgress struct {
	Content string
	Done    int64 // bytes written so far
	Total   int64 // the announced size (Framed), or -1 (Classic announces none)
	End     bool  // the last call for this download, whether it succeeded or not
}

// Event is one PDU a peer sent or received, for [PeerConfig.Trace].
type Event struct {
	Peer   string  // the tracing peer's name
	Sent   bool    // true when the peer sent PDU, false when it received it
	Remote string  // "index ADDR", or the other peer's TCP address
	PDU    pdu.PDU // a copy, safe to keep
}

// Errors of a [Peer].
var (
	// ErrBadName: a content name is not a plain file name.
	ErrBadName = errors.New("index: bad content name")
	// ErrExists: a download would replace an existing file.
	ErrExists = errors.New("index: file exists")
	// ErrNoSpace: the download folder has less free space than the content
	// needs.
	ErrNoSpace = errors.New("index: not enough free space")
)

// Peer is a content peer: it registers files with the index server, serves
// them to other peers over TCP (RFC 793), and downloads content from other
// peers, after which it serves that content too.
type Peer struct {
	cfg    PeerConfig
	conns  *connset.Set // the content listener, the connections it accepted, Run's gate
	addr   netip.AddrPort
	client *indexClient

	mu     sync.Mutex
	served map[string]*servedFile // content name → file

	freeSpace func(dir string) (uint64, bool) // free bytes in dir, if known

	closeOnce sync.Once
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
	man     *pdu.Manifest // for multi-source downloads, kept like sum
	manSize int64
	manMod  time.Time
}

// NewPeer validates cfg, binds the TCP listener and the UDP socket to the
// index, and returns the peer. Serve downloads with Run.
func NewPeer(cfg PeerConfig) (*Peer, error) {
	def := DefaultPeerConfig()
	def.Retries = 0 // zero means none, not the default
	cfg = defaults.Fill(cfg, def)
	if cfg.IdleTimeout < 0 {
		return nil, fmt.Errorf("index: PeerConfig.IdleTimeout is %v, want > 0", cfg.IdleTimeout)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("index: PeerConfig.Timeout is %v, want > 0", cfg.Timeout)
	}
	if cfg.Retries < 0 {
		return nil, fmt.Errorf("index: PeerConfig.Retries is %d, want >= 0", cfg.Retries)
	}
	if cfg.MaxDownload < 0 {
		return nil, fmt.Errorf("index: PeerConfig.MaxDownload is %d, want > 0", cfg.MaxDownload)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if c := cfg.ChunkSize; c != 0 && (c < pdu.MinChunkSize || c > pdu.MaxChunkSize || c&(c-1) != 0) {
		return nil, fmt.Errorf("index: PeerConfig.ChunkSize is %d, want a power of two from %d to %d", c, pdu.MinChunkSize, pdu.MaxChunkSize)
	}
	lim := cfg.Codec.Limits()
	if cfg.Name == "" || len(cfg.Name) > lim.MaxName || strings.IndexByte(cfg.Name, 0) >= 0 {
		return nil, fmt.Errorf("index: PeerConfig.Name %q: want 1 to %d bytes without NUL for the %s codec", cfg.Name, lim.MaxName, cfg.Codec.Name())
	}
	if !cfg.Index.IsValid() || cfg.Index.Port() == 0 {
		return nil, fmt.Errorf("index: PeerConfig.Index is %v: want the index server's UDP address and port", cfg.Index)
	}
	ua := net.UDPAddrFromAddrPort(cfg.Index)
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
		return nil, fmt.Errorf("index: PeerConfig.Index %v: %w", cfg.Index, err)
	}
	p := &Peer{
		cfg:    cfg,
		conns:  connset.New(ln, 0),
		addr:   ln.Addr().(*net.TCPAddr).AddrPort(),
		served: make(map[string]*servedFile),
		done:   make(chan struct{}),

		freeSpace: freeSpace,
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
// content name, and serves it from now on. It returns the text the index
// sent with its A, such as "[Registration] successful" from other lab index
// servers, or "" when the A only echoed this peer's name, as netlab's does.
func (p *Peer) Register(name, path string) (string, error) { return p.register(name, path, nil) }

// register registers path as name; sum, when known (a verified Framed
// download), seeds the SHA-256 cache.
func (p *Peer) register(name, path string, sum *[32]byte) (string, error) {
	if err := CheckContentName(name, p.cfg.Codec.Limits().MaxName); err != nil {
		return "", err
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("index: register %q: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("index: register %q: %s is not a regular file", name, path)
	}
	if p.isClosed() {
		return "", ErrClosed
	}
	// Serve before announcing, so a peer that searches at once finds us ready.
	p.mu.Lock()
	if _, dup := p.served[name]; dup {
		p.mu.Unlock()
		return "", fmt.Errorf("%w: %q by this peer", ErrDuplicate, name)
	}
	f := &servedFile{path: path}
	if sum != nil {
		f.sum, f.sumSize, f.sumMod, f.hasSum = *sum, st.Size(), st.ModTime(), true
	}
	p.served[name] = f
	p.mu.Unlock()
	req := pdu.PDU{Type: pdu.Register, Peer: p.cfg.Name, Content: name, Addr: p.addr}
	text, err := p.ackExchange(&req)
	if err != nil {
		p.mu.Lock()
		delete(p.served, name)
		p.mu.Unlock()
	}
	return text, err
}

// ackExchange sends req to the index and waits for its A or E. It returns
// the A's text unless the A only echoed this peer's name.
func (p *Peer) ackExchange(req *pdu.PDU) (string, error) {
	var text string
	err := p.client.exchange(req, func(rep *pdu.PDU) (bool, error) {
		switch rep.Type {
		case pdu.Ack:
			if rep.Text != p.cfg.Name {
				text = rep.Text
			}
			return true, nil
		case pdu.Error:
			return true, indexError(rep.Text)
		}
		return false, nil // a stray reply: keep waiting
	})
	return text, err
}

// Deregister withdraws content name from the index and stops serving it.
// It returns the text of the index's A, as Register does.
func (p *Peer) Deregister(name string) (string, error) {
	if p.isClosed() {
		return "", ErrClosed
	}
	return p.deregister(name)
}

func (p *Peer) deregister(name string) (string, error) {
	p.mu.Lock()
	_, ok := p.served[name]
	delete(p.served, name)
	p.mu.Unlock()
	req := pdu.PDU{Type: pdu.Deregister, Peer: p.cfg.Name, Content: name}
	text, err := p.ackExchange(&req)
	if err != nil && !ok {
		return text, err
	}
	if errors.Is(err, ErrNotRegistered) {
		return text, nil // we served it, the index had forgotten: the goal is reached
	}
	return text, err
}

// Listing is the index's answer to O, in whichever form it came.
type Listing struct {
	// Names are the distinct content names: netlab's form, or the contents
	// of Holders.
	Names []string
	// Holders are who serves what, when the index answered with
	// peer|content|ip:port records (other lab index servers).
	Holders []pdu.Holder
	// Text is the index's reply as it came, when it was in neither form
	// ("No content registered"): shown, not interpreted.
	Text string
}

// maxListPages bounds the O requests of one List: 10,000 names in Classic.
const maxListPages = 1000

// List asks the index for the registered content, page by page: each O
// request names the last name of the page before, and a page shorter than
// the codec's Limits().MaxNames is the last. An index that ignores the
// page start (another lab implementation) sends the same page again, which
// ends the listing too.
func (p *Peer) List() (Listing, error) {
	if p.isClosed() {
		return Listing{}, ErrClosed
	}
	var l Listing
	seen := make(map[string]bool)
	slots := p.cfg.Codec.Limits().MaxNames
	req := pdu.PDU{Type: pdu.List, Peer: p.cfg.Name}
	for range maxListPages {
		var page []string
		last := false
		err := p.client.exchange(&req, func(rep *pdu.PDU) (bool, error) {
			switch {
			case rep.Type == pdu.List && len(rep.Holders) > 0:
				l.Holders = append(l.Holders, rep.Holders...)
				for _, h := range rep.Holders {
					page = append(page, h.Content)
				}
				last = true
			case rep.Type == pdu.List && rep.Text != "":
				l.Text, last = rep.Text, true
			case rep.Type == pdu.List:
				page = append(page, rep.Names...)
				last = len(rep.Names) < slots
			case rep.Type == pdu.Error:
				return true, indexError(rep.Text)
			default:
				return false, nil
			}
			return true, nil
		})
		if err != nil {
			return l, err
		}
		fresh := 0
		for _, n := range page {
			if !seen[n] {
				seen[n] = true
				l.Names = append(l.Names, n)
				fresh++
			}
		}
		if last || fresh == 0 {
			break
		}
		req.Content = page[len(page)-1]
	}
	return l, nil
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

func (p *Peer) isClosed() bool { return p.conns.Closed() }

// Close de-registers everything this peer registered (each request with
// the configured Timeout and Retries), stops serving and releases the
// sockets. It waits for running transfers to end and for a running Run to
// return. It returns what failed in the first call; it may be called any
// number of times, and calls after the first return nil. Every method
// called after it returns [ErrClosed].
func (p *Peer) Close() error {
	err, first := p.shutdown(false)
	p.conns.WaitRun()
	if !first {
		return nil
	}
	return err
}

// goodbyeBudget bounds the de-registrations of a peer whose Run's context
// ended: the index may be stopping too (a whole in-process system shuts
// down at once), and nobody should wait out timeouts saying goodbye to it.
const goodbyeBudget = 200 * time.Millisecond

// shutdown does Close's work once, and reports whether this call did it.
// hurry (Run's context ended) sends each U once and gives all of them
// goodbyeBudget in total.
func (p *Peer) shutdown(hurry bool) (err error, first bool) {
	p.closeOnce.Do(func() {
		first = true
		var errs []error
		deadline := time.Now().Add(goodbyeBudget)
		if hurry {
			p.client.mu.Lock()
			p.client.timeout, p.client.retries = min(p.client.timeout, goodbyeBudget), 0
			p.client.mu.Unlock()
		}
		for _, name := range p.Serving() {
			if hurry && time.Now().After(deadline) {
				errs = append(errs, fmt.Errorf("de-register %q: no time left", name))
				continue
			}
			if _, err := p.deregister(name); err != nil {
				errs = append(errs, fmt.Errorf("de-register %q: %w", name, err))
			}
		}
		errs = append(errs, ignoreClosed(p.conns.Close()))
		close(p.done)
		p.conns.Wait()
		errs = append(errs, p.client.close())
		err = errors.Join(errs...)
	})
	return err, first
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
