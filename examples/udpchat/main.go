// Command udpchat is the course's UDP chat, done properly: it shows the ARP
// table, scans for chat peers (with progress, in about a second), asks for
// a port (ENTER for 23432), then offers unicast chat, broadcast chat,
// listening, or exit. Listening really receives: incoming messages are
// printed as they arrive, in every mode.
//
//	go run ./examples/udpchat                        # the interactive course flow on the LAN
//	go run ./examples/udpchat -loopback              # the same, kept on 127.0.0.1
//
// Without prompts:
//
//	go run ./examples/udpchat -loopback -port 23433 -name bob -listen -for 30s
//	go run ./examples/udpchat -loopback -port 23434 -name alice -send "hi bob"
//	go run ./examples/udpchat -port 23432 -send "hello LAN"          # broadcast on the LAN
//	go run ./examples/udpchat -send "hi" -to 192.168.1.20:23432      # unicast
//
// On the LAN the scan is a discovery round: NETLAB-DISCOVER probes to every
// interface's directed broadcast address, to 255.255.255.255 and to the ARP
// neighbours, at port 23432. With -loopback it is a bounded port sweep of
// 127.0.0.1 (-range), and "broadcast" sends to each peer the sweep found.
// `nc -u 127.0.0.1 23432` can take part too.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/netlab-go/netlab/chat"
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
}

func main() {
	var o options
	flag.IntVar(&o.port, "port", 0, "UDP port to chat on (0: ask, ENTER for 23432)")
	flag.StringVar(&o.name, "name", defaultName(), "your name, announced to discovery probes")
	flag.StringVar(&o.send, "send", "", "send this message and exit (to -to, or broadcast)")
	flag.StringVar(&o.to, "to", "", "with -send: host:port or peer name to send to instead of broadcasting")
	flag.BoolVar(&o.listen, "listen", false, "only listen, printing messages until Ctrl-C (or -for)")
	flag.DurationVar(&o.listenT, "for", 0, "with -listen: stop after this long")
	flag.BoolVar(&o.loopback, "loopback", false, "stay on 127.0.0.1: bind it and sweep its ports instead of broadcasting")
	flag.StringVar(&o.portsArg, "range", "23430-23440", "with -loopback: port range to sweep")
	flag.DurationVar(&o.wait, "wait", time.Second, "how long to collect discovery replies")
	flag.BoolVar(&o.scan, "scan", true, "show the ARP table and scan for peers first")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "udpchat:", err)
		os.Exit(1)
	}
}

func defaultName() string {
	h, _ := os.Hostname()
	h, _, _ = strings.Cut(h, ".")
	if chat.ValidateName(h) != nil {
		return "netlab"
	}
	return h
}

func run(ctx context.Context, o options) error {
	if err := chat.ValidateName(o.name); err != nil {
		return err
	}
	lines := stdinLines()
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
	if port == 0 {
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
	defer func() { _ = peer.Close(); <-done }()
	fmt.Printf("   listening on %v as %q\n", peer.Addr(), o.name)
	go printIncoming(peer)

	switch {
	case o.send != "":
		return sendOnce(peer, o, peers, o.send)
	case o.listen:
		fmt.Println("   listening; Ctrl-C to stop")
		if o.listenT > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, o.listenT)
			defer cancel()
		}
		<-ctx.Done()
		fmt.Printf("   received %d messages\n", peer.Stats().Received)
		return nil
	}
	return menu(ctx, peer, o, peers, lines)
}

