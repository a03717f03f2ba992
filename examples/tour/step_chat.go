package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/netlab-go/netlab/chat"
)

// runChat discovers two UDP peers and lets them talk, then runs a TCP chat
// among three clients. Everything binds and sends to 127.0.0.1 only: no
// broadcast leaves this host.
func runChat(ctx context.Context, e *env) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := tourUDP(ctx, e); err != nil {
		return err
	}
	return tourTCP(ctx, e)
}

func tourUDP(ctx context.Context, e *env) error {
	pctx, stop := context.WithCancel(ctx)
	var dones []chan error
	defer func() {
		stop()
		for _, d := range dones {
			<-d
		}
	}()
	start := func(name string) (*chat.UDPPeer, error) {
		cfg := chat.DefaultPeerConfig()
		cfg.Name, cfg.Addr = name, "127.0.0.1:0"
		p, err := chat.NewUDPPeer(cfg)
		if err != nil {
			return nil, err
		}
		d := make(chan error, 1)
		dones = append(dones, d)
		go func() { d <- p.Run(pctx) }()
		return p, nil
	}
	alice, err := start("alice")
	if err != nil {
		return err
	}
	bob, err := start("bob")
	if err != nil {
		return err
	}
	e.Printf("UDP peers alice on %v and bob on %v", alice.Addr(), bob.Addr())

	// On a LAN discovery probes the broadcast addresses; here it probes the
	// two loopback addresses by unicast, with the same messages.
	dcfg := chat.DefaultDiscoverConfig()
	dcfg.Name, dcfg.Bind = "tour", "127.0.0.1:0"
	dcfg.Broadcast, dcfg.ARP = false, false
	dcfg.Targets = []netip.AddrPort{alice.Addr(), bob.Addr()}
	dcfg.StopAfter = 2
	dcfg.OnPeer = func(p chat.Peer) {
		e.Printf("  NETLAB-HERE 1 %s %d   from %v after %v", p.Name, p.Addr.Port(), p.Addr.Addr(), p.RTT.Round(time.Microsecond))
	}
	e.Printf("discovery: NETLAB-DISCOVER 1 tour to 2 loopback addresses")
	res, err := chat.Discover(ctx, dcfg)
	if err != nil {
		return err
	}
	if len(res.Peers) != 2 {
		return fmt.Errorf("discovery found %d peers, want 2", len(res.Peers))
	}
	slowest := max(res.Peers[0].RTT, res.Peers[1].RTT)
	e.Report("UDP discovery: %d peers found in %v (loopback only)", len(res.Peers), slowest.Round(time.Microsecond))

	if err := alice.Send(bob.Addr(), "hi bob, found you"); err != nil {
		return err
	}
	in, err := recvUDP(ctx, bob)
	if err != nil {
		return err
	}
	e.Printf("bob got %q from %v", in.Text, in.From)
	if err := bob.Send(in.From, "hi alice"); err != nil {
		return err
	}
	back, err := recvUDP(ctx, alice)
	if err != nil {
		return err
	}
	e.Printf("alice got %q from %v", back.Text, back.From)

	// What nc or another implementation might send: bytes that are not
	// UTF-8. Nothing is dropped unannounced: bob shows it, with a note.
	raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	defer raw.Close()
	if _, err := raw.WriteToUDPAddrPort([]byte("caf\xe9 au lait\n"), bob.Addr()); err != nil {
		return err
	}
	bad, err := recvUDP(ctx, bob)
	if err != nil {
		return err
	}
	if bad.Problem == "" {
		return fmt.Errorf("bob took %q as text", bad.Text)
	}
	e.Printf("bob got %q (%s)", bad.Text, bad.Note())
	e.Report("UDP exchange: 2 datagrams, no connection set up; a Latin-1 datagram shown with U+FFFD and a note naming its sender")
	return nil
}

func recvUDP(ctx context.Context, p *chat.UDPPeer) (chat.Datagram, error) {
	select {
	case d := <-p.Incoming():
		return d, nil
	case <-ctx.Done():
		return chat.Datagram{}, fmt.Errorf("%s received nothing: %w", p.Name(), ctx.Err())
	}
}

func tourTCP(ctx context.Context, e *env) error {
	cfg := chat.DefaultServerConfig() // 127.0.0.1, a free port
	s, err := chat.NewServer(cfg)
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(sctx) }()
	defer func() { stop(); <-done }()
	e.Printf("TCP chat server on %v (a goroutine per client, a write queue each)", s.Addr())

	nicks := []string{"ada", "bo", "cy"}
	clients := make([]*chat.Client, len(nicks))
	for i, n := range nicks {
		c, err := chat.Dial(ctx, s.Addr().String(), n)
		if err != nil {
			return err
		}
		defer c.Close()
		clients[i] = c
	}
	if _, err := chat.Dial(ctx, s.Addr().String(), "ADA"); !errors.Is(err, chat.ErrNickRejected) {
		return fmt.Errorf("a second ADA was not refused: %v", err)
	}
	e.Printf("ada, bo and cy joined; a second \"ADA\" was refused")

	if err := clients[0].All("hello, everyone"); err != nil {
		return err
	}
	for _, c := range clients[1:] {
		ev, err := waitEvent(ctx, c, chat.EventPublic)
		if err != nil {
			return err
		}
		e.Printf("%s sees <%s> %s", c.Nick(), ev.From, ev.Text)
	}
	if err := clients[2].Msg("bo", "just between us"); err != nil {
		return err
	}
	ev, err := waitEvent(ctx, clients[1], chat.EventPrivate)
	if err != nil {
		return err
	}
	e.Printf("bo sees *%s* %s (nobody else does)", ev.From, ev.Text)
	if err := clients[2].Quit(); err != nil {
		return err
	}
	for ev.Text != "cy left" { // the server announces the leave to the others
		if ev, err = waitEvent(ctx, clients[0], chat.EventNotice); err != nil {
			return err
		}
	}
	if err := clients[0].Who(); err != nil {
		return err
	}
	ev, err = waitEvent(ctx, clients[0], chat.EventUsers)
	if err != nil {
		return err
	}
	e.Printf("cy quit; ada's /who: %v", ev.Users)
	st := s.Stats()
	e.Report("TCP chat: 3 clients, /all to 3, /msg to 1, %d lines delivered", st.Delivered)
	return nil
}

// waitEvent returns c's next event of the kind, skipping others (joins...).
func waitEvent(ctx context.Context, c *chat.Client, kind chat.EventKind) (chat.Event, error) {
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				return chat.Event{}, fmt.Errorf("%s: connection closed", c.Nick())
			}
			if ev.Kind == kind {
				return ev, nil
			}
		case <-ctx.Done():
			return chat.Event{}, fmt.Errorf("%s: waiting for a message: %w", c.Nick(), ctx.Err())
		}
	}
}
