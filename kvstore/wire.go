package kvstore

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The replication messages. Every message starts with a one-byte kind; all
// integers are unsigned varints in their shortest form except the 8-byte
// little-endian hashes and wall times, so a message has exactly one
// encoding. Every length is checked against the bytes that remain and
// against [Limits] before anything is allocated.
//
//	push      kind=1  count  entry*              a write, spread by broadcast
//	root      kind=2  buckets  root(8)           "here is my keyspace's root hash"
//	digests   kind=3  buckets  digest(8)*buckets "mine differs: here are my buckets"
//	summaries kind=4  nb { bucket count {key wall(8) logical node tomb}* }*
//	want      kind=5  count  key*                "send me these entries"
//	repair    kind=6  count  entry*              entries sent in answer to want
//	offer     kind=7  (as summaries)             "I have these newer versions"
//
//	entry   = key  wall(8)  logical  node  flags  [value]   (value only if flags&1 == 0)
//	key, node, value = length  bytes
const (
	kindPush byte = iota + 1
	kindRoot
	kindDigests
	kindSummaries
	kindWant
	kindRepair
	kindOffer
)

// Limits bounds what a node accepts from the network and from callers.
type Limits struct {
	MaxKey     int // bytes in a key
	MaxValue   int // bytes in a value
	MaxMessage int // bytes in one replication message
	MaxBuckets int // digest buckets in one message
}

const maxNodeName = 255

// errTrunc is the cause of every decoding error about missing bytes.
var errTrunc = errors.New("truncated")

// summary is a version without the value: what anti-entropy compares.
type summary struct {
	Key       string
	Version   Version
	Tombstone bool
}

// bucketSummaries is one bucket's summaries in a summaries message.
type bucketSummaries struct {
	Bucket  int
	Entries []summary
}

// message is a decoded replication message; which fields are set depends on
// Kind.
type message struct {
	Kind      byte
	Entries   []Entry           // push, repair
	Buckets   int               // root, digests
	Root      uint64            // root
	Digests   []uint64          // digests
	Summaries []bucketSummaries // summaries
	Keys      []string          // want
}

// ---- encoding

func appendEntries(b []byte, kind byte, es []Entry) []byte {
	b = append(b, kind)
	b = binary.AppendUvarint(b, uint64(len(es)))
	for _, e := range es {
		b = appendEntry(b, e)
	}
	return b
}

func appendEntry(b []byte, e Entry) []byte {
	b = appendString(b, e.Key)
	b = appendVersion(b, e.Version)
	if e.Tombstone {
		return append(b, 1)
	}
	b = append(b, 0)
	b = binary.AppendUvarint(b, uint64(len(e.Value)))
	return append(b, e.Value...)
}

func appendVersion(b []byte, v Version) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(v.Wall))
	b = binary.AppendUvarint(b, uint64(v.Logical))
	return appendString(b, v.Node)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func encodeRoot(buckets int, r uint64) []byte {
	b := []byte{kindRoot}
	b = binary.AppendUvarint(b, uint64(buckets))
	return binary.LittleEndian.AppendUint64(b, r)
}

func encodeDigests(d []uint64) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+8*len(d))
	b = append(b, kindDigests)
	b = binary.AppendUvarint(b, uint64(len(d)))
	for _, v := range d {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return b
}

func encodeSummaries(bs []bucketSummaries) []byte { return encodeSummaryKind(kindSummaries, bs) }

func encodeSummaryKind(kind byte, bs []bucketSummaries) []byte {
	b := []byte{kind}
	b = binary.AppendUvarint(b, uint64(len(bs)))
	for _, bk := range bs {
		b = binary.AppendUvarint(b, uint64(bk.Bucket))
		b = binary.AppendUvarint(b, uint64(len(bk.Entries)))
		for _, s := range bk.Entries {
			b = appendString(b, s.Key)
			b = appendVersion(b, s.Version)
			if s.Tombstone {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		}
	}
	return b
}

func encodeWant(keys []string) []byte {
	b := []byte{kindWant}
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
	}
	return b
}

// ---- decoding

type reader struct {
	b   []byte
	off int
	lim Limits
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("offset %d: "+format, append([]any{r.off}, args...)...)
	}
}

func (r *reader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("%s: %w", what, errTrunc)
		return 0
	}
	if n > 1 && r.b[r.off+n-1] == 0 {
		// A trailing zero group adds nothing: only the shortest form is
		// valid, so that every message has exactly one encoding.
		r.fail("%s: varint not in its shortest form", what)
		return 0
	}
	r.off += n
	return v
}

// count reads a count of items that each take at least minSize bytes, and
// rejects a count the remaining bytes cannot hold, so a forged count cannot
// make the decoder allocate.
func (r *reader) count(what string, minSize int) int {
	n := r.uvarint(what)
	if r.err == nil && n > uint64((len(r.b)-r.off)/minSize) {
		r.fail("%s %d does not fit in the %d bytes left", what, n, len(r.b)-r.off)
		return 0
	}
	return int(n)
}

