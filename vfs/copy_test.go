package vfs

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestCopyDurable(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "sub", "dst")
	data := bytes.Repeat([]byte("waltool"), 3000)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := MkdirAllDurable(OS, filepath.Dir(dst)); err != nil {
		t.Fatal(err)
	}
	tmp := dst + ".tmp"
	// A failing Verify abandons the copy: no dst, no tmp.
	bad := errors.New("checksum differs")
	if err := CopyDurable(OS, src, dst, CopyOptions{Tmp: tmp, Verify: func() error { return bad }}); !errors.Is(err, bad) {
		t.Fatalf("verify: %v", err)
	}
	for _, p := range []string{dst, tmp} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s left: %v", p, err)
		}
	}
	// A refusing Check copies nothing.
	if err := CopyDurable(OS, src, dst, CopyOptions{Tmp: tmp, Check: func(fs.FileInfo) error { return bad }}); !errors.Is(err, bad) {
		t.Fatalf("check: %v", err)
	}
	var tee bytes.Buffer
	if err := CopyDurable(OS, src, dst, CopyOptions{Tmp: tmp, Tee: &tee}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dst)
	if !bytes.Equal(got, data) || !bytes.Equal(tee.Bytes(), data) {
		t.Fatalf("copy %d bytes, tee %d, want %d", len(got), tee.Len(), len(data))
	}
	if _, err := os.Stat(src); err != nil {
		t.Fatalf("source: %v", err)
	}
	// Never replaces.
	if err := CopyDurable(OS, src, dst, CopyOptions{Tmp: tmp}); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("over an existing dst: %v", err)
	}
	// A torn copy (ENOSPC on a write) leaves nothing.
	f := NewFaulty(OS)
	f.Inject(Fault{Op: OpWrite, Short: 100})
	dst2 := filepath.Join(dir, "dst2")
	if err := CopyDurable(f, src, dst2, CopyOptions{Tmp: dst2 + ".tmp"}); err == nil {
		t.Fatal("torn copy succeeded")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Fatalf("left %v", ents)
	}
}
