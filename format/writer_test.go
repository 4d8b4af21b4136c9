package format

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/vfs"
)

func putMutation(g gpid.Gpid, ballot, decree int64, value int) *Mutation {
	return &Mutation{
		Gpid: g, Ballot: ballot, Decree: decree, LastCommittedDecree: decree - 1, Timestamp: 1700000000000000 + decree,
		Updates: []Update{{Code: "RPC_RRDB_RRDB_PUT", SerializationType: 1, Data: bytes.Repeat([]byte{byte(decree)}, value)}},
	}
}

// log_block_test.cpp: 1024 mutations of about 1 KiB in one batch make
// exactly two blocks, and each log_offset is block start + 16 + the bytes
// of the mutations before it in the block.
func TestBatchSplitsBlocksAtOneMiB(t *testing.T) {
	var ms []*Mutation
	for d := int64(1); d <= 1024; d++ {
		ms = append(ms, putMutation(gpid.Gpid{App: 1, Partition: 0}, 1, d, 1024))
	}
	enc, data := NewEncoder(nil, &FileHeader{Entries: []ReplicaLogInfo{{Gpid: gpid.Gpid{App: 1, Partition: 0}}}})
	data, st := enc.Batch(data, ms)
	enc.Commit(st)
	if st.Size != int64(len(data)) {
		t.Fatalf("state size %d, bytes %d", st.Size, len(data))
	}
	var blocks []*Block
	r := NewReader(bytes.NewReader(data), "x", int64(len(data)))
	for b, err := r.Next(); err == nil; b, err = r.Next() {
		c := *b
		blocks = append(blocks, &c)
	}
	if r.Err() != nil || len(blocks) != 3 {
		t.Fatalf("%d blocks (want header + 2), err %v", len(blocks), r.Err())
	}
	first := blocks[1]
	// The first block grew past 1 MiB by exactly one mutation.
	size := int64(BlockHeaderSize) + int64(first.Header.Length)
	if size <= MaxBlockBytes || size-int64(ms[0].Size()) > MaxBlockBytes {
		t.Errorf("first data block is %d bytes", size)
	}
	off := first.Offset + BlockHeaderSize
	for _, m := range ms {
		if m.LogOffset != off {
			t.Fatalf("decree %d: log_offset %d, want %d", m.Decree, m.LogOffset, off)
		}
		off += int64(m.Size())
		if off == blocks[1].End() {
			off += BlockHeaderSize
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := &FileHeader{StartOffset: 12345, Entries: []ReplicaLogInfo{{gpid.Gpid{App: 2, Partition: 7}, 9, 100}, {gpid.Gpid{App: 1, Partition: 3}, 0, 0}}}
	enc, data := NewEncoder(nil, h)
	var want []*Mutation
	for batch := 0; batch < 50; batch++ {
		var ms []*Mutation
		for i := rng.IntN(20) + 1; i > 0; i-- {
			m := putMutation(gpid.Gpid{App: int32(rng.IntN(3)), Partition: int32(rng.IntN(8))}, rng.Int64N(9), rng.Int64N(1e6), rng.IntN(5000))
			m.Updates = append(m.Updates, Update{Code: "RPC_RRDB_RRDB_REMOVE", SerializationType: 1, Data: []byte("k")})
			ms = append(ms, m)
		}
		var st EncoderState
		data, st = enc.Batch(data, ms)
		enc.Commit(st)
		want = append(want, ms...)
	}
	var got []*Mutation
	s, err := Scan(bytes.NewReader(data), LogFile{Path: "x", Index: 3, StartOffset: 12345, Size: int64(len(data))}, func(m *Mutation, p Pos) error {
		got = append(got, m.Clone())
		return nil
	})
	if err != nil || s.Err != nil {
		t.Fatal(err, s.Err)
	}
	if !reflect.DeepEqual(want, got) { // cmp.Diff only on failure: it is slow on megabytes
		t.Fatalf("(-want +got)\n%s", cmp.Diff(want, got))
	}
	if d := cmp.Diff(h.Entries, s.Header.Entries); d != "" {
		t.Fatal(d)
	}
	if enc.EndOffset() != 12345+int64(len(data)) {
		t.Fatal(enc.EndOffset())
	}
}

// mutation_log::create_new_log_file: the first batch after open creates
// log.<last+1>.<end>, whose header holds the max decree issued so far; a
// file at or over the size limit is closed before the next batch.
func TestLogWriterFilesAndHeaders(t *testing.T) {
	dir := t.TempDir()
	g := gpid.Gpid{App: 3, Partition: 1}
	w := NewLogWriter(dir, 4, 5000, []ReplicaLogInfo{{Gpid: g, MaxDecree: 10, ValidStartOffset: 700}}, WriterOptions{MaxFileSize: 4096})
	for d := int64(11); d <= 40; d++ {
		if err := w.Append(putMutation(g, 2, d, 300)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ld, err := OpenDir(vfs.OS, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ld.Files) < 3 || ld.Files[0].Name() != "log.5.5000" {
		t.Fatalf("files %+v", ld.Files)
	}
	var scans []*FileScan
	prevMax := int64(10)
	for _, f := range ld.Files {
		var maxD int64
		s, err := ScanFile(vfs.OS, f, func(m *Mutation, p Pos) error { maxD = max(maxD, m.Decree); return nil })
		if err != nil || s.Err != nil {
			t.Fatal(err, s.Err)
		}
		if got := s.Header.Entries; len(got) != 1 || got[0] != (ReplicaLogInfo{g, prevMax, 700}) {
			t.Errorf("%s header %+v, want max decree %d", f.Name(), got, prevMax)
		}
		if f.Size-int64(s.Blocks-2)*(BlockHeaderSize+int64(putMutation(g, 2, 1, 300).Size())) > 4096+60 {
			t.Errorf("%s overshoots by more than one batch: %d bytes", f.Name(), f.Size)
		}
		prevMax = maxD
		scans = append(scans, s)
	}
	// Each file starts where the one before ends (mutation_log::replay's
	// chain rule, checked in full by logrules), and the last ends where
	// the writer says.
	for i := 1; i < len(scans); i++ {
		if got, want := scans[i].File.StartOffset, scans[i-1].EndOffset(); got != want {
			t.Fatalf("%s starts at %d, previous file ends at %d", scans[i].File.Name(), got, want)
		}
	}
	if end := scans[len(scans)-1].EndOffset(); end != w.EndOffset() {
		t.Fatalf("end %d vs writer %d", end, w.EndOffset())
	}
	// log_file::create_write refuses an existing name.
	w2 := NewLogWriter(dir, 4, 5000, nil, WriterOptions{})
	if err := w2.Append(putMutation(g, 2, 1, 1)); err == nil || !os.IsExist(errorsUnwrapAll(err)) {
		t.Fatalf("overwrote an existing file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "log.5.5000")); err != nil {
		t.Fatal(err)
	}
}

func errorsUnwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

// The writer creates its files through the FS of its options and makes
// each name durable with a directory fsync, unless the caller defers it;
// a fixed set of header entries (a plog's owner) is raised in place and
// lists no other gpid.
func TestLogWriterFSAndFixedEntries(t *testing.T) {
	for _, deferSync := range []bool{false, true} {
		dir := t.TempDir()
		fsys := vfs.NewFaulty(vfs.OS)
		g, other := gpid.Gpid{App: 2, Partition: 3}, gpid.Gpid{App: 9, Partition: 9}
		hdr := Entries{{Gpid: g, ValidStartOffset: 0}}
		w := NewLogWriterWith(dir, 0, 0, hdr, WriterOptions{FS: fsys, DeferDirSync: deferSync})
		if err := w.Append(putMutation(g, 1, 5, 10), putMutation(other, 1, 50, 10)); err != nil {
			t.Fatal(err)
		}
		if hdr[0].MaxDecree != 5 {
			t.Fatalf("owner's max decree %d, want 5", hdr[0].MaxDecree)
		}
		w.SwitchFile()
		if err := w.Append(putMutation(g, 1, 6, 10)); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if fsys.Count(vfs.OpCreate) != 2 {
			t.Fatalf("%d creates through the FS", fsys.Count(vfs.OpCreate))
		}
		if _, named := fsys.Synced(filepath.Join(dir, "log.1.0")); named == deferSync {
			t.Fatalf("DeferDirSync %v: name durable %v", deferSync, named)
		}
		ld, err := OpenDir(vfs.OS, dir)
		if err != nil || len(ld.Files) != 2 {
			t.Fatal(ld, err)
		}
		s, err := ScanFile(vfs.OS, ld.Files[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Header.Entries; len(got) != 1 || got[0] != (ReplicaLogInfo{g, 5, 0}) {
			t.Fatalf("header %+v: want the owner alone, max decree 5", got)
		}
	}
}
