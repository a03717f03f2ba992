// Command udpchat is the course's UDP chat, done properly: it shows the ARP
// table, scans for chat peers (with progress, in about a second), asks for
// a port (ENTER for 23432), then offers unicast chat, broadcast chat,
// listening, or exit. Listening really receives: incoming messages are
// printed as they arrive, in every mode, and a datagram that is not text or
// is too long is shown too (bad bytes as U+FFFD) with a note naming its
// sender.
//
//	go run ./examples/udpchat                        # the interactive course flow on the LAN
//	go run ./examples/udpchat -loopback              # the same, kept on 127.0.0.1
//
// Without prompts (-port 0, the default, then means any free port):
//
//	go run ./examples/udpchat -loopback -port 23433 -name bob -listen -for 30s
//	go run ./examples/udpchat -loopback -name alice -send "hi bob"   # to every peer found
//	go run ./examples/udpchat -port 23432 -send "hello LAN"          # broadcast on the LAN
//	go run ./examples/udpchat -send "hi" -to 192.168.1.20:23432      # unicast
//
// On the LAN the scan is a discovery round: NETLAB-DISCOVER probes to every
// interface's directed broadcast address, to 255.255.255.255 and to the ARP
// neighbours, at every port of -range (23430-23440 by default; peers
// announce the port they listen on in their reply, so -range 40000-40100
// finds peers that chose such ports). A peer that listens also announces
// itself to every port of -range, so the others learn where it is even if
// they never probe its port. With -loopback it is a bounded port
// sweep of 127.0.0.1 over -range, and "broadcast" sends to each peer the
// sweep found. `nc -u 127.0.0.1 23432` and `socat - UDP:127.0.0.1:23432`
// can take part too.
//
// A send that reaches no peer says so and exits 1. SIGINT and SIGTERM end
// every mode with the same summary of what was received.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/netlab-go/netlab/chat"
	"github.com/netlab-go/netlab/internal/cli"
)

type options struct {
	port     int
	name     string
	send     string
	to       string
	listen   bool
	listenT  time.Duration
	loopback bool
	portsArg string
	wait     time.Duration
	scan     bool

	from, toPort int // parsed -range
}

func main() {
	cmd := cli.New("udpchat", `usage: udpchat [flags]

The course's UDP chat: ARP table, peer discovery, then unicast, broadcast
or listen. Interactive unless -send or -listen is given.`)
	var o options
	fs := cmd.Flags
	fs.IntVar(&o.port, "port", 0, "UDP port to chat on (0: ask, ENTER for 23432; with -send or -listen, any free port)")
	fs.StringVar(&o.name, "name", defaultName(), "your name, announced to discovery probes (A-Z a-z 0-9 . _ -)")
	fs.StringVar(&o.send, "send", "", "send this message and exit (to -to, or to every peer found / broadcast)")
	fs.StringVar(&o.to, "to", "", "with -send: host:port or the name of a peer found by the scan")
	fs.BoolVar(&o.listen, "listen", false, "only listen, printing messages until Ctrl-C, SIGTERM or -for")
	fs.DurationVar(&o.listenT, "for", 0, "with -listen: stop after this long")
	fs.BoolVar(&o.loopback, "loopback", false, "stay on 127.0.0.1: bind it and sweep its ports instead of broadcasting")
	fs.StringVar(&o.portsArg, "range", "23430-23440", "ports where peers are looked for, FROM-TO (at most 4096)")
	fs.DurationVar(&o.wait, "wait", time.Second, "how long to collect discovery replies")
	fs.BoolVar(&o.scan, "scan", true, "show the ARP table and scan for peers first")
	cmd.Parse(os.Args[1:])
	cmd.NoArgs()
	cmd.Check(o.validate()...)

	ctx, stop := cmd.Context()
	defer stop()
	var peer *chat.UDPPeer
	err := run(ctx, o, &peer)
	if peer != nil {
		summarize(peer)
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = nil // stopped by a signal: the summary is the end
	}
	cmd.Fail(err)
}

// validate checks every flag before any socket is opened.
func (o *options) validate() []error {
	var rangeErr, nameErr, toErr, modeErr error
	from, to, err := parseRange(o.portsArg)
	switch {
	case err != nil:
		rangeErr = err
	case to-from+1 > chat.MaxDiscoverPorts:
		rangeErr = fmt.Errorf("flag -range: value %q: want at most %d ports", o.portsArg, chat.MaxDiscoverPorts)
	}
	o.from, o.toPort = from, to
	if err := chat.ValidateName(o.name); err != nil {
		nameErr = fmt.Errorf("flag -name: value %q: want 1 to %d characters of A-Z a-z 0-9 . _ -", o.name, chat.MaxNameLen)
	}
	if o.to != "" {
		toErr = checkTo(o.to)
		if o.send == "" {
			modeErr = fmt.Errorf("flag -to: value %q: only means something with -send", o.to)
		}
	}
	if o.listen && o.send != "" {
		modeErr = errors.New("flag -listen: cannot be combined with -send: choose one")
	}
	if o.listenT != 0 && !o.listen {
		modeErr = fmt.Errorf("flag -for: value %v: only means something with -listen", o.listenT)
	}
	return []error{
		cli.PortOrZero("port", o.port),
		nameErr,
		rangeErr,
		cli.DurationRange("wait", o.wait, time.Millisecond, time.Minute),
		cli.DurationRange("for", o.listenT, 0, 365*24*time.Hour),
		toErr,
		modeErr,
	}
}

