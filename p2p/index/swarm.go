package index

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netlab-go/netlab/pdu"
)

// ErrNoHolders means that no holder is left to fetch the missing chunks from; the
// verified ones stay on disk for a resumed download.
var ErrNoHolders = errors.New("index: no holder left")

// SwarmReport is what a multi-source download did.
type SwarmReport struct {
	Path    string   // the downloaded file, when the download completed
	Size    int64    // the content's size, from its manifest
	Root    [32]byte // the manifest's root: the content's identity
	Chunks  int      // chunks in the manifest
	Resumed int      // verified chunks found on disk and not fetched again
	Holders []HolderReport
	Ack     string // the text of the index's A to the re-registration
}

// Dropped returns the holders that were dropped, with why.
func (r SwarmReport) Dropped() []HolderReport {
	var out []HolderReport
	for _, h := range r.Holders {
		if h.Dropped != nil {
			out = append(out, h)
		}
	}
	return out
}

// HolderReport is one holder's part in a multi-source download.
type HolderReport struct {
	Addr    netip.AddrPort
	Chunks  int   // verified chunks it sent
	Bytes   int64 // bytes of verified chunks it sent
	Dropped error // why it was dropped for this download; nil when it was not
}

// SwarmProgress is one step of a multi-source download, for
// [PeerConfig.SwarmProgress].
type SwarmProgress struct {
	Content string
	Holder  HolderReport // the holder that sent a chunk or was dropped, so far
	Done    int64        // verified bytes, all holders and resumed chunks
	Total   int64        // the content's size
}

// DownloadSwarm fetches content name into dir from every holder the index
// names at once (Framed only), and then registers it, as Download does. It
// asks each holder for the content's manifest and keeps the holders that
// agree with the most others on its root; it then fetches the chunks in
// parallel, one connection per holder, checks each chunk against its
// SHA-256 in the manifest as it arrives and writes it into dir/.NAME.part,
// recording it in dir/.NAME.part.state. A holder that sends a chunk that
// fails its check, announces another, stalls for IdleTimeout or
// disconnects is dropped for this download and its chunk goes back to the
// others. The file gets its name only when every chunk is verified and the
// chunk list hashes to the root.
//
// When no holder is left ([ErrNoHolders]), or ctx ends, the verified chunks
// stay on disk, and the next DownloadSwarm of the same content (same root)
// checks them again and fetches only the rest.
func (p *Peer) DownloadSwarm(ctx context.Context, name, dir string) (SwarmReport, error) {
	var rep SwarmReport
	if _, ok := p.cfg.Codec.(pdu.Framed); !ok {
		return rep, fmt.Errorf("index: a multi-source download needs the Framed codec, not %s", p.cfg.Codec.Name())
	}
	final, err := p.target(name, dir)
	if err != nil {
		return rep, err
	}
	addrs, err := p.searchAll(name)
	if err != nil {
		return rep, err
	}
	s := &swarm{p: p, name: name, dir: dir, final: final}
	defer s.closeConns()
	m, err := s.manifests(ctx, addrs)
	if err != nil {
		s.report(&rep)
		return rep, err
	}
	rep.Size, rep.Root, rep.Chunks = m.Size, m.Root(), m.Chunks()
	if m.Size > p.cfg.MaxDownload {
		s.report(&rep)
		return rep, fmt.Errorf("index: download %q: %w: %d bytes, the limit is %d", name, pdu.ErrTooLarge, m.Size, p.cfg.MaxDownload)
	}
	err = s.fetch(ctx, m)
	rep.Resumed = s.resumed
	s.report(&rep)
	if err != nil {
		return rep, err
	}
	rep.Path = final
	if rep.Ack, err = p.register(name, final, nil); err != nil {
		return rep, fmt.Errorf("index: downloaded %s but could not register it: %w", final, err)
	}
	p.seedManifest(name, final, m)
	return rep, nil
}

// seedManifest gives a downloaded file's served entry the verified
// manifest, so that serving it does not hash it again.
func (p *Peer) seedManifest(name, path string, m *pdu.Manifest) {
	st, err := os.Stat(path)
	if err != nil || m.ChunkSize != p.chunkSize(st.Size()) {
		return
	}
	p.mu.Lock()
	f := p.served[name]
	p.mu.Unlock()
	if f != nil {
		f.mu.Lock()
		f.man, f.manSize, f.manMod = m, st.Size(), st.ModTime()
		f.mu.Unlock()
	}
}

