package format

import (
	"encoding/binary"
	"fmt"

	"github.com/waltool/waltool/gpid"
)

// FileHeaderVersion is log_file_header.version; written as 1, never checked.
const FileHeaderVersion = 1

// ReplicaLogInfo is one entry of a file header's replica_log_info map.
//
// MaxDecree is the writer's in-memory max decree of the gpid when the file
// was created, i.e. at most the max decree of all previous files (after a
// restart it can be lower: only replayed mutations raise it).
// ValidStartOffset is the replica's init offset in this log (.init-info).
type ReplicaLogInfo struct {
	Gpid             gpid.Gpid `json:"gpid"`
	MaxDecree        int64     `json:"max_decree"`
	ValidStartOffset int64     `json:"valid_start_offset"`
}

// FileHeader is the body of block 0 (log_file::write_file_header):
//
//	0 magic int32 | 4 version int32 | 8 start_global_offset int64 | 16 count int32
//	20+24i gpid uint64 | 28+24i max_decree int64 | 36+24i valid_start_offset int64
//
// A plog header has exactly one entry (the owner); a slog header has one per
// registered replica, in unordered_map order, which readers must not rely on.
type FileHeader struct {
	Magic       uint32           `json:"-"`
	Version     int32            `json:"version"`
	StartOffset int64            `json:"start_global_offset"`
	Entries     []ReplicaLogInfo `json:"entries"`
}

const (
	fileHeaderFixed = 20
	fileHeaderEntry = 24
)

// Size is the encoded size of the header.
func (h *FileHeader) Size() int { return fileHeaderFixed + fileHeaderEntry*len(h.Entries) }

// Lookup returns the entry of g. A header lacking g counts as max decree 0
// in every Pegasus rule that reads it (log_file::previous_log_max_decree).
func (h *FileHeader) Lookup(g gpid.Gpid) (ReplicaLogInfo, bool) {
	for _, e := range h.Entries {
		if e.Gpid == g {
			return e, true
		}
	}
	return ReplicaLogInfo{Gpid: g}, false
}

// MaxDecree is the header's max decree for g, 0 when absent.
func (h *FileHeader) MaxDecree(g gpid.Gpid) int64 {
	e, _ := h.Lookup(g)
	return e.MaxDecree
}

// Append encodes h onto dst.
func (h *FileHeader) Append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, Magic)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(h.Version))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(h.StartOffset))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(h.Entries)))
	for _, e := range h.Entries {
		dst = binary.LittleEndian.AppendUint64(dst, e.Gpid.Uint64())
		dst = binary.LittleEndian.AppendUint64(dst, uint64(e.MaxDecree))
		dst = binary.LittleEndian.AppendUint64(dst, uint64(e.ValidStartOffset))
	}
	return dst
}

// DecodeFileHeader parses the file header at the start of block 0's body and
// returns the number of bytes it used. The entry count is checked against
// the bytes present before anything is allocated. Duplicate gpids are
// rejected: Pegasus would read them into a map and then mis-size the header
// (read_file_header returns 16+4+24*map.size()), desynchronising offsets.
func DecodeFileHeader(b []byte) (FileHeader, int, error) {
	var h FileHeader
	if len(b) < fileHeaderFixed {
		return h, 0, fmt.Errorf("%w: %d bytes, need at least %d", ErrBadFileHeader, len(b), fileHeaderFixed)
	}
	h.Magic = binary.LittleEndian.Uint32(b[0:])
	h.Version = int32(binary.LittleEndian.Uint32(b[4:]))
	h.StartOffset = int64(binary.LittleEndian.Uint64(b[8:]))
	count := int32(binary.LittleEndian.Uint32(b[16:]))
	if h.Magic != Magic {
		return h, 0, fmt.Errorf("%w: magic %#08x", ErrBadFileHeader, h.Magic)
	}
	if count < 0 || int64(count) > int64(len(b)-fileHeaderFixed)/fileHeaderEntry {
		return h, 0, fmt.Errorf("%w: %d entries do not fit in %d bytes", ErrBadFileHeader, count, len(b))
	}
	h.Entries = make([]ReplicaLogInfo, count)
	p := b[fileHeaderFixed:]
	for i := range h.Entries {
		e := &h.Entries[i]
		e.Gpid = gpid.FromUint64(binary.LittleEndian.Uint64(p[0:]))
		e.MaxDecree = int64(binary.LittleEndian.Uint64(p[8:]))
		e.ValidStartOffset = int64(binary.LittleEndian.Uint64(p[16:]))
		p = p[fileHeaderEntry:]
		for _, prev := range h.Entries[:i] {
			if prev.Gpid == e.Gpid {
				return h, 0, fmt.Errorf("%w: gpid %s appears twice", ErrBadFileHeader, e.Gpid)
			}
		}
	}
	return h, h.Size(), nil
}
