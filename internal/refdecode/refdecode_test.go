package refdecode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixtureDir = "../../format/testdata/pegasus/"

const (
	codeEmpty = "RPC_REPLICATION_WRITE_EMPTY"
	codePut   = "RPC_RRDB_RRDB_PUT"
)

func readFixture(t *testing.T, suffix string) []byte {
	t.Helper()
	data, err := os.ReadFile(fixtureDir + "log.1.0." + suffix)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func decodeFixture(t *testing.T, suffix string) *File {
	t.Helper()
	f, err := DecodeBytes("log.1.0", readFixture(t, suffix))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// putData is the 31-byte thrift payload of section 8 (C++ client wrapper,
// hashkey "a", sortkey "a", expire 0) with the given one-byte value.
func putData(value byte) []byte {
	return []byte{
		0x0c, 0x00, 0x00,
		0x0c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x01, 0x61, 0x61,
		0x0c, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, value,
		0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
		0x00,
		0x00,
	}
}

type wantBlock struct {
	off int64
	n   int32
	crc uint32
}

type wantMut struct {
	decree, logOffset int64
	size              int
	code              string
	value             byte // PUT value; 0 for empty writes
	block             int
}

type fixtureWant struct {
	suffix    string
	size      int64
	app, part int32
	blocks    []wantBlock
	muts      []wantMut
}

// Values from section 16 (and the annotated dump of handle_real_private_log2).
var fixtures = []fixtureWant{
	{
		suffix: "handle_real_private_log", size: 917, app: 1, part: 4,
		blocks: []wantBlock{{0, 44, 0x548f2abc}, {60, 360, 0x4232df4a}, {436, 99, 0x2d701f0b},
			{551, 120, 0xb76791c2}, {687, 99, 0x5c408113}, {802, 99, 0xd70241cc}},
		muts: []wantMut{
			{1, 76, 120, codePut, 'a', 1}, {2, 196, 120, codePut, 'b', 1}, {3, 316, 120, codePut, 'c', 1},
			{4, 452, 99, codeEmpty, 0, 2}, {5, 567, 120, codePut, 'd', 3},
			{6, 703, 99, codeEmpty, 0, 4}, {7, 818, 99, codeEmpty, 0, 5},
		},
	},
	{
		suffix: "handle_real_private_log2", size: 426, app: 1, part: 4,
		blocks: []wantBlock{{0, 44, 0x548f2abc}, {60, 99, 0x4064e460}, {175, 120, 0xe0dbf085}, {311, 99, 0x3b5ea3dc}},
		muts: []wantMut{
			{1, 76, 99, codeEmpty, 0, 1}, {2, 191, 120, codePut, 'a', 2}, {3, 327, 99, codeEmpty, 0, 3},
		},
	},
	{
		suffix: "all_loaded_are_write_empties", size: 405, app: 1, part: 5,
		blocks: []wantBlock{{0, 44, 0x63ccdd01}, {60, 99, 0x0e1a7ce0}, {175, 99, 0x79f8abfb}, {290, 99, 0x2bb72b5d}},
		muts: []wantMut{
			{1, 76, 99, codeEmpty, 0, 1}, {2, 191, 99, codeEmpty, 0, 2}, {3, 306, 99, codeEmpty, 0, 3},
		},
	},
}

func TestRealFixtures(t *testing.T) {
	for _, w := range fixtures {
		t.Run(w.suffix, func(t *testing.T) {
			f := decodeFixture(t, w.suffix)
			if f.Name != "log.1.0" || f.Index != 1 || f.StartOffset != 0 || f.Size != w.size || f.Version != 1 {
				t.Fatalf("file: %+v", f)
			}
			if f.Tail != TailClean || f.TailOffset != w.size || f.EndOffset != w.size {
				t.Fatalf("tail %q at %d end %d", f.Tail, f.TailOffset, f.EndOffset)
			}
			if len(f.Entries) != 1 || f.Entries[0] != (Entry{w.app, w.part, 0, 0}) {
				t.Fatalf("entries %+v", f.Entries)
			}
			if len(f.Blocks) != len(w.blocks) {
				t.Fatalf("%d blocks, want %d", len(f.Blocks), len(w.blocks))
			}
			for i, b := range w.blocks {
				got := f.Blocks[i]
				if got.FileOffset != b.off || got.Length != b.n || got.CRC != b.crc || got.LocalOffset != uint32(b.off) {
					t.Errorf("block %d = %+v, want off %d len %d crc %#x", i, got, b.off, b.n, b.crc)
				}
			}
			if len(f.Mutations) != len(w.muts) {
				t.Fatalf("%d mutations, want %d", len(f.Mutations), len(w.muts))
			}
			for i, wm := range w.muts {
				m := f.Mutations[i]
				if m.App != w.app || m.Partition != w.part || m.Ballot != 3 || m.Decree != wm.decree ||
					m.LastCommitted != wm.decree-1 || m.LogOffset != wm.logOffset || m.FileOffset != wm.logOffset ||
					m.Size != wm.size || m.Version != 0 || m.Block != wm.block {
					t.Errorf("mutation %d = %+v, want %+v", i, m, wm)
				}
				// "timestamps from 2018"
				if m.Timestamp < 1514764800000000 || m.Timestamp >= 1546300800000000 {
					t.Errorf("mutation %d: timestamp %d not in 2018", i, m.Timestamp)
				}
				if len(m.Updates) != 1 || m.Updates[0].Code != wm.code {
					t.Fatalf("mutation %d updates %+v", i, m.Updates)
				}
				u := m.Updates[0]
				switch wm.code {
				case codeEmpty:
					if u.SerType != 0 || len(u.Data) != 0 {
						t.Errorf("mutation %d: empty write %+v", i, u)
					}
				case codePut:
					if u.SerType != 1 || len(u.Data) != 31 || !bytes.Equal(u.Data, putData(wm.value)) {
						t.Errorf("mutation %d: put ser %d data %x", i, u.SerType, u.Data)
					}
				}
			}
			if err := CheckWriterRules(f); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestFixtureAnnotatedBytes(t *testing.T) {
	f := decodeFixture(t, "handle_real_private_log2")
	if ts := f.Mutations[0].Timestamp; ts != 1528799166332891 {
		t.Fatalf("decree 1 timestamp %d", ts)
	}
	// Chaining proof (section 16): block 0's CRC is the plain CRC-32C of its
	// body, block 1 of handle_real_private_log would be 0x0d007a19 unchained.
	data := readFixture(t, "handle_real_private_log")
	tab := crc32.MakeTable(crc32.Castagnoli)
	if c := crc32.Checksum(data[16:60], tab); c != 0x548f2abc {
		t.Fatalf("plain crc of header body %#x", c)
	}
	if c := crc32.Checksum(data[76:436], tab); c != 0x0d007a19 {
		t.Fatalf("plain crc of block 1 body %#x", c)
	}
	if c := crc32.Checksum([]byte("123456789"), tab); c != 0xe3069283 {
		t.Fatalf("check value %#x", c)
	}
}

func TestDecodeFileNeedsValidName(t *testing.T) {
	p := filepath.Join(fixtureDir, "log.1.0.handle_real_private_log")
	_, err := DecodeFile(p)
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(err.Error(), "log.1.0.handle_real_private_log") {
		t.Fatalf("suffixed fixture name accepted or unnamed error: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "log.1.0"), readFixture(t, "handle_real_private_log"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := DecodeFile(filepath.Join(dir, "log.1.0"))
	if err != nil || len(f.Mutations) != 7 {
		t.Fatalf("%v", err)
	}
}

func TestParseName(t *testing.T) {
	for _, c := range []struct {
		name  string
		idx   int32
		start int64
		ok    bool
	}{
		{"log.1.0", 1, 0, true},
		{"log.123.9223372036854775807", 123, 9223372036854775807, true},
		{"log.2147483647.5", 2147483647, 5, true},
		{"log.2147483648.123", 0, 0, false},
		{"log.1.9223372036854775808", 0, 0, false},
		{"log.1.2.removed", 0, 0, false},
		{"log.1.0.foo", 0, 0, false},
		{"log.1", 0, 0, false},
		{"log..1", 0, 0, false},
		{"log.1.", 0, 0, false},
		{"log.-1.0", 0, 0, false},
		{"log.1.0x10", 0, 0, false},
		{"log.01.0", 0, 0, false},
		{"xlog.1.0", 0, 0, false},
	} {
		i, s, err := ParseName(c.name)
		if (err == nil) != c.ok || i != c.idx || s != c.start {
			t.Errorf("%s: %d %d %v", c.name, i, s, err)
		}
	}
	if _, _, err := ParseName("log.01.0"); errors.Is(err, errNotLogName) {
		t.Errorf("leading zero must not be silently skippable")
	}
}

// ---- damage (section 11) ----

func TestTruncateEveryLength(t *testing.T) {
	data := readFixture(t, "handle_real_private_log")
	bounds := []int64{60, 436, 551, 687, 802, 917}
	mutsAt := map[int64]int{60: 0, 436: 3, 551: 4, 687: 5, 802: 6, 917: 7}
	for n := int64(0); n <= int64(len(data)); n++ {
		f, err := DecodeBytes("log.1.0", data[:n])
		if n < 60 {
			var e *Error
			if !errors.As(err, &e) || !e.Torn {
				t.Fatalf("len %d: want torn block 0 error, got %v", n, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("len %d: %v", n, err)
		}
		last := int64(60)
		for _, b := range bounds {
			if b <= n {
				last = b
			}
		}
		wantTail := TailTorn
		if last == n {
			wantTail = TailClean
		}
		if f.Tail != wantTail || f.TailOffset != last || f.EndOffset != last || len(f.Mutations) != mutsAt[last] {
			t.Fatalf("len %d: tail %q@%d end %d muts %d", n, f.Tail, f.TailOffset, f.EndOffset, len(f.Mutations))
		}
		if err := CheckWriterRules(f); err != nil {
			t.Fatalf("len %d: torn tail should satisfy writer rules: %v", n, err)
		}
	}
}

// Every single-bit flip must be noticed by DecodeBytes (error or non-clean
// tail) or, for the unvalidated local_offset field, by CheckWriterRules.
func TestEveryBitFlipDetected(t *testing.T) {
	for _, w := range fixtures {
		orig := readFixture(t, w.suffix)
		for i := range orig {
			for bit := 0; bit < 8; bit++ {
				data := append([]byte(nil), orig...)
				data[i] ^= 1 << bit
				f, err := DecodeBytes("log.1.0", data)
				if err != nil || f.Tail != TailClean {
					continue
				}
				if CheckWriterRules(f) == nil {
					t.Fatalf("%s: flip byte %d bit %d undetected", w.suffix, i, bit)
				}
			}
		}
	}
}

func TestDamageClassification(t *testing.T) {
	orig := readFixture(t, "handle_real_private_log")
	mod := func(fn func([]byte) []byte) []byte { return fn(append([]byte(nil), orig...)) }
	cases := []struct {
		name    string
		data    []byte
		tail    string
		tailOff int64
		muts    int
	}{
		{"bitflip body of block 2", mod(func(b []byte) []byte { b[500] ^= 0x10; return b }), TailCorrupt, 436, 3},
		{"bitflip magic of block 3", mod(func(b []byte) []byte { b[551] ^= 1; return b }), TailCorrupt, 551, 4},
		{"bitflip crc of block 5", mod(func(b []byte) []byte { b[810] ^= 0x80; return b }), TailCorrupt, 802, 6},
		{"length grows past EOF", mod(func(b []byte) []byte { b[802+4] = 100; return b }), TailTorn, 802, 6},
		{"negative length", mod(func(b []byte) []byte { b[802+7] = 0x80; return b }), TailCorrupt, 802, 6},
		{"zero tail 16 bytes", append(mod(func(b []byte) []byte { return b }), make([]byte, 16)...), TailCorrupt, 917, 7},
		{"zero tail 4096 bytes", append(mod(func(b []byte) []byte { return b }), make([]byte, 4096)...), TailCorrupt, 917, 7},
		{"zero tail 15 bytes", append(mod(func(b []byte) []byte { return b }), make([]byte, 15)...), TailTorn, 917, 7},
		{"zero tail 1 byte", append(mod(func(b []byte) []byte { return b }), 0), TailTorn, 917, 7},
		{"last block zeroed", mod(func(b []byte) []byte { clear(b[802:]); return b }), TailCorrupt, 802, 6},
		{"xxxxxx at size/2", mod(func(b []byte) []byte { copy(b[len(b)/2:], "xxxxxx\x00"); return b }), TailCorrupt, 436, 3},
		{"garbage 10 bytes", append(mod(func(b []byte) []byte { return b }), []byte("0123456789")...), TailTorn, 917, 7},
	}
	for _, c := range cases {
		f, err := DecodeBytes("log.1.0", c.data)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if f.Tail != c.tail || f.TailOffset != c.tailOff || f.EndOffset != c.tailOff || len(f.Mutations) != c.muts {
			t.Errorf("%s: tail %q@%d muts %d, want %q@%d muts %d", c.name, f.Tail, f.TailOffset, len(f.Mutations), c.tail, c.tailOff, c.muts)
		}
		if err := CheckWriterRules(f); (err != nil) != (c.tail == TailCorrupt) {
			t.Errorf("%s: writer rules: %v", c.name, err)
		}
	}
}

func TestBlockZeroDamageIsFatal(t *testing.T) {
	orig := readFixture(t, "handle_real_private_log2")
	for _, c := range []struct {
		name string
		off  int
		torn bool
		msg  string
	}{
		{"magic", 0, false, "offset 0:"},
		{"crc", 9, false, "offset 8:"},
		{"header magic (crc fixed)", 16, false, "offset 16:"},
		{"start offset (crc fixed)", 24, false, "offset 24:"},
		{"length past EOF", 6, true, "offset 4:"},
		{"length within file", 5, false, "offset 8:"},
	} {
		data := append([]byte(nil), orig...)
		data[c.off] ^= 1
		if c.off >= 16 && c.off < 60 {
			binary.LittleEndian.PutUint32(data[8:], crc32.Checksum(data[16:60], crc32.MakeTable(crc32.Castagnoli)))
		}
		_, err := DecodeBytes("log.1.0", data)
		var e *Error
		if !errors.As(err, &e) || e.Torn != c.torn || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), "log.1.0") {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if _, err := DecodeBytes("log.1.5", orig); err == nil || !strings.Contains(err.Error(), "start_global_offset") {
		t.Errorf("name/header offset mismatch: %v", err)
	}
}

// ---- synthetic files: an independent tiny writer for the test only ----

type tMut struct {
	version             int64
	app, part           int32
	ballot, decree, lcd int64
	ts, isset           int64
	updates             []Update
	badLogOffset        bool
}

func empty(decree int64) tMut {
	return tMut{app: 1, part: 4, ballot: 3, decree: decree, lcd: decree - 1, ts: 1528799166332891 + decree,
		updates: []Update{{Code: codeEmpty}}}
}

func encMut(m tMut, logOffset int64) []byte {
	le := binary.LittleEndian
	var b []byte
	b = le.AppendUint64(b, uint64(m.version))
	b = le.AppendUint32(b, uint32(m.app))
	b = le.AppendUint32(b, uint32(m.part))
	b = le.AppendUint64(b, uint64(m.ballot))
	b = le.AppendUint64(b, uint64(m.decree))
	if m.badLogOffset {
		logOffset++
	}
	b = le.AppendUint64(b, uint64(logOffset))
	b = le.AppendUint64(b, uint64(m.lcd))
	if m.version == 0 {
		b = le.AppendUint64(b, uint64(m.ts))
	} else {
		b = le.AppendUint64(b, uint64(m.isset))
	}
	b = le.AppendUint32(b, uint32(len(m.updates)))
	for _, u := range m.updates {
		b = le.AppendUint32(b, uint32(len(u.Code)))
		b = append(b, u.Code...)
		b = le.AppendUint32(b, uint32(u.SerType))
		b = le.AppendUint32(b, uint32(len(u.Data)))
	}
	for _, u := range m.updates {
		b = append(b, u.Data...)
	}
	return b
}

type fileBuilder struct {
	start int64
	buf   []byte
	crc   uint32
}

func headerBody(version int32, start int64, entries []Entry) []byte {
	le := binary.LittleEndian
	b := le.AppendUint32(nil, 0xdeadbeef)
	b = le.AppendUint32(b, uint32(version))
	b = le.AppendUint64(b, uint64(start))
	b = le.AppendUint32(b, uint32(len(entries)))
	for _, e := range entries {
		b = le.AppendUint32(b, uint32(e.App))
		b = le.AppendUint32(b, uint32(e.Partition))
		b = le.AppendUint64(b, uint64(e.MaxDecree))
		b = le.AppendUint64(b, uint64(e.ValidStartOffset))
	}
	return b
}

func newFile(start int64, entries ...Entry) *fileBuilder {
	fb := &fileBuilder{start: start}
	fb.block(headerBody(1, start, entries))
	return fb
}

func (fb *fileBuilder) block(body []byte) {
	le := binary.LittleEndian
	fb.crc = crc32.Update(fb.crc, crc32.MakeTable(crc32.Castagnoli), body)
	h := le.AppendUint32(nil, 0xdeadbeef)
	h = le.AppendUint32(h, uint32(len(body)))
	h = le.AppendUint32(h, fb.crc)
	h = le.AppendUint32(h, uint32(len(fb.buf)))
	fb.buf = append(append(fb.buf, h...), body...)
}

// muts appends one block holding ms with correct log offsets.
func (fb *fileBuilder) muts(ms ...tMut) *fileBuilder {
	base := fb.start + int64(len(fb.buf)) + 16
	var body []byte
	for _, m := range ms {
		body = append(body, encMut(m, base+int64(len(body)))...)
	}
	fb.block(body)
	return fb
}

func TestLegacyMutationHeader(t *testing.T) {
	m := empty(1)
	m.version = 0x00007f3a12345678 // a C++ vptr
	m.isset = 0x1f
	data := newFile(0, Entry{1, 4, 0, 0}).muts(m, empty(2)).buf
	f, err := DecodeBytes("log.1.0", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Mutations) != 2 {
		t.Fatalf("%d mutations", len(f.Mutations))
	}
	g := f.Mutations[0]
	if g.Version != m.version || g.Timestamp != 0 || g.Decree != 1 || g.Ballot != 3 || g.LogOffset != 76 || g.Size != 99 {
		t.Fatalf("legacy mutation %+v", g)
	}
	if f.Mutations[1].Timestamp != empty(2).ts || f.Mutations[1].LogOffset != 175 {
		t.Fatalf("second mutation %+v", f.Mutations[1])
	}
	if err := CheckWriterRules(f); err == nil || !strings.Contains(err.Error(), "version") {
		t.Fatalf("legacy form must fail writer rules: %v", err)
	}
	for _, v := range []int64{1, 64, -1} {
		m.version = v
		_, err := DecodeBytes("log.1.0", newFile(0, Entry{1, 4, 0, 0}).muts(m).buf)
		if err == nil || !strings.Contains(err.Error(), "offset 76:") {
			t.Errorf("version %d: %v", v, err)
		}
	}
	m.version = 65
	if _, err := DecodeBytes("log.1.0", newFile(0, Entry{1, 4, 0, 0}).muts(m).buf); err != nil {
		t.Errorf("version 65: %v", err)
	}
}

func TestMalformedBodies(t *testing.T) {
	le := binary.LittleEndian
	good := encMut(empty(1), 76)
	for _, c := range []struct {
		name string
		body []byte
		off  string
	}{
		{"short header", good[:40], "offset 76:"},
		{"trailing bytes", append(append([]byte(nil), good...), 1, 2, 3), "offset 175:"},
		{"negative update count", func() []byte { b := append([]byte(nil), good...); le.PutUint32(b[56:], 0xffffffff); return b }(), "offset 132:"},
		{"zero code_len", func() []byte { b := append([]byte(nil), good...); le.PutUint32(b[60:], 0); return b }(), "offset 136:"},
		{"code past body", func() []byte { b := append([]byte(nil), good...); le.PutUint32(b[60:], 200); return b }(), "offset 140:"},
		{"negative data_len", func() []byte { b := append([]byte(nil), good...); le.PutUint32(b[95:], 0xfffffffe); return b }(), "offset 171:"},
		{"data past body", func() []byte { b := append([]byte(nil), good...); le.PutUint32(b[95:], 1); return b }(), "offset 175:"},
		{"NUL in code", func() []byte { b := append([]byte(nil), good...); b[70] = 0; return b }(), "offset 146:"},
	} {
		fb := newFile(0, Entry{1, 4, 0, 0})
		fb.block(c.body)
		_, err := DecodeBytes("log.1.0", fb.buf)
		if err == nil || !strings.Contains(err.Error(), c.off) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestWriterRuleViolations(t *testing.T) {
	big := empty(1)
	big.updates = []Update{{Code: codePut, SerType: 1, Data: make([]byte, maxBlockBytes)}}
	justFits := empty(1)
	justFits.updates = []Update{{Code: codePut, SerType: 1, Data: make([]byte, maxBlockBytes-16-99-len(codePut)+len(codeEmpty))}}
	if n := 16 + len(encMut(justFits, 0)); n != maxBlockBytes {
		t.Fatalf("test setup: %d", n)
	}
	unknown := empty(2)
	unknown.updates = []Update{{Code: "RPC_RRDB_RRDB_GET", SerType: 1, Data: []byte{0}}}
	badEmpty := empty(2)
	badEmpty.updates = []Update{{Code: codeEmpty, SerType: 1}}
	badOff := empty(2)
	badOff.badLogOffset = true
	none := empty(2)
	none.updates = nil

	ok := func() *fileBuilder { return newFile(0, Entry{1, 4, 0, 0}) }
	for _, c := range []struct {
		name string
		data []byte
		want string // "" = must pass
	}{
		{"ok single big mutation", ok().muts(big).buf, ""},
		{"ok 1MiB then one more", ok().muts(justFits, empty(2)).buf, ""},
		{"split rule", ok().muts(justFits, empty(2), empty(3)).buf, "before its last mutation"},
		{"split rule big first", ok().muts(big, empty(2)).buf, "before its last mutation"},
		{"unknown code", ok().muts(empty(1), unknown).buf, "unknown task code"},
		{"empty write with type", ok().muts(badEmpty).buf, "empty write"},
		{"log offset", ok().muts(empty(1), badOff).buf, "log_offset"},
		{"no updates", ok().muts(none).buf, "no updates"},
		{"dup gpid", newFile(0, Entry{1, 4, 0, 0}, Entry{1, 4, 0, 0}).muts(empty(1)).buf, "duplicate gpid"},
		{"empty data block", func() []byte { fb := ok(); fb.block(nil); return fb.buf }(), "holds no mutation"},
		{"header version", func() []byte {
			fb := &fileBuilder{}
			fb.block(headerBody(2, 0, []Entry{{1, 4, 0, 0}}))
			return fb.muts(empty(1)).buf
		}(), "version 2"},
		{"mutation in block 0", func() []byte {
			fb := &fileBuilder{}
			fb.block(append(headerBody(1, 0, []Entry{{1, 4, 0, 0}}), encMut(empty(1), 60)...))
			return fb.muts(empty(2)).buf
		}(), "block 0 holds 1 mutation"},
		{"local offset", func() []byte {
			b := ok().muts(empty(1)).buf
			b[60+12]++
			return b
		}(), "local_offset"},
	} {
		f, err := DecodeBytes("log.1.0", c.data)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		err = CheckWriterRules(f)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "log.1.0: offset ") {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// ---- directories ----

func writeDir(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDecodeDir(t *testing.T) {
	log1 := readFixture(t, "handle_real_private_log")
	torn1 := log1[:700] // inside the block at 687: EndOffset 687
	second := func(start, maxDecree, vso int64) []byte {
		return newFile(start, Entry{1, 4, maxDecree, vso}).muts(empty(8)).muts(empty(9), empty(10)).buf
	}

	dir := writeDir(t, map[string][]byte{
		"log.1.0":         log1,
		"log.2.917":       second(917, 7, 0),
		"log.1.0.removed": {1, 2, 3},
		"notes.txt":       {},
		"log.3.1234":      {0xef, 0xbe}, // torn block 0: skipped, as Pegasus renames it
	})
	if err := os.Mkdir(filepath.Join(dir, "log.9.9"), 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := DecodeDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Files) != 2 || d.Files[0].Name != "log.1.0" || d.Files[1].Name != "log.2.917" ||
		len(d.Removed) != 1 || d.Removed[0] != "log.3.1234" {
		t.Fatalf("files %v removed %v", d.Files, d.Removed)
	}
	ms := d.Mutations()
	if len(ms) != 10 || ms[7].Decree != 8 || ms[7].LogOffset != 917+76 || ms[9].Decree != 10 {
		t.Fatalf("mutations %d", len(ms))
	}
	if err := CheckDirWriterRules(d); err != nil {
		t.Fatal(err)
	}

	// torn middle file: next file starts at the last valid block end
	d, err = DecodeDir(writeDir(t, map[string][]byte{"log.1.0": torn1, "log.2.687": second(687, 5, 0)}))
	if err != nil {
		t.Fatal(err)
	}
	if d.Files[0].Tail != TailTorn || d.Files[0].EndOffset != 687 || len(d.Mutations()) != 8 {
		t.Fatalf("torn: %+v", d.Files[0])
	}
	if err := CheckDirWriterRules(d); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name  string
		files map[string][]byte
		want  string
	}{
		{"start after physical end of torn file", map[string][]byte{"log.1.0": torn1, "log.2.700": second(700, 6, 0)}, "log.2.700: offset 0: start offset 700 != end offset 687"},
		{"index gap", map[string][]byte{"log.1.0": log1, "log.3.917": second(917, 7, 0)}, "consecutive"},
		{"same index", map[string][]byte{"log.1.0": log1, "log.1.917": second(917, 7, 0)}, "duplicate log index"},
		{"corrupt tail", map[string][]byte{"log.1.0": append(append([]byte(nil), log1...), make([]byte, 16)...)}, "log.1.0: offset 917: corrupt"},
		{"leading zero", map[string][]byte{"log.1.0": log1, "log.02.917": second(917, 7, 0)}, "leading zero"},
		{"log offset", map[string][]byte{"log.1.0": log1, "log.2.917": func() []byte {
			m := empty(8)
			m.badLogOffset = true
			return newFile(917, Entry{1, 4, 7, 0}).muts(m).buf
		}()}, "log.2.917: offset 108: mutation 1.4 ballot 3 decree 8: log_offset"},
	} {
		_, err := DecodeDir(writeDir(t, c.files))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.name, err)
		}
	}

	// header max_decree: under-reporting is fine, over-reporting is not
	for _, c := range []struct {
		maxDecree, vso int64
		want           string
	}{
		{0, 0, ""}, {3, 917, ""}, {8, 0, "max_decree 8"}, {7, 918, "valid_start_offset 918"},
	} {
		d, err := DecodeDir(writeDir(t, map[string][]byte{"log.1.0": log1, "log.2.917": second(917, c.maxDecree, c.vso)}))
		if err != nil {
			t.Fatal(err)
		}
		err = CheckDirWriterRules(d)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("max %d vso %d: %v", c.maxDecree, c.vso, err)
		}
	}
	// first file log.1.x has no predecessor; a later first file is not checked
	d, _ = DecodeDir(writeDir(t, map[string][]byte{"log.1.0": newFile(0, Entry{1, 4, 5, 0}).muts(empty(1)).buf}))
	if err := CheckDirWriterRules(d); err == nil {
		t.Errorf("log.1.0 with max_decree 5 accepted")
	}
	d, _ = DecodeDir(writeDir(t, map[string][]byte{"log.4.900": newFile(900, Entry{1, 4, 5, 0}).muts(empty(6)).buf}))
	if err := CheckDirWriterRules(d); err != nil {
		t.Errorf("GC'd dir: %v", err)
	}
}
