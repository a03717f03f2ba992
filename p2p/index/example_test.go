package index_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/netlab-go/netlab/p2p/index"
	"github.com/netlab-go/netlab/pdu"
)

// A session of the lab on loopback: an index server, a peer that shares a
// file, and a peer that downloads it and then serves it too.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	srv, err := index.New(index.DefaultConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Run(ctx) }()

	start := func(name string) (*index.Peer, chan error) {
		cfg := index.DefaultPeerConfig()
		cfg.Name, cfg.Index = name, srv.Addr()
		p, err := index.NewPeer(cfg)
		if err != nil {
			panic(err)
		}
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		return p, done
	}
	alice, aliceDone := start("alice")
	bob, bobDone := start("bob")

	dir, _ := os.MkdirTemp("", "netlab-example-")
	defer os.RemoveAll(dir)
	song := filepath.Join(dir, "song.txt")
	_ = os.WriteFile(song, []byte("la la la"), 0o644)

	if _, err := alice.Register("song", song); err != nil {
		fmt.Println(err)
	}
	listing, _ := bob.List()
	fmt.Println("index lists:", listing.Names)

	into := filepath.Join(dir, "bob")
	_ = os.Mkdir(into, 0o755)
	path, err := bob.Download(ctx, "song", into)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(path)
	fmt.Printf("bob downloaded %q and now serves %v\n", b, bob.Serving())

	_, err = bob.Download(ctx, "nothing", into)
	fmt.Println(err)

	// Stopping the peers de-registers their content; then stop the index.
	cancel()
	<-aliceDone
	<-bobDone
	<-srvDone
	// Output:
	// index lists: [song]
	// bob downloaded "la la la" and now serves [song]
	// index: content not found: pdu: server replied E: content not found
}

// The index rules are plain code: a request and its sender in, replies out.
// No sockets. The sender's address is a peer's identity.
func ExampleRules() {
	rules, _ := index.NewRules(index.NewMemRegistry(), index.RulesConfig{NamesPerReply: 10})
	alice := netip.MustParseAddrPort("10.0.0.1:40000")
	bob := netip.MustParseAddrPort("10.0.0.2:40000")
	mallory := netip.MustParseAddrPort("10.0.0.66:40000")
	show := func(who string, from netip.AddrPort, req pdu.PDU) {
		for _, rep := range rules.Handle(&req, from, nil) {
			switch rep.Type {
			case pdu.Search:
				fmt.Printf("%-7s %c %s -> S %v\n", who, req.Type, req.Content, rep.Addr)
			case pdu.Error:
				fmt.Printf("%-7s %c %s -> E %q\n", who, req.Type, req.Content, rep.Text)
			default:
				fmt.Printf("%-7s %c %s -> %c\n", who, req.Type, req.Content, rep.Type)
			}
		}
	}
	show("alice", alice, pdu.PDU{Type: pdu.Register, Peer: "alice", Content: "song", Addr: netip.MustParseAddrPort("10.0.0.1:5001")})
	show("bob", bob, pdu.PDU{Type: pdu.Register, Peer: "bob", Content: "song", Addr: netip.MustParseAddrPort("10.0.0.2:5002")})
	show("mallory", mallory, pdu.PDU{Type: pdu.Register, Peer: "bob", Content: "song", Addr: netip.MustParseAddrPort("10.0.0.66:5002")})
	show("mallory", mallory, pdu.PDU{Type: pdu.Register, Peer: "m", Content: "song", Addr: netip.MustParseAddrPort("10.1.2.3:22")})
	show("mallory", mallory, pdu.PDU{Type: pdu.Deregister, Peer: "alice", Content: "song"})
	show("carol", mallory, pdu.PDU{Type: pdu.Search, Content: "song"}) // both unused: bob, the most recent
	show("carol", mallory, pdu.PDU{Type: pdu.Search, Content: "song"}) // alice is now the least used
	show("carol", mallory, pdu.PDU{Type: pdu.Search, Content: "film"})
	// Output:
	// alice   R song -> A
	// bob     R song -> A
	// mallory R song -> E "peer name already registered for this content; choose another"
	// mallory R song -> E "the advertised address must be the sender's IP address"
	// mallory T song -> E "registered from another address; only that address can de-register it"
	// carol   S song -> S 10.0.0.2:5002
	// carol   S song -> S 10.0.0.1:5001
	// carol   S film -> E "content not found"
}
