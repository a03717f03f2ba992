package kvstore_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/kvstore"
)

// Three replicas that find each other through a seed (B and C name A's
// address, and would keep trying if A were not up yet), and a write that
// answers only once both others hold it.
func ExampleNode_PutAcked() {
	network, _ := gossip.NewMemNetwork(gossip.DefaultMemConfig())
	defer network.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()

	var replicas []*kvstore.Replica
	for _, name := range []string{"A", "B", "C"} {
		ccfg := gossip.DefaultLocalConfig()
		ccfg.Network = network
		if len(replicas) > 0 {
			ccfg.Seeds = []string{replicas[0].Cluster.Addr()}
		}
		r, err := kvstore.NewReplica(kvstore.DefaultConfig(name), ccfg)
		if err != nil {
			panic(err)
		}
		replicas = append(replicas, r)
		wg.Go(func() { r.Run(ctx) })
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := replicas[0].WaitMembers(wctx, 3); err != nil {
		panic(err)
	}

	if _, err := replicas[0].PutAcked(ctx, "temperature", []byte("25.5"), 2); err != nil {
		panic(err)
	}
	for _, r := range replicas[1:] {
		e, err := r.Get("temperature") // no waiting: the acknowledgement says it is there
		fmt.Println(r.Name(), string(e.Value), err)
	}
	// Output:
	// B 25.5 <nil>
	// C 25.5 <nil>
}

// Two nodes that do not replicate to each other disagree on every key
// written on one of them.
func ExampleDivergent() {
	a, _ := kvstore.New(kvstore.DefaultConfig("a"), nil)
	defer a.Close()
	b, _ := kvstore.New(kvstore.DefaultConfig("b"), nil)
	defer b.Close()
	a.Put("x", []byte("1"))
	a.Put("y", []byte("2"))
	b.Delete("z")
	d, _ := kvstore.Divergent(a, b)
	fmt.Println(d, "divergent keys")
	// Output: 3 divergent keys
}

// The HTTP API with its limits: a write, a read, and a method the path does
// not take.
func ExampleHTTPServer() {
	n, _ := kvstore.New(kvstore.DefaultConfig("A"), nil)
	defer n.Close()
	srv, err := kvstore.NewHTTPServer(n, kvstore.HTTPConfig{ReadTimeout: 5 * time.Second, MaxConns: 64})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); <-done }()

	req, _ := http.NewRequest("PUT", srv.URL()+"/kv/temperature", strings.NewReader("25.5"))
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()
	fmt.Println("PUT", resp.Status)

	resp, _ = http.Get(srv.URL() + "/kv/temperature")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println("GET", resp.Status, strings.Contains(string(body), `"value": "25.5"`))

	resp, _ = http.Post(srv.URL()+"/kv/temperature", "text/plain", strings.NewReader("x"))
	resp.Body.Close()
	fmt.Println("POST", resp.Status, "Allow:", resp.Header.Get("Allow"))
	// Output:
	// PUT 200 OK
	// GET 200 OK true
	// POST 405 Method Not Allowed Allow: GET, HEAD, PUT, DELETE
}
