// Package refdecode is an independent reference decoder for Apache Pegasus
// mutation-log (plog/slog) files. It exists only so tests can cross-check the
// project's own codec, writer and fixture generator against a second
// implementation.
//
// It is written from the format specification alone
// (shared/docs/pegasus-log-format.md, sections 2-11 and 16) and imports no
// other package of this module. The style is deliberately unlike a streaming
// codec: whole files are read into memory and decoded with explicit index
// arithmetic. Speed is irrelevant; strictness is the point.
//
// What is checked where:
//
//   - DecodeBytes / DecodeFile enforce every byte-level rule a Pegasus reader
//     applies (file name, block framing, chained CRC-32C, file header magic and
//     start offset, mutation header version, lengths that must fit inside the
//     block body). Damage at the block level is reported through File.Tail
//     ("torn" or "corrupt") exactly as section 11 classifies it; malformed
//     content inside a CRC-valid block is returned as an *Error.
//   - DecodeDir additionally applies the replay rules of section 11 across the
//     files of one log directory (index continuity, start offset chaining,
//     log_offset of every mutation equals the running offset).
//   - CheckWriterRules / CheckDirWriterRules check what a real Pegasus writer
//     produces (sections 6, 9, 10 and 19.5); a file can be readable by Pegasus
//     and still violate them.
package refdecode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Format constants (spec sections 4, 6, 7, 10).
const (
	blockMagic        = uint32(0xdeadbeef)
	blockHeaderSize   = 16
	fileHeaderFixed   = 20 // magic, version, start_global_offset, count
	headerEntrySize   = 24 // gpid(8) + max_decree(8) + valid_start_offset(8)
	mutationHeaderLen = 56
	maxBlockBytes     = 1048576 // DEFAULT_MAX_BLOCK_BYTES
)

