package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/gopacket"
)

// ErrTruncated is wrapped by the error returned when a capture file ends in
// the middle of a header, record or block.
var ErrTruncated = errors.New("file ends in the middle of a record")

// ErrCorrupt is wrapped by the error returned when a header, record or block
// of a capture file cannot be right: an unknown magic number, a length that
// is zero, not a multiple of four, larger than the limit, or that disagrees
// with the trailing copy.
var ErrCorrupt = errors.New("corrupt capture file")

// Format is the container format of a capture file.
type Format int

// The container formats a [Reader] understands.
const (
	FormatPcap   Format = iota + 1 // libpcap: a 24-byte global header, then 16-byte record headers
	FormatPcapNG                   // pcapng: self-describing blocks (SHB, IDB, EPB, ...)
)

// String returns "pcap" or "pcapng".
func (f Format) String() string {
	switch f {
	case FormatPcap:
		return "pcap"
	case FormatPcapNG:
		return "pcapng"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

const (
	pcapMagicMicro    = 0xa1b2c3d4
	pcapMagicNano     = 0xa1b23c4d
	ngBlockSHB        = 0x0a0d0d0a
	ngBlockIDB        = 0x00000001
	ngBlockPB         = 0x00000002 // obsolete Packet Block
	ngBlockSPB        = 0x00000003
	ngBlockEPB        = 0x00000006
	ngBlockCB         = 0x00000bad // custom block, copyable
	ngBlockDCB        = 0x40000bad // custom block, not to be copied
	ngByteOrderMagic  = 0x1a2b3c4d
	pcapHeaderLen     = 24
	pcapRecordHdrLen  = 16
	ngMinBlockLen     = 12
	ngBlockSlack      = 64 << 10 // room for options around the packet data of one block
	defaultMaxPacket  = 262144   // Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD
	minMaxPacketLimit = 64
)

// framer sits between the file and pcapgo. It reads the file one unit (the
// pcap global header, one pcap record, one pcapng block) at a time, checks
// the unit's framing (magic, lengths, trailing length) before any byte of it
// reaches pcapgo, and hands pcapgo at most one unit per Read. pcapgo
// therefore never sees a length it could over-allocate for, and the framer
// always knows the file offset of the unit pcapgo is working on, so every
// error can name it.
type framer struct {
	src       *bufio.Reader
	format    Format
	maxPacket int
	order     binary.ByteOrder
	nsFactor  uint32 // pcap: nanoseconds per unit of a record's second field (1000 or 1)

	buf       []byte // the current unit: peeked in src's buffer, or a copy in own
	own       []byte // buffer for units larger than src's buffer
	peeked    int    // bytes of src that buf points into; discarded at the next unit
	pos       int    // bytes of buf already handed to pcapgo
	unitStart int64  // file offset of the current unit
	next      int64  // file offset just past the current unit
	unitKind  string // "pcap header", "record", "block type 0x6", ...
	err       error  // sticky framing error; includes the offset

	ngSnaplens []uint32 // snap length of each interface in the current section

	// skip makes a damaged record or block count in skipped instead of
	// ending the file: the framer then looks for the next unit whose
	// framing is sound ([Reader.SkipDamaged]).
	skip    bool
	skipped uint64
	lastTs  uint32 // seconds of the last good pcap record

	// custom holds the pcapng custom blocks framed since the Reader last
	// took them: pcapgo passes over them on its way to the next packet,
	// and the Reader hands them out first, in file order (customBytes
	// bounds what they hold).
	custom      []customBlock
	customBytes int
}

// customBlock is a pcapng custom block's data (after its Private
// Enterprise Number) and the file offset of the block.
type customBlock struct {
	off  int64
	data []byte
}

// maxCustomBytes bounds the custom blocks held between two packets; past
// it, further ones are not kept (a file of nothing but custom blocks is no
// capture).
const maxCustomBytes = 64 << 20

// maxResync bounds how far the framer looks for a sound unit after a
// damaged one.
const maxResync = 16 << 20

func newFramer(src io.Reader, maxPacket int) (*framer, error) {
	br, ok := src.(*bufio.Reader)
	if !ok || br.Size() < 64<<10 {
		br = bufio.NewReaderSize(src, 64<<10)
	}
	f := &framer{src: br, maxPacket: maxPacket}
	magic, err := f.src.Peek(4)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("capture: offset 0: %w: %d bytes is too short for a file header", ErrTruncated, len(magic))
		}
		return nil, fmt.Errorf("capture: offset 0: %w", err)
	}
	le, be := binary.LittleEndian.Uint32(magic), binary.BigEndian.Uint32(magic)
	switch {
	case le == pcapMagicMicro || le == pcapMagicNano:
		f.format, f.order, f.nsFactor = FormatPcap, binary.LittleEndian, 1000
		if le == pcapMagicNano {
			f.nsFactor = 1
		}
	case be == pcapMagicMicro || be == pcapMagicNano:
		f.format, f.order, f.nsFactor = FormatPcap, binary.BigEndian, 1000
		if be == pcapMagicNano {
			f.nsFactor = 1
		}
	case le == ngBlockSHB:
		f.format = FormatPcapNG
	default:
		return nil, fmt.Errorf("capture: offset 0: %w: magic %#08x is neither pcap nor pcapng", ErrCorrupt, be)
	}
	return f, nil
}

