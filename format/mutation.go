package format

import (
	"encoding/binary"
	"fmt"

	"github.com/waltool/waltool/gpid"
)

// MutationHeaderSize is the fixed part of a mutation record: seven int64s.
const MutationHeaderSize = 56

// Update is one client write inside a mutation (mutation_update). Data is
// the RPC request body; see format/rrdb for its payload.
type Update struct {
	Code              string // task-code name, e.g. RPC_RRDB_RRDB_PUT
	SerializationType int32  // dsn_msg_serialize_format: 0 invalid, 1 thrift binary
	Data              []byte
}

// Mutation is one replicated write as logged (mutation::write_to):
//
//	0 version int64 (0; > 64 is the pre-2017 form, see DecodeMutation)
//	8 gpid uint64 | 16 ballot | 24 decree | 32 log_offset | 40 last_committed_decree
//	48 timestamp µs | 56 update_count int32
//	per update: int32 name_len, name, int32 serialization_type, int32 data_len
//	then every update's data, in order
//
// Ballot precedes decree on disk, whatever the C++ comment says.
type Mutation struct {
	Version             int64
	Gpid                gpid.Gpid
	Ballot              int64
	Decree              int64
	LogOffset           int64
	LastCommittedDecree int64
	Timestamp           int64 // µs since the epoch; 0 in the legacy form
	Updates             []Update
}

// Size is the encoded size of m (the log_length that mlog_dump prints).
func (m *Mutation) Size() int {
	n := MutationHeaderSize + 4
	for i := range m.Updates {
		n += 12 + len(m.Updates[i].Code) + len(m.Updates[i].Data)
	}
	return n
}

// Append encodes m onto dst exactly as mutation::write_to does. The version
// is always written as 0, as every Pegasus writer since 2017 does.
func (m *Mutation) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint64(dst, 0)
	dst = le.AppendUint64(dst, m.Gpid.Uint64())
	dst = le.AppendUint64(dst, uint64(m.Ballot))
	dst = le.AppendUint64(dst, uint64(m.Decree))
	dst = le.AppendUint64(dst, uint64(m.LogOffset))
	dst = le.AppendUint64(dst, uint64(m.LastCommittedDecree))
	dst = le.AppendUint64(dst, uint64(m.Timestamp))
	dst = le.AppendUint32(dst, uint32(len(m.Updates)))
	for i := range m.Updates {
		u := &m.Updates[i]
		dst = le.AppendUint32(dst, uint32(len(u.Code)))
		dst = append(dst, u.Code...)
		dst = le.AppendUint32(dst, uint32(u.SerializationType))
		dst = le.AppendUint32(dst, uint32(len(u.Data)))
	}
	for i := range m.Updates {
		dst = append(dst, m.Updates[i].Data...)
	}
	return dst
}

// DecodeMutation parses the mutation at the start of b into m and returns
// its size. m.Updates is reused; Update.Data aliases b. Every length is
// checked against the bytes of b before it is used, so a damaged record
// costs at most len(b)/12 update slots. Task-code names are returned as read:
// whether Pegasus knows them is the caller's question (rrdb.IsKnownCode; replay aborts on an unknown name).
//
// Version handling mirrors mutation::read_mutation_header: 0 is current;
// > 64 is the pre-2017 layout whose first 8 bytes were a C++ vptr and whose
// last 8 bytes are a thrift __isset (timestamp reads as 0); anything else
// CHECK-aborts the server, so it is reported as a bad mutation.
func DecodeMutation(b []byte, m *Mutation) (int, error) {
	le := binary.LittleEndian
	if len(b) < MutationHeaderSize+4 {
		return 0, fmt.Errorf("%w: %d bytes left, header needs %d", ErrBadMutation, len(b), MutationHeaderSize+4)
	}
	m.Version = int64(le.Uint64(b[0:]))
	m.Gpid = gpid.FromUint64(le.Uint64(b[8:]))
	m.Ballot = int64(le.Uint64(b[16:]))
	m.Decree = int64(le.Uint64(b[24:]))
	m.LogOffset = int64(le.Uint64(b[32:]))
	m.LastCommittedDecree = int64(le.Uint64(b[40:]))
	switch {
	case m.Version == 0:
		m.Timestamp = int64(le.Uint64(b[48:]))
	case m.Version > 64:
		m.Timestamp = 0
	default:
		return 0, fmt.Errorf("%w: version %#x (Pegasus aborts on it)", ErrBadMutation, m.Version)
	}
	count := int32(le.Uint32(b[56:]))
	p := MutationHeaderSize + 4
	if count < 0 || int64(count) > int64(len(b)-p)/12 {
		return 0, fmt.Errorf("%w: update_count %d does not fit in %d bytes", ErrBadMutation, count, len(b)-p)
	}
	if cap(m.Updates) >= int(count) {
		m.Updates = m.Updates[:count]
	} else {
		m.Updates = make([]Update, count)
	}
	dataLen := 0
	for i := range m.Updates {
		u := &m.Updates[i]
		if len(b)-p < 4 {
			return 0, fmt.Errorf("%w: update %d: truncated name length", ErrBadMutation, i)
		}
		nl := int32(le.Uint32(b[p:]))
		p += 4
		if nl < 0 || int(nl) > len(b)-p-8 {
			return 0, fmt.Errorf("%w: update %d: name length %d exceeds the %d bytes left", ErrBadMutation, i, nl, len(b)-p)
		}
		// A reused slot usually held the same code: comparing is cheaper
		// than hashing the name into the intern table.
		if name := b[p : p+int(nl)]; u.Code != string(name) {
			u.Code = internCode(name)
		}
		p += int(nl)
		u.SerializationType = int32(le.Uint32(b[p:]))
		dl := int32(le.Uint32(b[p+4:]))
		p += 8
		if dl < 0 || int64(dl) > int64(len(b)-p-dataLen) {
			return 0, fmt.Errorf("%w: update %d: data length %d exceeds the %d bytes left", ErrBadMutation, i, dl, len(b)-p-dataLen)
		}
		dataLen += int(dl)
		// Stash the length; the data follows every descriptor.
		u.Data = b[:dl:dl]
	}
	for i := range m.Updates {
		u := &m.Updates[i]
		n := len(u.Data)
		u.Data = b[p : p+n : p+n]
		p += n
	}
	return p, nil
}
