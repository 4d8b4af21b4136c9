package vfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Identity tells one inode from another: a file replaced under its name
// has a new FileID.
func TestIdentityTellsAReplacedFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "log.1.0")
	os.WriteFile(p, []byte("a"), 0o644)
	info, _ := OS.Stat(p)
	id, ok := Identity(info)
	if !ok || id.Ino == 0 {
		t.Fatalf("identity %v, %v", id, ok)
	}
	if dev, _ := DeviceID(info); dev != id.Dev {
		t.Fatalf("dev %d, DeviceID %d", id.Dev, dev)
	}
	os.WriteFile(p+".new", []byte("a"), 0o644)
	os.Rename(p+".new", p)
	info, _ = OS.Stat(p)
	if id2, _ := Identity(info); id2 == id {
		t.Fatal("a replaced file kept its identity")
	}
	if _, ok := Identity(nil); ok {
		t.Fatal("identity of nothing")
	}
}

// RenameNoReplace never replaces a target, through OS, Faulty and the
// fallback; Faulty fails it as a rename; ReadOnly refuses it.
func TestRenameNoReplace(t *testing.T) {
	type plain struct{ FS } // hides OS's RenameNoReplace: the fallback
	for name, fsys := range map[string]FS{"os": OS, "faulty": NewFaulty(OS), "fallback": plain{OS}} {
		dir := t.TempDir()
		a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		os.WriteFile(a, []byte("a"), 0o644)
		os.WriteFile(b, []byte("b"), 0o644)
		if err := RenameNoReplace(fsys, a, b); !errors.Is(err, fs.ErrExist) {
			t.Fatalf("%s: onto an existing file: %v, want ErrExist", name, err)
		}
		if got, _ := os.ReadFile(b); string(got) != "b" {
			t.Fatalf("%s: target replaced", name)
		}
		c := filepath.Join(dir, "c")
		if err := RenameNoReplace(fsys, a, c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, _ := os.ReadFile(c); string(got) != "a" {
			t.Fatalf("%s: renamed file holds %q", name, got)
		}
	}
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	os.WriteFile(a, []byte("a"), 0o644)
	f := NewFaulty(OS)
	f.Inject(Fault{Op: OpRename, Path: "/a", Err: syscall.EXDEV})
	if err := RenameNoReplace(f, a, filepath.Join(dir, "c")); !errors.Is(err, syscall.EXDEV) {
		t.Fatalf("injected EXDEV: %v", err)
	}
	if err := RenameNoReplace(ReadOnly(OS), a, filepath.Join(dir, "c")); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only: %v", err)
	}
	if _, err := os.Stat(a); err != nil {
		t.Fatal(err)
	}
}

// A crash fault is a power loss at the operation: it is not performed,
// unsynced files are cut back, and everything later fails.
func TestCrashFault(t *testing.T) {
	dir := t.TempDir()
	fsys := NewFaulty(OS)
	fsys.Inject(Fault{Op: OpRemove, After: 1, Crash: true})
	os.WriteFile(filepath.Join(dir, "1"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "2"), nil, 0o644)
	f, _ := fsys.Create(filepath.Join(dir, "new"))
	f.Write([]byte("unsynced"))
	if err := fsys.Remove(filepath.Join(dir, "1")); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Remove(filepath.Join(dir, "2")); !errors.Is(err, ErrCrashed) {
		t.Fatalf("crash fault: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "2")); err != nil {
		t.Fatalf("the crashing remove was performed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("an unnamed file survived the crash: %v", err)
	}
	if err := fsys.SyncDir(dir); !errors.Is(err, ErrCrashed) {
		t.Fatalf("after the crash: %v", err)
	}
	f.Close()
}