// Read implements io.Reader for pcapgo, never crossing a unit boundary.
func (f *framer) Read(p []byte) (int, error) {
	if f.pos == len(f.buf) {
		if f.err != nil {
			return 0, f.err
		}
		if err := f.nextUnit(); err != nil {
			f.err = err
			return 0, err
		}
	}
	n := copy(p, f.buf[f.pos:])
	f.pos += n
	return n, nil
}

// pcapRecord returns the next record of a pcap file straight from the unit
// the framer has checked, with no copy: what pcapgo's
// ZeroCopyReadPacketData returns for it (the same timestamp arithmetic),
// without the two copies its reading through a bufio.Reader costs. The
// data is valid until the next call.
func (f *framer) pcapRecord() ([]byte, gopacket.CaptureInfo, error) {
	var ci gopacket.CaptureInfo
	if f.err != nil {
		return nil, ci, f.err
	}
	if err := f.nextUnit(); err != nil {
		f.err = err
		return nil, ci, err
	}
	b := f.buf
	f.pos = len(b)
	ci.Timestamp = time.Unix(int64(f.order.Uint32(b[0:4])), int64(f.order.Uint32(b[4:8])*f.nsFactor)).UTC()
	ci.CaptureLength = int(f.order.Uint32(b[8:12]))
	ci.Length = int(f.order.Uint32(b[12:16]))
	return b[pcapRecordHdrLen : pcapRecordHdrLen+ci.CaptureLength], ci, nil
}

// pcapRun hands to add the pcap records that lie whole in src's buffer
// after the current unit, up to max of them, each with its offset, until
// one that is not sound or not whole (which the caller reads with
// pcapRecord, so that its error or its resync is the usual one); it
// returns how many it handed over. It checks each record as pcapUnit
// does, and leaves the framer as pcapRecord would after the last, except
// that buf is empty: add must copy data, which the next call overwrites.
func (f *framer) pcapRun(max int, add func(data []byte, sec, nsec int64, length int, off int64)) int {
	if f.err != nil || f.format != FormatPcap || f.next == 0 {
		return 0
	}
	if f.peeked > 0 {
		if _, err := f.src.Discard(f.peeked); err != nil {
			return 0
		}
		f.peeked = 0
	}
	f.buf, f.pos = nil, 0
	b, _ := f.src.Peek(f.src.Buffered())
	at, n := 0, 0
	for ; n < max && len(b)-at >= pcapRecordHdrLen; n++ {
		h := b[at : at+pcapRecordHdrLen]
		caplen, origlen := f.order.Uint32(h[8:12]), f.order.Uint32(h[12:16])
		end := at + pcapRecordHdrLen + int(caplen)
		if caplen > uint32(f.maxPacket) || caplen > origlen || end > len(b) {
			break
		}
		ts := f.order.Uint32(h[0:4])
		if !f.skip || f.plausibleTs(ts) {
			f.lastTs = ts
		}
		add(b[at+pcapRecordHdrLen:end], int64(ts), int64(f.order.Uint32(h[4:8])*f.nsFactor), int(origlen), f.next)
		f.unitStart, f.next = f.next, f.next+int64(end-at)
		at = end
	}
	if n > 0 {
		f.unitKind = "pcap record"
	}
	f.src.Discard(at) // buffered: cannot fail
	return n
}

