package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Every mutating operation of a ReadOnly FS fails with ErrReadOnly and
// leaves the tree as it was; reads pass through.
func TestReadOnlyRefusesEveryWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "log.1.0")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	ro := ReadOnly(OS)
	f, err := ro.OpenReadOnly(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 3)
	if _, err := f.ReadAt(buf, 0); err != nil || string(buf) != "abc" {
		t.Fatalf("read %q, %v", buf, err)
	}
	if ents, err := ro.ReadDir(dir); err != nil || len(ents) != 1 {
		t.Fatalf("readdir %v, %v", ents, err)
	}
	if _, err := ro.Stat(p); err != nil {
		t.Fatal(err)
	}
	_, createErr := ro.Create(filepath.Join(dir, "new"))
	_, openDirErr := ro.OpenDir(dir)
	_, writeErr := f.Write([]byte("x"))
	for name, err := range map[string]error{
		"create":        createErr,
		"rename":        ro.Rename(p, p+".removed"),
		"remove":        ro.Remove(p),
		"mkdirall":      ro.MkdirAll(filepath.Join(dir, "d"), 0o755),
		"mkdir":         ro.Mkdir(filepath.Join(dir, "d"), 0o755),
		"syncdir":       ro.SyncDir(dir),
		"opendir":       openDirErr,
		"truncate":      ro.Truncate(p, 0),
		"file write":    writeErr,
		"file sync":     f.Sync(),
		"file truncate": f.Truncate(0),
	} {
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s: %v, want ErrReadOnly", name, err)
		}
	}
	if b, _ := os.ReadFile(p); string(b) != "abc" {
		t.Fatalf("file changed: %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("dir changed: %v", ents)
	}
}
