// Command consumer is a program someone else wrote: a separate Go module that
// imports every netlab package and uses it only through its public API, as
// the package documentation teaches. netlab's test TestConsumerModule builds
// and runs it under the race detector; it exits non-zero, naming the part
// that failed, when any part does not behave as documented, and when any
// goroutine is left running at the end.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.uber.org/goleak"
	"gonum.org/v1/gonum/mat"

	"github.com/netlab-go/netlab/amqpdemo"
	"github.com/netlab-go/netlab/capture"
	"github.com/netlab-go/netlab/chat"
	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/kvstore"
	"github.com/netlab-go/netlab/matrix"
	"github.com/netlab-go/netlab/mlcluster"
	"github.com/netlab-go/netlab/p2p"
	"github.com/netlab-go/netlab/p2p/index"
	"github.com/netlab-go/netlab/pdu"
	"github.com/netlab-go/netlab/reno"
)

type part struct {
	name string
	run  func(ctx context.Context) error
}

func main() {
	parts := []part{
		{"pdu: every PDU through both codecs", pduRoundTrips},
		{"reno: a user-written controller", renoUserController},
		{"amqpdemo: the topic rule", amqpTopics},
		{"gossip: a cluster until everyone has the rumour", gossipCluster},
		{"kvstore: three replicas, put, get, delete", kvstoreReplicas},
		{"p2p/index: an index server and two peers", indexDownload},
		{"p2p: a seed and two peers gossiping", p2pOverlay},
		{"matrix: a distributed multiply against gonum", matrixMultiply},
		{"mlcluster: k-means on a cluster equals local", mlclusterKMeans},
		{"chat: an embedded server with two clients", chatServer},
		{"capture: a capture analysed", captureAnalysis},
	}
	failed := 0
	for _, p := range parts {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		start := time.Now()
		err := p.run(ctx)
		cancel()
		if err != nil {
			fmt.Printf("FAIL %s: %v\n", p.name, err)
			failed++
			continue
		}
		fmt.Printf("ok   %s (%v)\n", p.name, time.Since(start).Round(time.Millisecond))
	}
	if err := goleak.Find(); err != nil {
		fmt.Printf("FAIL goroutines left running: %v\n", err)
		failed++
	}
	if failed > 0 {
		fmt.Printf("%d of %d parts failed\n", failed, len(parts))
		os.Exit(1)
	}
	fmt.Println("all parts ok")
}

