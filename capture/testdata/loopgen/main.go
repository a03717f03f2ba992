// Command loopgen makes the loopback traffic behind the loopback captures
// in capture/testdata (see mkloopback.sh, which captures it with dumpcap
// and stores tshark's answers beside it). It is not part of the library:
// it lives under testdata so that go build ./... skips it.
//
//	go run ./capture/testdata/loopgen -mode http -http-port 8931 -dns 127.0.1.53:53
//	go run ./capture/testdata/loopgen -mode tls -tls-port 443 -tls-odd 9443
//
// In http mode it serves HTTP/1.1 on an odd port and fetches pages from it
// with curl (a text page, a PNG larger than one loopback segment, a 404,
// two host names), and answers DNS on a local address while resolving names
// through it with Go's resolver (answers, NXDOMAIN, an AAAA, a TCP query).
// In tls mode it serves HTTPS with a self-signed certificate on 443 and on
// an odd port and fetches a page from each with curl (SNI and ALPN set).
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

func main() {
	mode := flag.String("mode", "http", "http (HTTP on an odd port and DNS) or tls")
	httpPort := flag.Int("http-port", 8931, "port of the plain HTTP server")
	dnsAddr := flag.String("dns", "127.0.1.53:53", "address of the DNS server (UDP and TCP)")
	tlsPort := flag.Int("tls-port", 443, "port of the first HTTPS server")
	tlsOdd := flag.Int("tls-odd", 9443, "port of the second HTTPS server")
	flag.Parse()
	var err error
	switch *mode {
	case "http":
		err = runHTTP(*httpPort, *dnsAddr)
	case "tls":
		err = runTLS(*tlsPort, *tlsOdd)
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil {
		log.Fatal("loopgen: ", err)
	}
}

func pngBytes() []byte {
	// A noisy image compresses badly, so the PNG spans several segments.
	img := image.NewNRGBA(image.Rect(0, 0, 200, 200))
	seed := uint32(1)
	for i := range img.Pix {
		seed = seed*1664525 + 1013904223
		img.Pix[i] = byte(seed >> 24)
	}
	img.Set(0, 0, color.Black)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func handler() http.Handler {
	logo := pngBytes()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "hello from %s\nline two\nline three\n", r.Host)
	})
	mux.HandleFunc("/logo.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", strconv.Itoa(len(logo)))
		w.WriteHeader(http.StatusOK)
		if f, ok := w.(http.Flusher); ok {
			f.Flush() // headers in their own segment: the body is reassembled
		}
		w.Write(logo)
	})
	return mux
}

func curl(args ...string) error {
	cmd := exec.Command("curl", append([]string{"-sS", "-o", os.DevNull}, args...)...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("curl %v: %w", args, err)
	}
	return nil
}

func runHTTP(port int, dnsAddr string) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler()}
	go srv.Serve(ln)
	defer srv.Close()

	stopDNS, err := serveDNS(dnsAddr)
	if err != nil {
		return err
	}
	defer stopDNS()

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	for _, args := range [][]string{
		{base + "/"},
		{"-H", "Host: www.example.test", base + "/"},
		{"-H", "Host: www.example.test", base + "/logo.png"},
		{"-H", "Host: img.example.test", base + "/missing"},
		{"-X", "POST", "-d", "a=1&b=2", base + "/"},
	} {
		if err := curl(args...); err != nil {
			return err
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, network := range []string{"udp", "tcp"} {
		r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, dnsAddr)
		}}
		for _, name := range []string{"www.example.test", "img.example.test", "nothere.example.test"} {
			if network == "tcp" && name != "www.example.test" {
				continue
			}
			_, err := r.LookupIPAddr(ctx, name)
			var dnsErr *net.DNSError
			if err != nil && !(errors.As(err, &dnsErr) && dnsErr.IsNotFound) {
				return err
			}
		}
	}
	return nil
}

// serveDNS answers A and AAAA queries for *.example.test except nothere
// (NXDOMAIN) over UDP and TCP.
func serveDNS(addr string) (func(), error) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		pc.Close()
		return nil, err
	}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := answer(buf[:n]); resp != nil {
				pc.WriteTo(resp, from)
			}
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for {
					var l [2]byte
					if _, err := io.ReadFull(c, l[:]); err != nil {
						return
					}
					msg := make([]byte, int(l[0])<<8|int(l[1]))
					if _, err := io.ReadFull(c, msg); err != nil {
						return
					}
					resp := answer(msg)
					if resp == nil {
						return
					}
					c.Write(append([]byte{byte(len(resp) >> 8), byte(len(resp))}, resp...))
				}
			}()
		}
	}()
	return func() { pc.Close(); ln.Close() }, nil
}

func answer(q []byte) []byte {
	var d layers.DNS
	if err := d.DecodeFromBytes(q, gopacket.NilDecodeFeedback); err != nil || len(d.Questions) != 1 {
		return nil
	}
	qq := d.Questions[0]
	r := layers.DNS{ID: d.ID, QR: true, OpCode: d.OpCode, RD: d.RD, RA: true, Questions: d.Questions}
	switch {
	case string(qq.Name) == "nothere.example.test":
		r.ResponseCode = layers.DNSResponseCodeNXDomain
	case qq.Type == layers.DNSTypeA:
		r.Answers = []layers.DNSResourceRecord{{Name: qq.Name, Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 60, IP: net.IPv4(127, 0, 0, 1)}}
	case qq.Type == layers.DNSTypeAAAA:
		r.Answers = []layers.DNSResourceRecord{{Name: qq.Name, Type: layers.DNSTypeAAAA, Class: layers.DNSClassIN, TTL: 60, IP: net.IPv6loopback}}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := r.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		return nil
	}
	return buf.Bytes()
}

func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "www.example.test"},
		DNSNames: []string{"www.example.test", "api.example.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func runTLS(port, odd int) error {
	cert, err := selfSigned()
	if err != nil {
		return err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	for _, p := range []int{port, odd} {
		ln, err := tls.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), cfg)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: handler()}
		go srv.Serve(ln)
		defer srv.Close()
	}
	for _, a := range [][]string{
		{"--http1.1", "-k", "--resolve", "www.example.test:" + strconv.Itoa(port) + ":127.0.0.1", "https://www.example.test:" + strconv.Itoa(port) + "/"},
		{"--http1.1", "-k", "--resolve", "api.example.test:" + strconv.Itoa(odd) + ":127.0.0.1", "https://api.example.test:" + strconv.Itoa(odd) + "/logo.png"},
	} {
		if err := curl(a...); err != nil {
			return err
		}
	}
	return nil
}
