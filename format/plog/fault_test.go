package plog

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/vfs"
)

// A write that fails half-way fails every Append of its batch, leaves no
// half-written mutation in the file, and poisons that replica's stream
// only; the plog reopens at the last good block.
func TestShortWritePoisonsOnlyItsStream(t *testing.T) {
	for _, p := range policies {
		t.Run(p.name, func(t *testing.T) {
			fsys := vfs.NewFaulty(vfs.OS)
			rs := replicas([]string{t.TempDir()}, 2)
			a, b := rs[0], rs[1]
			w, err := Open(rs, Options{FS: fsys, Sync: p.sync, Flush: p.flush, Preallocate: p.prealloc})
			if err != nil {
				t.Fatal(err)
			}
			for d := int64(1); d <= 3; d++ {
				if err := w.Append(a.Gpid, put(a.Gpid, d, 100)); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := w.Replica(a.Gpid)
			fsys.Inject(vfs.Fault{Op: vfs.OpWrite, Path: "/1.0.pegasus/", Short: 70, Err: syscall.ENOSPC})
			err = w.Append(a.Gpid, put(a.Gpid, 4, 100), put(a.Gpid, 5, 100))
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("append during a failing write: %v, want ENOSPC", err)
			}
			if err := w.Append(a.Gpid, put(a.Gpid, 6, 100)); !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("append after the failure: %v, want the stream's sticky error", err)
			}
			if st, _ := w.Replica(a.Gpid); st.Err == nil {
				t.Fatal("stream not poisoned")
			}
			for d := int64(1); d <= 3; d++ {
				if err := w.Append(b.Gpid, put(b.Gpid, d, 100)); err != nil {
					t.Fatalf("other replica: %v", err)
				}
			}
			if err := w.Close(); err != nil && p.sync == SyncBatch {
				t.Logf("close: %v", err)
			}
			// The torn 70 bytes were cut back: the file ends where the last
			// acknowledged batch ended.
			fi, err := os.Stat(filepath.Join(a.Dir, "log.1.0"))
			if err != nil || fi.Size() != before.EndOffset {
				t.Fatalf("log.1.0 is %d bytes, want %d (%v)", fi.Size(), before.EndOffset, err)
			}
			if got := checkPlog(t, a); !equal(got, seq(1, 3)) {
				t.Fatalf("decrees %v", got)
			}
			if got := checkPlog(t, b); !equal(got, seq(1, 3)) {
				t.Fatalf("decrees %v", got)
			}
			w, err = Open(rs, Options{FS: fsys, Sync: p.sync, Flush: p.flush, Preallocate: p.prealloc})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Append(a.Gpid, put(a.Gpid, 4, 100)); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := checkPlog(t, a); !equal(got, seq(1, 4)) {
				t.Fatalf("after reopen: decrees %v", got)
			}
		})
	}
}

// A failed fdatasync fails the batches it covered and poisons their
// streams for good (no retry: a second fdatasync could succeed without the
// lost pages); streams whose files flushed fine carry on.
func TestFailedFdatasyncPoisonsTheStreamsItCovered(t *testing.T) {
	fsys := vfs.NewFaulty(vfs.OS)
	rs := replicas([]string{t.TempDir()}, 2)
	a, b := rs[0], rs[1]
	w, err := Open(rs, Options{FS: fsys, Sync: SyncBatch, Flush: FlushFdatasync})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(a.Gpid, put(a.Gpid, 1, 10)); err != nil {
		t.Fatal(err)
	}
	fsys.Inject(vfs.Fault{Op: vfs.OpSync, Path: "/1.0.pegasus/", Err: syscall.EIO})
	if err := w.Append(a.Gpid, put(a.Gpid, 2, 10)); !errors.Is(err, syscall.EIO) {
		t.Fatalf("append whose flush failed: %v, want EIO", err)
	}
	if err := w.Append(a.Gpid, put(a.Gpid, 3, 10)); !errors.Is(err, syscall.EIO) {
		t.Fatalf("later append: %v, want the sticky EIO", err)
	}
	if err := w.Append(b.Gpid, put(b.Gpid, 1, 10)); err != nil {
		t.Fatalf("replica whose flush succeeded: %v", err)
	}
	w.Close()
}

// With FlushSyncfs one failed syncfs poisons every stream of the round:
// the error cannot be attributed to a file.
func TestFailedSyncfsPoisonsTheRound(t *testing.T) {
	fsys := vfs.NewFaulty(vfs.OS)
	rs := replicas([]string{t.TempDir()}, 3)
	w, err := Open(rs, Options{FS: fsys, Sync: SyncBatch, Flush: FlushSyncfs})
	if err != nil {
		t.Fatal(err)
	}
	fsys.Inject(vfs.Fault{Op: vfs.OpSyncFS, Err: syscall.EIO})
	var wg sync.WaitGroup
	errs := make([]error, len(rs))
	for i, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.Append(r.Gpid, put(r.Gpid, 1, 10))
		}()
	}
	wg.Wait()
	failed := 0
	for i, r := range rs {
		st, _ := w.Replica(r.Gpid)
		if errs[i] != nil {
			failed++
			if !errors.Is(errs[i], syscall.EIO) || st.Err == nil {
				t.Fatalf("%s: append %v, stream error %v", r.Gpid, errs[i], st.Err)
			}
		} else if st.Err != nil {
			t.Fatalf("%s: acknowledged, yet poisoned: %v", r.Gpid, st.Err)
		}
	}
	if failed == 0 {
		t.Fatal("no append saw the failed syncfs")
	}
	w.Close()
}

