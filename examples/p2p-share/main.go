// Command p2p-share is the P2P content-sharing lab: an index server over UDP
// and content peers over TCP (package p2p/index).
//
//	go run ./examples/p2p-share -local                      # everything in one process, every PDU type shown
//	go run ./examples/p2p-share index -addr 127.0.0.1:9000  # the index server
//	go run ./examples/p2p-share peer -index 127.0.0.1:9000 -name alice
//
// A peer is an interactive shell: register NAME PATH, download NAME, list,
// deregister NAME, serving, quit. Add -codec framed to every command to use
// netlab's verified, length-prefixed format instead of the lab's layout.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"

	"github.com/netlab-go/netlab/p2p/index"
	"github.com/netlab-go/netlab/pdu"
)

func main() {
	local := flag.Bool("local", false, "start an index server and three peers in this process and walk through every PDU type")
	codecName := flag.String("codec", "classic", "wire format: classic (the lab's layout) or framed")
	flag.Usage = usage
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	codec, err := pickCodec(*codecName)
	if err != nil {
		fail(err)
	}
	switch {
	case *local:
		err = runLocal(ctx, codec)
	case flag.NArg() > 0 && flag.Arg(0) == "index":
		err = runIndex(ctx, codec, flag.Args()[1:])
	case flag.NArg() > 0 && flag.Arg(0) == "peer":
		err = runPeer(ctx, codec, flag.Args()[1:])
	default:
		usage()
		os.Exit(2)
	}
	if err != nil {
		fail(err)
	}
}

func usage() {
	fmt.Fprintf(os.Stderr, `usage:
  p2p-share [-codec classic|framed] -local
  p2p-share [-codec classic|framed] index [-addr HOST:PORT]
  p2p-share [-codec classic|framed] peer -index HOST:PORT -name NAME [-listen HOST:PORT] [-dir DIR]
`)
	flag.PrintDefaults()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "p2p-share:", err)
	os.Exit(1)
}

func pickCodec(name string) (pdu.Codec, error) {
	switch name {
	case "classic":
		return pdu.Classic{}, nil
	case "framed":
		return pdu.Framed{}, nil
	}
	return nil, fmt.Errorf("-codec %q: want classic or framed", name)
}

func runLocal(ctx context.Context, codec pdu.Codec) error {
	dir, err := os.MkdirTemp("", "p2p-share-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	res, err := index.Walkthrough(ctx, os.Stdout, dir, codec)
	if err != nil {
		return err
	}
	fmt.Printf("\nPDU types used: %s; %d downloads, %d bytes; least-used selection: %v\n",
		res.Types(), res.Downloads, res.Bytes, res.LeastUsed)
	return nil
}

func runIndex(ctx context.Context, codec pdu.Codec, args []string) error {
	fs := flag.NewFlagSet("index", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:9000", "UDP address to listen on")
	_ = fs.Parse(args)
	cfg := index.DefaultConfig()
	cfg.Addr, cfg.Codec = *addr, codec
	srv, err := index.New(cfg)
	if err != nil {
		return err
	}
	fmt.Printf("index server on udp %v (%s codec); Ctrl-C to stop\n", srv.Addr(), codec.Name())
	fmt.Printf("peers: go run ./examples/p2p-share -codec %s peer -index %v -name NAME\n", codec.Name(), srv.Addr())
	err = srv.Run(ctx)
	st := srv.Stats()
	fmt.Printf("\nstopped after %d datagrams (%d refused)\n", st.Requests, st.Refused)
	return err
}

func runPeer(ctx context.Context, codec pdu.Codec, args []string) error {
	fs := flag.NewFlagSet("peer", flag.ExitOnError)
	indexAddr := fs.String("index", "127.0.0.1:9000", "UDP address of the index server")
	name := fs.String("name", "", "this peer's name (at most 10 bytes with the classic codec)")
	listen := fs.String("listen", "127.0.0.1:0", "TCP address to serve content on")
	dir := fs.String("dir", ".", "folder for downloads")
	_ = fs.Parse(args)
	ua, err := net.ResolveUDPAddr("udp", *indexAddr)
	if err != nil {
		return err
	}
	cfg := index.DefaultPeerConfig()
	cfg.Name, cfg.Index, cfg.Listen, cfg.Codec = *name, ua.AddrPort(), *listen, codec
	p, err := index.NewPeer(cfg)
	if err != nil {
		return err
	}
	runCtx, stopRun := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	shellErr := index.Shell(ctx, p, *dir, os.Stdin, os.Stdout, nil)
	stopRun() // Run closes the peer: its content is de-registered
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "p2p-share: closing:", err)
	}
	fmt.Println("bye")
	return shellErr
}