// checkTo accepts host:port with an IPv4 address and a port from 1 to 65535,
// an IPv4 address (port 23432), or a peer name to be found by the scan.
func checkTo(s string) error {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		if !ap.Addr().Unmap().Is4() || ap.Port() == 0 {
			return fmt.Errorf("flag -to: value %q: want an IPv4 address with a port from 1 to 65535", s)
		}
		return nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if !a.Unmap().Is4() {
			return fmt.Errorf("flag -to: value %q: want an IPv4 address", s)
		}
		return nil
	}
	if chat.ValidateName(s) != nil {
		return fmt.Errorf("flag -to: value %q: want IPv4:PORT or the name of a peer", s)
	}
	return nil
}

func parseRange(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "-")
	from, err1 := strconv.Atoi(a)
	to, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || from < 1 || to > 65535 || from > to {
		return 0, 0, fmt.Errorf("flag -range: value %q: want FROM-TO with 1 <= FROM <= TO <= 65535", s)
	}
	return from, to, nil
}

func defaultName() string {
	h, _ := os.Hostname()
	h, _, _ = strings.Cut(h, ".")
	if chat.ValidateName(h) != nil {
		return "netlab"
	}
	return h
}

// run does the work; *peerOut is set once the chat socket is open, so that
// main can print its summary however run ends.
func run(ctx context.Context, o options, peerOut **chat.UDPPeer) error {
	lines := cli.Lines(os.Stdin)
	var peers []chat.Peer
	if o.scan {
		fmt.Println("== 1. ARP table: the neighbours this host talked to recently")
		if tab, err := chat.ARPTable(); err != nil {
			fmt.Println("   cannot read it:", err)
		} else if len(tab) == 0 {
			fmt.Println("   (empty)")
		} else {
			_ = tab.Format(os.Stdout)
		}
		fmt.Println("\n== 2. Scanning for chat peers")
		var err error
		if peers, err = scan(ctx, o); err != nil {
			return err
		}
	}

	port := o.port
	if port == 0 && o.send == "" && !o.listen {
		fmt.Printf("\n== 3. Port to chat on [ENTER for %d]: ", chat.DefaultPort)
		p, err := askPort(ctx, lines)
		if err != nil {
			return err
		}
		port = p
	}
	peer, done, err := startPeer(ctx, o, port)
	if err != nil {
		return err
	}
	*peerOut = peer
	printed := make(chan struct{})
	defer func() { _ = peer.Close(); <-done; <-printed }()
	fmt.Printf("   listening on %v as %q\n", peer.Addr(), o.name)
	go func() { defer close(printed); printIncoming(peer) }()
	if o.send == "" {
		// Tell the peers on the -range ports where this one is, so that
		// they find it even if it listens on a port they never probe.
		n, err := peer.Announce(announceTargets(o))
		if err != nil {
			fmt.Println("   announcing:", err)
		}
		fmt.Printf("   announced %q at port %d to %d addresses and ports\n", o.name, peer.Addr().Port(), n)
	}

	switch {
	case o.send != "":
		return sendOnce(peer, o, peers, o.send)
	case o.listen:
		fmt.Println("   listening; Ctrl-C to stop")
		if o.listenT > 0 {
			t := time.NewTimer(o.listenT)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		<-ctx.Done()
		return ctx.Err()
	}
	return menu(ctx, peer, o, peers, lines)
}

// summarize prints what the peer received, the same way however the
// program ends.
func summarize(p *chat.UDPPeer) {
	st := p.Stats()
	fmt.Printf("   received %d messages", st.Received)
	var bad []string
	if st.NotText > 0 {
		bad = append(bad, fmt.Sprintf("%d not text", st.NotText))
	}
	if st.Oversized > 0 {
		bad = append(bad, fmt.Sprintf("%d oversized", st.Oversized))
	}
	if len(bad) > 0 {
		fmt.Printf(" (shown with notes: %s)", strings.Join(bad, ", "))
	}
	if st.Dropped > 0 {
		fmt.Printf("; %d dropped because they came faster than they could be shown", st.Dropped)
	}
	if st.Malformed > 0 {
		fmt.Printf("; %d malformed NETLAB- probes ignored", st.Malformed)
	}
	fmt.Printf("; answered %d discovery probes\n", st.ProbesAnswered)
}

func scan(ctx context.Context, o options) ([]chat.Peer, error) {
	found := func(p chat.Peer) {
		fmt.Printf("   found %-12s at %-21v after %v\n", p.Name, p.Addr, p.RTT.Round(time.Millisecond))
	}
	if o.loopback {
		cfg := chat.DefaultScanConfig()
		cfg.Name, cfg.Bind, cfg.FromPort, cfg.ToPort, cfg.OnPeer = o.name, "127.0.0.1:0", o.from, o.toPort, found
		cfg.Wait = min(cfg.Wait, o.wait)
		prog := cli.NewProgress(os.Stderr, "   probing 127.0.0.1", int64(o.toPort-o.from+1), "ports")
		cfg.Progress = func(sent, _ int) { prog.Set(int64(sent)) }
		res, err := chat.ScanPorts(ctx, cfg)
		prog.Done()
		fmt.Printf("   %d peers answered %d probes (ports %d-%d)\n", len(res.Peers), res.Sent, o.from, o.toPort)
		return res.Peers, err
	}
	cfg := chat.DefaultDiscoverConfig()
	cfg.Name, cfg.Wait, cfg.OnPeer = o.name, o.wait, found
	cfg.Ports = chat.PortRange(o.from, o.toPort)
	if o.port != 0 && (o.port < o.from || o.port > o.toPort) && len(cfg.Ports) < chat.MaxDiscoverPorts {
		cfg.Ports = append(cfg.Ports, o.port) // peers on the port this one will use
	}
	prog := cli.NewProgress(os.Stderr, "   waiting for replies", o.wait.Milliseconds(), "ms")
	start := time.Now()
	stopTicker := make(chan struct{})
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				prog.Set(min(time.Since(start), o.wait).Milliseconds())
			case <-stopTicker:
				return
			}
		}
	}()
	res, err := chat.Discover(ctx, cfg)
	close(stopTicker)
	<-ticked
	prog.Set(min(time.Since(start), o.wait).Milliseconds())
	prog.Done()
	fmt.Printf("   probed %d addresses (%s) at ports %d-%d; %d peers answered\n",
		len(targetAddrs(res.Targets)), targetsText(res.Targets), o.from, o.toPort, len(res.Peers))
	if res.SendErrors > 0 {
		fmt.Printf("   %d probes could not be sent (no route?)\n", res.SendErrors)
	}
	return res.Peers, err
}

