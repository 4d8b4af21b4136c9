package format

import (
	"bytes"
	"errors"
	"testing"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/gpid"
)

// scanBytes scans data as log.1.0.
func scanBytes(t testing.TB, data []byte) *FileScan {
	t.Helper()
	s, err := Scan(bytes.NewReader(data), LogFile{Path: "log.1.0", Index: 1, Size: int64(len(data))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The damage table of Pegasus's own test (mutation_log_test.cpp,
// replication_test.log_file) plus the load_from_private_log_test corruption,
// each classed as log_file::read_next_log_block classes it.
func TestDamageClassification(t *testing.T) {
	good := readFixture(t, "log.1.0.handle_real_private_log")
	mut := func(f func([]byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name       string
		data       []byte
		class      finding.Class
		cause      error
		offset     int64 // header offset of the failing block
		validBytes int64
		mutations  int
	}{
		{"empty file (ERR_HANDLE_EOF on block 0)", nil, finding.TornTail, ErrEmptyFile, 0, 0, 0},
		{"15 bytes (ERR_INCOMPLETE_DATA)", good[:15], finding.TornTail, ErrTornTail, 0, 0, 0},
		{"17 bytes: body cut (ERR_INCOMPLETE_DATA)", good[:17], finding.TornTail, ErrTornTail, 0, 0, 0},
		{"magic 0xfeadbeef (ERR_INVALID_DATA)", mut(func(b []byte) []byte { b[3] = 0xfe; return b }), finding.Corrupt, ErrBadMagic, 0, 0, 0},
		{"body_crc 0 (ERR_INVALID_DATA)", mut(func(b []byte) []byte { copy(b[8:12], []byte{0, 0, 0, 0}); return b }), finding.Corrupt, ErrCRCMismatch, 0, 0, 0},
		{"bitflip in block 3 body", mut(func(b []byte) []byte { b[600] ^= 0x10; return b }), finding.Corrupt, ErrCRCMismatch, 551, 551, 4},
		{"7 bytes overwritten mid-file (fail_skip_real_corrupted_file)", mut(func(b []byte) []byte { copy(b[len(b)/2:], "xxxxxx\x00"); return b }), finding.Corrupt, ErrCRCMismatch, 436, 436, 3},
		{"torn last block body", good[:len(good)-5], finding.TornTail, ErrTornTail, 802, 802, 6},
		{"torn last block header", good[:802+9], finding.TornTail, ErrTornTail, 802, 802, 6},
		{"16 zero bytes after the end", append(append([]byte(nil), good...), make([]byte, 16)...), finding.Corrupt, ErrBadMagic, 917, 917, 7},
		{"15 zero bytes after the end (a short header)", append(append([]byte(nil), good...), make([]byte, 15)...), finding.TornTail, ErrTornTail, 917, 917, 7},
		{"zero-filled tail over the last block", mut(func(b []byte) []byte { clear(b[802:]); return b }), finding.Corrupt, ErrBadMagic, 802, 802, 6},
		{"length bigger than the file (ERR_INCOMPLETE_DATA)", mut(func(b []byte) []byte { b[802+6] = 0x7f; return b }), finding.TornTail, ErrTornTail, 802, 802, 6},
		{"negative length (undefined in file_streamer::read_next)", mut(func(b []byte) []byte { b[802+7] = 0x80; return b }), finding.Corrupt, ErrCorruption, 802, 802, 6},
		{"header start offset differs from the name", mut(func(b []byte) []byte {
			b[24] = 1
			BlockHeader{Magic, 44, CRC(0, b[16:60]), 0}.Put(b)
			return b[:60]
		}), finding.Corrupt, ErrBadFileHeader, 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := scanBytes(t, c.data)
			e, ok := AsError(s.Err)
			if !ok {
				t.Fatalf("want a %v *Error, got %v", c.class, s.Err)
			}
			if e.Class != c.class || !errors.Is(s.Err, c.cause) || e.Offset != c.offset {
				t.Errorf("got %v (class %v, offset %d); want class %v, cause %v, offset %d", s.Err, e.Class, e.Offset, c.class, c.cause, c.offset)
			}
			if e.File != "log.1.0" {
				t.Errorf("error names %q", e.File)
			}
			if s.ValidBytes != c.validBytes || s.Mutations != c.mutations {
				t.Errorf("valid bytes %d, mutations %d; want %d, %d", s.ValidBytes, s.Mutations, c.validBytes, c.mutations)
			}
		})
	}
}

// A log_offset that disagrees with the mutation's position is
// ERR_INVALID_DATA in mutation_log::replay_block.
func TestOffsetMismatchIsCorruption(t *testing.T) {
	m := &Mutation{Gpid: gpid.Gpid{App: 1, Partition: 1}, Ballot: 1, Decree: 1, Updates: []Update{{Code: "RPC_REPLICATION_WRITE_EMPTY"}}}
	enc, data := NewEncoder(nil, &FileHeader{Entries: []ReplicaLogInfo{{Gpid: gpid.Gpid{App: 1, Partition: 1}}}})
	body := m.Append(nil)
	body[32]++ // log_offset
	at := len(data)
	data = append(data, make([]byte, BlockHeaderSize)...)
	data = append(data, body...)
	BlockHeader{Magic, int32(len(body)), CRC(enc.State().Chain, body), uint32(at)}.Put(data[at:])
	s := scanBytes(t, data)
	e, ok := AsError(s.Err)
	if !ok || e.Class != finding.Corrupt || !errors.Is(s.Err, ErrOffsetMismatch) || e.MutationOffset != 76 || e.Offset != 60 {
		t.Fatalf("got %v", s.Err)
	}
}

// mutation::read_mutation_header: a first word above 64 is the pre-2017
// layout (a C++ vptr), whose last header word is a thrift __isset and whose
// timestamp reads as 0; 1..64 and negative versions make Pegasus abort.
func TestMutationHeaderVersions(t *testing.T) {
	m := putMutation(gpid.Gpid{App: 1, Partition: 2}, 3, 4, 10)
	b := m.Append(nil)
	legacy := append([]byte(nil), b...)
	copy(legacy[0:8], []byte{0x10, 0x20, 0x30, 0x40, 0x55, 0x7f, 0, 0}) // a user-space vptr
	var got Mutation
	if n, err := DecodeMutation(legacy, &got); err != nil || n != len(b) || got.Timestamp != 0 || got.Decree != 4 || got.Ballot != 3 || got.Version <= 64 {
		t.Fatalf("legacy: n=%d err=%v %+v", n, err, got)
	}
	for _, v := range []byte{1, 64} {
		bad := append([]byte(nil), b...)
		bad[0] = v
		if _, err := DecodeMutation(bad, &got); !errors.Is(err, ErrBadMutation) {
			t.Errorf("version %d: %v", v, err)
		}
	}
	neg := append([]byte(nil), b...)
	neg[7] = 0x80
	if _, err := DecodeMutation(neg, &got); !errors.Is(err, ErrBadMutation) {
		t.Errorf("negative version: %v", err)
	}
}