// wait polls cond until it holds or ctx ends.
func wait(ctx context.Context, what string, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

func pduRoundTrips(context.Context) error {
	addr := netip.MustParseAddrPort("127.0.0.1:5001")
	pdus := []pdu.PDU{
		{Type: pdu.Register, Peer: "alice", Content: "song", Addr: addr},
		{Type: pdu.Search, Peer: "bob", Content: "song"},
		{Type: pdu.Search, Reply: true, Addr: addr},
		{Type: pdu.Download, Peer: "bob", Content: "song"},
		{Type: pdu.Content, Data: bytes.Repeat([]byte("la "), 100)[:100]}, // Classic C frames hold exactly 100 bytes
		{Type: pdu.Final, Data: []byte("la")},
		{Type: pdu.List, Peer: "bob"},
		{Type: pdu.List, Reply: true, Names: []string{"song", "film"}},
		{Type: pdu.Deregister, Peer: "alice", Content: "song"},
		{Type: pdu.Ack, Peer: "alice"},
		{Type: pdu.Error, Text: "content not found"},
	}
	for _, codec := range []pdu.Codec{pdu.Classic{}, pdu.Framed{}} {
		for _, p := range pdus {
			dir := pdu.Request
			if p.Reply || p.Type == pdu.Ack || p.Type == pdu.Error {
				dir = pdu.Reply
			}
			b, err := codec.Append(nil, &p)
			if err != nil {
				return fmt.Errorf("%s: encode %c: %w", codec.Name(), p.Type, err)
			}
			var got pdu.PDU
			if err := codec.Decode(b, dir, &got); err != nil {
				return fmt.Errorf("%s: decode %c: %w", codec.Name(), p.Type, err)
			}
			if got.Type != p.Type || got.Peer != p.Peer || got.Content != p.Content || !bytes.Equal(got.Data, p.Data) ||
				(p.Text != "" && got.Text != p.Text) || strings.Join(got.Names, ",") != strings.Join(p.Names, ",") {
				return fmt.Errorf("%s: %c came back as %+v", codec.Name(), p.Type, got)
			}
		}
		var bad pdu.PDU
		if err := codec.Decode([]byte{'Z', 0, 1}, pdu.Request, &bad); err == nil {
			return fmt.Errorf("%s: garbage decoded without an error", codec.Name())
		}
	}
	return nil
}

// aimd is a congestion controller written outside netlab: additive
// increase by one segment per window, halving on three duplicate ACKs and
// restarting from one segment on a timeout. The sender keeps DupAcks.
type aimd struct{}

func (aimd) Name() string { return "aimd" }

func (aimd) OnAck(w *reno.Window, a reno.Ack) reno.Action {
	if a.Kind == reno.DupAck {
		if w.DupAcks == 3 {
			w.Ssthresh = max(a.Flight/2, 2*w.SMSS)
			w.Cwnd = w.Ssthresh
			return reno.Action{Retransmit: true, Event: reno.EventFastRetransmit}
		}
		return reno.Action{Event: reno.EventDupAck}
	}
	if w.Cwnd < w.Ssthresh {
		w.Cwnd += min(a.Acked, w.SMSS)
	} else {
		w.Cwnd += max(1, w.SMSS*w.SMSS/w.Cwnd)
	}
	return reno.Action{Event: reno.EventNewAck}
}

func (aimd) OnTimeout(w *reno.Window, t reno.Timeout) {
	w.Ssthresh = max(t.Flight/2, 2*w.SMSS)
	w.Cwnd = w.SMSS
}

func renoUserController(ctx context.Context) error {
	cfg := reno.DefaultConfig()
	cfg.Link.Loss = 0.01
	cfg.Duration = 20 * time.Second
	cfg.Flows[0].Control = aimd{}
	sim, err := reno.New(cfg)
	if err != nil {
		return err
	}
	res, err := sim.Run(ctx)
	if err != nil {
		return err
	}
	f := res.Flows[0]
	if f.Goodput <= 0 || f.Retransmissions == 0 {
		return fmt.Errorf("goodput %v with %d retransmissions: the controller did not run", f.Goodput, f.Retransmissions)
	}
	mathis := reno.Mathis(cfg.Flows[0].MSS, cfg.Link.Delay*2, cfg.Link.Loss, 1)
	if r := f.Goodput / mathis; r < 0.3 || r > 2 {
		return fmt.Errorf("goodput %.0f b/s is %.2f× Mathis's %.0f b/s", f.Goodput, r, mathis)
	}
	return nil
}

func amqpTopics(context.Context) error {
	cases := []struct {
		binding, key string
		want         bool
	}{
		{"weather.#", "weather.uk.rain", true},
		{"*.*.ibm", "stock.nyse.ibm", true},
		{"*.ibm", "stock.nyse.ibm", false},
		{"#", "anything.at.all", true},
	}
	for _, c := range cases {
		if got := amqpdemo.MatchTopic(c.binding, c.key); got != c.want {
			return fmt.Errorf("MatchTopic(%q, %q) = %v", c.binding, c.key, got)
		}
	}
	if err := amqpdemo.ValidateRoutingKey(strings.Repeat("k", 256)); err == nil {
		return errors.New("a 256-byte routing key was accepted (AMQP allows 255)")
	}
	return nil
}

func gossipCluster(ctx context.Context) error {
	const n = 5
	var (
		mu  sync.Mutex
		got = map[string]bool{}
	)
	var members []*gossip.Cluster
	defer func() {
		for _, m := range members {
			m.Close()
		}
	}()
	for i := range n {
		cfg := gossip.DefaultLocalConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.OnMessage = func(m gossip.ClusterMessage) {
			mu.Lock()
			got[cfg.Name] = string(m.Data) == "the rumour"
			mu.Unlock()
		}
		c, err := gossip.NewCluster(cfg)
		if err != nil {
			return err
		}
		members = append(members, c)
		if i > 0 {
			if _, err := c.Join([]string{members[0].Addr()}); err != nil {
				return fmt.Errorf("join: %w", err)
			}
		}
	}
	if err := wait(ctx, "full membership", func() bool {
		for _, m := range members {
			if m.NumMembers() != n {
				return false
			}
		}
		return true
	}); err != nil {
		return err
	}
	members[0].Broadcast([]byte("the rumour"))
	return wait(ctx, "everyone has the rumour", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for i := 1; i < n; i++ {
			if !got[fmt.Sprintf("m%d", i)] {
				return false
			}
		}
		return true
	})
}

