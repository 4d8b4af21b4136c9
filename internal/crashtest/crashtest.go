// Package crashtest drives the power-loss tests of the suite's writers
// through vfs.Faulty: which crash points of a run to try and under which
// outcome for the changes to names a crash may take back (Points), which
// I/O errors to inject (Spread), and the pristine copy of a root that is
// put back at the root's own path before each try (Tree), since plans name
// absolute paths. The default run is sized for CI; WALTOOL_CRASH_LONG=1
// tries every point under every outcome (Long). It is used only by tests.
package crashtest

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/waltool/waltool/vfs"
)

// LongEnv, set to anything, makes the crash tests try every point.
const LongEnv = "WALTOOL_CRASH_LONG"

// Long says whether the long run is asked for (LongEnv).
func Long() bool { return os.Getenv(LongEnv) != "" }

// Point is one power loss: at the After-th operation Op of the run (from
// 0, before it is carried out), with Undo (and Seed) deciding what becomes
// of the renames, removes and mkdirs no directory sync made durable.
type Point struct {
	Op    vfs.Op
	After int
	Undo  vfs.Undo
	Seed  uint64
}

func (p Point) String() string {
	return fmt.Sprintf("%s#%d/%s", p.Op, p.After, vfs.CrashMode{Undo: p.Undo, Seed: p.Seed})
}

// Faulty is a Faulty over base that crashes at p, keeping what a crash
// may put back in stash (a dir on the filesystem of the root, outside it).
func (p Point) Faulty(base vfs.FS, stash string) *vfs.Faulty {
	f := vfs.NewFaulty(base)
	f.SetCrashMode(vfs.CrashMode{Undo: p.Undo, Seed: p.Seed, Stash: stash})
	f.Inject(vfs.Fault{Op: p.Op, After: p.After, Crash: true})
	return f
}

// SyncOps are the operations after which something is durable: a crash
// just before one finds everything since the last one still pending.
var SyncOps = []vfs.Op{vfs.OpSync, vfs.OpSyncDir, vfs.OpSyncFS}

// NameOps change a name (OpCreate is also a mkdir).
var NameOps = []vfs.Op{vfs.OpCreate, vfs.OpRename, vfs.OpRemove}

// DataOps change a file's bytes.
var DataOps = []vfs.Op{vfs.OpWrite, vfs.OpTruncate}

// writeStride samples the writes in the default run: between two syncs
// the writes of one file differ only in bytes a crash drops anyway.
const writeStride = 8

// Points chooses the crash points of a run whose operations probe
// counted (a Faulty the run went through to its end). The default run
// tries every sync point (fdatasync, dir fsync, syncfs) with the changes
// to names kept and taken back, every create, rename and remove with one
// outcome (alternately), and every 8th write; the long run tries every
// one of those operations with names kept, taken back, and taken back at
// random (two seeds).
//
// With ops, only the points of those operations are chosen. With
// -test.short, every 4th point is.
func Points(probe *vfs.Faulty, ops ...vfs.Op) []Point {
	var out []Point
	long := Long()
	add := func(op vfs.Op, i int, undos ...vfs.Undo) {
		for _, u := range undos {
			out = append(out, Point{Op: op, After: i, Undo: u, Seed: uint64(i)})
		}
	}
	all := []vfs.Undo{vfs.UndoNone, vfs.UndoAll, vfs.UndoSome, vfs.UndoSome}
	for _, op := range append(append(append([]vfs.Op{}, SyncOps...), NameOps...), DataOps...) {
		if len(ops) > 0 && !isIn(op, ops) {
			continue
		}
		for i := range probe.Count(op) {
			switch {
			case long:
				for k, u := range all {
					out = append(out, Point{Op: op, After: i, Undo: u, Seed: uint64(i*len(all) + k)})
				}
			case isIn(op, SyncOps):
				add(op, i, vfs.UndoNone, vfs.UndoAll)
			case isIn(op, NameOps) || op == vfs.OpTruncate:
				add(op, i, alternate(i))
			case i%writeStride == 0:
				add(op, i, alternate(i/writeStride))
			}
		}
	}
	if testing.Short() {
		thin := out[:0]
		for i, p := range out {
			if i%4 == 0 {
				thin = append(thin, p)
			}
		}
		out = thin
	}
	return out
}

