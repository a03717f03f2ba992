package chat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/netlab-go/netlab/internal/calls"
)

// ErrTooLarge is returned by [UDPPeer.Send] and Broadcast for a message longer
// than [PeerConfig.MaxDatagram].
var ErrTooLarge = errors.New("chat: message larger than the datagram limit")

// PeerConfig configures a [UDPPeer]. A zero Name, Addr, MaxDatagram or
// QueueLen means its default, the value in [DefaultPeerConfig].
type PeerConfig struct {
	// Name is announced in answers to discovery probes (see [ValidateName]).
	Name string
	// Addr is the UDP address to bind, host:port. ":23432" listens on every
	// IPv4 address, which is what receiving broadcasts needs;
	// "127.0.0.1:0" keeps a peer on loopback with a port of the kernel's choice.
	Addr string
	// MaxDatagram bounds a chat message in bytes, both ways (1..65507).
	// A larger incoming datagram is still delivered, cut to its first
	// MaxDatagram bytes, with [Datagram.Problem] saying so, and counted in
	// [PeerStats.Oversized].
	MaxDatagram int
	// QueueLen is the capacity of the Incoming channel. When the reader of
	// Incoming falls behind, further messages are counted in Stats.Dropped.
	QueueLen int
	// BroadcastPort is the port Broadcast sends to; 0 means this peer's port.
	BroadcastPort int
	// BroadcastTo overrides the addresses Broadcast sends to. Empty means the
	// directed broadcast address of every up IPv4 interface, or
	// 255.255.255.255 when there is none.
	BroadcastTo []netip.Addr
	// IgnoreProbes stops the peer answering NETLAB-DISCOVER probes.
	IgnoreProbes bool
	// OnAnnounce, when set, is called from Run for each peer that announces
	// itself ([UDPPeer.Announce]) for the first time at its address.
	OnAnnounce func(Peer)
	// Logger receives debug records; nil is silent.
	Logger *slog.Logger
}

// MaxKnownPeers bounds how many announced peers a [UDPPeer] remembers, so
// that a flood of forged announcements cannot grow its memory.
const MaxKnownPeers = 1024

// DefaultPeerConfig returns a peer named "netlab" on every IPv4 address at
// [DefaultPort], with 1,024-byte messages and a 64-message queue.
func DefaultPeerConfig() PeerConfig {
	return PeerConfig{
		Name:        "netlab",
		Addr:        fmt.Sprintf(":%d", DefaultPort),
		MaxDatagram: 1024,
		QueueLen:    64,
	}
}

func (c PeerConfig) validate() error {
	if err := ValidateName(c.Name); err != nil {
		return fmt.Errorf("chat: PeerConfig.Name: %w", err)
	}
	if c.Addr == "" {
		return errors.New("chat: PeerConfig.Addr is empty")
	}
	if c.MaxDatagram < 1 || c.MaxDatagram > 65507 {
		return fmt.Errorf("chat: PeerConfig.MaxDatagram %d outside 1..65507", c.MaxDatagram)
	}
	if c.QueueLen < 1 {
		return fmt.Errorf("chat: PeerConfig.QueueLen %d must be at least 1", c.QueueLen)
	}
	if c.BroadcastPort < 0 || c.BroadcastPort > 65535 {
		return fmt.Errorf("chat: PeerConfig.BroadcastPort %d outside 0..65535", c.BroadcastPort)
	}
	for _, a := range c.BroadcastTo {
		if !a.Is4() {
			return fmt.Errorf("chat: PeerConfig.BroadcastTo: %v is not an IPv4 address", a)
		}
	}
	return nil
}

// Datagram is one chat message received by a [UDPPeer].
//
// Nothing a peer receives is dropped unannounced: a datagram that is not
// valid UTF-8, carries control characters, or is longer than
// [PeerConfig.MaxDatagram] is delivered too, made displayable, with Problem
// saying what was wrong.
type Datagram struct {
	From netip.AddrPort // the sender's address and port; reply here with Send
	// Text is the message without one trailing newline, always valid UTF-8
	// and free of control characters other than tab: invalid bytes and
	// control characters of a bad datagram are shown as U+FFFD (the
	// replacement character), and an oversized one is cut to MaxDatagram
	// bytes.
	Text string
	// Size is the datagram's length in bytes as it arrived.
	Size int
	// Problem is empty for a well-formed message; otherwise one phrase per
	// defect, such as "not valid UTF-8: 2 bytes shown as U+FFFD".
	Problem string
}