// searchAll asks the index for every holder of content (a Framed S reply
// names them all), without this peer's own address.
func (p *Peer) searchAll(content string) ([]netip.AddrPort, error) {
	var addrs []netip.AddrPort
	req := pdu.PDU{Type: pdu.Search, Peer: p.cfg.Name, Content: content}
	err := p.client.exchange(&req, func(rep *pdu.PDU) (bool, error) {
		switch rep.Type {
		case pdu.Search:
			for _, a := range append([]netip.AddrPort{rep.Addr}, rep.Others...) {
				if a != p.addr {
					addrs = append(addrs, a)
				}
			}
			return true, nil
		case pdu.Error:
			return true, indexError(rep.Text)
		}
		return false, nil
	})
	if err == nil && len(addrs) == 0 {
		err = fmt.Errorf("%w: %q is held by this peer only", ErrNoHolders, content)
	}
	return addrs, err
}

// swarm is one multi-source download.
type swarm struct {
	p                *Peer
	name, dir, final string
	holders          []*holder
	resumed          int
	mu               sync.Mutex // guards the holders' reports and the state file
	done, total      int64
	part, statePath  string
	file, state      *os.File
	remaining        atomic.Int64
	complete         chan struct{}
	verified         []bool
}

// holder is one holder's connection and report.
type holder struct {
	rep  HolderReport
	conn net.Conn
	ir   *idleReader
	br   *bufio.Reader
	root [32]byte
	man  *pdu.Manifest
}

func (s *swarm) report(rep *SwarmReport) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.holders {
		rep.Holders = append(rep.Holders, h.rep)
	}
}

func (s *swarm) closeConns() {
	for _, h := range s.holders {
		if h.conn != nil {
			_ = h.conn.Close()
		}
	}
}

// drop marks h as dropped for this download with why, and closes its
// connection.
func (s *swarm) drop(h *holder, why error) {
	s.mu.Lock()
	if h.rep.Dropped == nil {
		h.rep.Dropped = why
	}
	rep := h.rep
	done, total := s.done, s.total
	s.mu.Unlock()
	if h.conn != nil {
		_ = h.conn.Close()
	}
	s.p.cfg.Logger.Debug("index: holder dropped", "content", s.name, "holder", h.rep.Addr, "why", why)
	if s.p.cfg.SwarmProgress != nil {
		s.p.cfg.SwarmProgress(SwarmProgress{Content: s.name, Holder: rep, Done: done, Total: total})
	}
}

// manifests connects to every holder and asks each for the manifest,
// and returns the one whose root most holders share (the first holder's
// among equals); holders that failed or sent another are dropped.
func (s *swarm) manifests(ctx context.Context, addrs []netip.AddrPort) (*pdu.Manifest, error) {
	for _, a := range addrs {
		s.holders = append(s.holders, &holder{rep: HolderReport{Addr: a}})
	}
	var wg sync.WaitGroup
	errs := make([]error, len(s.holders))
	for i, h := range s.holders {
		wg.Go(func() { errs[i] = s.askManifest(ctx, h) })
	}
	wg.Wait()
	votes := make(map[[32]byte]int)
	var best *holder
	for i, h := range s.holders {
		if errs[i] != nil {
			s.drop(h, errs[i])
			continue
		}
		votes[h.root]++
		if best == nil || votes[h.root] > votes[best.root] {
			best = h
		}
	}
	if best == nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("index: download %q interrupted: %w", s.name, ctx.Err())
		}
		return nil, fmt.Errorf("%w: download %q: no holder sent a manifest", ErrNoHolders, s.name)
	}
	for _, h := range s.holders {
		if h.man != nil && h.root != best.root {
			s.drop(h, fmt.Errorf("a manifest with root %x, %d other holders sent %x", h.root[:6], votes[best.root], best.root[:6]))
		}
	}
	return best.man, nil
}

// askManifest opens h's connection and fetches its manifest.
func (s *swarm) askManifest(ctx context.Context, h *holder) error {
	var dialer net.Dialer
	dctx, cancel := context.WithTimeout(ctx, s.p.cfg.IdleTimeout)
	conn, err := dialer.DialContext(dctx, "tcp", h.rep.Addr.String())
	cancel()
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	h.conn = conn
	h.ir = &idleReader{c: conn, idle: s.p.cfg.IdleTimeout}
	h.br = pdu.NewContentReader(h.ir, s.p.cfg.Codec)
	stop := context.AfterFunc(ctx, h.ir.cancel)
	defer stop()
	if err := s.request(h, pdu.PDU{Type: pdu.Download, Peer: s.p.cfg.Name, Content: s.name, Part: pdu.PartManifest}); err != nil {
		return err
	}
	var b bytes.Buffer
	_, err = pdu.ReceiveContent(h.br, s.p.cfg.Codec, &b, pdu.ReceiveOptions{Limit: pdu.MaxManifestSize})
	if err != nil {
		return s.why("manifest", err)
	}
	var m pdu.Manifest
	if err := m.UnmarshalBinary(b.Bytes()); err != nil {
		return err
	}
	h.man, h.root = &m, m.Root()
	return nil
}

