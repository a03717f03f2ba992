package capture_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/netlab-go/netlab/capture"
)

// ExampleReader reads a pcapng file frame by frame with a
// [capture.Reader]: [capture.OpenFile] detects the container format (pcap
// or pcapng, plain or gzip), and Next returns one [capture.Packet] at a
// time until [io.EOF]. Packet.Data is only valid until the next call.
func ExampleReader() {
	rd, err := capture.OpenFile("testdata/loop_http_dns.pcapng", 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rd.Close()

	var frames, bytes int
	for {
		p, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		if frames < 3 {
			fmt.Printf("frame %d: %s, %d bytes on the wire, %d captured\n", frames+1, p.LinkType, p.Length, len(p.Data))
		}
		frames++
		bytes += p.Length
	}
	fmt.Printf("%s: %d frames, %d bytes\n", rd.Format(), frames, bytes)
	// Output:
	// frame 1: Ethernet, 74 bytes on the wire, 74 captured
	// frame 2: Ethernet, 74 bytes on the wire, 74 captured
	// frame 3: Ethernet, 66 bytes on the wire, 66 captured
	// pcapng: 90 frames, 168273 bytes
}

// ExampleLive captures on the loopback interface for half a second with a
// [capture.Live] and counts the frames. It needs root (or CAP_NET_RAW),
// and what it sees depends on the traffic at that moment, so it has no
// Output line and is compiled but not run by go test. On loopback every
// packet shows up twice, once going out and once coming in.
func ExampleLive() {
	live, err := capture.OpenLive(capture.DefaultLiveConfig("lo"))
	if err != nil {
		fmt.Println(err) // not root, or no such interface
		return
	}
	defer live.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var frames, bytes int
	err = live.Run(ctx, func(p capture.Packet) {
		frames++
		bytes += p.Length
	})
	if err != nil { // Run returns nil when ctx ends
		fmt.Println(err)
		return
	}
	fmt.Printf("%d frames, %d bytes\n", frames, bytes)
}
