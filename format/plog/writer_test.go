package plog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/format/rrdb"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/refdecode"
	"github.com/waltool/waltool/verify"
	"github.com/waltool/waltool/vfs"
)

// put is a client PUT as a primary logs it: one update, thrift-binary.
func put(g gpid.Gpid, decree int64, value int) *format.Mutation {
	v := make([]byte, value)
	for i := range v {
		v[i] = byte('a' + (int(decree)+i)%26)
	}
	data := rrdb.EncodePut(rrdb.Put{HashKey: []byte(fmt.Sprintf("h%d", decree)), SortKey: []byte("s"), Value: v}, 0)
	return &format.Mutation{
		Gpid: g, Ballot: 3, Decree: decree, LastCommittedDecree: decree - 1, Timestamp: 1_700_000_000_000_000 + decree,
		Updates: []format.Update{{Code: "RPC_RRDB_RRDB_PUT", SerializationType: 1, Data: data}},
	}
}

// replicas lays out n replicas of app 1 over the data dirs, Pegasus-style:
// <data dir>/1.<pidx>.pegasus/plog.
func replicas(dataDirs []string, n int) []Replica {
	var rs []Replica
	for i := 0; i < n; i++ {
		g := gpid.Gpid{App: 1, Partition: int32(i)}
		dd := dataDirs[i%len(dataDirs)]
		rs = append(rs, Replica{Gpid: g, Dir: filepath.Join(dd, fmt.Sprintf("1.%d.pegasus", i), "plog")})
	}
	return rs
}

