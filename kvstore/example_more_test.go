package kvstore_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/netlab-go/netlab/kvstore"
)

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
