package index

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/netlab-go/netlab/pdu"
)

// WalkthroughResult summarises a [Walkthrough].
type WalkthroughResult struct {
	// PDUs counts the PDUs the peers sent and received, by type letter.
	PDUs map[pdu.Type]int
	// Downloads is the number of completed downloads, Bytes their total size.
	Downloads int
	Bytes     int64
	// LeastUsed reports whether the third peer was sent to the second (the
	// least-used holder) rather than to the first.
	LeastUsed bool
}

// Types returns the PDU type letters seen, in alphabetical order.
func (r WalkthroughResult) Types() string {
	var ts []byte
	for t := range r.PDUs {
		ts = append(ts, byte(t))
	}
	slices.Sort(ts)
	return string(ts)
}

// Walkthrough runs the lab on loopback in one process: an index server and
// three peers, alice, bob and carol, that between them use every PDU type.
// It writes each step and every PDU exchanged to w. dir is a scratch folder
// for the peers' files. Everything it starts is stopped when it returns.
func Walkthrough(ctx context.Context, w io.Writer, dir string, codec pdu.Codec) (WalkthroughResult, error) {
	res := WalkthroughResult{PDUs: make(map[pdu.Type]int)}
	if codec == nil {
		codec = pdu.Classic{}
	}
	var mu sync.Mutex
	names := map[string]string{} // TCP address → peer name
	lastD := map[string]string{} // peer name → where it last sent D
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, format+"\n", args...)
	}
	trace := func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		res.PDUs[e.PDU.Type]++
		if e.Sent && e.PDU.Type == pdu.Download {
			lastD[e.Peer] = e.Remote
		}
		other := e.Remote
		if n, ok := names[e.Remote]; ok {
			other = n
		} else if strings.HasPrefix(other, "index ") {
			other = "index"
		} else {
			other = "peer " + other
		}
		arrow := "→"
		if !e.Sent {
			arrow = "←"
		}
		fmt.Fprintf(w, "    %-6s %s %-6s %v\n", e.Peer, arrow, other, e.PDU)
	}

	cfg := DefaultConfig()
	cfg.Codec = codec
	srv, err := New(cfg)
	if err != nil {
		return res, err
	}
	// The peers stop first (closing, they de-register with the index), then
	// the index server.
	srvCtx, stopSrv := context.WithCancel(context.Background())
	srvDone := make(chan struct{})
	go func() { _ = srv.Run(srvCtx); close(srvDone) }()
	defer func() { stopSrv(); <-srvDone }()
	ctx, cancel := context.WithCancel(ctx)
	var peerWG sync.WaitGroup
	defer func() { cancel(); peerWG.Wait() }()
	say("index server listening on udp %v (%s codec)", srv.Addr(), codec.Name())

	// start runs a peer until stop is called or the walkthrough ends; stop
	// returns once the peer has closed (and so de-registered its content).
	start := func(name string) (p *Peer, stop func(), err error) {
		pc := DefaultPeerConfig()
		pc.Name, pc.Index, pc.Codec, pc.Trace = name, srv.Addr(), codec, trace
		if p, err = NewPeer(pc); err != nil {
			return nil, nil, err
		}
		pctx, cancelPeer := context.WithCancel(ctx)
		done := make(chan struct{})
		peerWG.Go(func() { _ = p.Run(pctx); close(done) })
		mu.Lock()
		names[p.Addr().String()] = name
		mu.Unlock()
		say("peer %s serving content on tcp %v", name, p.Addr())
		return p, func() { cancelPeer(); <-done }, nil
	}
	alice, _, err := start("alice")
	if err != nil {
		return res, err
	}
	bob, stopBob, err := start("bob")
	if err != nil {
		return res, err
	}
	carol, _, err := start("carol")
	if err != nil {
		return res, err
	}

	// Files: song spans two full frames and a partial one in Classic.
	for _, d := range []string{"alice", "bob", "carol"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return res, err
		}
	}
	song := []byte(strings.Repeat("la ", 83) + "!") // 250 bytes: C C F(50)
	film := []byte("a very short film")
	if err := os.WriteFile(filepath.Join(dir, "alice", "song"), song, 0o644); err != nil {
		return res, err
	}
	if err := os.WriteFile(filepath.Join(dir, "alice", "film"), film, 0o644); err != nil {
		return res, err
	}

	step := func(text string) { say("\n%s", text) }
	want := func(err error, what string) error {
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}

	step("1. alice registers two files (R, answered with A)")
	if err := want(second(alice.Register("song", filepath.Join(dir, "alice", "song"))), "register song"); err != nil {
		return res, err
	}
	if err := want(second(alice.Register("film", filepath.Join(dir, "alice", "film"))), "register film"); err != nil {
		return res, err
	}

	step("2. a newcomer also calls itself alice and registers song: E")
	imp, stopImp, err := start("alice")
	if err != nil {
		return res, err
	}
	if _, err := imp.Register("song", filepath.Join(dir, "alice", "song")); !errors.Is(err, ErrDuplicate) {
		return res, fmt.Errorf("duplicate registration: got %v, want ErrDuplicate", err)
	}
	stopImp()

	step("3. bob asks for the list of content (O)")
	list, err := bob.List()
	if err != nil {
		return res, err
	}
	say("   bob sees %q", list)

	download := func(p *Peer, name string) (string, error) {
		path, err := p.Download(ctx, name, filepath.Join(dir, p.Name()))
		if err != nil {
			return "", err
		}
		st, err := os.Stat(path)
		if err != nil {
			return "", err
		}
		res.Downloads++
		res.Bytes += st.Size()
		return path, nil
	}

	step("4. bob downloads song: S to the index, D to alice, content frames, then R: bob serves it too")
	if _, err := download(bob, "song"); err != nil {
		return res, err
	}

	step("5. carol downloads song: alice was used once, bob never, so the index sends carol to bob")
	if _, err := download(carol, "song"); err != nil {
		return res, err
	}
	mu.Lock()
	res.LeastUsed = lastD["carol"] == bob.Addr().String()
	mu.Unlock()

	step("6. carol searches for content nobody has: E")
	if _, err := carol.Download(ctx, "nothing", filepath.Join(dir, "carol")); !errors.Is(err, ErrNotFound) {
		return res, fmt.Errorf("search for unknown content: got %v, want ErrNotFound", err)
	}

	step("7. a broken client sends a datagram of an unknown type: the index answers E and keeps serving")
	if err := garbage(srv, codec, say, res.PDUs, &mu); err != nil {
		return res, err
	}

	step("8. alice withdraws film (T, answered with A)")
	if err := want(second(alice.Deregister("film")), "deregister film"); err != nil {
		return res, err
	}

	step("9. bob quits: his Close de-registers everything he served")
	stopBob()

	step("10. carol lists again: only song is left, served by alice and carol")
	if list, err = carol.List(); err != nil {
		return res, err
	}
	say("   carol sees %q", list)
	return res, nil
}

// second returns the error of a call that also returns a text.
func second(_ string, err error) error { return err }

// garbage sends the index a datagram of unknown type and prints the answer.
func garbage(srv *Server, codec pdu.Codec, say func(string, ...any), counts map[pdu.Type]int, mu *sync.Mutex) error {
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(srv.Addr()))
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("Xhello")); err != nil {
		return err
	}
	say("    client → index  %q", "Xhello")
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, codec.Limits().MaxDatagram)
	n, err := conn.Read(buf)
	if err != nil {
		return err
	}
	var rep pdu.PDU
	if err := codec.Decode(buf[:n], pdu.Reply, &rep); err != nil {
		return err
	}
	mu.Lock()
	counts[rep.Type]++
	mu.Unlock()
	say("    client ← index  %v", rep)
	return nil
}
