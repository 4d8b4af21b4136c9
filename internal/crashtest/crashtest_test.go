package crashtest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/waltool/waltool/vfs"
)

// The default run tries every sync point both ways, every name change one
// way, alternately, and every 8th write.
func TestPoints(t *testing.T) {
	t.Setenv(LongEnv, "")
	dir := t.TempDir()
	probe := vfs.NewFaulty(vfs.OS)
	for i := range 3 {
		f, err := probe.Create(filepath.Join(dir, string(rune('a'+i))))
		if err != nil {
			t.Fatal(err)
		}
		for range 9 {
			f.Write([]byte("x"))
		}
		f.Sync()
		f.Close()
	}
	probe.SyncDir(dir)
	pts := Points(probe)
	if s := Summary(pts); s != "15 crash points (create 3, sync 6, syncdir 2, write 4; keep 8, undo 7)" {
		t.Fatal(s)
	}
	t.Setenv(LongEnv, "1")
	if n := len(Points(probe)); n != 4*(3+27+3+1) {
		t.Fatalf("long run: %d points", n)
	}
	if got := Spread(100, 4); len(got) != 100 {
		t.Fatalf("the long run fails %d of 100 operations", len(got))
	}
	if got := Sample(100, 2, 4); !slices.Equal(got, []int{0, 33, 66, 99}) {
		t.Fatalf("long sample %v", got)
	}
}

func TestSpread(t *testing.T) {
	t.Setenv(LongEnv, "")
	for _, c := range []struct {
		count, n int
		want     []int
	}{{10, 4, []int{0, 3, 6, 9}}, {3, 5, []int{0, 1, 2}}, {0, 3, nil}, {7, 1, []int{3}}} {
		if got := Spread(c.count, c.n); !slices.Equal(got, c.want) {
			t.Errorf("Spread(%d, %d) = %v, want %v", c.count, c.n, got, c.want)
		}
	}
}

// Restore puts the tree back as it was kept, whatever happened to it.
func TestRestore(t *testing.T) {
	root := filepath.Join(TempDir(t), "root")
	os.MkdirAll(filepath.Join(root, "d"), 0o755)
	os.WriteFile(filepath.Join(root, "d", "f"), []byte("F"), 0o644)
	tr := Keep(t, root)
	os.WriteFile(filepath.Join(root, "d", "f"), []byte("changed"), 0o644)
	os.WriteFile(filepath.Join(root, "new"), nil, 0o644)
	tr.Restore(t)
	if b, _ := os.ReadFile(filepath.Join(root, "d", "f")); string(b) != "F" {
		t.Fatalf("%q", b)
	}
	if _, err := os.Stat(filepath.Join(root, "new")); err == nil {
		t.Fatal("a file made since is still there")
	}
}