// request sends a D on h's connection.
func (s *swarm) request(h *holder, req pdu.PDU) error {
	b, err := s.p.cfg.Codec.Append(nil, &req)
	if err != nil {
		return err
	}
	s.p.trace(true, h.rep.Addr.String(), &req)
	_ = h.conn.SetWriteDeadline(time.Now().Add(s.p.cfg.IdleTimeout))
	if _, err := h.conn.Write(b); err != nil {
		return fmt.Errorf("sending D: %w", err)
	}
	return nil
}

// why words a receive error as the reason a holder is dropped.
func (s *swarm) why(what string, err error) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("stalled: no byte of the %s for %v", what, s.p.cfg.IdleTimeout)
	case errors.Is(err, pdu.ErrVerify):
		return fmt.Errorf("corrupt %s: %w", what, err)
	case errors.Is(err, pdu.ErrIncomplete):
		return fmt.Errorf("disconnected during the %s: %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// fetch fetches the chunks not yet verified on disk from the holders left,
// in parallel, and publishes the file when all are verified.
func (s *swarm) fetch(ctx context.Context, m *pdu.Manifest) error {
	if err := s.openPart(m); err != nil {
		return err
	}
	defer s.file.Close()
	defer s.state.Close()
	n := m.Chunks()
	queue := make(chan int, n)
	for i := range n {
		if !s.verified[i] {
			queue <- i
		}
	}
	s.remaining.Store(int64(len(queue)))
	s.complete = make(chan struct{})
	if len(queue) == 0 {
		close(s.complete)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, h := range s.holders {
		if h.rep.Dropped == nil {
			wg.Go(func() { s.work(wctx, h, m, queue) })
		}
	}
	exited := make(chan struct{})
	go func() { wg.Wait(); close(exited) }()
	select {
	case <-s.complete:
	case <-exited:
	case <-ctx.Done():
	}
	cancel()
	<-exited
	if s.remaining.Load() > 0 {
		if ctx.Err() != nil {
			return fmt.Errorf("index: download %q interrupted: %w; %d of %d chunks verified and kept", s.name, ctx.Err(), n-int(s.remaining.Load()), n)
		}
		return fmt.Errorf("%w: download %q: %d of %d chunks missing; the verified ones are kept in %s", ErrNoHolders, s.name, s.remaining.Load(), n, s.part)
	}
	return s.publish(m)
}

// work fetches chunks from h until the queue is done, h fails, or ctx
// ends. A chunk it could not fetch goes back to the queue.
func (s *swarm) work(ctx context.Context, h *holder, m *pdu.Manifest, queue chan int) {
	stop := context.AfterFunc(ctx, h.ir.cancel)
	defer stop()
	buf := make([]byte, m.ChunkSize)
	for {
		var i int
		select {
		case i = <-queue:
		case <-ctx.Done():
			return
		}
		if err := s.fetchChunk(h, m, i, buf); err != nil {
			queue <- i
			if ctx.Err() == nil {
				s.drop(h, err)
			}
			return
		}
	}
}

// fetchChunk asks h for chunk i, verifies it and writes it into the part
// file.
func (s *swarm) fetchChunk(h *holder, m *pdu.Manifest, i int, buf []byte) error {
	off, n := m.Chunk(i)
	if err := s.request(h, pdu.PDU{Type: pdu.Download, Peer: s.p.cfg.Name, Content: s.name, Part: pdu.PartChunk, Chunk: i}); err != nil {
		return err
	}
	opt := pdu.ReceiveOptions{OnFrame: func(q *pdu.PDU) error {
		if q.Announce && (q.Size != int64(n) || q.Sum != m.Sums[i]) {
			return fmt.Errorf("%w: chunk %d announced as %d bytes with SHA-256 %x, the manifest says %d bytes, %x", pdu.ErrVerify, i, q.Size, q.Sum[:6], n, m.Sums[i][:6])
		}
		return nil
	}}
	data, err := pdu.ReceiveInto(h.br, s.p.cfg.Codec, buf[:n], opt)
	if err != nil {
		return s.why(fmt.Sprintf("chunk %d", i), err)
	}
	if _, err := s.file.WriteAt(data, off); err != nil {
		return fmt.Errorf("writing chunk %d: %w", i, err)
	}
	return s.verifiedChunk(h, i, int64(n))
}

// verifiedChunk records chunk i as verified, in memory and in the state
// file, and reports the progress.
func (s *swarm) verifiedChunk(h *holder, i int, n int64) error {
	s.mu.Lock()
	s.verified[i] = true
	err := s.writeState(i)
	h.rep.Chunks++
	h.rep.Bytes += n
	s.done += n
	rep, done, total := h.rep, s.done, s.total
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if s.p.cfg.SwarmProgress != nil {
		s.p.cfg.SwarmProgress(SwarmProgress{Content: s.name, Holder: rep, Done: done, Total: total})
	}
	if s.remaining.Add(-1) == 0 {
		close(s.complete)
	}
	return nil
}

// publish checks the whole file, gives it its name and removes the state.
func (s *swarm) publish(m *pdu.Manifest) error {
	for i, ok := range s.verified {
		if !ok {
			return fmt.Errorf("index: download %q: chunk %d not verified", s.name, i)
		}
	}
	st, err := s.file.Stat()
	if err != nil || st.Size() != m.Size {
		return fmt.Errorf("index: download %q: the part file is not %d bytes (%v)", s.name, m.Size, err)
	}
	if err := s.file.Sync(); err != nil {
		return fmt.Errorf("index: download %q: %w", s.name, err)
	}
	if err := publish(s.part, s.final); err != nil {
		return fmt.Errorf("index: download %q: %w", s.name, err)
	}
	_ = os.Remove(s.part)
	_ = os.Remove(s.statePath)
	return nil
}

// partName and stateName are the files of an unfinished multi-source
// download of name: the content so far, and which chunks are verified.
func partName(name string) string  { return "." + name + ".part" }
func stateName(name string) string { return "." + name + ".part.state" }

// checkLocal refuses a path that exists and is not a regular file, such as
// a symbolic link planted to make the download write elsewhere.
func checkLocal(path string) error {
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s exists and is not a regular file", path)
	}
	return nil
}

// The state file beside a part file: a magic, a version, the manifest's
// root, and one byte per chunk, 1 once the chunk is verified and written.
// A verified chunk is recorded by writing its one byte, so a process killed
// at any moment leaves a state that only under-counts.
var stateMagic = []byte("NLST\x01")

const stateHead = 5 + 32

// openPart opens the part and state files of m's download, keeping the
// chunks a previous download verified when its state names the same root
// and they still hash to their sums.
func (s *swarm) openPart(m *pdu.Manifest) error {
	s.part = filepath.Join(s.dir, partName(s.name))
	s.statePath = filepath.Join(s.dir, stateName(s.name))
	s.total = m.Size
	s.verified = make([]bool, m.Chunks())
	for _, path := range []string{s.part, s.statePath} {
		if err := checkLocal(path); err != nil {
			return fmt.Errorf("index: download %q: %w", s.name, err)
		}
	}
	root := m.Root()
	head := append(bytes.Clone(stateMagic), root[:]...)
	old, err := os.ReadFile(s.statePath)
	resume := err == nil && len(old) == stateHead+m.Chunks() && bytes.Equal(old[:stateHead], head)
	flags := os.O_RDWR | os.O_CREATE
	if !resume {
		flags |= os.O_TRUNC
	}
	if s.file, err = os.OpenFile(s.part, flags, 0o644); err != nil {
		return fmt.Errorf("index: download %q: %w", s.name, err)
	}
	if resume {
		s.keepVerified(m, old[stateHead:])
	}
	free, ok := s.p.freeSpace(s.dir)
	if need := m.Size - s.done; ok && need > 0 && uint64(need) > free {
		_ = s.file.Close()
		return fmt.Errorf("%w in %s: %d bytes to fetch, %d free", ErrNoSpace, s.dir, need, free)
	}
	if err := s.file.Truncate(m.Size); err != nil {
		_ = s.file.Close()
		return fmt.Errorf("index: download %q: %w", s.name, err)
	}
	state := append(head, make([]byte, m.Chunks())...)
	for i, ok := range s.verified {
		if ok {
			state[stateHead+i] = 1
		}
	}
	if err := os.WriteFile(s.statePath, state, 0o644); err != nil {
		_ = s.file.Close()
		return fmt.Errorf("index: download %q: %w", s.name, err)
	}
	if s.state, err = os.OpenFile(s.statePath, os.O_WRONLY, 0); err != nil {
		_ = s.file.Close()
		return fmt.Errorf("index: download %q: %w", s.name, err)
	}
	return nil
}

// keepVerified checks again each chunk the state marks verified and keeps
// those that still match their sums.
func (s *swarm) keepVerified(m *pdu.Manifest, marks []byte) {
	buf := make([]byte, m.ChunkSize)
	for i, mark := range marks {
		if mark != 1 {
			continue
		}
		off, n := m.Chunk(i)
		if _, err := s.file.ReadAt(buf[:n], off); err != nil || sha256.Sum256(buf[:n]) != m.Sums[i] {
			continue
		}
		s.verified[i] = true
		s.resumed++
		s.done += int64(n)
	}
}

// writeState records chunk i as verified in the state file.
func (s *swarm) writeState(i int) error {
	_, err := s.state.WriteAt([]byte{1}, int64(stateHead+i))
	return err
}
