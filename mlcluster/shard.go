package mlcluster

import (
	"encoding/binary"
	"fmt"

	"github.com/netlab-go/netlab/internal/floatwire"
)

// Shard is a contiguous block of a dataset's rows: rows [Start, Start+Rows)
// of the original order. Shards never overlap and together hold every row,
// so per-row outputs concatenated in shard order are in the original order.
type Shard struct {
	ID    int
	Start int // index of the shard's first row in the dataset
	Rows  int
	Cols  int
	Data  []float64 // Rows*Cols values, row-major
}

// Row returns row i of the shard (a view).
func (s *Shard) Row(i int) []float64 { return s.Data[i*s.Cols : (i+1)*s.Cols : (i+1)*s.Cols] }

// SplitRows splits n rows into m shards as equal as possible: the first n%m
// shards get one row more. It is deterministic and keeps every row (the
// course version dropped the n%m leftover rows). It returns the row counts;
// m is lowered to n when there are fewer rows than shards.
func SplitRows(n, m int) []int {
	if m > n {
		m = n
	}
	if m <= 0 {
		return nil
	}
	sizes := make([]int, m)
	for i := range sizes {
		sizes[i] = n / m
		if i < n%m {
			sizes[i]++
		}
	}
	return sizes
}

// Split cuts a dataset into m shards by [SplitRows]. The shards share the
// dataset's memory.
func Split(ds *Dataset, m int) []*Shard {
	sizes := SplitRows(ds.Rows, m)
	shards := make([]*Shard, len(sizes))
	start := 0
	for i, rows := range sizes {
		shards[i] = &Shard{ID: i, Start: start, Rows: rows, Cols: ds.Cols,
			Data: ds.Data[start*ds.Cols : (start+rows)*ds.Cols : (start+rows)*ds.Cols]}
		start += rows
	}
	return shards
}

// Shard chunk wire format (the payload of a load frame), little-endian:
//
//	job      u64   the job the shard belongs to
//	shard    u32   shard ID
//	start    u64   the shard's first row in the dataset
//	rows     u32   the shard's total rows
//	cols     u32   columns
//	offset   u32   first shard row in this chunk
//	n        u32   rows in this chunk
//	values   n*cols float64 (IEEE 754 bits)
//
// 36 bytes of header per chunk of up to a few MiB of raw float64: the wire
// size is the raw size plus well under 0.1%.
const shardChunkHeader = 8 + 4 + 8 + 4 + 4 + 4 + 4

// shardChunk is one decoded load frame.
type shardChunk struct {
	Job    uint64
	Shard  int
	Start  int
	Rows   int
	Cols   int
	Offset int
	N      int
	body   []byte // N*Cols float64, still encoded
}

// values decodes the chunk's numbers into dst (N*Cols long).
func (c shardChunk) values(dst []float64) { floatwire.Decode(dst, c.body) }

// appendShardChunk encodes rows [off, off+n) of s for job.
func appendShardChunk(b []byte, job uint64, s *Shard, off, n int) []byte {
	b = appendShardChunkHeader(b, job, s, off, n)
	return floatwire.Append(b, s.Data[off*s.Cols:(off+n)*s.Cols])
}

// appendShardChunkHeader encodes the header of the chunk of rows
// [off, off+n) of s; the values follow it on the wire.
func appendShardChunkHeader(b []byte, job uint64, s *Shard, off, n int) []byte {
	b = binary.LittleEndian.AppendUint64(b, job)
	b = binary.LittleEndian.AppendUint32(b, uint32(s.ID))
	b = binary.LittleEndian.AppendUint64(b, uint64(s.Start))
	b = binary.LittleEndian.AppendUint32(b, uint32(s.Rows))
	b = binary.LittleEndian.AppendUint32(b, uint32(s.Cols))
	b = binary.LittleEndian.AppendUint32(b, uint32(off))
	return binary.LittleEndian.AppendUint32(b, uint32(n))
}

// decodeShardChunk decodes a whole load frame, checking every length against
// the bytes present before allocating. The worker reads the header alone
// (decodeShardChunkHeader, which this calls, so fuzzing this covers it) and
// the values straight into the shard.
func decodeShardChunk(b []byte) (shardChunk, error) {
	if len(b) < shardChunkHeader {
		return shardChunk{}, fmt.Errorf("%w: shard chunk of %d bytes is shorter than its header", ErrProtocol, len(b))
	}
	c, err := decodeShardChunkHeader(b[:shardChunkHeader], uint64(len(b)-shardChunkHeader))
	if err == nil {
		c.body = b[shardChunkHeader:]
	}
	return c, err
}

// decodeShardChunkHeader checks a chunk's 36-byte header against the body
// length that follows it, before the body is read (the worker reads the
// body straight into the shard's memory).
func decodeShardChunkHeader(b []byte, bodyLen uint64) (shardChunk, error) {
	var c shardChunk
	le := binary.LittleEndian
	c.Job = le.Uint64(b)
	id, start := le.Uint32(b[8:]), le.Uint64(b[12:])
	rows, cols, off, n := le.Uint32(b[20:]), le.Uint32(b[24:]), le.Uint32(b[28:]), le.Uint32(b[32:])
	switch {
	case cols == 0 || cols > 1<<16:
		return c, fmt.Errorf("%w: shard chunk with %d columns", ErrProtocol, cols)
	case uint64(off)+uint64(n) > uint64(rows):
		return c, fmt.Errorf("%w: shard chunk rows [%d, %d) beyond the shard's %d rows", ErrProtocol, off, uint64(off)+uint64(n), rows)
	case start > 1<<40 || rows > 1<<31:
		return c, fmt.Errorf("%w: shard of %d rows at %d is too large", ErrProtocol, rows, start)
	case bodyLen != uint64(n)*uint64(cols)*8:
		return c, fmt.Errorf("%w: shard chunk says %dx%d values but carries %d bytes", ErrProtocol, n, cols, bodyLen)
	}
	c.Shard, c.Start, c.Rows, c.Cols, c.Offset, c.N = int(id), int(start), int(rows), int(cols), int(off), int(n)
	return c, nil
}
