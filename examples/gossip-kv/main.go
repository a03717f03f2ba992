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
//	curl localhost:8081/kv/temperature
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/kvstore"
)

func main() {
	local := flag.Bool("local", false, "run the course demo: nodes A, B and C in this process")
	hold := flag.Bool("hold", false, "with -local: keep the nodes serving HTTP until Ctrl-C")
	name := flag.String("name", "", "node name (unique in the cluster)")
	bind := flag.String("bind", "127.0.0.1:7946", "gossip address host:port (UDP and TCP)")
	httpAddr := flag.String("http", "127.0.0.1:8080", "HTTP API address")
	join := flag.String("join", "", "comma-separated gossip addresses of nodes to join")
	data := flag.String("data", "", "folder for the durable store (empty: memory only)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	if *local {
		err = runLocal(ctx, *hold)
	} else {
		err = runNode(ctx, *name, *bind, *httpAddr, *join, *data)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gossip-kv:", err)
		os.Exit(1)
	}
}

// node is a replica with its HTTP API.
type node struct {
	*kvstore.Replica
	http *http.Server
	url  string
}

func startNode(name, bindHost string, bindPort int, httpAddr, dataDir string) (*node, error) {
	cfg := kvstore.DefaultConfig(name)
	if dataDir != "" {
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return nil, err
		}
		store, err := kvstore.OpenBoltStore(filepath.Join(dataDir, name+".db"))
		if err != nil {
			return nil, err
		}
		cfg.Store = store
	}
	ccfg := gossip.DefaultLocalConfig()
	ccfg.BindAddr, ccfg.BindPort = bindHost, bindPort
	r, err := kvstore.NewReplica(cfg, ccfg)
	if err != nil {
		if cfg.Store != nil {
			cfg.Store.Close()
		}
		return nil, err
	}
	ln, err := net.Listen("tcp", httpAddr)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("HTTP listener: %w", err)
	}
	srv := &http.Server{Handler: r.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return &node{Replica: r, http: srv, url: "http://" + ln.Addr().String()}, nil
}

func runNode(ctx context.Context, name, bind, httpAddr, join, data string) error {
	if name == "" {
		return errors.New("-name is required (or use -local)")
	}
	host, portText, err := net.SplitHostPort(bind)
	if err != nil {
		return fmt.Errorf("-bind %q: %w", bind, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return fmt.Errorf("-bind %q: port is not a number", bind)
	}
	n, err := startNode(name, host, port, httpAddr, data)
	if err != nil {
		return err
	}
	defer n.http.Close()
	fmt.Printf("node %s: gossip on %s, HTTP API on %s\n", name, n.Cluster.Addr(), n.url)
	if join != "" {
		seeds := strings.Split(join, ",")
		if got, err := n.Join(seeds); err != nil {
			fmt.Printf("join %v: %v (anti-entropy and reconnection will keep trying)\n", seeds, err)
		} else {
			fmt.Printf("joined through %d of %d seeds\n", got, len(seeds))
		}
	}
	fmt.Printf("try: curl -X PUT --data 25.5 %s/kv/temperature; curl %s/kv/temperature; Ctrl-C to leave\n", n.url, n.url)
	return n.Run(ctx)
}

func runLocal(ctx context.Context, hold bool) error {
	var nodes []*node
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		for _, n := range nodes {
			n.http.Close()
		}
	}()
	for _, name := range []string{"A", "B", "C"} {
		n, err := startNode(name, "127.0.0.1", 0, "127.0.0.1:0", "")
		if err != nil {
			return err
		}
		if len(nodes) > 0 {
			if _, err := n.Join([]string{nodes[0].Cluster.Addr()}); err != nil {
				n.Close()
				return err
			}
		}
		nodes = append(nodes, n)
		wg.Go(func() { _ = n.Run(runCtx) })
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