// checkPlog reads a plog dir back with every reader the project has: the
// project's codec (Chain), waltool verify, and the independent reference
// decoder with Pegasus's writer rules. It returns the decrees found, in
// file order.
func checkPlog(t *testing.T, r Replica) []int64 {
	t.Helper()
	d, err := refdecode.DecodeDir(r.Dir)
	if err != nil {
		t.Fatalf("%s: refdecode: %v", r.Dir, err)
	}
	if err := refdecode.CheckDirWriterRules(d); err != nil {
		t.Fatalf("%s: Pegasus writer rules: %v", r.Dir, err)
	}
	for _, f := range d.Files {
		if len(f.Entries) != 1 || f.Entries[0].App != r.Gpid.App || f.Entries[0].Partition != r.Gpid.Partition {
			t.Fatalf("%s: header entries %+v, want exactly the owner %s", f.Name, f.Entries, r.Gpid)
		}
		if f.Entries[0].ValidStartOffset != r.ValidStartOffset {
			t.Fatalf("%s: valid_start_offset %d, want %d", f.Name, f.Entries[0].ValidStartOffset, r.ValidStartOffset)
		}
	}
	g := r.Gpid
	reps, err := verify.LogDirs([]verify.DirSpec{{Path: r.Dir, Kind: verify.Plog, Owner: &g}}, verify.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !reps[0].OK {
		t.Fatalf("%s: waltool verify: %+v", r.Dir, reps[0].Findings)
	}
	var decrees []int64
	for _, m := range d.Mutations() {
		if m.App != g.App || m.Partition != g.Partition {
			t.Fatalf("%s: mutation of %d.%d", r.Dir, m.App, m.Partition)
		}
		decrees = append(decrees, m.Decree)
	}
	return decrees
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func sorted(xs []int64) []int64 {
	c := append([]int64(nil), xs...)
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	return c
}

func seq(from, to int64) []int64 {
	var out []int64
	for d := from; d <= to; d++ {
		out = append(out, d)
	}
	return out
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var policies = []struct {
	name     string
	sync     SyncPolicy
	flush    FlushMethod
	prealloc bool
}{
	{"none", SyncNone, FlushFdatasync, false},
	{"batch-fdatasync", SyncBatch, FlushFdatasync, false},
	{"batch-syncfs", SyncBatch, FlushSyncfs, false},
	{"batch-syncfs-preallocate", SyncBatch, FlushSyncfs, true},
	{"periodic-fdatasync", SyncPeriodic, FlushFdatasync, false},
}

// A fresh plog dir gets log.1.0 on the first batch, with a one-entry
// header {owner, max_decree 0, valid_start_offset}, and reads back with
// every reader, whatever the policy.
func TestFreshPlogsAreWhatPegasusWrites(t *testing.T) {
	for _, p := range policies {
		t.Run(p.name, func(t *testing.T) {
			rs := replicas([]string{t.TempDir(), t.TempDir()}, 4)
			w, err := Open(rs, Options{Sync: p.sync, Flush: p.flush, Preallocate: p.prealloc})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				if got := names(t, r.Dir); len(got) != 0 {
					t.Fatalf("open alone created %v; Pegasus creates nothing before the first batch", got)
				}
			}
			for d := int64(1); d <= 20; d++ {
				for _, r := range rs {
					if err := w.Append(r.Gpid, put(r.Gpid, d, 100)); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				if got := names(t, r.Dir); len(got) != 1 || got[0] != "log.1.0" {
					t.Fatalf("%s: files %v, want [log.1.0]", r.Dir, got)
				}
				if got := checkPlog(t, r); !equal(got, seq(1, 20)) {
					t.Fatalf("%s: decrees %v", r.Dir, got)
				}
			}
		})
	}
}

// Two data dirs on one filesystem are one disk (one flush group); Disk
// splits them on purpose.
func TestDisksAreFilesystems(t *testing.T) {
	rs := replicas([]string{t.TempDir(), t.TempDir()}, 4)
	w, err := Open(rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); len(st) != 1 || st[0].Streams != 4 {
		t.Fatalf("stats %+v, want one disk with 4 streams", st)
	}
	w.Close()
	for i := range rs {
		rs[i].Disk = fmt.Sprintf("d%d", i%2)
	}
	w, err = Open(rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if st := w.Stats(); len(st) != 2 || st[0].Streams != 2 || st[1].Streams != 2 {
		t.Fatalf("stats %+v, want two disks with 2 streams each", st)
	}
}

// Reopening continues as Pegasus does after a restart: the first batch
// starts log.<last+1>.<end of valid data>, whose header carries the max
// decree rebuilt by replay and the replica's valid start offset.
func TestReopenStartsANewFile(t *testing.T) {
	rs := replicas([]string{t.TempDir()}, 1)
	rs[0].ValidStartOffset = 0
	g := rs[0].Gpid
	w, err := Open(rs, Options{Sync: SyncBatch})
	if err != nil {
		t.Fatal(err)
	}
	for d := int64(1); d <= 5; d++ {
		if err := w.Append(g, put(g, d, 10)); err != nil {
			t.Fatal(err)
		}
	}
	st1, _ := w.Replica(g)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopen twice: an open with no append creates nothing.
	for range 2 {
		w, err = Open(rs, Options{Sync: SyncBatch})
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := w.Replica(g); st.MaxDecree != 5 || st.EndOffset != st1.EndOffset || st.LastIndex != 1 {
			t.Fatalf("reopened state %+v, want max decree 5, end %d, last index 1", st, st1.EndOffset)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	w, err = Open(rs, Options{Sync: SyncBatch})
	if err != nil {
		t.Fatal(err)
	}
	m := put(g, 6, 10)
	if err := w.Append(g, m); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"log.1.0", format.FileName(2, st1.EndOffset)}
	if got := names(t, rs[0].Dir); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("files %v, want %v", got, want)
	}
	// block 0 of file 2 (16 + 44 bytes), then the data block's header.
	if m.LogOffset != st1.EndOffset+60+16 {
		t.Fatalf("log_offset %d, want %d", m.LogOffset, st1.EndOffset+76)
	}
	d, err := refdecode.DecodeDir(rs[0].Dir)
	if err != nil {
		t.Fatal(err)
	}
	if e := d.Files[1].Entries[0]; e.MaxDecree != 5 {
		t.Fatalf("header of file 2: %+v, want max_decree 5", e)
	}
	if got := checkPlog(t, rs[0]); !equal(got, seq(1, 6)) {
		t.Fatalf("decrees %v", got)
	}
}

// Files rotate at MaxFileSize (log_private_file_size_mb); the size check
// comes before the batch, so files overshoot by at most one batch, and
// every header carries the max decree of the files before it.
func TestRotation(t *testing.T) {
	for _, p := range policies {
		t.Run(p.name, func(t *testing.T) {
			rs := replicas([]string{t.TempDir()}, 2)
			w, err := Open(rs, Options{Sync: p.sync, Flush: p.flush, Preallocate: p.prealloc, MaxFileSize: 4096})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for _, r := range rs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for d := int64(1); d <= 100; d++ {
						if err := w.Append(r.Gpid, put(r.Gpid, d, 200)); err != nil {
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
			for _, r := range rs {
				if n := len(names(t, r.Dir)); n < 5 {
					t.Fatalf("%s: %d files; 100 mutations of ~300 bytes should rotate at 4 KiB", r.Dir, n)
				}
				if got := checkPlog(t, r); !equal(got, seq(1, 100)) {
					t.Fatalf("%s: decrees %v", r.Dir, got)
				}
				d, _ := refdecode.DecodeDir(r.Dir)
				for i, f := range d.Files[1:] {
					if want := d.Files[i].Mutations[len(d.Files[i].Mutations)-1].Decree; f.Entries[0].MaxDecree != want {
						t.Fatalf("%s: header max_decree %d, want %d (last decree of the previous file)", f.Name, f.Entries[0].MaxDecree, want)
					}
				}
			}
		})
	}
}

// Many clients appending to the same replicas: every mutation lands
// exactly once, in a readable plog, and concurrent appends to one replica
// share writes. Run with -race.
func TestConcurrentAppends(t *testing.T) {
	for _, p := range policies {
		t.Run(p.name, func(t *testing.T) {
			rs := replicas([]string{t.TempDir()}, 3)
			w, err := Open(rs, Options{Sync: p.sync, Flush: p.flush, Preallocate: p.prealloc, MaxFileSize: 64 << 10, DiskParallelism: 2})
			if err != nil {
				t.Fatal(err)
			}
			const clients, each = 8, 60
			var mu sync.Mutex
			next := map[gpid.Gpid]int64{}
			var wg sync.WaitGroup
			for c := 0; c < clients; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each; i++ {
						r := rs[(c+i)%len(rs)]
						// Decrees need not be in order in a plog; each is
						// written once.
						mu.Lock()
						next[r.Gpid]++
						d := next[r.Gpid]
						mu.Unlock()
						if err := w.Append(r.Gpid, put(r.Gpid, d, 50), put(r.Gpid, -d, 50)); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			stats := w.Stats()
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			total := 0
			for _, r := range rs {
				got := checkPlog(t, r)
				total += len(got)
				var want []int64
				for d := int64(1); d <= next[r.Gpid]; d++ {
					want = append(want, -d, d)
				}
				if !equal(sorted(got), sorted(want)) {
					t.Fatalf("%s: %d decrees, want %d", r.Dir, len(got), len(want))
				}
			}
			if total != 2*clients*each || stats[0].Mutations != int64(total) {
				t.Fatalf("%d mutations on disk, stats %+v, want %d", total, stats, 2*clients*each)
			}
			if stats[0].Writes > int64(clients*each) {
				t.Fatalf("stats %+v: more writes than Appends", stats)
			}
		})
	}
}

// Under SyncBatch the disk's rounds do the writes: concurrent Appends to
// many replicas are written and flushed together, each Append returns only
// after the round that wrote it has flushed, and the stats account for
// every request and each phase of the rounds.
func TestBatchRoundsCoverManyAppends(t *testing.T) {
	for _, flush := range []FlushMethod{FlushFdatasync, FlushSyncfs} {
		t.Run(flush.String(), func(t *testing.T) {
			fsys := vfs.NewFaulty(vfs.OS)
			rs := replicas([]string{t.TempDir()}, 8)
			w, err := Open(rs, Options{FS: fsys, Sync: SyncBatch, Flush: flush})
			if err != nil {
				t.Fatal(err)
			}
			const clients, each = 16, 40
			var wg sync.WaitGroup
			var decree atomic.Int64
			for c := 0; c < clients; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each; i++ {
						r := rs[(c+i)%len(rs)]
						before := fsys.Count(vfs.OpSync) + fsys.Count(vfs.OpSyncFS)
						if err := w.Append(r.Gpid, put(r.Gpid, decree.Add(1), 20)); err != nil {
							t.Error(err)
							return
						}
						// The round that released it flushed after it began.
						if after := fsys.Count(vfs.OpSync) + fsys.Count(vfs.OpSyncFS); after == before {
							t.Errorf("append returned without a flush")
							return
						}
					}
				}()
			}
			wg.Wait()
			st := w.Stats()[0]
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if st.Requests != clients*each || st.Mutations != clients*each {
				t.Fatalf("stats %+v, want %d requests and mutations", st, clients*each)
			}
			if st.Rounds >= st.Requests || st.Writes >= st.Requests {
				t.Fatalf("stats %+v: no group commit", st)
			}
			if st.WriteTime <= 0 || st.FlushTime <= 0 {
				t.Fatalf("stats %+v: phase times missing", st)
			}
			total := 0
			for _, r := range rs {
				total += len(checkPlog(t, r))
			}
			if total != clients*each {
				t.Fatalf("%d mutations on disk, want %d", total, clients*each)
			}
		})
	}
}

// Preallocate reserves each new file's blocks without changing its size
// (so what Pegasus reads is the same), and gives back the unused part when
// the writer closes.
func TestPreallocateKeepsSizeAndGivesSpaceBack(t *testing.T) {
	rs := replicas([]string{t.TempDir()}, 1)
	r := rs[0]
	const max = 4 << 20
	w, err := Open(rs, Options{Sync: SyncBatch, Flush: FlushSyncfs, Preallocate: true, MaxFileSize: max})
	if err != nil {
		t.Fatal(err)
	}
	for d := int64(1); d <= 10; d++ {
		if err := w.Append(r.Gpid, put(r.Gpid, d, 100)); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := w.Replica(r.Gpid)
	path := filepath.Join(r.Dir, "log.1.0")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != st.EndOffset {
		t.Fatalf("size %d while open, want the data's %d", fi.Size(), st.EndOffset)
	}
	reserved := fi.Sys().(*syscall.Stat_t).Blocks * 512
	if reserved < max {
		t.Skipf("%d bytes allocated: this filesystem does not preallocate", reserved)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err = os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != st.EndOffset {
		t.Fatalf("size %d after close, want %d", fi.Size(), st.EndOffset)
	}
	if left := fi.Sys().(*syscall.Stat_t).Blocks * 512; left >= max {
		t.Fatalf("%d bytes still allocated after close", left)
	}
	if got := checkPlog(t, r); !equal(got, seq(1, 10)) {
		t.Fatalf("decrees %v", got)
	}
}

func TestAppendRejects(t *testing.T) {
	rs := replicas([]string{t.TempDir()}, 1)
	w, err := Open(rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	g, other := rs[0].Gpid, gpid.Gpid{App: 9, Partition: 9}
	if err := w.Append(g, put(other, 1, 1)); !errors.Is(err, ErrWrongGpid) {
		t.Fatalf("foreign mutation: %v, want ErrWrongGpid (a plog header has one entry)", err)
	}
	if err := w.Append(other, put(other, 1, 1)); !errors.Is(err, ErrUnknownReplica) {
		t.Fatalf("unknown replica: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Append(g, put(g, 1, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
	if got := names(t, rs[0].Dir); len(got) != 0 {
		t.Fatalf("rejected appends created %v", got)
	}
}

// Opening a plog left by a crash: a file whose block 0 is incomplete is
// renamed .removed (log_file::open_read), a torn tail of the last file is
// left in place and the next file starts at the last valid block's end.
func TestOpenAfterCrashArtifacts(t *testing.T) {
	rs := replicas([]string{t.TempDir()}, 1)
	r, g := rs[0], rs[0].Gpid
	w, err := Open(rs, Options{Sync: SyncBatch})
	if err != nil {
		t.Fatal(err)
	}
	for d := int64(1); d <= 3; d++ {
		if err := w.Append(g, put(g, d, 10)); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := w.Replica(g)
	w.Close()
	// Tear the last block of log.1.0, and leave a log.2.<end> whose block 0
	// is cut short, as a crash during file creation would.
	f1 := filepath.Join(r.Dir, "log.1.0")
	if err := os.Truncate(f1, st.EndOffset-5); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.Dir, format.FileName(2, st.EndOffset)), []byte{0xef, 0xbe}, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err = Open(rs, Options{Sync: SyncBatch})
	if err != nil {
		t.Fatal(err)
	}
	st2, _ := w.Replica(g)
	if st2.MaxDecree != 2 || st2.LastIndex != 1 {
		t.Fatalf("state %+v: want max decree 2 (decree 3 was torn), last index 1", st2)
	}
	if err := w.Append(g, put(g, 3, 10)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	got := names(t, r.Dir)
	want := []string{"log.1.0", format.FileName(2, st2.EndOffset), format.FileName(2, st.EndOffset) + ".removed"}
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("files %v, want %v", got, want)
	}
	if got := checkPlog(t, r); !equal(got, seq(1, 3)) {
		t.Fatalf("decrees %v", got)
	}
}

// A log Pegasus would refuse (bad CRC in the middle) is not appended to.
func TestOpenRefusesCorruptLog(t *testing.T) {
	rs := replicas([]string{t.TempDir()}, 1)
	g := rs[0].Gpid
	w, _ := Open(rs, Options{})
	for d := int64(1); d <= 3; d++ {
		w.Append(g, put(g, d, 10))
	}
	w.Close()
	f1 := filepath.Join(rs[0].Dir, "log.1.0")
	b, _ := os.ReadFile(f1)
	b[100] ^= 1
	os.WriteFile(f1, b, 0o644)
	if _, err := Open(rs, Options{}); err == nil || !errors.Is(err, format.ErrCorruption) {
		t.Fatalf("open of a corrupt plog: %v, want a corruption error", err)
	}
}

// The replay start filter and the valid start offset decide which
// mutations rebuild the max decree (section 12.1).
func TestReadStateFollowsReplayRules(t *testing.T) {
	rs := replicas([]string{t.TempDir()}, 1)
	r, g := rs[0], rs[0].Gpid
	// Three files: decrees 1-3, 4-6, 7-9.
	for f := 0; f < 3; f++ {
		w, err := Open(rs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for d := int64(3*f + 1); d <= int64(3*f+3); d++ {
			w.Append(g, put(g, d, 10))
		}
		w.Close()
	}
	st, err := ReadState(vfs.OS, r.Dir, g, 0, 0)
	if err != nil || st.LastIndex != 3 || st.MaxDecree != 9 || st.Files != 3 {
		t.Fatalf("%+v %v", st, err)
	}
	// Everything before the valid start offset is ignored: a reset at the
	// start of file 3 leaves nothing replayed before it.
	d, _ := format.OpenDir(vfs.OS, r.Dir)
	st, err = ReadState(vfs.OS, r.Dir, g, d.Files[2].StartOffset+1000, 0)
	if err != nil || st.MaxDecree != 0 {
		t.Fatalf("%+v %v: want max decree 0 with every mutation before the valid start offset", st, err)
	}
}