// Periodic flushes acknowledge after the write; a failed periodic flush
// poisons the stream, so the next Append reports it.
func TestFailedPeriodicFlushIsReportedByTheNextAppend(t *testing.T) {
	fsys := vfs.NewFaulty(vfs.OS)
	rs := replicas([]string{t.TempDir()}, 1)
	g := rs[0].Gpid
	w, err := Open(rs, Options{FS: fsys, Sync: SyncPeriodic, Flush: FlushFdatasync})
	if err != nil {
		t.Fatal(err)
	}
	fsys.Inject(vfs.Fault{Op: vfs.OpSync, Err: syscall.EIO})
	if err := w.Append(g, put(g, 1, 10)); err != nil {
		t.Fatalf("periodic append returns after the write: %v", err)
	}
	if err := w.Sync(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("sync: %v, want EIO", err)
	}
	if err := w.Append(g, put(g, 2, 10)); !errors.Is(err, syscall.EIO) {
		t.Fatalf("append after a failed flush: %v, want EIO", err)
	}
	w.Close()
}

// A power loss after acknowledged SyncBatch appends loses none of them:
// Faulty.Crash drops every byte not covered by a successful sync and every
// file whose name was never synced, and the plog still opens with all
// acknowledged mutations, a torn tail at worst. The appends rotate files,
// so the directory syncs of new files are exercised too.
func TestPowerLossKeepsAcknowledgedBatches(t *testing.T) {
	for _, c := range []struct {
		flush    FlushMethod
		prealloc bool
	}{{FlushFdatasync, false}, {FlushSyncfs, false}, {FlushSyncfs, true}} {
		flush := c.flush
		name := flush.String()
		if c.prealloc {
			name += "-preallocate"
		}
		t.Run(name, func(t *testing.T) {
			fsys := vfs.NewFaulty(vfs.OS)
			rs := replicas([]string{t.TempDir()}, 3)
			w, err := Open(rs, Options{FS: fsys, Sync: SyncBatch, Flush: flush, MaxFileSize: 8 << 10, Preallocate: c.prealloc})
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			acked := map[gpid.Gpid][]int64{}
			var wg sync.WaitGroup
			for c := 0; c < 6; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := rs[c%len(rs)]
					for i := int64(0); ; i++ {
						d := int64(c)*1_000_000 + i
						if err := w.Append(r.Gpid, put(r.Gpid, d, 300)); err != nil {
							return // crashed
						}
						mu.Lock()
						acked[r.Gpid] = append(acked[r.Gpid], d)
						n := len(acked[r.Gpid])
						mu.Unlock()
						if n >= 150 && c == 0 {
							if err := fsys.Crash(); err != nil {
								t.Error(err)
							}
							return
						}
					}
				}()
			}
			wg.Wait()
			w.Close() // fails: the filesystem is gone
			for _, r := range rs {
				got := map[int64]bool{}
				for _, d := range checkPlog(t, r) {
					got[d] = true
				}
				for _, d := range acked[r.Gpid] {
					if !got[d] {
						t.Fatalf("%s: acknowledged decree %d lost", r.Gpid, d)
					}
				}
				if len(names(t, r.Dir)) < 2 {
					t.Fatalf("%s: no rotation happened", r.Dir)
				}
			}
			// And the writer continues each plog after the crash.
			w, err = Open(rs, Options{Sync: SyncBatch, Flush: flush})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				if err := w.Append(r.Gpid, put(r.Gpid, 9_999_999, 10)); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				checkPlog(t, r)
			}
		})
	}
}

// A writer that creates the dirs of its plogs (a replica dir and its plog
// dir, as mutation_log::open creates a missing plog dir) makes each new
// name durable before it acknowledges an append: a power loss that takes
// back every change to a name no dir fsync covered loses no acknowledged
// mutation. It used to fsync only the plog dir's parent, so a replica dir
// it had created itself could vanish with every acknowledged write in it.
func TestPowerLossKeepsTheDirsTheWriterMade(t *testing.T) {
	base := t.TempDir()
	fsys := vfs.NewFaulty(vfs.OS)
	fsys.SetCrashMode(vfs.CrashMode{Undo: vfs.UndoAll, Stash: filepath.Join(base, "stash")})
	rs := replicas([]string{filepath.Join(base, "data", "replica", "reps")}, 2)
	w, err := Open(rs, Options{FS: fsys, Sync: SyncBatch, MaxFileSize: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		for d := int64(1); d <= 40; d++ {
			if err := w.Append(r.Gpid, put(r.Gpid, d, 300)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if u := fsys.Unsynced(); len(u) > 0 {
		t.Errorf("acknowledged, yet not durable: %v", u)
	}
	if err := fsys.Crash(); err != nil {
		t.Fatal(err)
	}
	w.Close() // fails: the filesystem is gone
	for _, r := range rs {
		if got := checkPlog(t, r); len(got) != 40 {
			t.Fatalf("%s: %d of 40 acknowledged mutations after the power loss", r.Gpid, len(got))
		}
	}
}
