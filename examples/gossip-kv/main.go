// Command gossip-kv runs the eventually consistent key-value store of package
// kvstore: either the course demo in one process, or one real node of a
// cluster that several terminals (or a script) start and curl talks to.
//
//	go run ./examples/gossip-kv -local
//	    nodes A, B and C on loopback; put temperature=25.5 on A, read it on
//	    B and C, and print how long replication took (-hold keeps them
//	    serving HTTP until Ctrl-C)
//
//	go run ./examples/gossip-kv -name A -bind 127.0.0.1:7946 -http 127.0.0.1:8080 -data /tmp/kv
//	go run ./examples/gossip-kv -name B -bind 127.0.0.1:7947 -http 127.0.0.1:8081 -join 127.0.0.1:7946 -data /tmp/kv
//	curl -X PUT --data 25.5 localhost:8080/kv/temperature
//	curl -X PUT --data 26 'localhost:8080/kv/temperature?w=1'   # answer once B holds it too
//	curl localhost:8081/kv/temperature
//
// -join may name a node that is not up yet: the node keeps trying (capped
// exponential backoff with jitter), and tries again whenever it finds itself
// alone. Without -data a 200 means the write is in one node's memory; with
// -data it is on that node's disk; with ?w=N, N other nodes hold it too.
//
// Gossip is unauthenticated and unencrypted unless every node is given the
// same key: -key BASE64 (make one with `head -c 32 /dev/urandom | base64`)
// or -keyring FILE (one base64 key per line, the first used to encrypt).
// The HTTP API has no authentication: bind it to loopback, or put it behind
// something that authenticates.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/internal/cli"
	"github.com/netlab-go/netlab/internal/gossipkeys"
	"github.com/netlab-go/netlab/kvstore"
)

const synopsis = `usage: gossip-kv -local [-hold]
       gossip-kv -name NAME [-bind HOST:PORT] [-http HOST:PORT] [-join ADDRS] [-data DIR] [-key K | -keyring FILE]

Runs the course demo (three nodes in this process) or one node of a
replicated key-value store with an HTTP API.`

func main() {
	cmd := cli.New("gossip-kv", synopsis)
	f := cmd.Flags
	local := f.Bool("local", false, "run the course demo: nodes A, B and C in this process")
	hold := f.Bool("hold", false, "with -local: keep the nodes serving HTTP until Ctrl-C")
	name := f.String("name", "", "node name (unique in the cluster)")
	bind := f.String("bind", "127.0.0.1:7946", "gossip address host:port (UDP and TCP)")
	httpAddr := f.String("http", "127.0.0.1:8080", "HTTP API address")
	join := f.String("join", "", "comma-separated gossip addresses of nodes to join (retried until one answers)")
	data := f.String("data", "", "folder for the durable store (empty: memory only, so an HTTP 200 means one node's memory; add ?w=N to wait for N replicas)")
	key := f.String("key", "", "base64 AES key (16, 24 or 32 bytes) that encrypts gossip; the same on every node")
	keyring := f.String("keyring", "", "file of base64 keys, one per line, the first encrypting (instead of -key)")
	cmd.Parse(os.Args[1:])
	cmd.NoArgs()

	var seeds []string
	var errs []error
	keys, err := gossipkeys.FromFlags(*key, *keyring)
	errs = append(errs, err)
	if *local {
		if *name != "" || *join != "" || *data != "" {
			errs = append(errs, errors.New("flag -local: runs its own nodes A, B and C; -name, -join and -data are for one node"))
		}
	} else {
		if *hold {
			errs = append(errs, errors.New("flag -hold: only with -local"))
		}
		errs = append(errs, cli.NonEmpty("name", *name), cli.Addr("bind", *bind), cli.Addr("http", *httpAddr))
		if *join != "" {
			for _, s := range strings.Split(*join, ",") {
				errs = append(errs, cli.Addr("join", s))
				seeds = append(seeds, s)
			}
		}
		if *data != "" {
			errs = append(errs, cli.OutDir("data", *data))
		}
	}
	cmd.Check(errs...)

	ctx, stop := cmd.Context()
	defer stop()
	if *local {
		cmd.Fail(interrupted(ctx, runLocal(ctx, *hold, keys)))
		return
	}
	cmd.Fail(runNode(ctx, *name, *bind, *httpAddr, seeds, *data, keys))
}

// interrupted reports work cut short by Ctrl-C or SIGTERM as such: the
// demo did not finish, so the program says so and exits 1.
func interrupted(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return errors.New("interrupted before the demo finished")
	}
	return err
}

// node is a replica with its HTTP API.
type node struct {
	*kvstore.Replica
	http *kvstore.HTTPServer
	url  string
}

