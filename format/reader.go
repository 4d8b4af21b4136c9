package format

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/waltool/waltool/finding"
)

// readChunk is how much a Reader asks the file for at a time. Blocks are
// often a single small mutation under light load, so reading block by block
// would cost two system calls per kilobyte.
const readChunk = 1 << 20

// Block is one block as read. Body aliases the reader's buffer and is valid
// until the next call to Next.
type Block struct {
	Index  int   // 0 for the file-header block
	Offset int64 // file offset of the block header
	Header BlockHeader
	Body   []byte
}

// End is the file offset just past the block.
func (b *Block) End() int64 { return b.Offset + BlockHeaderSize + int64(len(b.Body)) }

// Reader reads the blocks of one log file in order, checking magic, length
// and the CRC chain the way log_file::read_next_log_block does, and
// classifying each failure the way Pegasus reacts to it. Its buffer comes
// from a pool shared by all readers: a read chunk, or for a file with a
// larger block, at most twice that block and never more than the file. A
// length field is trusted for an allocation only after it has been checked
// against the bytes the file still holds.
type Reader struct {
	src  io.Reader
	name string // for errors
	size int64  // bytes in the file, from stat

	bufp     *[]byte // pooled; buf is *bufp while the reader holds it
	buf      []byte  // buf[r:w] holds unread bytes
	r, w     int
	consumed int64 // file offset of buf[0]

	block int    // index of the next block
	off   int64  // file offset of the next block header
	chain uint32 // body_crc of the previous block; 0 at file start
	err   error  // sticky

	headerOnly bool // read small chunks: only block 0 is wanted
}

// NewReader reads a log file of size bytes from src. name is used in errors.
func NewReader(src io.Reader, name string, size int64) *Reader {
	return &Reader{src: src, name: name, size: size}
}

// Err returns the sticky error, nil after a clean end.
func (r *Reader) Err() error {
	if r.err == io.EOF {
		return nil
	}
	return r.err
}

// Next returns the next valid block, io.EOF at a clean end of file, or an
// *Error classed TornTail or Corrupt. Once it fails it keeps failing.
func (r *Reader) Next() (*Block, error) {
	b := new(Block)
	if err := r.next(b); err != nil {
		return nil, err
	}
	return b, nil
}

// next is Next into a caller's Block, so that a scan allocates nothing per
// block.
func (r *Reader) next(blk *Block) error {
	if r.err != nil {
		return r.err
	}
	left := r.size - r.off
	if left == 0 {
		if r.block == 0 {
			// An empty file: Pegasus's open_read gets ERR_HANDLE_EOF on the
			// first block and skips (renames) the file.
			return r.fail(finding.TornTail, ErrEmptyFile)
		}
		r.err = io.EOF
		return io.EOF
	}
	if left < BlockHeaderSize {
		return r.fail(finding.TornTail, fmt.Errorf("%w: %d of %d header bytes", ErrTornTail, left, BlockHeaderSize))
	}
	hb, err := r.fill(BlockHeaderSize)
	if err != nil {
		return err
	}
	h := DecodeBlockHeader(hb)
	if h.Magic != Magic {
		return r.fail(finding.Corrupt, fmt.Errorf("%w: %#08x", ErrBadMagic, h.Magic))
	}
	// A negative length is converted to a huge size_t by Pegasus's
	// file_streamer::read_next, whose behaviour is then undefined: no
	// version tolerates it, so it is corruption.
	if h.Length < 0 {
		return r.fail(finding.Corrupt, fmt.Errorf("%w: negative body length %d", ErrCorruption, h.Length))
	}
	// A length past the end makes the stream read come up short, which
	// read_next_log_block reports as ERR_INCOMPLETE_DATA: a torn tail.
	if int64(h.Length) > left-BlockHeaderSize {
		return r.fail(finding.TornTail, fmt.Errorf("%w: body length %d, %d bytes left", ErrTornTail, h.Length, left-BlockHeaderSize))
	}
	if h.Length > MaxBufferedBody {
		// More than the server writes with default settings: check the
		// CRC over the file in chunks before trusting the length with an
		// allocation, so that a damaged length costs no memory.
		if err := r.streamCRC(h); err != nil {
			return err
		}
		if h.Length > MaxBlockBody {
			return r.fail(finding.Error, fmt.Errorf("%w: body of %d bytes, CRC correct: more than the %d waltool reads into memory "+
				"(a server with max_allowed_write_size raised writes such blocks); its mutations are not checked", ErrBlockTooLarge, h.Length, MaxBlockBody))
		}
	}
	b, err := r.fill(BlockHeaderSize + int(h.Length))
	if err != nil {
		return err
	}
	body := b[BlockHeaderSize:]
	if got := CRC(r.chain, body); got != h.BodyCRC {
		return r.fail(finding.Corrupt, fmt.Errorf("%w: stored %#08x, computed %#08x", ErrCRCMismatch, h.BodyCRC, got))
	}
	*blk = Block{Index: r.block, Offset: r.off, Header: h, Body: body}
	r.chain = h.BodyCRC
	r.r += len(b)
	r.off += int64(len(b))
	r.block++
	return nil
}

