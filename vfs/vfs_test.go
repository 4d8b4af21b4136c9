package vfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestOSCreateIsExclusive(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log.1.0")
	f, err := OS.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := OS.Create(p); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second create: %v, want ErrExist (log_file::create_write)", err)
	}
	d, err := OS.OpenDir(filepath.Dir(p))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := d.SyncFS(); err != nil {
		t.Fatal(err)
	}
	info, _ := OS.Stat(p)
	if _, ok := DeviceID(info); !ok {
		t.Fatal("no device id from the OS")
	}
}

func TestFaultsFireAsConfigured(t *testing.T) {
	dir := t.TempDir()
	fsys := NewFaulty(OS)
	fsys.Inject(Fault{Op: OpWrite, Path: "/a", After: 1, Short: 2, Err: syscall.ENOSPC})
	fsys.Inject(Fault{Op: OpSync, Path: "/b", Times: -1})
	a, err := fsys.Create(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write([]byte("1234")); err != nil {
		t.Fatalf("first write passes (After: 1): %v", err)
	}
	n, err := a.Write([]byte("5678"))
	if n != 2 || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("short write: %d, %v", n, err)
	}
	if _, err := a.Write([]byte("9")); err != nil {
		t.Fatalf("the fault fired once: %v", err)
	}
	a.Close()
	if b, _ := os.ReadFile(filepath.Join(dir, "a")); string(b) != "1234569" {
		t.Fatalf("file holds %q", b)
	}
	b, _ := fsys.Create(filepath.Join(dir, "b"))
	for range 3 {
		if err := b.Sync(); !errors.Is(err, ErrInjected) {
			t.Fatalf("sync: %v, want the injected error every time", err)
		}
	}
	b.Close()
	if fsys.Count(OpSync) != 3 {
		t.Fatalf("%d syncs counted", fsys.Count(OpSync))
	}
}

// Crash keeps what was synced and named, nothing else.
func TestCrashDropsWhatWasNotSynced(t *testing.T) {
	dir := t.TempDir()
	fsys := NewFaulty(OS)
	synced, _ := fsys.Create(filepath.Join(dir, "synced"))
	synced.Write([]byte("durable"))
	synced.Sync()
	if err := fsys.SyncDir(dir); err != nil {
		t.Fatal(err)
	}
	synced.Write([]byte(" lost"))
	unnamed, _ := fsys.Create(filepath.Join(dir, "unnamed"))
	unnamed.Write([]byte("x"))
	unnamed.Sync() // data synced, but the directory never was
	if err := fsys.Crash(); err != nil {
		t.Fatal(err)
	}
	if _, err := synced.Write([]byte("after")); !errors.Is(err, ErrCrashed) {
		t.Fatalf("write after crash: %v", err)
	}
	synced.Close()
	unnamed.Close()
	if b, _ := os.ReadFile(filepath.Join(dir, "synced")); string(b) != "durable" {
		t.Fatalf("synced file holds %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "unnamed")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("file whose name was never synced survived: %v", err)
	}
}

// syncfs covers every file and name of the filesystem.
func TestCrashAfterSyncFS(t *testing.T) {
	dir := t.TempDir()
	fsys := NewFaulty(OS)
	f, _ := fsys.Create(filepath.Join(dir, "f"))
	f.Write([]byte("data"))
	d, _ := fsys.OpenDir(dir)
	if err := d.SyncFS(); err != nil {
		t.Fatal(err)
	}
	d.Close()
	f.Close()
	if size, named := fsys.Synced(filepath.Join(dir, "f")); size != 4 || !named {
		t.Fatalf("after syncfs: %d bytes synced, named %v", size, named)
	}
	fsys.Crash()
	if b, _ := os.ReadFile(filepath.Join(dir, "f")); string(b) != "data" {
		t.Fatalf("file holds %q", b)
	}
}

// Preallocate reserves blocks past the end without changing the size, also
// through Faulty; a truncate to the same size gives them back. Fsync is
// there for callers that model Pegasus's own flush.
func TestPreallocateKeepsTheSize(t *testing.T) {
	for _, fsys := range []FS{OS, NewFaulty(OS)} {
		p := filepath.Join(t.TempDir(), "log.1.0")
		f, err := fsys.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte("abc")); err != nil {
			t.Fatal(err)
		}
		pa, ok := f.(Preallocator)
		if !ok {
			t.Fatalf("%T is not a Preallocator", f)
		}
		const n = 1 << 20
		if err := pa.Preallocate(0, n); err != nil {
			t.Skipf("no fallocate here: %v", err)
		}
		blocks := func() int64 {
			info, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if info.Size() != 3 {
				t.Fatalf("size %d, want 3", info.Size())
			}
			return info.Sys().(*syscall.Stat_t).Blocks * 512
		}
		if b := blocks(); b < n {
			t.Fatalf("%d bytes allocated after preallocating %d", b, n)
		}
		if err := f.Truncate(3); err != nil {
			t.Fatal(err)
		}
		if b := blocks(); b >= n {
			t.Fatalf("%d bytes still allocated after the truncate", b)
		}
		if fs, ok := f.(interface{ Fsync() error }); ok {
			if err := fs.Fsync(); err != nil {
				t.Fatal(err)
			}
		} else if fsys == OS {
			t.Fatal("OS files have no Fsync")
		}
		f.Close()
	}
}

// gatedFS is OS whose files' Sync waits for a signal, so that a test can
// crash the filesystem while a sync is in flight.
type gatedFS struct {
	FS
	entered, release chan struct{}
}

type gatedFile struct {
	File
	fs gatedFS
}

func (g gatedFS) Create(name string) (File, error) {
	f, err := g.FS.Create(name)
	return gatedFile{f, g}, err
}

func (f gatedFile) Sync() error {
	f.fs.entered <- struct{}{}
	<-f.fs.release
	return f.File.Sync()
}

// A power loss during a sync means the sync never returns: Faulty fails a
// sync that was in flight at Crash, so that nothing can be acknowledged on
// its strength after the files were cut back.
func TestSyncInFlightAtCrashFails(t *testing.T) {
	dir := t.TempDir()
	gate := gatedFS{OS, make(chan struct{}), make(chan struct{})}
	fsys := NewFaulty(gate)
	f, err := fsys.Create(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("data"))
	done := make(chan error)
	go func() { done <- f.Sync() }()
	<-gate.entered
	if err := fsys.Crash(); err != nil {
		t.Fatal(err)
	}
	close(gate.release)
	if err := <-done; !errors.Is(err, ErrCrashed) {
		t.Fatalf("sync in flight at the crash returned %v, want ErrCrashed", err)
	}
	if size, _ := fsys.Synced(filepath.Join(dir, "f")); size != 0 {
		t.Fatalf("%d bytes marked synced by a sync the crash interrupted", size)
	}
	f.Close()
}

// PathErr says a path once: the FS's own error about it keeps its cause
// under the caller's operation.
func TestPathErrSaysThePathOnce(t *testing.T) {
	inner := &fs.PathError{Op: "write", Path: "/d/f", Err: syscall.ENOSPC}
	err := PathErr("write at offset 7", "/d/f", fmt.Errorf("wrapped: %w", inner))
	if got := err.Error(); got != "write at offset 7 /d/f: no space left on device" || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("%q", got)
	}
	other := PathErr("create", "/d/g", inner)
	if got := other.Error(); !strings.Contains(got, "/d/g") || !strings.Contains(got, "/d/f") {
		t.Errorf("another path's error keeps both: %q", got)
	}
}