// fill makes f.buf the first n bytes of the current unit, of which the
// first have are already there. A unit that fits in src's buffer is peeked
// in place (no copy); a larger one is copied into f.own.
func (f *framer) fill(have, n int) error {
	if f.peeked > 0 || have == 0 {
		if n <= f.src.Size() {
			b, err := f.src.Peek(n)
			if err != nil {
				return f.fillErr(n, len(b), err)
			}
			f.buf, f.peeked = b, n
			return nil
		}
		// Too big to peek: move what was peeked into own, then read.
		if cap(f.own) < n {
			f.own = make([]byte, n)
		}
		f.own = f.own[:n]
		copy(f.own, f.buf[:have])
		if _, err := f.src.Discard(have); err != nil {
			return f.fillErr(n, 0, err)
		}
		f.peeked = 0
		f.buf = f.own
	}
	if cap(f.buf) < n {
		nb := make([]byte, n)
		copy(nb, f.buf[:have])
		f.buf, f.own = nb, nb
	}
	f.buf = f.buf[:n]
	got, err := io.ReadFull(f.src, f.buf[have:n])
	if err != nil {
		return f.fillErr(n, have+got, err)
	}
	return nil
}

func (f *framer) fillErr(n, got int, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("capture: %s at offset %d: %w: need %d bytes, the file has %d more",
			f.unitKind, f.unitStart, ErrTruncated, n, got)
	}
	return fmt.Errorf("capture: %s at offset %d: %w", f.unitKind, f.unitStart, err)
}

func (f *framer) corrupt(format string, args ...any) error {
	return fmt.Errorf("capture: %s at offset %d: %w: %s", f.unitKind, f.unitStart, ErrCorrupt, fmt.Sprintf(format, args...))
}

func (f *framer) nextUnit() error {
	f.unitStart = f.next
	f.pos = 0
	f.buf = nil
	if f.peeked > 0 {
		if _, err := f.src.Discard(f.peeked); err != nil {
			return fmt.Errorf("capture: offset %d: %w", f.unitStart, err)
		}
		f.peeked = 0
	}
	// A clean end of file falls between units.
	if _, err := f.src.Peek(1); err != nil {
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		return fmt.Errorf("capture: offset %d: %w", f.unitStart, err)
	}
	var err error
	if f.format == FormatPcap {
		err = f.pcapUnit()
	} else {
		err = f.ngUnit()
	}
	if err != nil && f.skip && f.unitStart > 0 {
		err = f.resync(err)
	}
	if err != nil {
		return err
	}
	f.next = f.unitStart + int64(len(f.buf))
	return nil
}

// resync skips a damaged unit: it counts it and moves on to the next
// offset (byte by byte in pcap, by 4 bytes in pcapng, whose blocks are
// aligned) at which a unit's framing is sound, or to the end of the file.
// It gives up, returning the original error, after maxResync bytes.
func (f *framer) resync(orig error) error {
	f.skipped++
	step := 1
	if f.format == FormatPcapNG {
		step = 4
	}
	start := f.unitStart
	for moved := step; moved <= maxResync; moved += step {
		// Peeked bytes are still in src: the damaged unit's start is
		// where src stands (unless a unit too big to peek was read).
		f.pos, f.buf, f.peeked = 0, nil, 0
		if _, err := f.src.Discard(step); err != nil {
			return io.EOF // the damage ran to the end of the file
		}
		f.unitStart = start + int64(moved)
		if _, err := f.src.Peek(1); err != nil {
			return io.EOF
		}
		if !f.candidate() {
			continue
		}
		var err error
		if f.format == FormatPcap {
			err = f.pcapUnit()
		} else {
			err = f.ngUnit()
		}
		if err == nil && f.plausible() {
			return nil
		}
		f.peeked = 0 // not consumed: candidate kept it within src's buffer
	}
	return orig
}

