package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/netlab-go/netlab/p2p/index"
	"github.com/netlab-go/netlab/pdu"
)

func init() {
	register(step{order: 10, name: "share", title: "P2P content sharing: a UDP index server and three TCP content peers", run: runShare})
}

// runShare runs the content-sharing lab on loopback with both codecs and
// keeps the Classic transcript, every PDU exchanged, in the output folder.
func runShare(ctx context.Context, e *env) error {
	dir, err := os.MkdirTemp("", "netlab-tour-share-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, codec := range []pdu.Codec{pdu.Classic{}, pdu.Framed{}} {
		e.Printf("index server and peers alice, bob, carol with the %s codec ...", codec.Name())
		var transcript bytes.Buffer
		res, err := index.Walkthrough(ctx, &transcript, dir+"/"+codec.Name(), codec)
		if err != nil {
			return fmt.Errorf("%s walkthrough: %w", codec.Name(), err)
		}
		if !res.LeastUsed {
			return fmt.Errorf("%s: the index did not choose the least-used holder", codec.Name())
		}
		lines := strings.Count(transcript.String(), " → ") + strings.Count(transcript.String(), " ← ")
		e.Printf("  %d PDUs exchanged, types %s; %d downloads re-registered by their downloaders", lines, res.Types(), res.Downloads)
		if codec.Name() == "classic" {
			path := e.Path("share-classic-transcript.txt")
			if err := os.WriteFile(path, transcript.Bytes(), 0o644); err != nil {
				return err
			}
		}
		e.Report("%s: PDU types %s, %d downloads (%d bytes), least-used holder chosen", codec.Name(), res.Types(), res.Downloads, res.Bytes)
	}
	return nil
}