func targetAddrs(ts []netip.AddrPort) []netip.Addr {
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	for _, t := range ts {
		if !seen[t.Addr()] {
			seen[t.Addr()] = true
			out = append(out, t.Addr())
		}
	}
	return out
}

func targetsText(ts []netip.AddrPort) string {
	var s []string
	addrs := targetAddrs(ts)
	for i, a := range addrs {
		if i == 4 {
			s = append(s, fmt.Sprintf("and %d more", len(addrs)-4))
			break
		}
		s = append(s, a.String())
	}
	return strings.Join(s, ", ")
}

// announceTargets is every port of -range on 127.0.0.1 (with -loopback) or
// on every broadcast address.
func announceTargets(o options) []netip.AddrPort {
	hosts := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	if !o.loopback {
		hosts, _ = chat.InterfaceBroadcasts()
		hosts = append(hosts, chat.LimitedBroadcast)
	}
	var out []netip.AddrPort
	for _, h := range hosts {
		for _, port := range chat.PortRange(o.from, o.toPort) {
			out = append(out, netip.AddrPortFrom(h, uint16(port)))
		}
	}
	return out
}

func startPeer(ctx context.Context, o options, port int) (*chat.UDPPeer, chan error, error) {
	cfg := chat.DefaultPeerConfig()
	cfg.Name = o.name
	cfg.OnAnnounce = func(q chat.Peer) {
		fmt.Printf("\n   (%s announced itself at %v)\n", q.Name, q.Addr)
	}
	cfg.Addr = fmt.Sprintf(":%d", port)
	if o.loopback {
		cfg.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	}
	p, err := chat.NewUDPPeer(cfg)
	if err != nil {
		return nil, nil, err
	}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	return p, done, nil
}

func printIncoming(p *chat.UDPPeer) {
	for d := range p.Incoming() {
		fmt.Printf("\n   [%v] %s\n", d.From, d.Text)
		if n := d.Note(); n != "" {
			fmt.Printf("   (%s)\n", n)
		}
	}
}

