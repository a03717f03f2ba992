package index

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
)

// shellHelp lists the commands of Shell.
const shellHelp = `commands:
  register NAME PATH   share the file at PATH as content NAME      (R)
  download NAME        fetch NAME into the download folder, then serve it (S, D, R)
  list                 content names registered with the index     (O)
  deregister NAME      stop sharing NAME                           (T)
  serving              what this peer shares
  help                 this text
  quit                 de-register everything and leave            (T ...)`

// Shell is the lab's interactive peer: it reads commands from in, one per
// line, runs them on p and writes the outcome to out. Downloads go to dir.
// It returns at "quit", at the end of in, or when ctx ends; the caller then
// closes the peer, which de-registers its content.
func Shell(ctx context.Context, p *Peer, dir string, in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	prompt := func() { fmt.Fprintf(out, "%s> ", p.Name()) }
	fmt.Fprintf(out, "peer %s, content server on tcp %v; type help for commands\n", p.Name(), p.Addr())
	for prompt(); sc.Scan(); prompt() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		cmd, args := strings.ToLower(f[0]), f[1:]
		switch {
		case (cmd == "register" || cmd == "r") && len(args) == 2:
			report(out, p.Register(args[0], args[1]), "registered %s", args[0])
		case (cmd == "download" || cmd == "d") && len(args) == 1:
			path, err := p.Download(ctx, args[0], dir)
			report(out, err, "downloaded %s; now serving it too", path)
		case cmd == "list" || cmd == "o" || cmd == "ls":
			names, err := p.List()
			report(out, err, "%d registered: %s", len(names), strings.Join(names, " "))
		case (cmd == "deregister" || cmd == "t") && len(args) == 1:
			report(out, p.Deregister(args[0]), "de-registered %s", args[0])
		case cmd == "serving":
			fmt.Fprintf(out, "serving: %s\n", strings.Join(p.Serving(), " "))
		case cmd == "quit" || cmd == "q" || cmd == "exit":
			return nil
		case cmd == "help" || cmd == "?":
			fmt.Fprintln(out, shellHelp)
		default:
			fmt.Fprintf(out, "unknown command %q; type help\n", sc.Text())
		}
	}
	fmt.Fprintln(out)
	return sc.Err()
}

func report(out io.Writer, err error, format string, args ...any) {
	if err != nil {
		fmt.Fprintln(out, "error:", err)
		return
	}
	fmt.Fprintf(out, format+"\n", args...)
}
