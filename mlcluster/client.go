package mlcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"time"

	"github.com/netlab-go/netlab/internal/calls"

	"github.com/netlab-go/netlab/internal/defaults"
)

// ClientConfig configures a [Client].
type ClientConfig struct {
	// Coordinator is the coordinator's TCP address (required).
	Coordinator string
	// Progress, when set, is called with each progress report of a job
	// (iteration and objective), in order, from the Submit call's goroutine.
	Progress func(Progress)
	// MaxFrame bounds any frame the coordinator may send (default [DefaultMaxFrame]).
	MaxFrame int
	// ChunkBytes is the size of the frames the data is streamed in (default 256 KiB).
	ChunkBytes int
	// DialTimeout bounds connecting to the coordinator (default 5s).
	DialTimeout time.Duration
}

// DefaultClientConfig returns defaults; [Coordinator] must still be set.
func DefaultClientConfig() ClientConfig {
	return ClientConfig{MaxFrame: DefaultMaxFrame, ChunkBytes: 256 << 10, DialTimeout: 5 * time.Second}
}

// Client submits jobs to a coordinator.
type Client struct {
	cfg   ClientConfig
	calls *calls.Group
}

// NewClient validates cfg.
func NewClient(cfg ClientConfig) (*Client, error) {
	switch {
	case cfg.Coordinator == "":
		return nil, fmt.Errorf("mlcluster: ClientConfig.Coordinator is empty")
	case cfg.MaxFrame < 0:
		return nil, fmt.Errorf("mlcluster: ClientConfig.MaxFrame %d is negative", cfg.MaxFrame)
	case cfg.ChunkBytes < 0 || cfg.ChunkBytes > 64<<20:
		return nil, fmt.Errorf("mlcluster: ClientConfig.ChunkBytes %d out of range [1, 64 MiB]", cfg.ChunkBytes)
	case cfg.DialTimeout < 0:
		return nil, fmt.Errorf("mlcluster: ClientConfig.DialTimeout %v is negative", cfg.DialTimeout)
	}
	return &Client{cfg: defaults.Fill(cfg, DefaultClientConfig()), calls: calls.New()}, nil
}

// Close cancels the jobs being submitted (which cancels them on the
// coordinator) and waits for their calls to return. A Client holds no
// connection between calls, so one that is not in use needs no Close;
// after it, Submit and SubmitDataset return [ErrClosed]. Close is
// idempotent and returns nil.
func (c *Client) Close() error {
	c.calls.Close()
	return nil
}

// Submit streams a text dataset (CSV or whitespace-separated; see [Parse]) to
// the coordinator with an algorithm name and parameters, reports progress to
// [ClientConfig.Progress], and returns the result. Cancelling ctx closes the
// connection, which cancels the job on the coordinator. When data has a
// Name method (an *os.File), its base name appears in error messages.
func (c *Client) Submit(ctx context.Context, data io.Reader, algo string, params Params) (*Result, error) {
	name := "input"
	if n, ok := data.(interface{ Name() string }); ok {
		name = filepath.Base(n.Name())
	}
	return c.submit(ctx, algo, name, params, func(send func(byte, []byte) error, _ io.Writer) error {
		buf := make([]byte, c.cfg.ChunkBytes)
		for {
			n, err := data.Read(buf)
			if n > 0 {
				if werr := send(fText, buf[:n]); werr != nil {
					return werr
				}
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("mlcluster: reading %s: %w", name, err)
			}
		}
	})
}

// SubmitDataset is Submit for data already parsed: the rows travel in the
// compact binary form (raw float64) instead of text.
func (c *Client) SubmitDataset(ctx context.Context, ds *Dataset, algo string, params Params) (*Result, error) {
	return c.submit(ctx, algo, ds.Name, params, func(send func(byte, []byte) error, w io.Writer) error {
		if ds.Rows > 0 && ds.Cols > 0 { // the coordinator can then receive in place
			if err := send(fShape, encodeShape(ds.Rows, ds.Cols)); err != nil {
				return err
			}
		}
		per := max(1, c.cfg.ChunkBytes/(8*max(1, ds.Cols)))
		for off := 0; off < ds.Rows; off += per {
			n := min(per, ds.Rows-off)
			if err := writeRowsFrame(w, ds.Cols, ds.Data[off*ds.Cols:(off+n)*ds.Cols]); err != nil {
				return err
			}
		}
		return nil
	})
}

func (c *Client) submit(ctx context.Context, algo, name string, params Params, upload func(send func(byte, []byte) error, w io.Writer) error) (*Result, error) {
	ctx, done, err := c.calls.Enter(ctx, ErrClosed)
	if err != nil {
		return nil, err
	}
	defer done()
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", c.cfg.Coordinator)
	if err != nil {
		return nil, fmt.Errorf("mlcluster: connect to coordinator: %w", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	bw := bufio.NewWriterSize(conn, 1<<16)
	send := func(typ byte, payload []byte) error { return writeFrame(bw, typ, payload) }

	err = send(fHello, encodeHello(roleClient, ""))
	if err == nil {
		err = send(fSubmit, submitMsg{Algo: algo, Name: name, Params: params}.encode())
	}
	if err == nil {
		err = upload(send, bw)
	}
	if err == nil {
		err = send(fEnd, nil)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	uploadErr := err // the coordinator may have answered with an error already; read it
	br := bufio.NewReaderSize(conn, 1<<16)
	for {
		typ, payload, rerr := readFrame(br, c.cfg.MaxFrame)
		if rerr != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if uploadErr != nil {
				return nil, uploadErr
			}
			if errors.Is(rerr, io.EOF) {
				rerr = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("mlcluster: coordinator connection: %w", rerr)
		}
		switch typ {
		case fProgress:
			p, err := decodeProgress(payload)
			if err != nil {
				return nil, err
			}
			if c.cfg.Progress != nil {
				c.cfg.Progress(p)
			}
		case fResult:
			return decodeResult(payload)
		case fError:
			re, err := decodeError(payload)
			if err != nil {
				return nil, err
			}
			return nil, re
		default:
			return nil, fmt.Errorf("%w: coordinator sent frame type %d", ErrProtocol, typ)
		}
	}
}