// Note is a line to show beside a bad datagram, naming its sender, such as
// "note: 127.0.0.1:5000 sent 1500 bytes, over the 1024-byte limit: showing
// the first 1024"; it is empty for a well-formed message.
func (d Datagram) Note() string {
	if d.Problem == "" {
		return ""
	}
	return fmt.Sprintf("note: %v sent a bad datagram of %d bytes: %s", d.From, d.Size, d.Problem)
}

// PeerStats counts what a [UDPPeer] received. Read it with [UDPPeer.Stats].
type PeerStats struct {
	Received       uint64 // chat messages delivered to Incoming, bad ones included
	Dropped        uint64 // chat messages dropped because Incoming was full
	Oversized      uint64 // datagrams longer than MaxDatagram (delivered cut short)
	NotText        uint64 // datagrams with invalid UTF-8 or control characters (delivered with U+FFFD)
	Malformed      uint64 // datagrams starting "NETLAB-" that ParseProbe rejected
	ProbesAnswered uint64 // NETLAB-DISCOVER probes answered with NETLAB-HERE
}

// UDPPeer is one end of the UDP chat: it binds a port, sends text datagrams
// to one peer or to the broadcast address, answers discovery probes, and
// delivers what it receives on Incoming. Each datagram is one message of
// plain UTF-8 text, so `nc -u host 23432` and `socat - UDP:host:23432` can
// talk to it both ways.
type UDPPeer struct {
	cfg      PeerConfig
	conn     *net.UDPConn
	in       chan Datagram
	log      *slog.Logger
	closeMu  sync.Once
	closeErr error

	life calls.Once // Run begins once, and not after Close

	received, dropped, oversized, notText, malformed, answered atomic.Uint64

	knownMu sync.Mutex
	known   map[netip.AddrPort]Peer // peers that announced themselves
}

// NewUDPPeer validates cfg and binds the UDP socket, so Addr is known at once.
// Call Run to receive.
func NewUDPPeer(cfg PeerConfig) (*UDPPeer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	pc, err := net.ListenPacket("udp4", cfg.Addr) // resolves the address too
	if err != nil {
		return nil, fmt.Errorf("chat: bind PeerConfig.Addr %q: %w", cfg.Addr, err)
	}
	return &UDPPeer{cfg: cfg, conn: pc.(*net.UDPConn), in: make(chan Datagram, cfg.QueueLen), log: logger(cfg.Logger),
		known: map[netip.AddrPort]Peer{}}, nil
}

// Addr returns the bound address.
func (p *UDPPeer) Addr() netip.AddrPort {
	return p.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Name returns the name the peer announces.
func (p *UDPPeer) Name() string { return p.cfg.Name }

// Incoming delivers received chat messages. It is closed when Run returns,
// or by Close when Run never started.
func (p *UDPPeer) Incoming() <-chan Datagram { return p.in }

// Stats returns the counters so far.
func (p *UDPPeer) Stats() PeerStats {
	return PeerStats{
		Received: p.received.Load(), Dropped: p.dropped.Load(), Oversized: p.oversized.Load(),
		NotText: p.notText.Load(), Malformed: p.malformed.Load(), ProbesAnswered: p.answered.Load(),
	}
}

// Send sends text as one datagram to addr. A newline is appended when text
// does not end in one, so a `nc -u -l` at the other end prints one line per
// message. Text longer than MaxDatagram returns [ErrTooLarge].
func (p *UDPPeer) Send(addr netip.AddrPort, text string) error {
	b, err := p.encode(text)
	if err != nil {
		return err
	}
	_, err = p.conn.WriteToUDPAddrPort(b, addr)
	return p.sendErr("UDPPeer.Send", err)
}

// Broadcast sends text to every broadcast target (see [PeerConfig.BroadcastTo])
// at BroadcastPort and returns how many datagrams went out.
func (p *UDPPeer) Broadcast(text string) (int, error) {
	b, err := p.encode(text)
	if err != nil {
		return 0, err
	}
	if p.life.Closed() {
		return 0, closedError("UDPPeer.Broadcast")
	}
	targets := p.cfg.BroadcastTo
	if len(targets) == 0 {
		targets, err = InterfaceBroadcasts()
		if err != nil {
			return 0, err
		}
		if len(targets) == 0 {
			targets = []netip.Addr{LimitedBroadcast}
		}
	}
	port := uint16(p.cfg.BroadcastPort)
	if port == 0 {
		port = p.Addr().Port()
	}
	to := make([]netip.AddrPort, len(targets))
	for i, t := range targets {
		to[i] = netip.AddrPortFrom(t, port)
	}
	return p.sendEach("UDPPeer.Broadcast", "broadcast", b, to)
}

// sendEach sends msg to every target and returns how many datagrams went
// out. A target that fails is reported and the others are still tried;
// once the socket is closed the rest are not. what names the method for
// the closed error, verb the failure of one target.
func (p *UDPPeer) sendEach(what, verb string, msg []byte, targets []netip.AddrPort) (int, error) {
	sent := 0
	var errs []error
	for _, t := range targets {
		if _, err := p.conn.WriteToUDPAddrPort(msg, t); err != nil {
			if errors.Is(err, net.ErrClosed) {
				return sent, p.sendErr(what, err)
			}
			errs = append(errs, fmt.Errorf("chat: %s to %v: %w", verb, t, err))
			continue
		}
		sent++
	}
	return sent, errors.Join(errs...)
}

func (p *UDPPeer) encode(text string) ([]byte, error) {
	if !utf8.ValidString(text) {
		return nil, errors.New("chat: message is not valid UTF-8")
	}
	b := []byte(text)
	if !bytes.HasSuffix(b, []byte("\n")) {
		b = append(b, '\n')
	}
	if len(b) > p.cfg.MaxDatagram {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), p.cfg.MaxDatagram)
	}
	return b, nil
}

