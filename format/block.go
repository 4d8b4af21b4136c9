package format

import (
	"encoding/binary"

	"github.com/klauspost/crc32"
)

// These constants are part of the on-disk format; do not change them.
const (
	// Magic starts every block header and every file header (0xdeadbeef,
	// bytes ef be ad de).
	Magic uint32 = 0xdeadbeef
	// BlockHeaderSize is sizeof(log_block_header) (src/replica/log_block.h).
	BlockHeaderSize = 16
	// MaxBlockBytes is log_appender::DEFAULT_MAX_BLOCK_BYTES: a mutation
	// starts a new block when the current block (header included) is
	// already larger than this, so blocks overshoot by at most one mutation.
	MaxBlockBytes = 1 << 20
	// MaxBufferedBody is the largest block body a Reader allocates before
	// checking its CRC: what a server with default settings can write.
	// A block is closed once it exceeds DEFAULT_MAX_BLOCK_BYTES, so it is
	// at most 1 MiB plus one mutation (log_appender::append_mutation,
	// src/replica/log_block.cpp; DEFAULT_MAX_BLOCK_BYTES in log_block.h,
	// v2.5.0 and rdsn v2.3.0). A mutation is closed once its approximate
	// size reaches 1 MiB (mutation::is_full, src/replica/mutation.h), so it
	// is at most 1 MiB plus one client write, and a client write above
	// [replication] max_allowed_write_size (default 1 MiB) is rejected
	// (replica::on_client_write, src/replica/replica_2pc.cpp). That is
	// about 3 MiB plus headers; 4 MiB leaves room for the per-update
	// overhead. A larger length is possible only with
	// max_allowed_write_size raised or 0, or from damage: its CRC is first
	// checked streaming, and only a block whose CRC matches is buffered.
	MaxBufferedBody = 4 << 20

	// MaxBlockBody is the largest block body waltool reads into memory,
	// so that a block whose CRC matches but whose length no default
	// server writes (max_allowed_write_size raised or 0: one client write
	// of any size, replica::on_client_write) still costs bounded memory.
	// Such a block is an Error-class failure: its CRC is checked, its
	// mutations are not, and the answer says so instead of guessing.
	MaxBlockBody = 16 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CRC extends a CRC-32C chain over p. CRC(0, p) is plain CRC-32C, and
// CRC(CRC(0, a), b) == CRC(0, a‖b), which is exactly dsn::utils::crc32_calc.
func CRC(prev uint32, p []byte) uint32 { return crc32.Update(prev, castagnoli, p) }

// BlockHeader is log_block_header. Length and BodyCRC are int32 in the C++
// struct; they are kept as read so that a damaged value can be reported.
type BlockHeader struct {
	Magic       uint32
	Length      int32
	BodyCRC     uint32
	LocalOffset uint32 // written but never read by Pegasus ("this field is unusable")
}

// DecodeBlockHeader reads the 16-byte header at the start of b.
func DecodeBlockHeader(b []byte) BlockHeader {
	_ = b[BlockHeaderSize-1]
	return BlockHeader{
		Magic:       binary.LittleEndian.Uint32(b[0:]),
		Length:      int32(binary.LittleEndian.Uint32(b[4:])),
		BodyCRC:     binary.LittleEndian.Uint32(b[8:]),
		LocalOffset: binary.LittleEndian.Uint32(b[12:]),
	}
}

// Put writes h into the first 16 bytes of b.
func (h BlockHeader) Put(b []byte) {
	_ = b[BlockHeaderSize-1]
	binary.LittleEndian.PutUint32(b[0:], h.Magic)
	binary.LittleEndian.PutUint32(b[4:], uint32(h.Length))
	binary.LittleEndian.PutUint32(b[8:], h.BodyCRC)
	binary.LittleEndian.PutUint32(b[12:], h.LocalOffset)
}