func kvstoreReplicas(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	var replicas []*kvstore.Replica
	for _, name := range []string{"A", "B", "C"} {
		r, err := kvstore.NewReplica(kvstore.DefaultConfig(name), gossip.DefaultLocalConfig())
		if err != nil {
			return err
		}
		if len(replicas) > 0 {
			if _, err := r.Join([]string{replicas[0].Cluster.Addr()}); err != nil {
				return err
			}
		}
		replicas = append(replicas, r)
		wg.Go(func() { _ = r.Run(ctx) })
	}
	if _, err := replicas[0].Put("temperature", []byte("25.5")); err != nil {
		return err
	}
	for _, r := range replicas[1:] {
		if err := wait(ctx, "the put reaches every replica", func() bool {
			e, err := r.Get("temperature")
			return err == nil && string(e.Value) == "25.5"
		}); err != nil {
			return err
		}
	}
	if _, err := replicas[2].Delete("temperature"); err != nil {
		return err
	}
	return wait(ctx, "the delete reaches A", func() bool {
		_, err := replicas[0].Get("temperature")
		return errors.Is(err, kvstore.ErrNotFound)
	})
}

func indexDownload(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	srv, err := index.New(index.DefaultConfig())
	if err != nil {
		return err
	}
	wg.Go(func() { _ = srv.Run(ctx) })
	start := func(name string) (*index.Peer, error) {
		cfg := index.DefaultPeerConfig()
		cfg.Name, cfg.Index = name, srv.Addr()
		p, err := index.NewPeer(cfg)
		if err != nil {
			return nil, err
		}
		wg.Go(func() { _ = p.Run(ctx) })
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
	dir, err := os.MkdirTemp("", "consumer-index-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	content := bytes.Repeat([]byte("netlab "), 100_000)
	src := filepath.Join(dir, "book.txt")
	if err := os.WriteFile(src, content, 0o644); err != nil {
		return err
	}
	if _, err := alice.Register("book", src); err != nil {
		return err
	}
	into := filepath.Join(dir, "bob")
	if err := os.Mkdir(into, 0o755); err != nil {
		return err
	}
	path, err := bob.Download(ctx, "book", into)
	if err != nil {
		return err
	}
	got, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, content) {
		return fmt.Errorf("downloaded %d bytes that differ from the %d registered", len(got), len(content))
	}
	if _, err := bob.Download(ctx, "nothing", into); err == nil {
		return errors.New("a download of content nobody holds succeeded")
	}
	return nil
}

func p2pOverlay(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	seed, err := p2p.NewSeed(p2p.DefaultSeedConfig())
	if err != nil {
		return err
	}
	wg.Go(func() { _ = seed.Run(ctx) })
	cfg := p2p.DefaultConfig()
	cfg.Seeds = []netip.AddrPort{seed.Addr()}
	cfg.GossipCount = 0
	a, err := p2p.NewPeer(cfg)
	if err != nil {
		return err
	}
	got := make(chan p2p.Message, 1)
	cfg.OnGossip = func(m p2p.Message, from netip.AddrPort) {
		select {
		case got <- m:
		default:
		}
	}
	b, err := p2p.NewPeer(cfg)
	if err != nil {
		return err
	}
	for _, p := range []*p2p.Peer{a, b} {
		wg.Go(func() { _ = p.Run(ctx) })
		select {
		case <-p.Joined():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	sent := a.Publish()
	select {
	case m := <-got:
		if m.String() != sent.String() {
			return fmt.Errorf("b got %q, a sent %q", m, sent)
		}
	case <-ctx.Done():
		return fmt.Errorf("b never got a's message: %w", ctx.Err())
	}
	if n := len(seed.Registry().Peers()); n != 2 {
		return fmt.Errorf("the seed lists %d peers, want 2", n)
	}
	return nil
}

func matrixMultiply(ctx context.Context) error {
	cluster, err := matrix.StartLocal(ctx, matrix.DefaultLocalConfig())
	if err != nil {
		return err
	}
	defer cluster.Close()
	client, err := matrix.NewClient(matrix.DefaultClientConfig(cluster.Addr()))
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	a, b := matrix.RandomDense(rng, 300, 200), matrix.RandomDense(rng, 200, 250)
	c, rep, err := client.MultiplyReport(ctx, a, b)
	if err != nil {
		return err
	}
	if rep.Local {
		return errors.New("the multiply ran locally, not on the grid")
	}
	var want mat.Dense
	want.Mul(a, b)
	if d := matrix.MaxAbsDiff(c, &want); d > 1e-9 {
		return fmt.Errorf("max |C − gonum| = %g", d)
	}
	return nil
}

func mlclusterKMeans(ctx context.Context) error {
	var data bytes.Buffer
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 3000 {
		cx := float64(i%3) * 10
		fmt.Fprintf(&data, "%g,%g\n", cx+rng.NormFloat64(), -cx+rng.NormFloat64())
	}
	params := mlcluster.Params{"k": "3", "seed": "7"}
	lc, err := mlcluster.StartLocalCluster(ctx, mlcluster.DefaultConfig(), 2)
	if err != nil {
		return err
	}
	defer lc.Close()
	client, err := mlcluster.NewClient(mlcluster.ClientConfig{Coordinator: lc.Addr()})
	if err != nil {
		return err
	}
	res, err := client.Submit(ctx, bytes.NewReader(data.Bytes()), "kmeans", params)
	if err != nil {
		return err
	}
	if res.Workers == 0 {
		return errors.New("the job ran on the coordinator, not on the workers")
	}
	ds, err := mlcluster.Parse(bytes.NewReader(data.Bytes()), mlcluster.ParseOptions{})
	if err != nil {
		return err
	}
	local, err := mlcluster.RunLocal(ctx, ds, "kmeans", params, mlcluster.LocalOptions{Shards: res.Shards})
	if err != nil {
		return err
	}
	for _, name := range res.TableNames() {
		g, w := res.Table(name), local.Table(name)
		if fmt.Sprint(g.Data) != fmt.Sprint(w.Data) {
			return fmt.Errorf("table %s: cluster and local differ", name)
		}
	}
	return nil
}

func chatServer(ctx context.Context) error {
	srv, err := chat.NewServer(chat.DefaultServerConfig())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); <-done }()
	alice, err := chat.Dial(ctx, srv.Addr().String(), "alice")
	if err != nil {
		return err
	}
	defer alice.Close()
	bob, err := chat.Dial(ctx, srv.Addr().String(), "bob")
	if err != nil {
		return err
	}
	defer bob.Close()
	if err := alice.All("hello everyone"); err != nil {
		return err
	}
	for {
		select {
		case ev, ok := <-bob.Events():
			if !ok {
				return errors.New("bob's events ended")
			}
			if ev.Kind == chat.EventPublic {
				if ev.From != "alice" || ev.Text != "hello everyone" {
					return fmt.Errorf("bob got %+v", ev)
				}
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("bob never got alice's message: %w", ctx.Err())
		}
	}
}

func captureAnalysis(ctx context.Context) error {
	var file bytes.Buffer
	stats, err := capture.Generate(&file, capture.GenerateConfig{Hosts: 6, Frames: 2000, Seed: 1})
	if err != nil {
		return err
	}
	r, err := capture.NewReader(bytes.NewReader(file.Bytes()), 0)
	if err != nil {
		return err
	}
	a, err := capture.New(capture.DefaultConfig())
	if err != nil {
		return err
	}
	if err := a.ReadFrom(ctx, r); err != nil {
		return err
	}
	h := a.Hierarchy()
	if got := h.Total("eth").Frames; got != uint64(stats.Frames) {
		return fmt.Errorf("eth counts %d frames, the generator wrote %d", got, stats.Frames)
	}
	if len(a.Conversations(capture.ConvIPv4)) == 0 {
		return errors.New("no IP conversations")
	}
	return nil
}
