package format

// Encoder lays out the blocks of one log file exactly as Pegasus's writer
// does (log_appender::append_mutation, log_file::commit_log_blocks): it
// assigns each mutation its log_offset, splits a batch into blocks, fills
// local_offset and chains the CRC. It does no I/O, so that a writer can
// encode a batch, write it, and only then Commit the new state; a failed
// write leaves the encoder where the disk is.
type Encoder struct {
	start   int64 // global offset of the file's first byte
	state   EncoderState
	pending EncoderState // state while a batch is being laid out
}

// EncoderState is the part of an Encoder that a batch advances.
type EncoderState struct {
	Size  int64  // bytes in the file so far
	Chain uint32 // body_crc of the last block
}

// NewEncoder starts a file whose header is h (h.StartOffset is the file's
// global start offset, which is also in its name). It appends block 0 to
// dst and returns the encoder positioned after it.
func NewEncoder(dst []byte, h *FileHeader) (*Encoder, []byte) {
	e := &Encoder{start: h.StartOffset}
	hdr := *h
	hdr.Version = FileHeaderVersion
	at := len(dst)
	dst = append(dst, make([]byte, BlockHeaderSize)...)
	dst = hdr.Append(dst)
	dst = e.seal(dst, at)
	e.state = e.pending
	return e, dst
}

// State is the committed state: the file's size and CRC chain.
func (e *Encoder) State() EncoderState { return e.state }

// EndOffset is the global offset just past the committed data.
func (e *Encoder) EndOffset() int64 { return e.start + e.state.Size }

// Batch appends the blocks of one write batch to dst and returns the new
// slice and the state the encoder reaches once the bytes are on disk; pass
// it to Commit after the write succeeds. ms must not be empty. Each
// mutation's LogOffset is set to its global offset.
func (e *Encoder) Batch(dst []byte, ms []*Mutation) ([]byte, EncoderState) {
	e.pending = e.state
	at := len(dst)
	dst = append(dst, make([]byte, BlockHeaderSize)...)
	for i, m := range ms {
		// A mutation opens a new block when the current one, header
		// included, already exceeds MaxBlockBytes (strict >).
		if i > 0 && len(dst)-at > MaxBlockBytes {
			dst = e.seal(dst, at)
			at = len(dst)
			dst = append(dst, make([]byte, BlockHeaderSize)...)
		}
		m.LogOffset = e.start + e.pending.Size + int64(len(dst)-at)
		dst = m.Append(dst)
	}
	dst = e.seal(dst, at)
	return dst, e.pending
}

// Commit makes st (from Batch) the committed state.
func (e *Encoder) Commit(st EncoderState) { e.state = st }

// seal fills the header of the block that starts at dst[at] and advances
// the pending state past it.
func (e *Encoder) seal(dst []byte, at int) []byte {
	body := dst[at+BlockHeaderSize:]
	crc := CRC(e.pending.Chain, body)
	BlockHeader{
		Magic:       Magic,
		Length:      int32(len(body)),
		BodyCRC:     crc,
		LocalOffset: uint32(e.pending.Size),
	}.Put(dst[at:])
	e.pending.Chain = crc
	e.pending.Size += int64(len(dst) - at)
	return dst
}