// Tail classifications (section 11).
const (
	TailClean   = ""
	TailTorn    = "torn"    // 1..15 bytes of block header, or fewer body bytes than length: ERR_INCOMPLETE_DATA
	TailCorrupt = "corrupt" // bad magic, bad CRC, negative length: ERR_INVALID_DATA
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Entry is one (gpid -> replica_log_info) pair of the file header map.
type Entry struct {
	App, Partition              int32
	MaxDecree, ValidStartOffset int64
}

// Update is one mutation_update as persisted: task-code name, serialization
// type and data blob.
type Update struct {
	Code    string
	SerType int32
	Data    []byte
}

// Mutation is one decoded mutation record.
type Mutation struct {
	App, Partition                                      int32
	Ballot, Decree, LogOffset, LastCommitted, Timestamp int64
	Updates                                             []Update
	Size                                                int   // serialized size in bytes
	FileOffset                                          int64 // offset within file
	Version                                             int64 // raw first 8 bytes: 0, or a legacy C++ vptr (> 64)
	Block                                               int   // index into File.Blocks
}

// Block is one block header as found in the file.
type Block struct {
	FileOffset  int64
	Length      int32
	CRC         uint32
	LocalOffset uint32
}

// File is one decoded log file.
type File struct {
	Name        string
	Index       int32
	StartOffset int64 // from the file name; the decoder requires the header to agree
	Size        int64 // physical size
	Version     int32 // log_file_header.version
	Entries     []Entry
	Blocks      []Block // block 0 (file header) included
	Mutations   []Mutation
	Tail        string // TailClean, TailTorn or TailCorrupt
	TailOffset  int64  // file offset where valid data ends (== Size when clean)
	EndOffset   int64  // global offset of the end of the last valid block
}

// Error is the error type of this package. Every error names a file and a
// byte offset within that file.
type Error struct {
	File   string
	Offset int64
	// Torn is set when the file ends inside block 0 (empty file, short block
	// header or short body). Pegasus renames such a file to *.removed and
	// skips it (ERR_HANDLE_EOF / ERR_INCOMPLETE_DATA in log_file::open_read).
	Torn bool
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("refdecode: %s: offset %d: %s", e.File, e.Offset, e.Msg)
}

func errAt(file string, off int64, format string, args ...any) *Error {
	return &Error{File: file, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// errNotLogName marks names Pegasus silently skips (ERR_INVALID_PARAMETERS).
var errNotLogName = errors.New("not a log file name")

// ParseName parses log.<index>.<start_offset>. Only canonical decimal numbers
// are accepted (what sprintf("%d") writes). Names Pegasus would reject and skip
// return an error wrapping an internal "not a log file name" sentinel; names
// with leading zeros return a different error because Pegasus parses them with
// strtoll(base 0), i.e. as octal, so their meaning is ambiguous.
func ParseName(name string) (index int32, start int64, err error) {
	if !strings.HasPrefix(name, "log.") {
		return 0, 0, fmt.Errorf("%q: %w (no \"log.\" prefix)", name, errNotLogName)
	}
	rest := name[len("log."):]
	dot := strings.IndexByte(rest, '.')
	if dot < 0 {
		return 0, 0, fmt.Errorf("%q: %w (no start offset)", name, errNotLogName)
	}
	a, b := rest[:dot], rest[dot+1:]
	if !allDigits(a) || !allDigits(b) {
		return 0, 0, fmt.Errorf("%q: %w (index and start offset must be non-empty decimal numbers)", name, errNotLogName)
	}
	if (len(a) > 1 && a[0] == '0') || (len(b) > 1 && b[0] == '0') {
		return 0, 0, fmt.Errorf("%q: leading zero in log file name (Pegasus would read it as octal)", name)
	}
	i, err1 := strconv.ParseInt(a, 10, 32)
	s, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("%q: %w (index must fit int32, start offset int64)", name, errNotLogName)
	}
	return int32(i), s, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// DecodeFile reads and decodes one log file. Its base name must parse as
// log.<index>.<start_offset>.
func DecodeFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errAt(path, 0, "%v", err)
	}
	return decode(path, filepath.Base(path), data)
}

// DecodeBytes decodes the bytes of one log file named name (a base name such
// as "log.1.0").
func DecodeBytes(name string, data []byte) (*File, error) {
	return decode(name, filepath.Base(name), data)
}

// Little-endian readers on explicit offsets. Callers guarantee bounds.
func le32(b []byte, off int64) uint32 { return binary.LittleEndian.Uint32(b[off : off+4]) }
func le64(b []byte, off int64) uint64 { return binary.LittleEndian.Uint64(b[off : off+8]) }

func decode(label, name string, data []byte) (*File, error) {
	index, start, err := ParseName(name)
	if err != nil {
		return nil, errAt(label, 0, "bad file name: %v", err)
	}
	size := int64(len(data))
	f := &File{Name: name, Index: index, StartOffset: start, Size: size}

	// ---- block 0: block header + file header (section 6) ----
	if size < blockHeaderSize {
		e := errAt(label, 0, "file is %d bytes, shorter than the first block header (16)", size)
		e.Torn = true
		return nil, e
	}
	if m := le32(data, 0); m != blockMagic {
		return nil, errAt(label, 0, "block 0: bad magic %#08x", m)
	}
	len0 := int64(int32(le32(data, 4)))
	if len0 < 0 {
		return nil, errAt(label, 4, "block 0: negative body length %d", len0)
	}
	if blockHeaderSize+len0 > size {
		e := errAt(label, 4, "block 0: body length %d exceeds the %d bytes left", len0, size-blockHeaderSize)
		e.Torn = true
		return nil, e
	}
	body0 := data[blockHeaderSize : blockHeaderSize+len0]
	crc := crc32.Update(0, castagnoli, body0)
	if stored := le32(data, 8); stored != crc {
		return nil, errAt(label, 8, "block 0: body crc %#08x, computed %#08x", stored, crc)
	}
	f.Blocks = append(f.Blocks, Block{FileOffset: 0, Length: int32(len0), CRC: crc, LocalOffset: le32(data, 12)})

	h := int64(blockHeaderSize) // file offset of the file header
	if len0 < fileHeaderFixed {
		return nil, errAt(label, h, "block 0: body length %d too short for the file header (>= 20)", len0)
	}
	if m := le32(data, h); m != blockMagic {
		return nil, errAt(label, h, "file header: bad magic %#08x", m)
	}
	f.Version = int32(le32(data, h+4))
	if sgo := int64(le64(data, h+8)); sgo != start {
		return nil, errAt(label, h+8, "file header: start_global_offset %d != %d from the file name", sgo, start)
	}
	count := int64(int32(le32(data, h+16)))
	if count < 0 {
		return nil, errAt(label, h+16, "file header: negative map count %d", count)
	}
	if fileHeaderFixed+headerEntrySize*count > len0 {
		return nil, errAt(label, h+16, "file header: map count %d needs %d body bytes, block 0 has %d",
			count, fileHeaderFixed+headerEntrySize*count, len0)
	}
	f.Entries = make([]Entry, 0, count)
	for i := int64(0); i < count; i++ {
		o := h + fileHeaderFixed + headerEntrySize*i
		f.Entries = append(f.Entries, Entry{
			App:              int32(le32(data, o)),
			Partition:        int32(le32(data, o+4)),
			MaxDecree:        int64(le64(data, o+8)),
			ValidStartOffset: int64(le64(data, o+16)),
		})
	}
	// The reader accepts mutations after the file header inside block 0
	// (section 3); a real writer never puts any there (CheckWriterRules).
	if err := parseMutations(label, f, data, h+fileHeaderFixed+headerEntrySize*count, h+len0, 0); err != nil {
		return nil, err
	}

	// ---- data blocks (sections 4, 5, 11) ----
	pos := blockHeaderSize + len0
	for {
		left := size - pos
		if left == 0 {
			break // ERR_HANDLE_EOF: clean end
		}
		if left < blockHeaderSize {
			f.Tail = TailTorn // 1..15 bytes: ERR_INCOMPLETE_DATA
			break
		}
		if m := le32(data, pos); m != blockMagic {
			f.Tail = TailCorrupt // includes a zero-filled tail of >= 16 bytes
			break
		}
		n := int64(int32(le32(data, pos+4)))
		if n < 0 {
			f.Tail = TailCorrupt
			break
		}
		if n > left-blockHeaderSize {
			f.Tail = TailTorn
			break
		}
		body := data[pos+blockHeaderSize : pos+blockHeaderSize+n]
		next := crc32.Update(crc, castagnoli, body)
		if le32(data, pos+8) != next {
			f.Tail = TailCorrupt
			break
		}
		crc = next
		f.Blocks = append(f.Blocks, Block{FileOffset: pos, Length: int32(n), CRC: crc, LocalOffset: le32(data, pos+12)})
		if err := parseMutations(label, f, data, pos+blockHeaderSize, pos+blockHeaderSize+n, len(f.Blocks)-1); err != nil {
			return nil, err
		}
		pos += blockHeaderSize + n
	}
	f.TailOffset = pos
	f.EndOffset = start + pos
	return f, nil
}

// parseMutations decodes the mutations that exactly fill data[from:to]
// (section 7). A mutation reaching past the block body is an error: Pegasus
// does not detect it in release builds, but it means the body is malformed.
func parseMutations(label string, f *File, data []byte, from, to int64, block int) error {
	p, m0 := from, from
	need := func(at, n int64, what string) error {
		if n < 0 || at+n > to {
			return errAt(label, at, "mutation at %d: %s needs %d bytes, block body ends at %d", m0, what, n, to)
		}
		return nil
	}
	for p < to {
		m0 = p
		if err := need(p, mutationHeaderLen+4, "header and update_count"); err != nil {
			return err
		}
		var m Mutation
		m.FileOffset = m0
		m.Block = block
		m.Version = int64(le64(data, p))
		switch {
		case m.Version == 0:
			m.Timestamp = int64(le64(data, p+48))
		case m.Version > 64:
			// Legacy pre-2017 form: the first 8 bytes were a C++ vptr, the last
			// 8 bytes are thrift __isset, ignored; timestamp is 0.
			m.Timestamp = 0
		default:
			return errAt(label, p, "mutation: invalid version %#016x (must be 0, or > 64 for the legacy form)", uint64(m.Version))
		}
		m.App = int32(le32(data, p+8))
		m.Partition = int32(le32(data, p+12))
		m.Ballot = int64(le64(data, p+16))
		m.Decree = int64(le64(data, p+24))
		m.LogOffset = int64(le64(data, p+32))
		m.LastCommitted = int64(le64(data, p+40))
		nu := int64(int32(le32(data, p+56)))
		if nu < 0 {
			return errAt(label, p+56, "mutation: negative update_count %d", nu)
		}
		p += mutationHeaderLen + 4
		lens := make([]int64, nu)
		m.Updates = make([]Update, nu)
		for i := int64(0); i < nu; i++ {
			if err := need(p, 4, "code_len"); err != nil {
				return err
			}
			cl := int64(int32(le32(data, p)))
			if cl <= 0 {
				return errAt(label, p, "mutation: update %d: code_len %d (an empty task-code name aborts replay)", i, cl)
			}
			p += 4
			if err := need(p, cl+8, "task code, serialization_type and data_len"); err != nil {
				return err
			}
			code := data[p : p+cl]
			for j, c := range code {
				if c < 0x20 || c > 0x7e {
					return errAt(label, p+int64(j), "mutation: update %d: task-code name byte %#02x is not printable ASCII", i, c)
				}
			}
			m.Updates[i].Code = string(code)
			p += cl
			m.Updates[i].SerType = int32(le32(data, p))
			dl := int64(int32(le32(data, p+4)))
			if dl < 0 {
				return errAt(label, p+4, "mutation: update %d: negative data_len %d", i, dl)
			}
			lens[i] = dl
			p += 8
		}
		for i := int64(0); i < nu; i++ {
			if err := need(p, lens[i], "update data"); err != nil {
				return err
			}
			m.Updates[i].Data = append([]byte(nil), data[p:p+lens[i]]...)
			p += lens[i]
		}
		m.Size = int(p - m0)
		f.Mutations = append(f.Mutations, m)
	}
	return nil
}

// Dir is a decoded log directory.
type Dir struct {
	Files []*File // ascending index
	// Removed lists files Pegasus would rename to *.removed and skip because
	// they end inside block 0 (empty or torn first block).
	Removed []string
}

// DecodeDir decodes all log files of one log directory (regular files whose
// names parse as log.<index>.<start_offset>; other names are skipped as
// Pegasus does) and applies the replay rules of section 11:
// no duplicate index, consecutive indices, each file starts at the previous
// file's EndOffset (which is before its physical end after a torn tail), no
// corrupt tail anywhere, and every mutation's log_offset equals the running
// global offset.
func DecodeDir(dir string) (*Dir, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, errAt(dir, 0, "%v", err)
	}
	d := &Dir{}
	byIndex := map[int32]*File{}
	for _, de := range ents {
		name := de.Name()
		if _, _, err := ParseName(name); err != nil {
			if errors.Is(err, errNotLogName) {
				continue
			}
			return nil, errAt(filepath.Join(dir, name), 0, "%v", err)
		}
		path := filepath.Join(dir, name)
		st, err := os.Stat(path)
		if err != nil {
			return nil, errAt(path, 0, "%v", err)
		}
		if !st.Mode().IsRegular() {
			continue
		}
		f, err := DecodeFile(path)
		if err != nil {
			var e *Error
			if errors.As(err, &e) && e.Torn {
				d.Removed = append(d.Removed, name)
				continue
			}
			return nil, err
		}
		if prev, ok := byIndex[f.Index]; ok {
			return nil, errAt(path, 0, "duplicate log index %d (also %s)", f.Index, prev.Name)
		}
		byIndex[f.Index] = f
		d.Files = append(d.Files, f)
	}
	// insertion sort by index: tiny inputs, no cleverness needed
	for i := 1; i < len(d.Files); i++ {
		for j := i; j > 0 && d.Files[j].Index < d.Files[j-1].Index; j-- {
			d.Files[j], d.Files[j-1] = d.Files[j-1], d.Files[j]
		}
	}
	for i, f := range d.Files {
		path := filepath.Join(dir, f.Name)
		if i > 0 {
			prev := d.Files[i-1]
			if f.Index != prev.Index+1 {
				return nil, errAt(path, 0, "index %d does not follow %s (indices must be consecutive)", f.Index, prev.Name)
			}
			if f.StartOffset != prev.EndOffset {
				return nil, errAt(path, 0, "start offset %d != end offset %d of %s (last valid block end)", f.StartOffset, prev.EndOffset, prev.Name)
			}
		}
		if f.Tail == TailCorrupt {
			return nil, errAt(path, f.TailOffset, "corrupt block (bad magic, length or crc): Pegasus replay fails")
		}
		for _, m := range f.Mutations {
			if want := f.StartOffset + m.FileOffset; m.LogOffset != want {
				return nil, errAt(path, m.FileOffset+32, "mutation %d.%d ballot %d decree %d: log_offset %d != running offset %d",
					m.App, m.Partition, m.Ballot, m.Decree, m.LogOffset, want)
			}
		}
	}
	return d, nil
}

