// Package pdu defines the wire formats of netlab's P2P content-sharing
// protocol, the classic course lab in which peers register content with an
// index server over UDP, ask it who holds a piece of content, and download the
// content from that peer over TCP (see package p2p/index).
//
// A protocol data unit ([PDU]) is a message with a one-byte type:
//
//	R  register     peer -> index  "I, peer P, serve content N at address A"
//	S  search       peer -> index  "who serves content N?"  and the index's reply: an address
//	D  download     peer -> peer   "send me content N" (over TCP)
//	C  content      peer -> peer   one full content frame
//	F  final        peer -> peer   the last, partial content frame; then the server closes
//	O  list         peer -> index  "which content is registered?" and the reply: names
//	T  de-register  peer -> index  "P no longer serves N"
//	A  acknowledge  index -> peer  the request was done
//	E  error        index -> peer  the request was refused, with a reason (also peer -> peer)
//
// A Codec turns a [PDU] into bytes and back. Two codecs implement it: Classic,
// the lab manual's layout byte for byte, so netlab talks to the C peers
// written for the lab; and [Framed], netlab's own layout for real files.
//
// # Classic layout
//
// Every index-server [PDU] is one UDP datagram: one type byte followed by at
// most 100 data bytes. Names are fixed 10-byte fields padded with NUL bytes
// (no terminator when a name is exactly 10 bytes long); addresses are an IPv4
// address and a TCP port, both in network byte order (big-endian):
//
//	offset  0   1         11        21        25   27
//	      +---+---------+---------+---------+----+
//	R     |'R'| peer    | content | IPv4    |port|     27 bytes
//	      +---+---------+---------+---------+----+
//	S, D  |'S'| peer    | content |                    21 bytes (request; ContentFirst
//	      +---+---------+---------+                    swaps the two names, see below)
//	S, D  |'S'| content |                              11 bytes (short request, sent by C peers)
//	      +---+---------+
//	S     |'S'| IPv4    |port|                         7 bytes (reply: the chosen server)
//	      +---+---------+----+
//	T     |'T'| peer    | content |                    21 bytes
//	      +---+---------+---------+
//	A     |'A'| peer    |   or just |'A'|              11 or 1 bytes (netlab; other index
//	      +---+---------+                              servers send a sentence, see below)
//	O     |'O'| peer    | start   |   or |'O'| peer |, or just |'O'|    (request)
//	      +---+---------+---------+
//	O     |'O'| name 1  | name 2  |  ...  |            1 + 10 × k bytes, k ≤ 10 (reply)
//	      +---+---------+---------+- ... -+
//	E     |'E'| error text, 0 to 100 bytes |
//	      +---+----------------------------+
//
// An O reply carries at most 10 names, one page of the sorted list. A reply
// with fewer than 10 names is the last page; after a full one, the client
// asks again with the last name it got as start (netlab's paging: the
// second field of the O request, which other index servers ignore), so that
// every request is answered by exactly one datagram.
//
// A name that is empty, longer than 10 bytes, or contains a NUL byte cannot
// be encoded. Keep names to 9 bytes where C peers take part: many of them
// compare names with strcmp and expect a terminating NUL inside the field.
// Decoders are lenient where C peers are sloppy and strict where bytes would
// be lost: a name ends at its first NUL (bytes after it are ignored), a
// request may come as the whole 101-byte C struct padded with NULs, but a
// [PDU] shorter than its layout is an error naming the type and the length
// wanted ("pdu: R [PDU]: truncated: 12 data bytes, want 26").
//
// Content flows on the TCP connection after a D request in frames of exactly
// 101 bytes, then one F frame with the remaining 0 to 99 bytes, and then the
// server closes the connection:
//
//	+---+------------------+ +---+------------------+     +---+-----------+
//	|'C'| 100 data bytes   | |'C'| 100 data bytes   | ... |'F'| 0-99 bytes| EOF
//	+---+------------------+ +---+------------------+     +---+-----------+
//
// A reader frames the stream by these fixed sizes, never by read boundaries:
// TCP (RFC 793) is a byte stream, and one read may return half a frame or
// three. A 250-byte file is C(100) C(100) F(50); a 200-byte file is C C and a
// lone F. The layout cannot tell a cut inside the final F frame from a short
// file, and it carries no checksum: that is what [Framed] adds.
//
// # Variants seen in the wild
//
// The lab's implementations agree on the type letters and the 100-byte data
// field, not on everything inside it. Classic reads these variants, side by
// side with netlab's form (· is a NUL byte; every layout may also come as
// the whole 101-byte C struct, padded with NULs):
//
//	A   netlab    'A' a l i c e · · · · ·                 peer name field: Peer and Text "alice"
//	    others    'A' R e g i s t r a t i o n   s u c c e s s f u l · ...
//	                                                     Text "Registration successful", Peer ""
//	E   both      'E' c o n t e n t   n o t   f o u n d [·...]
//	                                                     Text, up to the first NUL
//	O   netlab    'O' s o n g · · · · · · f i l m · · · · · ·
//	                                                     Names ["song" "film"]
//	    records   'O' p e e r 1 | f i l e A | 1 9 2 . 1 6 8 . 1 . 1 0 : 5 0 0 0 ; p e e r 2 | ...
//	                                                     Holders: peer, content, address
//	    text      'O' N o   c o n t e n t   r e g i s t e r e d · ...
//	                                                     Text "No content registered"
//	S   netlab    'S' a l i c e · · · · · s o n g · · · · · ·   PeerFirst
//	    others    'S' s o n g · · · · · · a l i c e · · · · ·   ContentFirst
//	    short     'S' s o n g · · · · · ·                        content only: both read it
//
// An A's data is read as a NUL-terminated text of 0 to 100 bytes; when it
// fits a name (10 bytes or fewer) it is also the peer name, which is how
// netlab's own index echoes it. An O reply is read in the first form that
// takes it whole: records (every byte up to the first NUL is
// "peer|content|ip:port;", the last ';' optional), then netlab's slots (a
// multiple of 10 bytes, each slot a name padded with NULs; padding after the
// names only when the names are not one NUL-terminated string, since a
// padded sentence would otherwise read as names), then a text, up to its
// first NUL, which a program shows rather than interprets. The order of the
// names in S and D cannot be told from the bytes: both are 10-byte names.
// The Requests field of [Classic] chooses what netlab sends and how it reads;
// netlab's index server (package p2p/index) accepts both orders by trying
// the content-first reading when the peer-first one finds nothing.
//
// What netlab sends stays netlab's form: an A echoes the peer name, an O
// reply is name slots, and E, A and O texts are sent without padding. The
// other forms exist in Append only so that what Decode read encodes again.
//
// # Where tolerance stops
//
// RFC 1122 asks an implementation to be liberal in what it accepts; RFC
// 9413 (Maintaining Robust Protocols) warns that tolerance left unchecked
// turns every accepted deviation into part of the protocol, hides bugs, and
// makes the unspecified behaviour of one implementation the requirement of
// all the others. So Classic accepts the variants above, each a documented
// and tested reading, and no more. It refuses, with an error naming the [PDU]
// type and what was wrong: a [PDU] shorter than its layout (it would have to
// invent bytes); data after a fixed layout that is not NUL padding (the
// sender means something netlab cannot know); more than 100 data bytes; an
// empty name; port 0; a C frame of other than 100 data bytes and an F frame
// of 100 or more; in an O reply, it never guesses names from a text. On a
// stream, an F or E frame that has more than its bytes before the end of
// the connection is an error, not a frame cut short. What netlab acts on
// (an address to connect to, a name to serve) comes only from a form that
// parsed completely; a text is only ever shown.
//
// # Framed layout
//
// Every Framed [PDU] is the type byte, the payload length as a uvarint
// (encoding/binary), and the payload:
//
//	+------+----------------+---------------------------+
//	| type | uvarint length | payload (length bytes)    |
//	+------+----------------+---------------------------+
//
//	name     = 1 length byte (0-255), then the bytes
//	address  = family byte (4 or 6), 4 or 16 address bytes, 2-byte port
//	R        = name peer, name content, address
//	S, D     = name peer (may be empty), name content      S reply = 1 to 16 addresses
//	D part   = name peer, name content, part byte (1 manifest, 2 chunk), if 2: uvarint chunk index
//	T        = name peer, name content
//	A        = optional name peer (an A text travels as this name)
//	O        = optional name peer, optional name start     O reply = up to 100 names
//	E        = text, up to 1024 bytes
//	C        = flags byte; if flags&1: uvarint size, 32-byte SHA-256; then up to 64 KiB data
//	F        = up to 64 KiB data
//
// The first C frame of a download announces the content's size and SHA-256
// (with flags&1 and no data); the downloader counts and hashes what follows and
// rejects the content ([ErrVerify]) when either differs. [ReceiveOptions.Limit]
// bounds what a receiver accepts: a [Framed] announcement above it fails at
// once, and a [Classic] stream, which has no announced end, fails as soon as
// it runs past it ([ErrTooLarge]). Every length read from
// the wire is checked against the bound of its type before anything is
// allocated or read, so a forged length cannot make a peer allocate or wait
// for gigabytes.
//
// A Framed S reply names every holder of the content, the one the index
// chose first and then up to 15 others ([PDU.Others]); [Classic]'s reply has
// room for one. A Framed D may ask for a part of the content instead of
// the whole ([PDU.Part]): [PartManifest], answered with the encoded [Manifest] as
// content, or [PartChunk] with a chunk index, answered with that chunk as
// content, announced with the chunk's size and SHA-256 from the manifest.
// After a part the server keeps the connection open for the next D; after
// the whole content it closes it, as in the lab.
//
// # Manifest, version 1
//
// A Manifest describes content for a download from several holders at
// once (BitTorrent's idea, in the simplest form): the size, the chunk size
// (a power of two from 4 KiB to 16 MiB; every chunk is that long but the
// last), a SHA-256 per chunk, and a root over all of it. Its wire form:
//
//	+------+---------+-----------------+----------------------+-----------+----------------------+
//	| NLMF | version | uvarint size    | uvarint chunk size   | root (32) | SHA-256 (32) × count |
//	+------+---------+-----------------+----------------------+-----------+----------------------+
//	   4       1 (=1)                                                        count = ceil(size/chunk)
//
//	root = SHA-256("netlab manifest v1" 0x00 || size (8 bytes BE) || chunk size (4 bytes BE) || sums)
//
// The decoder (UnmarshalBinary) checks, before allocating, the magic, the
// version, the bounds (at most 65,536 chunks, so at most 2 MiB of
// manifest), that exactly count sums follow, and that the root matches
// them: a manifest it accepts is consistent. Which root is the right one is
// the downloader's to decide (package p2p/index takes the root most
// holders agree on). A later version changes the version byte; a decoder
// refuses versions it does not know.
//
// # Using a codec
//
// Append encodes into a caller's buffer and Decode parses into a caller's
// [PDU], so a server loop reuses both: encoding allocates nothing, and decoding
// an R or S request allocates once (one string holds both names). Decode
// needs the [Direction] because S and O use one letter for a request and its
// reply. ReadPDU frames a [PDU] out of a TCP stream; [SendContent] and
// [ReceiveContent] move a whole file as content frames with either codec.
//
// Moving a file costs copies, so the content paths avoid the ones framing
// would add. [SendContent] gathers frames into writes of about 256 KiB (for
// Classic, some 2,600 101-byte frames per write system call); with [Framed] it
// reads each 64 KiB of file data straight into the output buffer behind its
// frame header. [ReceiveContent] reads a [Framed] C or F header, checks it
// (bounds, announcement, announced size) and then reads the data straight
// into its own 256 KiB chunks — with [NewContentReader]'s small buffer, past
// the buffer, directly from the connection. Each full chunk goes to a
// goroutine of its own that hashes it and writes it to the destination,
// four chunks in flight, so SHA-256 and the disk overlap the network
// rather than adding to it (the reading goroutine, the longest path, only
// reads); the seed's SHA-256
// is computed once per file and remembered (p2p/index). [ReceiveInto]
// receives one announced chunk into a caller's buffer, used again for the
// next chunk, and [SendContent] takes its output buffer from a pool: a holder
// serving chunk after chunk allocates next to nothing per chunk.
//
// # References
//
//   - The P2P content-sharing lab description (index server, PDU types R, S,
//     D, C, O, T, A, E with 1-byte type and 100-byte data fields).
//   - RFC 768, User Datagram Protocol: one PDU per datagram to the index.
//   - RFC 793, Transmission Control Protocol: the byte stream content travels on.
//   - RFC 1122 §1.2.2, the robustness principle; RFC 9413, Maintaining
//     Robust Protocols: where tolerance must stop.
//   - FIPS 180-4, Secure Hash Standard: SHA-256, announced by Framed.
//   - B. Cohen, The BitTorrent Protocol Specification (BEP 3): pieces
//     with a SHA-1 each in a metainfo file, the model of Manifest.
package pdu
