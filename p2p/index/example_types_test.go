package index_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/netlab-go/netlab/p2p/index"
)

// ExampleMemRegistry shows the index server's bookkeeping, an
// [index.Registry], driven by hand: registrations per (peer, content),
// [index.ErrDuplicate] for a second one, holders oldest first, the S
// replies each was named in, and removal.
func ExampleMemRegistry() {
	r := index.NewMemRegistry()
	for _, reg := range []index.Registration{
		{Peer: "alice", Content: "song", Addr: netip.MustParseAddrPort("127.0.0.1:7001")},
		{Peer: "bob", Content: "song", Addr: netip.MustParseAddrPort("127.0.0.1:7002")},
		{Peer: "bob", Content: "film", Addr: netip.MustParseAddrPort("127.0.0.1:7002")},
	} {
		if err := r.Add(reg); err != nil {
			fmt.Println(err)
		}
	}
	err := r.Add(index.Registration{Peer: "bob", Content: "film", Addr: netip.MustParseAddrPort("127.0.0.1:7002")})
	fmt.Println("again:", errors.Is(err, index.ErrDuplicate))
	fmt.Println("contents:", r.Contents())

	_ = r.Use("alice", "song") // an S reply named alice
	for _, h := range r.Holders("song", nil) {
		fmt.Printf("song: %s at %s, named %d time(s)\n", h.Peer, h.Addr, h.Uses)
	}
	fmt.Println("remove:", r.Remove("bob", "film"), "- contents:", r.Contents())
	fmt.Println("remove again:", errors.Is(r.Remove("bob", "film"), index.ErrNotRegistered))
	// Output:
	// again: true
	// contents: [film song]
	// song: alice at 127.0.0.1:7001, named 1 time(s)
	// song: bob at 127.0.0.1:7002, named 0 time(s)
	// remove: <nil> - contents: [song]
	// remove again: true
}

// ExampleServer runs an index [index.Server] on loopback (UDP, port 0)
// with a [index.Config.Registry] filled beforehand, and asks it for its
// listing the way any peer would, with an O request from an
// [index.Peer]. Cancelling the context stops Run; Close releases the socket.
func ExampleServer() {
	reg := index.NewMemRegistry()
	_ = reg.Add(index.Registration{Peer: "alice", Content: "song", Addr: netip.MustParseAddrPort("127.0.0.1:7001")})

	cfg := index.DefaultConfig() // 127.0.0.1:0
	cfg.Registry = reg
	srv, err := index.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); <-done }()

	pc := index.DefaultPeerConfig()
	pc.Name, pc.Index = "carol", srv.Addr()
	carol, err := index.NewPeer(pc)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer carol.Close()
	listing, err := carol.List()
	fmt.Println("listing:", listing.Names, err)
	fmt.Println("requests seen:", srv.Stats().Requests)
	// Output:
	// listing: [song] <nil>
	// requests seen: 1
}

// ExamplePeer registers a file with the index from one [index.Peer],
// shows what it serves, and withdraws it again. Run serves the content
// over TCP until the context ends; Close withdraws whatever is still
// registered and waits for Run to return.
func ExamplePeer() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := index.New(index.DefaultConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Run(ctx) }()
	defer func() { cancel(); <-srvDone }()

	dir, err := os.MkdirTemp("", "index-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	song := filepath.Join(dir, "song.txt")
	if err := os.WriteFile(song, []byte("la la la"), 0o644); err != nil {
		fmt.Println(err)
		return
	}

	cfg := index.DefaultPeerConfig() // serves on 127.0.0.1:0
	cfg.Name, cfg.Index = "alice", srv.Addr()
	alice, err := index.NewPeer(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	peerDone := make(chan error, 1)
	go func() { peerDone <- alice.Run(ctx) }()
	defer func() { alice.Close(); <-peerDone }()

	if _, err := alice.Register("song", song); err != nil {
		fmt.Println(err)
		return
	}
	listing, err := alice.List()
	fmt.Println(alice.Name(), "serves", alice.Serving(), "- index lists", listing.Names, err)
	if _, err := alice.Deregister("song"); err != nil {
		fmt.Println(err)
	}
	listing, err = alice.List()
	fmt.Println(alice.Name(), "serves", alice.Serving(), "- index lists", listing.Names, err)
	// Output:
	// alice serves [song] - index lists [song] <nil>
	// alice serves [] - index lists [] <nil>
}