// candidate looks at the unit header at src's position without consuming
// it: a record or block that fits in src's buffer, with sane lengths (a
// known block type in pcapng). Only then is it framed for real.
func (f *framer) candidate() bool {
	if f.format == FormatPcap {
		h, err := f.src.Peek(pcapRecordHdrLen)
		if err != nil {
			return false
		}
		caplen, origlen := f.order.Uint32(h[8:12]), f.order.Uint32(h[12:16])
		return caplen <= origlen && caplen <= uint32(f.maxPacket) && int(caplen)+pcapRecordHdrLen <= f.src.Size()
	}
	h, err := f.src.Peek(8)
	if err != nil || f.order == nil {
		return false
	}
	switch f.order.Uint32(h[0:4]) {
	case ngBlockIDB, ngBlockEPB, ngBlockSPB, ngBlockPB, 4, 5:
	default:
		return false
	}
	l := f.order.Uint32(h[4:8])
	return l >= ngMinBlockLen && l%4 == 0 && int(l) <= f.src.Size()
}

// plausible adds to a sound pcap record's framing what a random match
// rarely has: a timestamp within a day before and a year after the last
// good record (the first one is taken as it is).
func (f *framer) plausible() bool {
	return f.format != FormatPcap || f.plausibleTs(f.order.Uint32(f.buf[0:4]))
}

// plausibleTs is plausible for a pcap record of ts seconds.
func (f *framer) plausibleTs(ts uint32) bool {
	return f.lastTs == 0 || ts+86400 >= f.lastTs && ts <= f.lastTs+366*86400
}

func (f *framer) pcapUnit() error {
	if f.unitStart == 0 {
		f.unitKind = "pcap file header"
		if err := f.fill(0, pcapHeaderLen); err != nil {
			return err
		}
		if major := f.order.Uint16(f.buf[4:6]); major != 2 {
			return f.corrupt("version %d.%d, want 2.4", major, f.order.Uint16(f.buf[6:8]))
		}
		return nil
	}
	f.unitKind = "pcap record"
	if err := f.fill(0, pcapRecordHdrLen); err != nil {
		return err
	}
	caplen, origlen := f.order.Uint32(f.buf[8:12]), f.order.Uint32(f.buf[12:16])
	if caplen > uint32(f.maxPacket) {
		return f.corrupt("captured length %d is larger than the limit of %d bytes", caplen, f.maxPacket)
	}
	if caplen > origlen {
		return f.corrupt("captured length %d is larger than the packet's length %d", caplen, origlen)
	}
	if err := f.fill(pcapRecordHdrLen, pcapRecordHdrLen+int(caplen)); err != nil {
		return err
	}
	if ts := f.order.Uint32(f.buf[0:4]); !f.skip || f.plausibleTs(ts) {
		f.lastTs = ts
	}
	return nil
}

