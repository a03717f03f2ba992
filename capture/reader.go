package capture

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Packet is one captured frame as a [Reader] returns it. Data is only valid
// until the next call to Next: the [Reader] reuses its buffer.
type Packet struct {
	Data      []byte          // the captured bytes (CaptureLength of them)
	Timestamp time.Time       // when the frame was captured
	Length    int             // the frame's length on the wire (>= len(Data))
	LinkType  layers.LinkType // the link layer the frame starts with
	Offset    int64           // offset in the (uncompressed) file of the record or block

	// pre is the frame's dissection when [Analyzer.ReadFrom] read it ahead,
	// dissected it and handed it back uncounted: dissecting it again
	// would show the TCP reassembly its bytes twice.
	pre *predecoded
}

// predecoded is a frame's dissection kept in the batch that made it.
type predecoded struct {
	path      []proto
	taps      []tap
	apps      []appFact
	malformed bool
}

// Truncated reports whether the capture kept fewer bytes than the frame had
// on the wire (the snap length cut it).
func (p Packet) Truncated() bool { return len(p.Data) < p.Length }

// packetSource is what both pcapgo readers offer.
type packetSource interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// Reader reads frames from a pcap or pcapng file, plain or gzip-compressed,
// through pcapgo. A pcapng file may mix interfaces of different link types:
// each [Packet] carries its own. Every error names the file offset of the
// record or block it concerns.
type Reader struct {
	framer   *framer
	src      packetSource
	linkType layers.LinkType // pcap: the file's link type
	ng       bool
	pcap     bool // records come from framer.pcapRecord, pcapgo having read the header
	closers  []io.Closer
	done     error
	backlog  []backlogBatch // frames Analyzer.ReadFrom read ahead and did not count
	held     *heldPacket    // pcapng: what pcapgo returned after custom blocks still to hand out
}

// NewReader reads the file header from r and returns a [Reader] for the frames
// that follow. maxPacket bounds the captured length of one frame (0 means
// 262144 bytes, Wireshark's limit); longer records are reported as corrupt.
func NewReader(r io.Reader, maxPacket int) (*Reader, error) {
	if maxPacket == 0 {
		maxPacket = defaultMaxPacket
	}
	if maxPacket < minMaxPacketLimit {
		return nil, fmt.Errorf("capture: maxPacket %d is below %d", maxPacket, minMaxPacketLimit)
	}
	rd := &Reader{}
	br := bufio.NewReaderSize(r, 64<<10)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("capture: gzip header at offset 0: %w", err)
		}
		rd.closers = append(rd.closers, zr)
		r = zr
	} else {
		r = br
	}
	f, err := newFramer(r, maxPacket)
	if err != nil {
		return nil, err
	}
	rd.framer = f
	if err := rd.open(); err != nil {
		return nil, err
	}
	return rd, nil
}

// OpenFile opens a capture file by name; see [NewReader]. Close releases it.
func OpenFile(path string, maxPacket int) (*Reader, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	rd, err := NewReader(file, maxPacket)
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	rd.closers = append(rd.closers, file)
	return rd, nil
}

func (rd *Reader) open() (err error) {
	defer rd.recoverAs(&err)
	defer func() {
		if errors.Is(err, io.EOF) {
			// The header was whole (the framer checked), yet pcapgo found
			// nothing it could use in it.
			err = fmt.Errorf("capture: %s at offset %d: %w: no usable file header", rd.framer.unitKind, rd.framer.unitStart, ErrCorrupt)
		}
	}()
	switch rd.framer.format {
	case FormatPcap:
		r, err := pcapgo.NewReader(rd.framer)
		if err != nil {
			return rd.wrap(err)
		}
		// Like Wireshark, ignore the header's snap length: records up to the
		// framer's limit are read whatever the header says.
		r.SetSnaplen(uint32(rd.framer.maxPacket))
		rd.src, rd.linkType, rd.pcap = r, r.LinkType(), true
	case FormatPcapNG:
		r, err := pcapgo.NewNgReader(rd.framer, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return rd.wrap(err)
		}
		rd.src, rd.ng = r, true
	}
	return nil
}

// Format reports whether the file is pcap or pcapng.
func (rd *Reader) Format() Format { return rd.framer.format }

