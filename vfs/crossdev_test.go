package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Renames into or out of the other tree fail with EXDEV, as across mounts;
// within either side they go through.
func TestCrossDevice(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	for _, d := range []string{other, filepath.Join(dir, "here")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	x := CrossDevice(OS, other)
	a, b := filepath.Join(dir, "here", "a"), filepath.Join(dir, "here", "b")
	if err := os.WriteFile(a, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := x.Rename(a, filepath.Join(other, "a")); !errors.Is(err, syscall.EXDEV) {
		t.Fatalf("into other: %v", err)
	}
	if err := RenameNoReplace(x, a, filepath.Join(other, "a")); !errors.Is(err, syscall.EXDEV) {
		t.Fatalf("no-replace into other: %v", err)
	}
	if err := RenameNoReplace(x, a, b); err != nil {
		t.Fatalf("within one side: %v", err)
	}
}
