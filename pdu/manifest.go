package pdu

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Manifest bounds.
const (
	MinChunkSize     = 4 << 10  // smallest chunk a manifest may have
	MaxChunkSize     = 16 << 20 // largest chunk a manifest may have
	DefaultChunkSize = 1 << 20  // ChunkSizeFor's choice for content up to 64 GiB
	MaxChunks        = 1 << 16  // most chunks in one manifest

	// MaxManifestSize is the longest encoded manifest: the bound a
	// downloader puts on the manifest it receives.
	MaxManifestSize = manifestHead + 32*MaxChunks

	manifestVersion = 1
	manifestHead    = 4 + 1 + 2*binary.MaxVarintLen64 + 32 // magic, version, size, chunk size, root
)

var manifestMagic = []byte("NLMF")

// rootDomain starts what Root hashes, so that no other SHA-256 in netlab
// can be taken for a manifest's root.
const rootDomain = "netlab manifest v1\x00"

// ErrManifest marks bytes that are not a valid manifest.
var ErrManifest = errors.New("pdu: bad manifest")

// Manifest describes content for a download from several holders at once:
// its size, the size of its chunks (the last may be shorter) and the
// SHA-256 of every chunk, in order. Root hashes all of it, so that one
// 32-byte value names the content and every chunk can be checked the
// moment it arrives, from whichever holder sent it.
type Manifest struct {
	Size      int64
	ChunkSize int
	Sums      [][32]byte
}

// ChunkSizeFor returns the chunk size for content of size bytes:
// [DefaultChunkSize], doubled until the content fits in [MaxChunks] chunks.
func ChunkSizeFor(size int64) int {
	cs := DefaultChunkSize
	for cs < MaxChunkSize && (size+int64(cs)-1)/int64(cs) > MaxChunks {
		cs *= 2
	}
	return cs
}

// chunkCount is how many chunks content of size bytes has.
func chunkCount(size int64, chunkSize int) int64 {
	return (size + int64(chunkSize) - 1) / int64(chunkSize)
}

func checkGeometry(size int64, chunkSize int) error {
	switch {
	case size < 0:
		return fmt.Errorf("%w: size %d", ErrManifest, size)
	case chunkSize < MinChunkSize || chunkSize > MaxChunkSize || chunkSize&(chunkSize-1) != 0:
		return fmt.Errorf("%w: chunk size %d, want a power of two from %d to %d", ErrManifest, chunkSize, MinChunkSize, MaxChunkSize)
	case chunkCount(size, chunkSize) > MaxChunks:
		return fmt.Errorf("%w: %d bytes in chunks of %d is more than %d chunks", ErrManifest, size, chunkSize, MaxChunks)
	}
	return nil
}

// BuildManifest reads size bytes from r and returns their manifest with
// chunks of chunkSize bytes.
func BuildManifest(r io.Reader, size int64, chunkSize int) (*Manifest, error) {
	if err := checkGeometry(size, chunkSize); err != nil {
		return nil, err
	}
	m := &Manifest{Size: size, ChunkSize: chunkSize, Sums: make([][32]byte, chunkCount(size, chunkSize))}
	buf := make([]byte, chunkSize)
	for i := range m.Sums {
		_, n := m.Chunk(i)
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return nil, fmt.Errorf("pdu: manifest: reading chunk %d: %w", i, err)
		}
		m.Sums[i] = sha256.Sum256(buf[:n])
	}
	return m, nil
}

// Chunks returns the number of chunks.
func (m *Manifest) Chunks() int { return len(m.Sums) }

// Chunk returns where chunk i starts in the content and its length.
func (m *Manifest) Chunk(i int) (off int64, n int) {
	off = int64(i) * int64(m.ChunkSize)
	return off, int(min(int64(m.ChunkSize), m.Size-off))
}

// Root returns the SHA-256 over the manifest: a domain string, the size
// and chunk size (8 and 4 bytes, big-endian) and every chunk's SHA-256 in
// order. Two manifests with the same root describe the same bytes.
func (m *Manifest) Root() [32]byte {
	h := sha256.New()
	h.Write([]byte(rootDomain))
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(m.Size))
	binary.BigEndian.PutUint32(b[8:], uint32(m.ChunkSize))
	h.Write(b[:])
	for i := range m.Sums {
		h.Write(m.Sums[i][:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// AppendBinary appends the manifest's wire form (version 1, see the
// package documentation) to b.
func (m *Manifest) AppendBinary(b []byte) ([]byte, error) {
	if err := checkGeometry(m.Size, m.ChunkSize); err != nil {
		return b, err
	}
	if int64(len(m.Sums)) != chunkCount(m.Size, m.ChunkSize) {
		return b, fmt.Errorf("%w: %d sums for %d chunks", ErrManifest, len(m.Sums), chunkCount(m.Size, m.ChunkSize))
	}
	b = append(b, manifestMagic...)
	b = append(b, manifestVersion)
	b = binary.AppendUvarint(b, uint64(m.Size))
	b = binary.AppendUvarint(b, uint64(m.ChunkSize))
	root := m.Root()
	b = append(b, root[:]...)
	for i := range m.Sums {
		b = append(b, m.Sums[i][:]...)
	}
	return b, nil
}

// MarshalBinary returns the manifest's wire form.
func (m *Manifest) MarshalBinary() ([]byte, error) { return m.AppendBinary(nil) }

// UnmarshalBinary parses a manifest in wire form. It checks every field
// against its bound before allocating, the number of sums against the
// size, and the root against the sums, so that a manifest it accepts is
// consistent; whether it is the manifest of the content wanted is the
// caller's to decide (by its root).
func (m *Manifest) UnmarshalBinary(b []byte) error {
	if len(b) > MaxManifestSize {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrManifest, len(b), MaxManifestSize)
	}
	if !bytes.HasPrefix(b, manifestMagic) {
		return fmt.Errorf("%w: no %q magic", ErrManifest, manifestMagic)
	}
	b = b[len(manifestMagic):]
	if len(b) < 1 || b[0] != manifestVersion {
		return fmt.Errorf("%w: version missing or not %d", ErrManifest, manifestVersion)
	}
	b = b[1:]
	size, n := binary.Uvarint(b)
	if n <= 0 || size > 1<<62 {
		return fmt.Errorf("%w: bad size", ErrManifest)
	}
	b = b[n:]
	cs, n := binary.Uvarint(b)
	if n <= 0 || cs > MaxChunkSize {
		return fmt.Errorf("%w: bad chunk size", ErrManifest)
	}
	b = b[n:]
	if err := checkGeometry(int64(size), int(cs)); err != nil {
		return err
	}
	count := chunkCount(int64(size), int(cs))
	if int64(len(b)) != 32+32*count {
		return fmt.Errorf("%w: %d bytes of root and sums, want %d", ErrManifest, len(b), 32+32*count)
	}
	root := [32]byte(b[:32])
	b = b[32:]
	out := Manifest{Size: int64(size), ChunkSize: int(cs), Sums: make([][32]byte, count)}
	for i := range out.Sums {
		out.Sums[i] = [32]byte(b[32*i:])
	}
	if out.Root() != root {
		return fmt.Errorf("%w: the root does not match the chunk sums", ErrManifest)
	}
	*m = out
	return nil
}
