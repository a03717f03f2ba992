package pdu

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
)

// Type is the one-byte [PDU] type that starts every [PDU] on the wire.
type Type byte

// The [PDU] types of the content-sharing protocol.
const (
	Register   Type = 'R' // a peer registers content it serves (peer → index)
	Search     Type = 'S' // find a server for content (peer → index), and the reply (index → peer)
	Download   Type = 'D' // ask a content server for content (peer → peer, TCP)
	Content    Type = 'C' // one content frame (peer → peer, TCP)
	Final      Type = 'F' // the last content frame (peer → peer, TCP)
	List       Type = 'O' // ask for, and reply with, the registered content names
	Deregister Type = 'T' // a peer withdraws content (peer → index)
	Ack        Type = 'A' // acknowledgement (index → peer)
	Error      Type = 'E' // error with a text (index → peer, peer → peer)
)

// Known reports whether t is one of the protocol's [PDU] types.
func (t Type) Known() bool {
	switch t {
	case Register, Search, Download, Content, Final, List, Deregister, Ack, Error:
		return true
	}
	return false
}

// String returns the type letter in quotes, such as 'R', or '\x01' for a byte
// that is not a printable letter.
func (t Type) String() string { return fmt.Sprintf("%q", rune(t)) }

// Direction tells a decoder which side sent the bytes. Two [PDU] types use one
// letter for a request and its reply (S and O) and, in the [Classic] layout,
// only the direction tells them apart. Other types ignore it.
type Direction uint8

const (
	// Request marks bytes a peer sent: R, S request, D, O request, T.
	Request Direction = iota
	// Reply marks bytes a server sent: S reply, O reply, A, E, C, F.
	Reply
)

// String returns "request" or "reply".
func (d Direction) String() string {
	if d == Reply {
		return "reply"
	}
	return "request"
}

// PDU is one protocol data unit, decoded. Which fields are meaningful depends
// on [Type] (and, for S and O, on [Reply]):
//
//	R         Peer, Content, Addr (the peer's content server)
//	S request Peer (may be empty in the Classic short form), Content
//	S reply   Addr (the chosen content server); Framed adds Others, the
//	          content's other holders
//	D         Peer (may be empty in the Classic short form), Content;
//	          Framed adds Part (and Chunk): the manifest or one chunk
//	          instead of the whole content
//	C         Data; in the Framed codec the first C frame also has
//	          Announce set with the content's Size and SHA-256 Sum
//	F         Data (the remainder)
//	O request Peer (may be empty); Content, when not empty, asks for the
//	          page of names that sort after it
//	O reply   Names (one datagram's share of the list, netlab's form), or
//	          Holders (the peer|content|ip:port; text form of other index
//	          servers), or Text (any other reply, shown as it came)
//	T         Peer, Content
//	A         Text: what the A carried, up to its first NUL; Peer: the same,
//	          when it fits a name (netlab's index echoes the peer's name,
//	          others send a sentence such as "Registration successful")
//	E         Text
//
// Data, after a decode, aliases the decoded bytes: it is valid until the
// buffer (or stream reader) it came from is reused.
type PDU struct {
	Type     Type
	Reply    bool // S and O: this is the server's reply, not the request
	Peer     string
	Content  string
	Addr     netip.AddrPort
	Names    []string
	Holders  []Holder
	Text     string
	Data     []byte
	Announce bool             // Framed first C frame: Size and Sum are set
	Size     int64            // Framed: total content size announced in the first C frame
	Sum      [32]byte         // Framed: SHA-256 of the whole content, announced in the first C frame
	Others   []netip.AddrPort // Framed S reply: the other holders, at most FramedMaxHolders-1
	Part     Part             // Framed D: what is asked, the whole content by default
	Chunk    int              // Framed D with PartChunk: the index of the chunk asked for
}

// Part is what a [Framed] D asks for: the whole content (the lab's
// download), the content's [Manifest], or one chunk of it. Classic asks for
// the whole content only.
type Part uint8

// The parts a [Framed] D can ask for.
const (
	PartWhole    Part = 0 // the whole content: an announcing C frame, C frames, F
	PartManifest Part = 1 // the Manifest, encoded, sent as content (announced, then C/F)
	PartChunk    Part = 2 // chunk Chunk of the manifest, sent as content announced with the chunk's SHA-256
)

// Holder is one record of an O reply in the text form some lab index
// servers send, "peer|content|ip:port;": content [Content] is served by peer
// Peer at Addr.
type Holder struct {
	Peer    string
	Content string
	Addr    netip.AddrPort
}

// Limits are the bounds a codec enforces; callers use them to size buffers
// and to split lists and content into PDUs.
type Limits struct {
	MaxName     int  // longest peer or content name, in bytes
	MaxText     int  // longest E text, in bytes
	MaxData     int  // data bytes in one full C frame
	MaxNames    int  // content names in one O reply PDU; fewer ends the list
	MaxDatagram int  // longest PDU sent as one UDP datagram, type byte included
	MaxFrame    int  // longest PDU read from a stream, type byte and length included
	Announce    bool // the first C frame announces size and SHA-256
	IPv6        bool // addresses may be IPv6
}