// alternate is the outcome of the i-th point tried with one: names kept,
// then taken back.
func alternate(i int) vfs.Undo {
	if i%2 == 0 {
		return vfs.UndoNone
	}
	return vfs.UndoAll
}

func isIn(op vfs.Op, ops []vfs.Op) bool {
	for _, o := range ops {
		if o == op {
			return true
		}
	}
	return false
}

// Summary counts points by operation and outcome, for the test's log:
// "173 crash points (create 8, ...; keep 90, undo 83)".
func Summary(points []Point) string {
	ops, undos := map[string]int{}, map[string]int{}
	for _, p := range points {
		ops[string(p.Op)]++
		undos[undoName[p.Undo]]++
	}
	return fmt.Sprintf("%d crash points (%s; %s)", len(points), counts(ops), counts(undos))
}

var undoName = map[vfs.Undo]string{vfs.UndoNone: "keep", vfs.UndoAll: "undo", vfs.UndoSome: "random"}

func counts(m map[string]int) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// Spread picks which of count operations to fail: all of them in the long
// run, else n spread evenly, the first and the last included.
func Spread(count, n int) []int {
	if Long() {
		n = count
	}
	return spread(count, n)
}

// Sample picks n of count, spread evenly, or nLong in the long run: for
// a first crash whose recovery is crashed in turn at every point (all
// pairs would be too many even for the long run).
func Sample(count, n, nLong int) []int {
	if Long() {
		n = nLong
	}
	return spread(count, n)
}

func spread(count, n int) []int {
	n = min(n, count)
	if n <= 0 {
		return nil
	}
	if n == 1 {
		return []int{count / 2}
	}
	var out []int
	for i := range n {
		k := i * (count - 1) / (n - 1)
		if len(out) == 0 || out[len(out)-1] != k {
			out = append(out, k)
		}
	}
	return out
}

// TempDir is a fresh dir on tmpfs when there is one (crash tests fsync a
// lot), removed when the test ends.
func TempDir(t testing.TB) string {
	t.Helper()
	base := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "waltool-crash-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Tree is a pristine copy of a root, put back at the root's path before
// each crash (the plans and journals name absolute paths). Stash is a dir
// beside the root, on its filesystem, for the Faulty's stash.
type Tree struct {
	Root, Stash string
	pristine    string
	linked      bool
}

// Keep copies the tree at root aside (beside it) as it is now.
func Keep(t testing.TB, root string) *Tree { return keep(t, root, false) }

// KeepLinked keeps the tree at root aside by hard links: Restore gives
// its files back as the same inodes, which a journal recognises moved
// files by. It is for a tree the runs never write in place (a journal
// appends to segments of its own process only; migrate creates, renames
// and removes files, it never rewrites one): a write to a restored file
// would change the kept one.
func KeepLinked(t testing.TB, root string) *Tree { return keep(t, root, true) }

func keep(t testing.TB, root string, linked bool) *Tree {
	t.Helper()
	root = filepath.Clean(root)
	tr := &Tree{Root: root, Stash: root + ".stash", linked: linked}
	dir, err := os.MkdirTemp(filepath.Dir(root), filepath.Base(root)+".kept-")
	if err != nil {
		t.Fatal(err)
	}
	tr.pristine = filepath.Join(dir, "root")
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := copyTree(root, tr.pristine, linked); err != nil {
		t.Fatal(err)
	}
	return tr
}

// Restore puts the kept tree back at the root's path (and empties the
// stash).
func (tr *Tree) Restore(t testing.TB) {
	t.Helper()
	for _, d := range []string{tr.Root, tr.Stash} {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := copyTree(tr.pristine, tr.Root, tr.linked); err != nil {
		t.Fatal(err)
	}
}

// copyTree copies dirs, regular files (mode and mtime kept, or, linked,
// the same inodes) and symlinks.
func copyTree(src, dst string, linked bool) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(to, info.Mode().Perm())
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		}
		if linked {
			return os.Link(p, to)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
		return os.Chtimes(to, info.ModTime(), info.ModTime())
	})
}
