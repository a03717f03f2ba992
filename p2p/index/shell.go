package index

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// shellHelp lists the commands of [Shell].
const shellHelp = `commands:
  register NAME PATH   share the file at PATH as content NAME      (R)
  download NAME        fetch NAME into the download folder, then serve it (S, D, R);
                       Ctrl-C cancels the download and keeps the shell
  get NAME             fetch NAME from every holder at once, chunk by verified chunk (framed);
                       Ctrl-C stops it and keeps the verified chunks for the next get
  list                 content registered with the index           (O)
  deregister NAME      stop sharing NAME                           (T)
  serving              what this peer shares
  help                 this text
  quit                 de-register everything and leave            (T ...)`

// ClassicWarning is what [Shell] says once, at its start, when the peer uses
// the Classic codec.
const ClassicWarning = "warning: the classic codec carries no size or checksum: content downloaded from a peer is not verified, and a peer can alter it undetected; use the framed codec with peers you do not trust"

// Shell is the lab's interactive peer: it reads commands from in, one per
// line, runs them on p and writes the outcome to out, with the texts the
// index sends (an A's "[Registration] successful", an O reply in whatever
// form it came). Downloads go to dir; at its start [Shell] removes the
// partial downloads that a killed peer left in dir (see
// [Peer.CleanStaleParts]) and, with the Classic codec, warns once that
// content is not verified.
//
// interrupt, when not nil, carries the user's Ctrl-C (os.Interrupt): during
// a download it cancels that download only; at the prompt it ends the
// shell. Shell returns at "quit", at the end of in, at an interrupt at the
// prompt, or when ctx ends; the caller then closes the peer, which
// de-registers its content. Lines are read from in by a goroutine of their
// own, which ends at in's next line or its end.
func Shell(ctx context.Context, p *Peer, dir string, in io.Reader, out io.Writer, interrupt <-chan os.Signal) error {
	fmt.Fprintf(out, "peer %s, content server on tcp %v, %s codec; type help for commands\n", p.Name(), p.Addr(), p.cfg.Codec.Name())
	if p.cfg.Codec.Name() == "classic" {
		fmt.Fprintln(out, ClassicWarning)
	}
	if removed, err := p.CleanStaleParts(dir); err != nil {
		fmt.Fprintln(out, "error:", err)
	} else if len(removed) > 0 {
		fmt.Fprintf(out, "removed %d stale partial downloads: %s\n", len(removed), strings.Join(removed, " "))
	}

	lines := make(chan string)
	readErr := make(chan error, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-stop:
				return
			}
		}
		readErr <- sc.Err()
	}()
	for {
		fmt.Fprintf(out, "%s> ", p.Name())
		var line string
		select {
		case <-ctx.Done():
			fmt.Fprintln(out)
			return nil
		case <-interrupt:
			fmt.Fprintln(out)
			return nil
		case l, ok := <-lines:
			if !ok {
				fmt.Fprintln(out)
				return <-readErr
			}
			line = l
		}
		if quit := runCommand(ctx, p, dir, line, out, interrupt); quit {
			return nil
		}
	}
}