func scan(ctx context.Context, o options) ([]chat.Peer, error) {
	found := func(p chat.Peer) {
		fmt.Printf("\r   found %-12s at %-21v after %v\n", p.Name, p.Addr, p.RTT.Round(time.Millisecond))
	}
	if o.loopback {
		from, to, err := parseRange(o.portsArg)
		if err != nil {
			return nil, err
		}
		cfg := chat.DefaultScanConfig()
		cfg.Name, cfg.Bind, cfg.FromPort, cfg.ToPort, cfg.OnPeer = o.name, "127.0.0.1:0", from, to, found
		cfg.Progress = func(sent, total int) {
			if sent%10 == 0 || sent == total {
				fmt.Printf("\r   probed %d/%d ports of 127.0.0.1", sent, total)
			}
		}
		res, err := chat.ScanPorts(ctx, cfg)
		fmt.Printf("\n   %d peers answered %d probes\n", len(res.Peers), res.Sent)
		return res.Peers, err
	}
	cfg := chat.DefaultDiscoverConfig()
	cfg.Name, cfg.Wait, cfg.OnPeer = o.name, o.wait, found
	start := time.Now()
	stopTicker := make(chan struct{})
	go func() { // progress while waiting for replies
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fmt.Printf("\r   waiting for replies: %v of %v", time.Since(start).Round(100*time.Millisecond), o.wait)
			case <-stopTicker:
				return
			}
		}
	}()
	res, err := chat.Discover(ctx, cfg)
	close(stopTicker)
	fmt.Printf("\r   probed %d addresses (%s); %d peers answered\n", len(res.Targets), targetsText(res.Targets), len(res.Peers))
	if res.SendErrors > 0 {
		fmt.Printf("   %d probes could not be sent (no route?)\n", res.SendErrors)
	}
	return res.Peers, err
}

func targetsText(ts []netip.AddrPort) string {
	var s []string
	for i, t := range ts {
		if i == 4 {
			s = append(s, fmt.Sprintf("and %d more", len(ts)-4))
			break
		}
		s = append(s, t.Addr().String())
	}
	return strings.Join(s, ", ")
}

func parseRange(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "-")
	from, err1 := strconv.Atoi(a)
	to, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("-range %q: want FROM-TO", s)
	}
	return from, to, nil
}

func startPeer(ctx context.Context, o options, port int) (*chat.UDPPeer, chan error, error) {
	cfg := chat.DefaultPeerConfig()
	cfg.Name = o.name
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
	}
}

// sendOnce sends text to o.to (an address or a found peer's name), or
// broadcasts it.
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
		for _, q := range peers {
			if q.Addr != p.Addr() {
				if err := p.Send(q.Addr, text); err != nil {
					return err
				}
				n++
			}
		}
		fmt.Printf("   sent to %d peers found on loopback\n", n)
		return nil
	}
	n, err := p.Broadcast(text)
	fmt.Printf("   broadcast to %d addresses\n", n)
	return err
}

func resolve(s string, peers []chat.Peer) (netip.AddrPort, error) {
	for _, q := range peers {
		if q.Name == s {
			return q.Addr, nil
		}
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(a, chat.DefaultPort), nil
	}
	return netip.AddrPort{}, fmt.Errorf("%q is neither a found peer nor host:port", s)
}

func menu(ctx context.Context, p *chat.UDPPeer, o options, peers []chat.Peer, lines <-chan string) error {
	ask := func(prompt string) (string, error) {
		fmt.Print(prompt)
		select {
		case l, ok := <-lines:
			if !ok {
				return "", context.Canceled // end of input
			}
			return strings.TrimSpace(l), nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	for {
		fmt.Println("\n== 4. 1) unicast  2) broadcast  3) listen  4) exit")
		choice, err := ask("> ")
		if err != nil {
			return err
		}
		switch choice {
		case "1":
			if len(peers) > 0 {
				fmt.Print("   peers:")
				for _, q := range peers {
					fmt.Printf(" %s(%v)", q.Name, q.Addr)
				}
				fmt.Println()
			}
			to, err := ask("   to (name or host:port): ")
			if err != nil {
				return err
			}
			addr, err := resolve(to, peers)
			if err != nil {
				fmt.Println("  ", err)
				continue
			}
			text, err := ask("   message: ")
			if err != nil {
				return err
			}
			if err := p.Send(addr, text); err != nil {
				fmt.Println("  ", err)
			}
		case "2":
			text, err := ask("   message to everyone: ")
			if err != nil {
				return err
			}
			if err := broadcast(p, o, peers, text); err != nil {
				fmt.Println("  ", err)
			}
		case "3":
			if _, err := ask("   listening: messages appear as they arrive; ENTER to go back\n"); err != nil {
				return err
			}
		case "4", "q", "exit":
			return nil
		default:
			fmt.Println("   choose 1, 2, 3 or 4")
		}
	}
}

func askPort(ctx context.Context, lines <-chan string) (int, error) {
	for {
		select {
		case l, ok := <-lines:
			l = strings.TrimSpace(l)
			if !ok || l == "" {
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

// stdinLines reads standard input in the background, so that Ctrl-C and
// incoming messages are never stuck behind a prompt.
func stdinLines() <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}