func startNode(name, bindHost string, bindPort int, httpAddr, dataDir string, seeds []string, keys [][]byte) (*node, error) {
	cfg := kvstore.DefaultConfig(name)
	if dataDir != "" {
		store, err := kvstore.OpenBoltStore(filepath.Join(dataDir, name+".db"))
		if err != nil {
			return nil, err
		}
		cfg.Store = store
	}
	ccfg := gossip.DefaultLocalConfig()
	ccfg.BindAddr, ccfg.BindPort = bindHost, bindPort
	ccfg.Seeds, ccfg.Keys = seeds, keys
	ccfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	r, err := kvstore.NewReplica(cfg, ccfg)
	if err != nil {
		if cfg.Store != nil {
			cfg.Store.Close()
		}
		return nil, err
	}
	hcfg := kvstore.DefaultHTTPConfig()
	hcfg.Addr = httpAddr
	srv, err := kvstore.NewHTTPServer(r.Node, hcfg)
	if err != nil {
		r.Close()
		return nil, err
	}
	return &node{Replica: r, http: srv, url: srv.URL()}, nil
}

// serve runs the node and its HTTP API until ctx ends.
func (n *node) serve(ctx context.Context) error {
	var httpErr error
	var wg sync.WaitGroup
	wg.Go(func() { httpErr = n.http.Run(ctx) })
	err := n.Run(ctx)
	wg.Wait()
	return errors.Join(err, httpErr)
}

func runNode(ctx context.Context, name, bind, httpAddr string, seeds []string, data string, keys [][]byte) error {
	host, portText, _ := net.SplitHostPort(bind)
	port, _ := strconv.Atoi(portText)
	n, err := startNode(name, host, port, httpAddr, data, seeds, keys)
	if err != nil {
		return err
	}
	enc := "unencrypted"
	if len(keys) > 0 {
		enc = fmt.Sprintf("encrypted with %d-bit AES-GCM", 8*len(keys[0]))
	}
	fmt.Printf("node %s: gossip on %s (%s), HTTP API on %s\n", name, n.Cluster.Addr(), enc, n.url)
	if len(seeds) > 0 {
		fmt.Printf("joining %s (retried until one answers)\n", strings.Join(seeds, ","))
	}
	fmt.Printf("try: curl -X PUT --data 25.5 %s/kv/temperature; curl %s/kv/temperature; Ctrl-C to leave\n", n.url, n.url)
	err = n.serve(ctx)
	s := n.Stats()
	fmt.Printf("node %s stopped: %d puts, %d deletes, %d remote writes merged, %d anti-entropy rounds\n",
		name, s.Puts, s.Deletes, s.Merges, s.AntiEntropyRounds)
	return err
}

func runLocal(ctx context.Context, hold bool, keys [][]byte) error {
	var nodes []*node
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	for _, name := range []string{"A", "B", "C"} {
		n, err := startNode(name, "127.0.0.1", 0, "127.0.0.1:0", "", nil, keys)
		if err != nil {
			return err
		}
		if len(nodes) > 0 {
			if _, err := n.Join([]string{nodes[0].Cluster.Addr()}); err != nil {
				n.http.Close()
				n.Close()
				return err
			}
		}
		nodes = append(nodes, n)
		wg.Go(func() { _ = n.serve(runCtx) })
		fmt.Printf("node %s: gossip %s, HTTP %s\n", name, n.Cluster.Addr(), n.url)
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	for _, n := range nodes {
		if err := n.WaitMembers(wctx, 3); err != nil {
			return err
		}
	}
	fmt.Println("all three nodes see each other")

	// Watch B and C before writing on A: each event arrives the moment the
	// write is applied there.
	watches := make([]<-chan kvstore.Event, len(nodes))
	for i, n := range nodes[1:] {
		watches[i+1] = n.Watch(wctx, "temperature")
	}
	start := time.Now()
	v, err := nodes[0].Put("temperature", []byte("25.5"))
	if err != nil {
		return err
	}
	fmt.Printf("A: put temperature = 25.5 (version %s)\n", v)
	for i, n := range nodes[1:] {
		ev, err := next(wctx, watches[i+1])
		if err != nil {
			return fmt.Errorf("%s never saw the write: %w", n.Name(), err)
		}
		took := time.Since(start)
		e, err := n.Get("temperature")
		if err != nil {
			return err
		}
		fmt.Printf("%s: get temperature = %s (watch saw it %v after the put, written by %s)\n",
			n.Name(), e.Value, took.Round(time.Microsecond), ev.Entry.Origin())
	}

	deleteWatch := nodes[0].Watch(wctx, "temperature")
	if _, err := nodes[1].Delete("temperature"); err != nil {
		return err
	}
	fmt.Println("B: delete temperature (a tombstone, newer than A's write, so it wins)")
	for _, ch := range []<-chan kvstore.Event{deleteWatch, watches[2]} {
		if _, err := next(wctx, ch); err != nil {
			return err
		}
	}
	for _, n := range nodes {
		_, err := n.Get("temperature")
		fmt.Printf("%s: get temperature -> %v\n", n.Name(), err)
	}
	if hold {
		fmt.Printf("serving; try: curl -X PUT --data 30 %s/kv/temperature; curl %s/kv/temperature; Ctrl-C to stop\n", nodes[0].url, nodes[2].url)
		<-ctx.Done()
	}
	return nil
}

// next returns the next event from a watch, or ctx's error.
func next(ctx context.Context, ch <-chan kvstore.Event) (kvstore.Event, error) {
	select {
	case ev, ok := <-ch:
		if !ok {
			return kvstore.Event{}, errors.New("watch closed")
		}
		return ev, nil
	case <-ctx.Done():
		return kvstore.Event{}, ctx.Err()
	}
}