// Run receives datagrams until ctx ends or [UDPPeer.Close] is called, then
// closes the socket and the Incoming channel and returns nil. It may be
// called once; after Close it returns an error matching [ErrClosed].
func (p *UDPPeer) Run(ctx context.Context) error {
	if err := p.life.Begin(closedError("UDPPeer.Run"), "chat: UDPPeer.Run"); err != nil {
		return err
	}
	defer p.life.End()
	defer close(p.in)
	stop := context.AfterFunc(ctx, func() { _ = p.closeConn() })
	defer stop()
	buf := make([]byte, maxUDPPayload) // the whole of any datagram, to tell its size
	for {
		n, from, err := p.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			_ = p.closeConn()
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("chat: receive: %w", err)
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		p.handle(buf[:n], from)
	}
}

// maxUDPPayload is the largest UDP payload over IPv4: 65535 minus the IP
// and UDP headers.
const maxUDPPayload = 65507

func (p *UDPPeer) handle(b []byte, from netip.AddrPort) {
	if IsProbe(b) {
		p.handleProbe(b, from)
		return
	}
	d := Datagram{From: from, Size: len(b)}
	var problems []string
	if len(b) > p.cfg.MaxDatagram {
		p.oversized.Add(1)
		problems = append(problems, fmt.Sprintf("over the %d-byte limit: showing the first %d", p.cfg.MaxDatagram, p.cfg.MaxDatagram))
		// Cut at a character boundary, so that the cut alone does not make
		// valid text look invalid.
		cut := p.cfg.MaxDatagram
		for cut > 0 && cut > p.cfg.MaxDatagram-utf8.UTFMax && !utf8.RuneStart(b[cut]) {
			cut--
		}
		b = b[:cut]
	}
	if t, ok := bytes.CutSuffix(b, []byte("\n")); ok {
		b = bytes.TrimSuffix(t, []byte("\r"))
	}
	text, invalid, controls := Displayable(b)
	if invalid > 0 || controls > 0 {
		p.notText.Add(1)
		var what []string
		if invalid > 0 {
			what = append(what, plural(invalid, "byte")+" of invalid UTF-8")
		}
		if controls > 0 {
			what = append(what, plural(controls, "control character"))
		}
		problems = append(problems, "not text: "+strings.Join(what, " and ")+" shown as U+FFFD")
	}
	d.Text, d.Problem = text, strings.Join(problems, "; ")
	if d.Problem != "" {
		p.log.Debug("bad datagram", "from", from, "problem", d.Problem)
	}
	// Run is the only sender on p.in, so room seen now is still there at
	// the send; counting first means a reader that has the message also
	// sees it counted.
	if len(p.in) == cap(p.in) {
		p.dropped.Add(1)
		return
	}
	p.received.Add(1)
	p.in <- d
}

// plural is "1 byte" or "2 bytes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Displayable makes b safe to print on a terminal: every byte that is not
// part of valid UTF-8 becomes U+FFFD, and so does every control character
// other than tab (C0, DEL and C1: an escape sequence from a stranger must not
// drive the reader's terminal). It returns the text, the number of invalid
// bytes and the number of control characters replaced. A cut at the end
// that splits a character counts as invalid bytes.
func Displayable(b []byte) (text string, invalid, controls int) {
	var sb strings.Builder
	sb.Grow(len(b))
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			invalid++
			sb.WriteRune(utf8.RuneError)
		case (r < 0x20 && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0):
			controls++
			sb.WriteRune(utf8.RuneError)
		default:
			sb.Write(b[i : i+size])
		}
		i += size
	}
	return sb.String(), invalid, controls
}

