package slog

import (
	"bytes"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/refdecode"
	"github.com/waltool/waltool/vfs"
)

func put(g gpid.Gpid, decree int64, value int) *format.Mutation {
	return &format.Mutation{
		Gpid: g, Ballot: 1, Decree: decree, LastCommittedDecree: decree - 1, Timestamp: 1700000000000000 + decree,
		Updates: []format.Update{{Code: "RPC_RRDB_RRDB_PUT", SerializationType: 1, Data: bytes.Repeat([]byte{byte(decree)}, value)}},
	}
}

func entries(f *refdecode.File) map[gpid.Gpid][2]int64 {
	out := map[gpid.Gpid][2]int64{}
	for _, e := range f.Entries {
		out[gpid.Gpid{App: e.App, Partition: e.Partition}] = [2]int64{e.MaxDecree, e.ValidStartOffset}
	}
	return out
}

// mutation_log_shared: every new file's header lists every registered
// replica, sorted by gpid, with the max decree issued before the file
// (raised when a batch is issued); a replica first seen in a mutation is
// registered; on_partition_reset moves a replica's valid start offset to
// the log's end and sets its max decree.
func TestSharedHeaders(t *testing.T) {
	dir := t.TempDir()
	g1, g2, g3 := gpid.Gpid{App: 1, Partition: 0}, gpid.Gpid{App: 1, Partition: 1}, gpid.Gpid{App: 2, Partition: 0}
	w := NewWriter(dir, 0, 0, []format.ReplicaLogInfo{{Gpid: g2}}, format.WriterOptions{MaxFileSize: 2000})
	w.Register(format.ReplicaLogInfo{Gpid: g1})
	var d1, d2 int64
	for i := 0; i < 12; i++ {
		d1++
		d2++
		if err := w.Append(put(g1, d1, 200), put(g2, d2, 200)); err != nil {
			t.Fatal(err)
		}
	}
	if w.MaxDecree(g1) != 12 || w.MaxDecree(g2) != 12 || w.MaxDecree(g3) != 0 {
		t.Fatalf("max decrees %d %d %d", w.MaxDecree(g1), w.MaxDecree(g2), w.MaxDecree(g3))
	}
	if err := w.Append(put(g3, 1, 10)); err != nil { // registers g3
		t.Fatal(err)
	}
	vso := w.ResetReplica(g1, 0)
	if vso != w.EndOffset() {
		t.Fatalf("reset at %d, end %d", vso, w.EndOffset())
	}
	w.SwitchFile()
	if err := w.Append(put(g2, 13, 10)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ld, err := refdecode.DecodeDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := refdecode.CheckDirWriterRules(ld); err != nil {
		t.Fatal(err)
	}
	n := len(ld.Files)
	if n < 3 {
		t.Fatalf("%d files", n)
	}
	if got := entries(ld.Files[0]); !cmp.Equal(got, map[gpid.Gpid][2]int64{g1: {0, 0}, g2: {0, 0}}) {
		t.Errorf("first header %v", got)
	}
	for _, f := range ld.Files {
		for i := 1; i < len(f.Entries); i++ {
			a, b := f.Entries[i-1], f.Entries[i]
			if !(gpid.Gpid{App: a.App, Partition: a.Partition}).Less(gpid.Gpid{App: b.App, Partition: b.Partition}) {
				t.Errorf("%s: entries not sorted by gpid: %+v", f.Name, f.Entries)
			}
		}
	}
	// Each header covers every mutation of the files before it.
	maxd := map[gpid.Gpid]int64{g1: 0, g2: 0}
	for i, f := range ld.Files[:n-1] {
		for _, m := range f.Mutations {
			g := gpid.Gpid{App: m.App, Partition: m.Partition}
			maxd[g] = max(maxd[g], m.Decree)
		}
		got := entries(ld.Files[i+1])
		for g, d := range maxd {
			if i+1 == n-1 && g == g1 {
				d = 0 // reset
			}
			if got[g][0] != d {
				t.Errorf("%s: %s max decree %d, want %d", ld.Files[i+1].Name, g, got[g][0], d)
			}
		}
	}
	if got := entries(ld.Files[n-1]); got[g1] != [2]int64{0, vso} || got[g3] != [2]int64{1, 0} {
		t.Errorf("last header %v: want 1.0 reset at %d and 2.0 registered", got, vso)
	}
}

// Concurrent Appends are group-committed: every mutation is written once,
// in fewer writes than Appends when they overlap, and the log passes the
// independent decoder's writer rules.
func TestGroupCommit(t *testing.T) {
	dir := t.TempDir()
	const clients, per = 8, 200
	w := NewWriter(dir, 0, 0, nil, format.WriterOptions{MaxFileSize: 64 << 10, Sync: true})
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := gpid.Gpid{App: 1, Partition: int32(c)}
			for d := int64(1); d <= per; d++ {
				if err := w.Append(put(g, d, 100)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := w.Writes(); n < 1 || n > clients*per {
		t.Fatalf("%d writes for %d appends", n, clients*per)
	}
	ld, err := refdecode.DecodeDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := refdecode.CheckDirWriterRules(ld); err != nil {
		t.Fatal(err)
	}
	last := map[int32]int64{}
	for _, m := range ld.Mutations() {
		if m.Decree != last[m.Partition]+1 {
			t.Fatalf("replica %d: decree %d after %d", m.Partition, m.Decree, last[m.Partition])
		}
		last[m.Partition] = m.Decree
	}
	for c := range int32(clients) {
		if last[c] != per {
			t.Fatalf("replica %d: %d mutations, want %d", c, last[c], per)
		}
	}
}

// StartFile writes a file that holds the header alone (what a downgrade
// leaves for Pegasus 2.3 to open), through the FS given, and the name is
// made durable.
func TestHeaderOnlyFile(t *testing.T) {
	dir := t.TempDir()
	fsys := vfs.NewFaulty(vfs.OS)
	g := gpid.Gpid{App: 3, Partition: 2}
	w := NewWriter(dir, 4, 5000, []format.ReplicaLogInfo{{Gpid: g, MaxDecree: 9, ValidStartOffset: 100}}, format.WriterOptions{FS: fsys})
	if err := w.StartFile(); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	name := format.FileName(5, 5000)
	f, err := refdecode.DecodeFile(dir + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Mutations) != 0 || len(f.Blocks) != 1 || f.Tail != refdecode.TailClean || !cmp.Equal(entries(f), map[gpid.Gpid][2]int64{g: {9, 100}}) {
		t.Fatalf("%+v", f)
	}
	if size, named := fsys.Synced(dir + "/" + name); !named || size != f.Size {
		t.Fatalf("synced %d of %d bytes, name durable %v", size, f.Size, named)
	}
	if w.LastIndex() != 5 || w.EndOffset() != f.EndOffset {
		t.Fatalf("writer at %d/%d, file ends at %d", w.LastIndex(), w.EndOffset(), f.EndOffset)
	}
}