func (f *framer) ngUnit() error {
	f.unitKind = "pcapng block"
	if err := f.fill(0, 8); err != nil {
		return err
	}
	typ := binary.LittleEndian.Uint32(f.buf[0:4])
	if typ == ngBlockSHB {
		f.unitKind = "pcapng section header block"
		if err := f.fill(8, 12); err != nil {
			return err
		}
		switch {
		case binary.LittleEndian.Uint32(f.buf[8:12]) == ngByteOrderMagic:
			f.order = binary.LittleEndian
		case binary.BigEndian.Uint32(f.buf[8:12]) == ngByteOrderMagic:
			f.order = binary.BigEndian
		default:
			return f.corrupt("byte-order magic %#08x, want 0x1a2b3c4d", binary.BigEndian.Uint32(f.buf[8:12]))
		}
		f.ngSnaplens = f.ngSnaplens[:0]
	} else if f.order == nil {
		return f.corrupt("the file does not start with a section header block")
	}
	typ = f.order.Uint32(f.buf[0:4])
	if typ != ngBlockSHB {
		f.unitKind = fmt.Sprintf("pcapng block type %#x", typ)
	}
	length := f.order.Uint32(f.buf[4:8])
	limit := uint32(f.maxPacket + ngBlockSlack)
	switch {
	case length < ngMinBlockLen:
		return f.corrupt("block length %d is shorter than the minimum of %d", length, ngMinBlockLen)
	case length%4 != 0:
		return f.corrupt("block length %d is not a multiple of 4", length)
	case length > limit:
		return f.corrupt("block length %d is larger than the limit of %d bytes", length, limit)
	}
	if err := f.fill(len(f.buf), int(length)); err != nil {
		return err
	}
	if trail := f.order.Uint32(f.buf[length-4:]); trail != length {
		return f.corrupt("trailing block length %d differs from the leading %d", trail, length)
	}
	return f.checkNgBlock(typ, int(length))
}

// checkNgBlock checks what pcapgo trusts inside a block: that the packet data
// fits in it, and that interface snap lengths stay under the limit (pcapgo
// sizes its packet buffer by them).
func (f *framer) checkNgBlock(typ uint32, length int) error {
	body := f.buf[8 : length-4]
	switch typ {
	case ngBlockSHB:
		if length < 28 {
			return f.corrupt("section header block of %d bytes is shorter than 28", length)
		}
	case ngBlockIDB:
		if len(body) < 8 {
			return f.corrupt("interface description block of %d bytes is shorter than 20", length)
		}
		snap := f.order.Uint32(body[4:8])
		if snap == 0 || snap > uint32(f.maxPacket) {
			// 0 means "no limit"; pcapgo would size buffers by a huge value.
			snap = uint32(f.maxPacket)
			f.order.PutUint32(body[4:8], snap)
		}
		f.ngSnaplens = append(f.ngSnaplens, snap)
	case ngBlockEPB, ngBlockPB:
		if len(body) < 20 {
			return f.corrupt("packet block of %d bytes is shorter than 32", length)
		}
		caplen, origlen := f.order.Uint32(body[12:16]), f.order.Uint32(body[16:20])
		if caplen > uint32(len(body)-20) {
			return f.corrupt("captured length %d does not fit in a block of %d bytes", caplen, length)
		}
		if caplen > origlen {
			return f.corrupt("captured length %d is larger than the packet's length %d", caplen, origlen)
		}
		iface := f.order.Uint32(body[0:4])
		if typ == ngBlockPB {
			iface = uint32(f.order.Uint16(body[0:2]))
		}
		if int64(iface) >= int64(len(f.ngSnaplens)) {
			return f.corrupt("packet on interface %d, but the section describes %d interfaces", iface, len(f.ngSnaplens))
		}
	case ngBlockCB, ngBlockDCB:
		if len(body) < 4 {
			return f.corrupt("custom block of %d bytes is shorter than 16", length)
		}
		if data := body[4:]; f.customBytes+len(data) <= maxCustomBytes {
			f.custom = append(f.custom, customBlock{off: f.unitStart, data: bytes.Clone(data)})
			f.customBytes += len(data)
		}
	case ngBlockSPB:
		if len(body) < 4 {
			return f.corrupt("simple packet block of %d bytes is shorter than 16", length)
		}
		if len(f.ngSnaplens) == 0 {
			return f.corrupt("simple packet block before any interface description block")
		}
		caplen := min(f.order.Uint32(body[0:4]), f.ngSnaplens[0])
		if caplen > uint32(len(body)-4) {
			return f.corrupt("packet length %d does not fit in a simple packet block of %d bytes", caplen, length)
		}
	}
	return nil
}

// popCustom returns the first custom block held, if any.
func (f *framer) popCustom() (customBlock, bool) {
	if len(f.custom) == 0 {
		return customBlock{}, false
	}
	c := f.custom[0]
	f.custom[0] = customBlock{}
	f.custom = f.custom[1:]
	f.customBytes -= len(c.data)
	return c, true
}