func (p *UDPPeer) handleProbe(b []byte, from netip.AddrPort) {
	pr, err := ParseProbe(b)
	if err != nil {
		p.malformed.Add(1)
		p.log.Debug("malformed probe ignored", "from", from, "err", err)
		return
	}
	if pr.Kind == ProbeHere {
		p.learn(Peer{Name: pr.Name, Addr: netip.AddrPortFrom(from.Addr(), uint16(pr.Port))})
		return
	}
	if pr.Kind != ProbeDiscover || p.cfg.IgnoreProbes {
		return
	}
	reply, err := Probe{Kind: ProbeHere, Name: p.cfg.Name, Port: int(p.Addr().Port())}.MarshalText()
	if err != nil {
		return
	}
	if _, err := p.conn.WriteToUDPAddrPort(reply, from); err == nil {
		p.answered.Add(1)
	}
}

// learn records a peer that announced itself, at the address it came from
// and the port it announced.
func (p *UDPPeer) learn(q Peer) {
	if p.isSelf(q.Addr) {
		return // our own announcement, come back through a broadcast
	}
	p.knownMu.Lock()
	old, seen := p.known[q.Addr]
	fresh := !seen || old.Name != q.Name
	if fresh && (seen || len(p.known) < MaxKnownPeers) {
		p.known[q.Addr] = q
	} else {
		fresh = false
	}
	p.knownMu.Unlock()
	if fresh && p.cfg.OnAnnounce != nil {
		p.cfg.OnAnnounce(q)
	}
}

// isSelf reports whether ap is this peer's own socket: its port, and its
// bound address or, when bound to every address, one of this host's.
func (p *UDPPeer) isSelf(ap netip.AddrPort) bool {
	own := p.Addr()
	if ap.Port() != own.Port() {
		return false
	}
	if !own.Addr().IsUnspecified() {
		return ap.Addr() == own.Addr()
	}
	if ap.Addr().IsLoopback() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(ipn.IP); ok && ip.Unmap() == ap.Addr() {
				return true
			}
		}
	}
	return false
}

// Peers returns the peers that announced themselves to this one, sorted by
// address: the other half of discovery. A peer that starts on a port
// nobody probes can still be found, because it tells the others where it
// is.
func (p *UDPPeer) Peers() []Peer {
	p.knownMu.Lock()
	defer p.knownMu.Unlock()
	out := make([]Peer, 0, len(p.known))
	for _, q := range p.known {
		out = append(out, q)
	}
	slices.SortFunc(out, func(a, b Peer) int { return a.Addr.Compare(b.Addr) })
	return out
}

// Announce sends NETLAB-HERE with this peer's name and port to each
// target, unasked: peers listening there learn where this one is (see
// [UDPPeer.Peers]) without a scan. Targets may be broadcast addresses. It
// returns how many announcements went out.
func (p *UDPPeer) Announce(targets []netip.AddrPort) (int, error) {
	msg, err := Probe{Kind: ProbeHere, Name: p.cfg.Name, Port: int(p.Addr().Port())}.MarshalText()
	if err != nil {
		return 0, err
	}
	if p.life.Closed() {
		return 0, closedError("UDPPeer.Announce")
	}
	self := p.Addr()
	others := slices.DeleteFunc(slices.Clone(targets), func(t netip.AddrPort) bool { return t == self })
	return p.sendEach("UDPPeer.Announce", "announce", msg, others)
}

// Close closes the socket and waits for a running Run to return. It may be
// called any number of times; calls after the first return nil. Every Send,
// Broadcast, Announce or Run after it returns an error matching [ErrClosed].
func (p *UDPPeer) Close() error {
	first := p.life.Close()
	if first && !p.life.Began() {
		close(p.in) // no Run can begin now, nor did one: Incoming ends here
	}
	err := p.closeConn()
	p.life.Wait()
	if !first {
		return nil
	}
	return err
}

// closeConn closes the socket once, for Close and for Run when ctx ends.
func (p *UDPPeer) closeConn() error {
	p.closeMu.Do(func() { p.closeErr = p.conn.Close() })
	return p.closeErr
}

// sendErr turns the error of a write on the closed socket (by Close, or by
// Run when its context ended) into one that matches ErrClosed.
func (p *UDPPeer) sendErr(what string, err error) error {
	if err != nil && errors.Is(err, net.ErrClosed) {
		return closedError(what)
	}
	return err
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
