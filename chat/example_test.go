package chat_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/netlab-go/netlab/chat"
)

// Two UDP peers on loopback: discovery finds bob, then alice sends him a
// message and he answers to the address it came from.
func ExampleUDPPeer() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := func(name string) (*chat.UDPPeer, chan error) {
		cfg := chat.DefaultPeerConfig()
		cfg.Name = name
		cfg.Addr = "127.0.0.1:0" // loopback, any free port
		p, err := chat.NewUDPPeer(cfg)
		if err != nil {
			panic(err)
		}
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		return p, done
	}
	alice, aliceDone := start("alice")
	bob, bobDone := start("bob")

	dcfg := chat.DefaultDiscoverConfig()
	dcfg.Name = "alice"
	dcfg.Bind = "127.0.0.1:0"
	dcfg.Broadcast, dcfg.ARP = false, false // stay on loopback: probe bob's address only
	dcfg.Targets = []netip.AddrPort{bob.Addr()}
	dcfg.StopAfter = 1
	res, err := chat.Discover(ctx, dcfg)
	if err != nil {
		panic(err)
	}
	fmt.Println("found:", res.Peers[0].Name)

	_ = alice.Send(res.Peers[0].Addr, "hi bob")
	in := <-bob.Incoming()
	fmt.Println("bob got:", in.Text)
	_ = bob.Send(in.From, "hi alice")
	fmt.Println("alice got:", (<-alice.Incoming()).Text)

	cancel()
	<-aliceDone
	<-bobDone
	// Output:
	// found: bob
	// bob got: hi bob
	// alice got: hi alice
}

// A chat server with two clients: a message to everyone, a direct message
// and the user list.
func ExampleServer() {
	cfg := chat.DefaultServerConfig()
	srv, err := chat.NewServer(cfg)
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()

	dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
	defer dcancel()
	alice, _ := chat.Dial(dctx, srv.Addr().String(), "alice")
	bob, _ := chat.Dial(dctx, srv.Addr().String(), "bob")
	next := func(c *chat.Client, kind chat.EventKind) chat.Event {
		for ev := range c.Events() {
			if ev.Kind == kind {
				return ev
			}
		}
		return chat.Event{}
	}
	_ = alice.All("hello everyone")
	ev := next(bob, chat.EventPublic)
	fmt.Printf("bob sees <%s> %s\n", ev.From, ev.Text)
	_ = bob.Msg("alice", "hello you")
	ev = next(alice, chat.EventPrivate)
	fmt.Printf("alice sees *%s* %s\n", ev.From, ev.Text)
	_ = alice.Who()
	fmt.Println("users:", next(alice, chat.EventUsers).Users)

	_ = alice.Close()
	_ = bob.Close()
	cancel()
	<-done
	// Output:
	// bob sees <alice> hello everyone
	// alice sees *bob* hello you
	// users: [alice bob]
}

// ParseARP reads what `arp -a` printed, here on Windows.
func ExampleParseARP() {
	out := "Interface: 192.168.1.23 --- 0xb\r\n" +
		"  Internet Address      Physical Address      Type\r\n" +
		"  192.168.1.1           a4-2b-b0-12-34-56     dynamic\r\n" +
		"  192.168.1.255         ff-ff-ff-ff-ff-ff     static\r\n"
	tab, err := chat.ParseARP(out)
	if err != nil {
		panic(err)
	}
	_ = tab.Format(os.Stdout)
	fmt.Println("neighbours:", len(tab.Neighbours()))
	// Output:
	// IP ADDRESS     MAC ADDRESS        INTERFACE     FLAGS  HOSTNAME
	// 192.168.1.1    a4:2b:b0:12:34:56  192.168.1.23  C      -
	// 192.168.1.255  ff:ff:ff:ff:ff:ff  192.168.1.23  CM     -
	// neighbours: 1
}

// The directed broadcast address of a subnet has every host bit set.
func ExampleDirectedBroadcast() {
	b, _ := chat.DirectedBroadcast(netip.MustParsePrefix("192.168.1.37/24"))
	fmt.Println(b)
	b, _ = chat.DirectedBroadcast(netip.MustParsePrefix("10.20.30.40/20"))
	fmt.Println(b)
	// Output:
	// 192.168.1.255
	// 10.20.31.255
}

// The discovery messages are one line of text each.
func ExampleProbe() {
	b, _ := chat.Probe{Kind: chat.ProbeHere, Name: "bob", Port: 23432}.MarshalText()
	fmt.Printf("%q\n", b)
	p, err := chat.ParseProbe([]byte("NETLAB-DISCOVER 1 alice\n"))
	fmt.Println(p.Kind, p.Name, err)
	// Output:
	// "NETLAB-HERE 1 bob 23432\n"
	// NETLAB-DISCOVER alice <nil>
}

// How a client classifies the lines of the server: each kind prints by name.
func ExampleParseServerLine() {
	for _, line := range []string{"* alice joined", "! no such user: carol", "<bob> hello", "*bob* psst", "* users: alice bob", "???"} {
		ev := chat.ParseServerLine(line)
		fmt.Printf("%-12v from=%q text=%q\n", ev.Kind, ev.From, ev.Text)
	}
	fmt.Println(chat.EventKind(0))
	// Output:
	// EventNotice  from="" text="alice joined"
	// EventError   from="" text="no such user: carol"
	// EventPublic  from="bob" text="hello"
	// EventPrivate from="bob" text="psst"
	// EventUsers   from="" text="users: alice bob"
	// EventOther   from="" text="???"
	// EventKind(0)
}