// Mutations returns the mutations of all files in file order.
func (d *Dir) Mutations() []Mutation {
	var out []Mutation
	for _, f := range d.Files {
		out = append(out, f.Mutations...)
	}
	return out
}

// knownWriteCodes are the task codes Pegasus writes into logs (section 7). An
// unregistered name aborts the server on replay.
var knownWriteCodes = map[string]bool{
	"RPC_REPLICATION_WRITE_EMPTY":    true,
	"RPC_RRDB_RRDB_PUT":              true,
	"RPC_RRDB_RRDB_MULTI_PUT":        true,
	"RPC_RRDB_RRDB_REMOVE":           true,
	"RPC_RRDB_RRDB_MULTI_REMOVE":     true,
	"RPC_RRDB_RRDB_INCR":             true,
	"RPC_RRDB_RRDB_CHECK_AND_SET":    true,
	"RPC_RRDB_RRDB_CHECK_AND_MUTATE": true,
	"RPC_RRDB_RRDB_DUPLICATE":        true,
	"RPC_RRDB_RRDB_BULK_LOAD":        true,
}

// CheckWriterRules checks the rules a real Pegasus writer obeys (sections 6,
// 9, 10 and 19.5). It returns all violations joined, or nil:
//
//   - no corrupt tail (a torn tail is a crash artifact and is accepted);
//   - index >= 1 (the first file of a log is log.1.<offset>);
//   - block 0 holds exactly the file header (length 20+24*count), nothing else;
//   - file header version == 1 and start_global_offset == name offset;
//   - no duplicate gpid in the header map;
//   - local_offset == file offset (truncated to 32 bits) for every block;
//   - every data block holds >= 1 whole mutation;
//   - block split rule: before a block's last mutation was added, the block
//     (header included) was <= 1048576 bytes;
//   - mutation version == 0 (never the legacy form);
//   - log_offset == global offset of the mutation's first byte;
//   - every task-code name is a registered Pegasus write code.
//
// Also checked, derived from mutation::add_client_request rather than stated
// as writer rules by the spec: every mutation has >= 1 update,
// serialization_type is a dsn_msg_serialize_format value (0..6), and an
// RPC_REPLICATION_WRITE_EMPTY update has serialization_type 0 and no data.
func CheckWriterRules(f *File) error {
	var errs []error
	add := func(off int64, format string, args ...any) {
		errs = append(errs, errAt(f.Name, off, format, args...))
	}
	if f.Tail == TailCorrupt {
		add(f.TailOffset, "corrupt block: a writer never produces bad magic or crc")
	}
	if f.Index < 1 {
		add(0, "index %d < 1", f.Index)
	}
	if len(f.Blocks) == 0 {
		add(0, "no block 0")
		return errors.Join(errs...)
	}
	if want := int64(fileHeaderFixed + headerEntrySize*len(f.Entries)); int64(f.Blocks[0].Length) != want {
		add(4, "block 0 length %d, want exactly the file header (%d bytes for %d entries)", f.Blocks[0].Length, want, len(f.Entries))
	}
	if f.Version != 1 {
		add(blockHeaderSize+4, "file header version %d, want 1", f.Version)
	}
	// The decoder already rejects a header offset that differs from the
	// name; File keeps only one value, so this re-check is structural.
	if _, s, err := ParseName(f.Name); err == nil && s != f.StartOffset {
		add(blockHeaderSize+8, "start offset %d != name offset %d", f.StartOffset, s)
	}
	seen := map[[2]int32]int{}
	for i, e := range f.Entries {
		k := [2]int32{e.App, e.Partition}
		if j, ok := seen[k]; ok {
			add(int64(blockHeaderSize+fileHeaderFixed+headerEntrySize*i), "duplicate gpid %d.%d in header map (entries %d and %d)", e.App, e.Partition, j, i)
		}
		seen[k] = i
	}
	perBlock := make([][]Mutation, len(f.Blocks))
	for _, m := range f.Mutations {
		perBlock[m.Block] = append(perBlock[m.Block], m)
	}
	for bi, b := range f.Blocks {
		if b.LocalOffset != uint32(b.FileOffset) {
			add(b.FileOffset+12, "block %d: local_offset %d != file offset %d", bi, b.LocalOffset, b.FileOffset)
		}
		ms := perBlock[bi]
		if bi == 0 {
			if len(ms) > 0 {
				add(ms[0].FileOffset, "block 0 holds %d mutation(s) after the file header", len(ms))
			}
			continue
		}
		if len(ms) == 0 {
			add(b.FileOffset, "data block %d holds no mutation", bi)
			continue
		}
		before := int64(blockHeaderSize)
		for _, m := range ms[:len(ms)-1] {
			before += int64(m.Size)
		}
		if len(ms) > 1 && before > maxBlockBytes {
			add(ms[len(ms)-1].FileOffset, "block %d: %d bytes before its last mutation > %d (writer would have started a new block)", bi, before, maxBlockBytes)
		}
	}
	for _, m := range f.Mutations {
		if m.Version != 0 {
			add(m.FileOffset, "mutation decree %d: version %#x, writers emit 0", m.Decree, uint64(m.Version))
		}
		if want := f.StartOffset + m.FileOffset; m.LogOffset != want {
			add(m.FileOffset+32, "mutation decree %d: log_offset %d != global offset %d", m.Decree, m.LogOffset, want)
		}
		if len(m.Updates) == 0 {
			add(m.FileOffset+56, "mutation decree %d: no updates", m.Decree)
		}
		for i, u := range m.Updates {
			if !knownWriteCodes[u.Code] {
				add(m.FileOffset, "mutation decree %d: update %d: unknown task code %q", m.Decree, i, u.Code)
			}
			if u.SerType < 0 || u.SerType > 6 {
				add(m.FileOffset, "mutation decree %d: update %d: serialization_type %d not in 0..6", m.Decree, i, u.SerType)
			}
			if u.Code == "RPC_REPLICATION_WRITE_EMPTY" && (u.SerType != 0 || len(u.Data) != 0) {
				add(m.FileOffset, "mutation decree %d: update %d: empty write with serialization_type %d and %d data bytes", m.Decree, i, u.SerType, len(u.Data))
			}
		}
	}
	return errors.Join(errs...)
}

