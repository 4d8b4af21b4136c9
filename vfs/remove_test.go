package vfs_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/waltool/waltool/vfs"
)

// RemoveAll removes a tree, and a symlink inside it as a link: never the
// dir it points to.
func TestRemoveAllKeepsWhatALinkPointsTo(t *testing.T) {
	base := t.TempDir()
	keep := filepath.Join(base, "keep")
	tree := filepath.Join(base, "tree")
	for _, d := range []string{keep, filepath.Join(tree, "a", "b")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(keep, "f"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(tree, "a", "b", "f"), []byte("x"), 0o644)
	if err := os.Symlink(keep, filepath.Join(tree, "a", "link")); err != nil {
		t.Fatal(err)
	}
	if err := vfs.RemoveAll(vfs.OS, tree); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(tree); !os.IsNotExist(err) {
		t.Fatalf("tree still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(keep, "f")); err != nil {
		t.Fatalf("the link's target lost its file: %v", err)
	}
	if err := vfs.RemoveAll(vfs.OS, tree); err != nil {
		t.Fatalf("removing what is gone: %v", err)
	}
}
