// Package index implements P2P content sharing with an index server, the
// classic course lab: peers register the content they serve with a central
// index server over UDP, ask it who holds a piece of content, download the
// content from that peer over TCP, and from then on serve it themselves.
//
// The index server knows who has what, but never touches content; content
// moves directly between peers. This is the design of Napster (1999): a
// central directory and a peer-to-peer data plane. Its strength is
// simplicity and fast search; its weakness is that the index is a single
// point of failure (package p2p shows the decentralised alternative).
//
// # The parties
//
//   - The index server (Server) listens on a UDP port and keeps a Registry of
//     registrations: (peer name, content name, TCP address of the peer's
//     content server, use count). Each request is one datagram and each
//     answer one or a few datagrams (RFC 768): no connection, no state
//     between requests except the registry itself.
//   - A content peer (Peer) has a TCP listener (RFC 793) from which other
//     peers download its files, and a UDP socket to talk to the index.
//
// The PDUs and their byte layouts are in package pdu: R register, S search,
// D download, C and F content frames, O list, T de-register, A ack, E error.
//
// # Register
//
//	peer alice                               index server
//	    | R alice, "song", 10.0.0.7:5001          |
//	    |---------------------------------------->|  new (alice, song): store it
//	    |                                 A alice |
//	    |<----------------------------------------|
//	    | R alice, "song", 10.0.0.7:5001          |
//	    |---------------------------------------->|  (alice, song) exists
//	    |  E "peer name already registered for    |
//	    |     this content; choose another"       |
//	    |<----------------------------------------|
//
// A registration whose address is 0.0.0.0 (C peers that bind INADDR_ANY
// often send that) takes the IP address the datagram came from.
//
// # Search and download
//
//	peer bob                  index server                 peer alice
//	    | S bob, "song"            |                            |
//	    |------------------------->|  choose a holder of "song" |
//	    |  S 10.0.0.7:5001         |  (uses of alice += 1)      |
//	    |<-------------------------|                            |
//	    |                TCP connect 10.0.0.7:5001              |
//	    |------------------------------------------------------>|
//	    | D bob, "song"                                         |
//	    |------------------------------------------------------>|
//	    |            C (100 bytes) | C (100 bytes) | ... | F    |
//	    |<------------------------------------------------------|
//	    |                                   close               |
//	    |<------------------------------------------------------|
//
// The index chooses the holder used least (a use count per registration,
// counted on every S reply), and among equals the most recently registered:
// load spreads over all holders, and a fresh copy is tried first.
//
// The content streams into a temporary file in the target folder. Only when
// the F frame has arrived (and, with the Framed codec, the size and SHA-256
// announced in the first frame match) is the file given its final name, with
// a hard link that fails rather than replace an existing file. An
// interrupted download (a closed connection, a cancelled context) leaves no
// file under the final name and can simply be retried.
//
// # Re-register: the downloader becomes a server
//
//	peer bob                  index server
//	    | R bob, "song", 10.0.0.9:5002
//	    |------------------------->|   song now has two holders:
//	    |                   A bob  |   alice (used 1), bob (used 0)
//	    |<-------------------------|
//	    |                          |   the next S for "song" gets bob
//
// Popular content thus gains servers as it spreads, which is what makes
// peer-to-peer distribution scale.
//
// # List, de-register, quit
//
//	O            → O replies with the distinct content names (10 per
//	               datagram in Classic; the list ends with a shorter one)
//	T peer, name → A, or E when the pair is not registered
//	quit         → the peer sends T for everything it registered (Close)
//
// # Rules as a deterministic core
//
// Rules holds the protocol logic with no I/O and no clock: a request and its
// sender in, the replies out. The Server only decodes datagrams, hands them
// to Rules and encodes the answers, so every rule is tested table by table
// without sockets. A datagram that does not decode is answered with an E
// that names the problem ("unknown PDU type 'X'", "R PDU: truncated: 3 data
// bytes, want 26") and the server goes on serving. A and E are never
// answered, so two servers cannot bounce errors at each other.
//
// # Names, not paths
//
// A content name is a plain file name: not empty, not "." or "..", with no
// '/', '\' or NUL. A peer only serves what it registered, by name, so a D for
// "../etc/passwd" finds nothing and gets E; a download never lands outside
// its folder.
//
// # Limits
//
// UDP may lose datagrams: a peer waits Timeout for each answer and resends
// the request up to Retries times. Classic PDUs carry no request id, so a
// peer keeps one exchange in flight at a time, and after a timeout resends
// from a fresh UDP socket, so a late answer to the first copy cannot be
// mistaken for the answer to the next request. A resent R whose first copy
// did arrive gets "already registered".
//
// The index keeps its registry in memory: it forgets everything when it
// stops, and it has no way to notice a peer that vanished without sending T.
// A content server streams to each downloader in its own goroutine and gives
// up on one that takes no bytes for IdleTimeout. Classic content carries no
// size, so a downloader cannot bound what a hostile server sends except by
// cancelling its context; Framed downloads stop at the announced size.
//
// # References
//
//   - The P2P content-sharing lab description: index server, PDU types R, S,
//     D, C, O, T, A, E, 1-byte type and 100-byte data fields.
//   - RFC 768, User Datagram Protocol (the index exchanges).
//   - RFC 793, Transmission Control Protocol (content transfer).
//   - J. F. Kurose, K. W. Ross, Computer Networking: A Top-Down Approach,
//     section 2.5, "Peer-to-Peer File Distribution".
package index