// streamCRC computes the chained CRC of the body of the block at r.off
// (header h) by reading the file in chunks through io.ReaderAt, without
// consuming anything, and fails the reader with a CRC mismatch when it
// differs. A source that cannot ReadAt is already in memory (tests); it is
// trusted as before.
func (r *Reader) streamCRC(h BlockHeader) error {
	ra, ok := r.src.(io.ReaderAt)
	if !ok {
		return nil
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	chunk := (*bp)[:readChunk]
	crc := r.chain
	off, end := r.off+BlockHeaderSize, r.off+BlockHeaderSize+int64(h.Length)
	for off < end {
		n := int(min(int64(len(chunk)), end-off))
		m, err := ra.ReadAt(chunk[:n], off)
		crc = CRC(crc, chunk[:m])
		off += int64(m)
		if m == n {
			continue
		}
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		r.err = fmt.Errorf("%s: read at offset %d: %w", r.name, off, err)
		return r.err
	}
	if crc != h.BodyCRC {
		return r.fail(finding.Corrupt, fmt.Errorf("%w: stored %#08x, computed %#08x over a body of %d bytes (checked before buffering it)",
			ErrCRCMismatch, h.BodyCRC, crc, h.Length))
	}
	return nil
}

// fill makes n bytes at the current offset available without consuming them.
// The caller has checked n against the bytes the file holds, so n may size
// a buffer.
func (r *Reader) fill(n int) ([]byte, error) {
	if r.w-r.r >= n {
		return r.buf[r.r : r.r+n], nil
	}
	if r.buf == nil {
		// The pooled buffer, seen no larger than the file.
		r.bufp = bufPool.Get().(*[]byte)
		k := int(min(int64(len(*r.bufp)), r.size))
		r.buf = (*r.bufp)[:k:k]
	}
	if r.r > 0 {
		copy(r.buf, r.buf[r.r:r.w])
		r.consumed += int64(r.r)
		r.w -= r.r
		r.r = 0
	}
	if len(r.buf) < n {
		// A block larger than the pooled chunk: grow once, and keep the
		// larger buffer in the pool for the next file.
		nb := make([]byte, max(n, int(min(2*int64(len(r.buf)), r.size-r.consumed))))
		copy(nb, r.buf[:r.w])
		*r.bufp = nb
		r.buf = nb
	}
	// Never ask for more than the file holds: a short read then is a file
	// that shrank under us, not a torn tail. Reading only a header, ask for
	// a few KiB.
	end := len(r.buf)
	if r.headerOnly {
		end = min(end, max(n, headerChunk))
	}
	end = int(min(int64(end), r.size-r.consumed))
	for r.w < n {
		m, err := r.src.Read(r.buf[r.w:end])
		r.w += m
		if r.w >= n {
			break
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			r.err = fmt.Errorf("%s: read at offset %d: %w", r.name, r.consumed+int64(r.w), err)
			return nil, r.err
		}
	}
	return r.buf[r.r : r.r+n], nil
}

// headerChunk is what ReadHeader asks the file for: block 0 of a slog with
// dozens of replicas fits.
const headerChunk = 4 << 10

// Release returns the reader's buffer for reuse; the last Block's Body is
// invalid afterwards. Scanning many files uses one buffer per goroutine, of
// whatever size the files are, not one per file.
func (r *Reader) Release() {
	if r.bufp != nil && cap(*r.bufp) <= 2*MaxBufferedBody {
		// A buffer grown for a block above the default bound (a server
		// with max_allowed_write_size raised) is not kept.
		bufPool.Put(r.bufp)
	}
	r.bufp, r.buf, r.r, r.w = nil, nil, 0, 0
}

// bufPool holds *[]byte of at least readChunk bytes; a buffer grown for a
// larger block goes back at its grown size.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, readChunk)
	return &b
}}

func (r *Reader) fail(c finding.Class, err error) error {
	r.err = &Error{File: r.name, Offset: r.off, Block: r.block, MutationOffset: -1, Class: c, Err: err}
	return r.err
}