func (r *reader) bytes(what string, max int) []byte {
	n := r.uvarint(what + " length")
	if r.err != nil {
		return nil
	}
	if n > uint64(max) {
		r.fail("%s of %d bytes exceeds the limit of %d", what, n, max)
		return nil
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail("%s of %d bytes: %w", what, n, errTrunc)
		return nil
	}
	out := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return out
}

func (r *reader) u64(what string) uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.b)-r.off < 8 {
		r.fail("%s: %w", what, errTrunc)
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v
}

func (r *reader) byte1(what string) byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.fail("%s: %w", what, errTrunc)
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) version() Version {
	wall := int64(r.u64("wall time"))
	logical := r.uvarint("logical counter")
	if r.err == nil && logical > 1<<32-1 {
		r.fail("logical counter %d overflows 32 bits", logical)
	}
	node := r.bytes("node name", maxNodeName)
	return Version{Wall: wall, Logical: uint32(logical), Node: string(node)}
}

func (r *reader) flags() bool {
	f := r.byte1("flags")
	if r.err == nil && f > 1 {
		r.fail("unknown flags %#x", f)
	}
	return f == 1
}

func (r *reader) entry() Entry {
	var e Entry
	e.Key = string(r.bytes("key", r.lim.MaxKey))
	e.Version = r.version()
	e.Tombstone = r.flags()
	if !e.Tombstone && r.err == nil {
		v := r.bytes("value", r.lim.MaxValue)
		e.Value = append([]byte{}, v...) // do not alias the message buffer
	}
	return e
}

// minEntry is the fewest bytes an encoded entry or summary can take.
const minEntry = 1 + 8 + 1 + 1 + 1

// decodeMessage parses one replication message.
func decodeMessage(b []byte, lim Limits) (message, error) {
	if len(b) > lim.MaxMessage {
		return message{}, fmt.Errorf("kvstore: message of %d bytes exceeds the limit of %d", len(b), lim.MaxMessage)
	}
	if len(b) == 0 {
		return message{}, errors.New("kvstore: empty message")
	}
	r := &reader{b: b, off: 1, lim: lim}
	m := message{Kind: b[0]}
	switch m.Kind {
	case kindPush, kindRepair:
		n := r.count("entry count", minEntry)
		m.Entries = make([]Entry, 0, n)
		for i := 0; i < n && r.err == nil; i++ {
			m.Entries = append(m.Entries, r.entry())
		}
	case kindRoot:
		m.Buckets = r.bucketCount()
		m.Root = r.u64("root hash")
	case kindDigests:
		m.Buckets = r.bucketCount()
		if r.err == nil && len(b)-r.off < 8*m.Buckets {
			r.fail("%d digests: %w", m.Buckets, errTrunc)
		}
		for i := 0; i < m.Buckets && r.err == nil; i++ {
			m.Digests = append(m.Digests, r.u64("digest"))
		}
	case kindSummaries, kindOffer:
		nb := r.count("bucket count", 2)
		for i := 0; i < nb && r.err == nil; i++ {
			bk := bucketSummaries{Bucket: int(r.uvarint("bucket"))}
			if r.err == nil && bk.Bucket >= lim.MaxBuckets {
				r.fail("bucket %d out of range", bk.Bucket)
			}
			n := r.count("summary count", minEntry)
			for j := 0; j < n && r.err == nil; j++ {
				s := summary{Key: string(r.bytes("key", lim.MaxKey))}
				s.Version = r.version()
				s.Tombstone = r.flags()
				bk.Entries = append(bk.Entries, s)
			}
			m.Summaries = append(m.Summaries, bk)
		}
	case kindWant:
		n := r.count("key count", 1)
		for i := 0; i < n && r.err == nil; i++ {
			m.Keys = append(m.Keys, string(r.bytes("key", lim.MaxKey)))
		}
	default:
		return message{}, fmt.Errorf("kvstore: unknown message kind %d", m.Kind)
	}
	if r.err == nil && r.off != len(b) {
		r.fail("%d bytes of trailing garbage", len(b)-r.off)
	}
	if r.err != nil {
		return message{}, fmt.Errorf("kvstore: %s message: %w", kindName(m.Kind), r.err)
	}
	return m, nil
}

func (r *reader) bucketCount() int {
	n := r.uvarint("bucket count")
	if r.err == nil && (n == 0 || n > uint64(r.lim.MaxBuckets)) {
		r.fail("bucket count %d outside [1, %d]", n, r.lim.MaxBuckets)
	}
	return int(n)
}

func kindName(k byte) string {
	switch k {
	case kindPush:
		return "push"
	case kindRoot:
		return "root"
	case kindDigests:
		return "digests"
	case kindSummaries:
		return "summaries"
	case kindWant:
		return "want"
	case kindRepair:
		return "repair"
	case kindOffer:
		return "offer"
	}
	return fmt.Sprintf("kind %d", k)
}
