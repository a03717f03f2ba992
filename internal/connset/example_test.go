package connset_test

import (
	"bufio"
	"fmt"
	"io"
	"net"

	"github.com/netlab-go/netlab/internal/connset"
)

// A line echo server that serves one connection at a time and tells a
// second one it is busy.
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	set := connset.New(ln, 1)
	done := make(chan error, 1)
	go func() {
		done <- set.Serve(func(c net.Conn) {
			line, _ := bufio.NewReader(c).ReadString('\n')
			_, _ = io.WriteString(c, "echo "+line)
			_, _ = c.Read(make([]byte, 1)) // hold the connection until Close
		}, func(c net.Conn) {
			_, _ = io.WriteString(c, "busy\n")
		})
	}()

	first, _ := net.Dial("tcp", set.Addr().String())
	defer first.Close()
	fmt.Fprintln(first, "hello")
	reply, _ := bufio.NewReader(first).ReadString('\n')
	fmt.Print(reply)

	second, _ := net.Dial("tcp", set.Addr().String())
	defer second.Close()
	refused, _ := io.ReadAll(second)
	fmt.Print(string(refused))

	_ = set.Close() // closes first's server end too
	fmt.Println("Serve:", <-done)
	set.Wait()
	// Output:
	// echo hello
	// busy
	// Serve: <nil>
}