// Codec turns PDUs into bytes and back. Classic is the lab manual's layout;
// Framed is netlab's length-prefixed format for real files. Implementations
// are stateless values, safe for concurrent use.
type Codec interface {
	// Name is a short name for the codec, such as "classic".
	Name() string
	// Limits returns the codec's bounds.
	Limits() Limits
	// Append appends the wire form of p to dst and returns the extended
	// slice. It fails, leaving dst's contents unspecified beyond len(dst),
	// when p cannot be encoded (an empty or too long name, an address the
	// layout cannot carry, ...).
	Append(dst []byte, p *PDU) ([]byte, error)
	// Decode parses b, exactly one PDU such as one UDP datagram, into p.
	// dir says who sent it. It never panics and never allocates more than
	// the bounds allow, whatever b holds.
	Decode(b []byte, dir Direction, p *PDU) error
	// ReadPDU reads one PDU from a byte stream (a TCP connection), framing
	// it by the codec's rules rather than by read boundaries. r must have a
	// buffer of at least Limits().MaxFrame bytes (see NewReader); p.Data
	// aliases that buffer until the next read.
	ReadPDU(r *bufio.Reader, dir Direction, p *PDU) error
}

// NewReader returns a buffered reader on r large enough for ReadPDU with
// every codec in this package.
func NewReader(r interface{ Read([]byte) (int, error) }) *bufio.Reader {
	return bufio.NewReaderSize(r, ReaderSize)
}

// NewContentReader returns a buffered reader on r for [ReceiveContent] with
// codec c. With Framed it is small ([ContentReaderSize]): [ReceiveContent] reads
// each frame's header through the buffer and its data past it, straight
// from r into its own chunks, so the bulk of the content is copied once
// less. With other codecs it is [NewReader]'s.
func NewContentReader(r interface{ Read([]byte) (int, error) }, c Codec) *bufio.Reader {
	if _, ok := c.(dataHeaderCodec); ok {
		return bufio.NewReaderSize(r, ContentReaderSize)
	}
	return NewReader(r)
}

// ContentReaderSize is the buffer size [NewContentReader] uses with [Framed]:
// enough for a frame header, an announcement and an E [PDU].
const ContentReaderSize = 4 << 10

// ReaderSize is the buffer size [NewReader] uses: one full [Framed] frame and
// its header.
const ReaderSize = framedMaxFrame + 64

// Sentinel errors. Decode and Append wrap them with the [PDU] type and what was
// wrong, so errors.Is works and the text says where.
var (
	// ErrEmpty: zero bytes, not even a type byte.
	ErrEmpty = errors.New("empty PDU")
	// ErrUnknownType: the type byte is not one of the protocol's letters.
	ErrUnknownType = errors.New("unknown PDU type")
	// ErrTruncated: fewer bytes than the type's layout needs.
	ErrTruncated = errors.New("truncated")
	// ErrTooLong: more bytes, names or data than the codec allows.
	ErrTooLong = errors.New("too long")
	// ErrBadName: a name is empty, too long or contains NUL.
	ErrBadName = errors.New("bad name")
	// ErrBadAddr: an address the layout cannot carry, or port 0.
	ErrBadAddr = errors.New("bad address")
	// ErrMalformed: bytes that fit no layout (junk after the fields, bad flags).
	ErrMalformed = errors.New("malformed")
)

// unknownType reports a type byte that is not part of the protocol, in the
// form the index server echoes back: unknown PDU type 'X'.
func unknownType(t byte) error {
	return fmt.Errorf("pdu: %w %q", ErrUnknownType, rune(t))
}

var errEmpty = fmt.Errorf("pdu: %w", ErrEmpty)

// leadingType returns the known type byte that starts datagram b: the first
// step of both layouts' Decode.
func leadingType(b []byte) (Type, error) {
	if len(b) == 0 {
		return 0, errEmpty
	}
	return knownType(b[0])
}

// readType reads the known type byte that starts a PDU on a stream: the
// first step of both layouts' ReadPDU.
func readType(r *bufio.Reader) (Type, error) {
	tb, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	return knownType(tb)
}

func knownType(tb byte) (Type, error) {
	if t := Type(tb); t.Known() {
		return t, nil
	}
	return 0, unknownType(tb)
}

// pduErr wraps a sentinel with the PDU type and details:
// "pdu: R PDU: truncated: 12 data bytes, want 26".
func pduErr(t Type, sentinel error, format string, args ...any) error {
	if format == "" {
		return fmt.Errorf("pdu: %c PDU: %w", rune(t), sentinel)
	}
	return fmt.Errorf("pdu: %c PDU: %w: %s", rune(t), sentinel, fmt.Sprintf(format, args...))
}