// sendOnce sends text to o.to (an address or a found peer's name), or to
// everyone; a send that can reach nobody is an error.
func sendOnce(p *chat.UDPPeer, o options, peers []chat.Peer, text string) error {
	if o.to != "" {
		addr, err := resolve(o.to, peers)
		if err != nil {
			return err
		}
		if err := p.Send(addr, text); err != nil {
			return err
		}
		fmt.Printf("   sent to %v\n", addr)
		return nil
	}
	return broadcast(p, o, peers, text)
}

func broadcast(p *chat.UDPPeer, o options, peers []chat.Peer, text string) error {
	if o.loopback {
		// Loopback has no broadcast to share: send to each peer the sweep found.
		n := 0
		for _, q := range allPeers(p, peers) {
			if q.Addr != p.Addr() {
				if err := p.Send(q.Addr, text); err != nil {
					return err
				}
				n++
			}
		}
		if n == 0 {
			return fmt.Errorf("sent to nobody: no peer answered on 127.0.0.1 ports %d-%d (see -range, -scan)", o.from, o.toPort)
		}
		fmt.Printf("   sent to %d peers found on loopback\n", n)
		return nil
	}
	n, err := p.Broadcast(text)
	if n == 0 {
		if err == nil {
			err = errors.New("no broadcast address to send to")
		}
		return fmt.Errorf("sent to nobody: %w", err)
	}
	fmt.Printf("   broadcast to %d addresses (broadcast has no receipts)\n", n)
	if o.scan && len(peers) == 0 {
		return fmt.Errorf("broadcast to %d addresses, but no peer answered discovery on ports %d-%d: probably nobody heard it", n, o.from, o.toPort)
	}
	return err
}

// allPeers is the peers the scan found and those that announced themselves
// since, each address once.
func allPeers(p *chat.UDPPeer, scanned []chat.Peer) []chat.Peer {
	out := append([]chat.Peer(nil), scanned...)
	for _, q := range p.Peers() {
		dup := false
		for _, s := range scanned {
			dup = dup || s.Addr == q.Addr
		}
		if !dup {
			out = append(out, q)
		}
	}
	return out
}

func resolve(s string, peers []chat.Peer) (netip.AddrPort, error) {
	for _, q := range peers {
		if q.Name == s {
			return q.Addr, nil
		}
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(a.Unmap(), chat.DefaultPort), nil
	}
	return netip.AddrPort{}, fmt.Errorf("no peer named %q answered the scan", s)
}

func menu(ctx context.Context, p *chat.UDPPeer, o options, peers []chat.Peer, lines <-chan string) error {
	ask := func(prompt string) (string, error) {
		fmt.Print(prompt)
		select {
		case l, ok := <-lines:
			if !ok {
				fmt.Println()
				return "", errEndOfInput
			}
			return strings.TrimSpace(l), nil
		case <-ctx.Done():
			fmt.Println()
			return "", ctx.Err()
		}
	}
	for {
		fmt.Println("\n== 4. 1) unicast  2) broadcast  3) listen  4) exit")
		choice, err := ask("> ")
		if errors.Is(err, errEndOfInput) {
			return nil
		}
		if err != nil {
			return err
		}
		switch choice {
		case "1":
			if known := allPeers(p, peers); len(known) > 0 {
				fmt.Print("   peers:")
				for _, q := range known {
					fmt.Printf(" %s(%v)", q.Name, q.Addr)
				}
				fmt.Println()
			}
			to, err := ask("   to (name or host:port): ")
			if err != nil {
				return endOK(err)
			}
			addr, err := resolve(to, allPeers(p, peers))
			if err != nil {
				fmt.Println("  ", err)
				continue
			}
			text, err := ask("   message: ")
			if err != nil {
				return endOK(err)
			}
			if err := p.Send(addr, text); err != nil {
				fmt.Println("  ", err)
			}
		case "2":
			text, err := ask("   message to everyone: ")
			if err != nil {
				return endOK(err)
			}
			if err := broadcast(p, o, peers, text); err != nil {
				fmt.Println("  ", err)
			}
		case "3":
			if _, err := ask("   listening: messages appear as they arrive; ENTER to go back\n"); err != nil {
				return endOK(err)
			}
		case "4", "q", "exit":
			return nil
		default:
			fmt.Println("   choose 1, 2, 3 or 4")
		}
	}
}

var errEndOfInput = errors.New("end of input")

// endOK treats the end of standard input as a normal end.
func endOK(err error) error {
	if errors.Is(err, errEndOfInput) {
		return nil
	}
	return err
}

func askPort(ctx context.Context, lines <-chan string) (int, error) {
	for {
		select {
		case l, ok := <-lines:
			l = strings.TrimSpace(l)
			if !ok || l == "" {
				if !ok {
					fmt.Println()
				}
				return chat.DefaultPort, nil
			}
			p, err := strconv.Atoi(l)
			if err == nil && p > 0 && p < 65536 {
				return p, nil
			}
			fmt.Print("   a port is a number from 1 to 65535; try again: ")
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}