// runCommand runs one shell line and reports whether it was quit.
func runCommand(ctx context.Context, p *Peer, dir, line string, out io.Writer, interrupt <-chan os.Signal) bool {
	f := strings.Fields(line)
	if len(f) == 0 {
		return false
	}
	cmd, args := strings.ToLower(f[0]), f[1:]
	switch {
	case (cmd == "register" || cmd == "r") && len(args) == 2:
		text, err := p.Register(args[0], args[1])
		report(out, err, "registered %s%s", args[0], indexSays(text))
	case (cmd == "download" || cmd == "d") && len(args) == 1:
		d, err := downloadCancellable(ctx, p, args[0], dir, interrupt)
		switch {
		case err != nil && ctx.Err() == nil && errors.Is(err, context.Canceled):
			fmt.Fprintf(out, "download of %s cancelled; nothing was saved\n", args[0])
		case err != nil:
			fmt.Fprintln(out, "error:", err)
		default:
			fmt.Fprintf(out, "downloaded %s (%d bytes from %v); now serving it too%s\n", d.Path, d.Size, d.From, indexSays(d.Ack))
		}
	case (cmd == "get" || cmd == "swarm") && len(args) == 1:
		rep, err := swarmCancellable(ctx, p, args[0], dir, interrupt)
		printSwarmReport(out, rep)
		switch {
		case err != nil:
			fmt.Fprintln(out, "error:", err)
		default:
			fmt.Fprintf(out, "downloaded %s (%d bytes in %d chunks, %d kept from before); now serving it too%s\n", rep.Path, rep.Size, rep.Chunks, rep.Resumed, indexSays(rep.Ack))
		}
	case cmd == "list" || cmd == "o" || cmd == "ls":
		l, err := p.List()
		if err != nil {
			fmt.Fprintln(out, "error:", err)
			break
		}
		printListing(out, l)
	case (cmd == "deregister" || cmd == "t") && len(args) == 1:
		text, err := p.Deregister(args[0])
		report(out, err, "de-registered %s%s", args[0], indexSays(text))
	case cmd == "serving":
		fmt.Fprintf(out, "serving: %s\n", strings.Join(p.Serving(), " "))
	case cmd == "quit" || cmd == "q" || cmd == "exit":
		return true
	case cmd == "help" || cmd == "?":
		fmt.Fprintln(out, shellHelp)
	default:
		fmt.Fprintf(out, "unknown command %q; type help\n", line)
	}
	return false
}

// downloadCancellable runs a download that an interrupt cancels.
func downloadCancellable(ctx context.Context, p *Peer, name, dir string, interrupt <-chan os.Signal) (downloaded, error) {
	return cancellable(ctx, interrupt, func(ctx context.Context) (downloaded, error) { return p.download(ctx, name, dir) })
}

// swarmCancellable runs a multi-source download that an interrupt stops.
func swarmCancellable(ctx context.Context, p *Peer, name, dir string, interrupt <-chan os.Signal) (SwarmReport, error) {
	return cancellable(ctx, interrupt, func(ctx context.Context) (SwarmReport, error) { return p.DownloadSwarm(ctx, name, dir) })
}

// cancellable runs work with a context that a signal on interrupt cancels;
// the watcher goroutine has ended when it returns.
func cancellable[T any](ctx context.Context, interrupt <-chan os.Signal, work func(context.Context) (T, error)) (T, error) {
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-interrupt:
			cancel()
		case <-done:
		}
	}()
	v, err := work(dctx)
	close(done)
	<-watched
	return v, err
}

// printSwarmReport shows what each holder did in a multi-source download.
func printSwarmReport(out io.Writer, rep SwarmReport) {
	for _, h := range rep.Holders {
		state := "healthy"
		if h.Dropped != nil {
			state = "dropped: " + h.Dropped.Error()
		}
		fmt.Fprintf(out, "  holder %-21v %5d chunks %12d bytes  %s\n", h.Addr, h.Chunks, h.Bytes, state)
	}
}

func printListing(out io.Writer, l Listing) {
	switch {
	case len(l.Holders) > 0:
		fmt.Fprintf(out, "%d registered:\n", len(l.Holders))
		for _, h := range l.Holders {
			fmt.Fprintf(out, "  %-10s held by %-10s at %v\n", h.Content, h.Peer, h.Addr)
		}
	case l.Text != "":
		fmt.Fprintf(out, "the index says: %q\n", l.Text)
	default:
		fmt.Fprintf(out, "%d registered: %s\n", len(l.Names), strings.Join(l.Names, " "))
	}
}

// indexSays formats the text of an index's A for a report line.
func indexSays(text string) string {
	if text == "" {
		return ""
	}
	return fmt.Sprintf(" (the index says: %q)", text)
}

func report(out io.Writer, err error, format string, args ...any) {
	if err != nil {
		fmt.Fprintln(out, "error:", err)
		return
	}
	fmt.Fprintf(out, format+"\n", args...)
}