// Next returns the next frame, io.EOF after the last one, or an error that
// names the offset of the record or block it could not read. After an error
// other than io.EOF the [Reader] stays failed.
func (rd *Reader) Next() (p Packet, err error) {
	if len(rd.backlog) > 0 {
		if p, ok, err := rd.nextBacklog(); ok {
			return p, err
		}
	}
	if rd.done != nil {
		return Packet{}, rd.done
	}
	defer func() {
		if err != nil {
			rd.done = err
		}
	}()
	defer rd.recoverAs(&err)
	if rd.ng {
		return rd.nextNg()
	}
	data, ci, err := rd.framer.pcapRecord()
	if err != nil {
		return Packet{}, rd.wrap(err)
	}
	return Packet{Data: data, Timestamp: ci.Timestamp, Length: ci.Length, LinkType: rd.linkType, Offset: rd.framer.unitStart}, nil
}

// LinkTypePcapngCustom is the LinkType of a [Packet] that holds a pcapng
// custom block (block type 0x00000BAD or 0x40000BAD): its Data is what
// follows the block's Private Enterprise Number, its Timestamp is zero.
// Wireshark lists such a block as a frame of "data", and so do the
// tables here. The value is none of the 8-bit link types gopacket knows.
const LinkTypePcapngCustom layers.LinkType = 0xfe

// nextNg is Next for pcapng: the custom blocks pcapgo passed over come
// first, in file order, then the packet (or the error) it returned.
func (rd *Reader) nextNg() (Packet, error) {
	if c, ok := rd.framer.popCustom(); ok {
		return customPacket(c), nil
	}
	if h := rd.held; h != nil {
		rd.held = nil
		return h.p, h.err
	}
	data, ci, err := rd.src.ZeroCopyReadPacketData()
	var p Packet
	if err != nil {
		err = rd.wrap(err)
	} else {
		p = Packet{Data: data, Timestamp: ci.Timestamp, Length: ci.Length, Offset: rd.framer.unitStart}
		if len(ci.AncillaryData) > 0 {
			if lt, ok := ci.AncillaryData[0].(layers.LinkType); ok {
				p.LinkType = lt
			}
		}
	}
	if c, ok := rd.framer.popCustom(); ok {
		// The custom blocks came before the packet: hold it (pcapgo is
		// not called again until it is handed out, so its data stays).
		rd.held = &heldPacket{p: p, err: err}
		return customPacket(c), nil
	}
	return p, err
}

// heldPacket is what pcapng's reader returned after custom blocks that
// Next hands out first.
type heldPacket struct {
	p   Packet
	err error
}

func customPacket(c customBlock) Packet {
	return Packet{Data: c.data, Length: len(c.data), LinkType: LinkTypePcapngCustom, Offset: c.off}
}

// wrap turns an error from pcapgo into one that names the offset; a framing
// error already does, and io.EOF at a unit boundary stays io.EOF.
func (rd *Reader) wrap(err error) error {
	if fe := rd.framer.err; fe != nil {
		return fe
	}
	if errors.Is(err, io.EOF) && rd.framer.pos == len(rd.framer.buf) {
		return io.EOF
	}
	return fmt.Errorf("capture: %s at offset %d: %w: %v", rd.framer.unitKind, rd.framer.unitStart, ErrCorrupt, err)
}

// recoverAs is the last line of defence: should pcapgo panic on a block the
// framer let through, the panic becomes an error naming the offset.
func (rd *Reader) recoverAs(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("capture: %s at offset %d: %w: reader panicked: %v", rd.framer.unitKind, rd.framer.unitStart, ErrCorrupt, r)
	}
}

// SkipDamaged makes the [Reader] continue past a damaged record or block
// (a bad length, a bad trailing length, a block that does not hold its
// packet) to the next one whose framing is sound, instead of returning
// the error; Skipped counts them. A damaged end of the file ends it. The
// first record's damage, or the file header's, still fails.
func (rd *Reader) SkipDamaged(on bool) { rd.framer.skip = on }

// Skipped returns how many damaged records or blocks SkipDamaged skipped.
func (rd *Reader) Skipped() uint64 { return rd.framer.skipped }

// Close releases the file and decompressor that [OpenFile] opened.
func (rd *Reader) Close() error {
	var first error
	for _, c := range rd.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	rd.closers = nil
	return first
}