// CheckDirWriterRules applies CheckWriterRules to every file and then the
// header rules of a single-writer log directory (section 6):
//
//   - max_decree: Pegasus writes the in-memory max decree, which is rebuilt
//     from 0 on every open and raised only by replayed/accepted mutations, so
//     after a restart a header may UNDER-report the true maximum of the older
//     files, but it never over-reports. The checked (weaker) form is therefore
//     max_decree <= max decree of that gpid over all previous files of the
//     directory (0 when the gpid has no mutation there). The first file of the
//     directory is checked only when it is log.1.<x>, which has no
//     predecessor; otherwise its predecessors may have been garbage collected.
//     Learning resets (on_partition_reset) can legitimately raise the value
//     past what earlier files contain; such directories are out of scope.
//   - valid_start_offset <= the file's start offset.
func CheckDirWriterRules(d *Dir) error {
	var errs []error
	maxSoFar := map[[2]int32]int64{}
	for i, f := range d.Files {
		if err := CheckWriterRules(f); err != nil {
			errs = append(errs, err)
		}
		for j, e := range f.Entries {
			off := int64(blockHeaderSize + fileHeaderFixed + headerEntrySize*j)
			if i > 0 || f.Index == 1 {
				if bound := maxSoFar[[2]int32{e.App, e.Partition}]; e.MaxDecree > bound {
					errs = append(errs, errAt(f.Name, off+8, "header max_decree %d for %d.%d exceeds the max decree %d of previous files",
						e.MaxDecree, e.App, e.Partition, bound))
				}
			}
			if e.ValidStartOffset > f.StartOffset {
				errs = append(errs, errAt(f.Name, off+16, "header valid_start_offset %d for %d.%d > file start offset %d",
					e.ValidStartOffset, e.App, e.Partition, f.StartOffset))
			}
		}
		for _, m := range f.Mutations {
			k := [2]int32{m.App, m.Partition}
			if m.Decree > maxSoFar[k] {
				maxSoFar[k] = m.Decree
			}
		}
	}
	return errors.Join(errs...)
}
