package vfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// The crash model of names: a rename, a remove or a mkdir is not durable
// until its directories are synced (both of a rename's), and a crash may
// take it back; Undo chooses. Each test states one rule.

// tree is the files under dir (relative path: content; "/" ends a dir).
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			m[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		m[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameFiles(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s:\n got  %v\n want %v", what, got, want)
	}
}

// strict is a root with files already durable (written before the
// Faulty), and a Faulty over it in mode undo, stashing beside the root.
func strict(t *testing.T, undo Undo, files map[string]string) (string, *Faulty) {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	for name, c := range files {
		p := filepath.Join(root, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	f := NewFaulty(OS)
	f.SetCrashMode(CrashMode{Undo: undo, Stash: filepath.Join(base, "stash")})
	return root, f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := Identity(info)
	return id.Ino
}

func crash(t *testing.T, f *Faulty) {
	t.Helper()
	if err := f.Crash(); err != nil {
		t.Fatal(err)
	}
}

// stashEmpty checks that nothing is left in the stash once every change
// is durable or resolved by a crash.
func stashEmpty(t *testing.T, f *Faulty) {
	t.Helper()
	ents, err := os.ReadDir(f.mode.Stash)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if len(ents) > 0 {
		t.Fatalf("the stash holds %d entries", len(ents))
	}
}

// A rename that no sync of its directory followed is taken back by a
// crash (UndoAll); once the directory is synced it stays.
func TestCrashUndoesARenameWithoutADirSync(t *testing.T) {
	for _, synced := range []bool{false, true} {
		root, f := strict(t, UndoAll, map[string]string{"a": "A"})
		ino := inode(t, filepath.Join(root, "a"))
		must(t, f.Rename(filepath.Join(root, "a"), filepath.Join(root, "b")))
		want := map[string]string{"a": "A"}
		if synced {
			must(t, f.SyncDir(root))
			want = map[string]string{"b": "A"}
		}
		crash(t, f)
		sameFiles(t, fmt.Sprintf("synced %v", synced), tree(t, root), want)
		for name := range want {
			if inode(t, filepath.Join(root, name)) != ino {
				t.Fatal("the file came back as another inode")
			}
		}
	}
}

// A removed file comes back, with its inode and content, unless its
// directory was synced after the remove; nothing is left in the stash.
func TestCrashUndoesARemoveWithoutADirSync(t *testing.T) {
	for _, synced := range []bool{false, true} {
		root, f := strict(t, UndoAll, map[string]string{"a": "A", "keep": "K"})
		ino := inode(t, filepath.Join(root, "a"))
		must(t, f.Remove(filepath.Join(root, "a")))
		if _, err := os.Stat(filepath.Join(root, "a")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("removed, yet there: %v", err)
		}
		want := map[string]string{"a": "A", "keep": "K"}
		if synced {
			must(t, f.SyncDir(root))
			want = map[string]string{"keep": "K"}
			stashEmpty(t, f)
		}
		crash(t, f)
		sameFiles(t, fmt.Sprintf("synced %v", synced), tree(t, root), want)
		if !synced && inode(t, filepath.Join(root, "a")) != ino {
			t.Fatal("the removed file came back as another inode")
		}
		stashEmpty(t, f)
	}
	// A remove that fails is no change.
	root, f := strict(t, UndoAll, map[string]string{"d/x": "X"})
	if err := f.Remove(filepath.Join(root, "nothing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("remove of nothing: %v", err)
	}
	if err := f.Remove(filepath.Join(root, "d")); !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
		t.Fatalf("remove of a dir with a file in it: %v", err)
	}
	if u := f.Unsynced(); len(u) != 0 {
		t.Fatalf("failed removes left %v", u)
	}
}

// A rename over an existing file that a crash takes back brings the old
// target back, content and inode.
func TestCrashUndoingARenameOverAFileRestoresIt(t *testing.T) {
	root, f := strict(t, UndoAll, map[string]string{"new": "NEW", "old": "OLD"})
	ino := inode(t, filepath.Join(root, "old"))
	must(t, f.Rename(filepath.Join(root, "new"), filepath.Join(root, "old")))
	sameFiles(t, "before the crash", tree(t, root), map[string]string{"old": "NEW"})
	crash(t, f)
	sameFiles(t, "after", tree(t, root), map[string]string{"new": "NEW", "old": "OLD"})
	if inode(t, filepath.Join(root, "old")) != ino {
		t.Fatal("the replaced target came back as another inode")
	}
	stashEmpty(t, f)
}

// A rename between two dirs is durable only once both are synced: one
// sync, either one, is not enough.
func TestCrashCrossDirRenameNeedsBothDirsSynced(t *testing.T) {
	for _, sync := range [][]string{{}, {"d1"}, {"d2"}, {"d2", "d1"}} {
		root, f := strict(t, UndoAll, map[string]string{"d1/a": "A", "d2/": ""})
		must(t, f.Rename(filepath.Join(root, "d1", "a"), filepath.Join(root, "d2", "a")))
		for _, d := range sync {
			must(t, f.SyncDir(filepath.Join(root, d)))
		}
		crash(t, f)
		want := map[string]string{"d1/": "", "d1/a": "A", "d2/": ""}
		if len(sync) == 2 {
			want = map[string]string{"d1/": "", "d2/": "", "d2/a": "A"}
		}
		sameFiles(t, fmt.Sprintf("synced %v", sync), tree(t, root), want)
	}
}

// A mkdir is durable once its parent is synced; taken back, the dir goes
// with what was made in it, synced or not (its name was not durable).
func TestCrashUndoesAMkdirWithoutAParentSync(t *testing.T) {
	for _, synced := range []bool{false, true} {
		root, f := strict(t, UndoAll, nil)
		d := filepath.Join(root, "d")
		must(t, f.Mkdir(d, 0o755))
		must(t, f.MkdirAll(filepath.Join(d, "e", "g"), 0o755))
		w, err := f.Create(filepath.Join(d, "e", "g", "f"))
		must(t, err)
		w.Write([]byte("F"))
		must(t, w.Sync())
		w.Close()
		for _, dir := range []string{filepath.Join(d, "e", "g"), filepath.Join(d, "e"), d} {
			must(t, f.SyncDir(dir))
		}
		want := map[string]string{}
		if synced {
			must(t, f.SyncDir(root))
			want = map[string]string{"d/": "", "d/e/": "", "d/e/g/": "", "d/e/g/f": "F"}
		}
		if u := f.Unsynced(); synced != (len(u) == 0) {
			t.Fatalf("synced %v, unsynced %v", synced, u)
		}
		crash(t, f)
		sameFiles(t, fmt.Sprintf("synced %v", synced), tree(t, root), want)
	}
}

// syncfs makes every change before it durable, in every dir.
func TestCrashSyncFSCoversEveryChange(t *testing.T) {
	root, f := strict(t, UndoAll, map[string]string{"d1/a": "A", "d2/b": "B", "d2/c": "C"})
	must(t, f.Rename(filepath.Join(root, "d1", "a"), filepath.Join(root, "d2", "a")))
	must(t, f.Remove(filepath.Join(root, "d2", "b")))
	must(t, f.Rename(filepath.Join(root, "d2", "c"), filepath.Join(root, "d2", "a2")))
	must(t, f.Mkdir(filepath.Join(root, "d3"), 0o755))
	w, err := f.Create(filepath.Join(root, "d3", "n"))
	must(t, err)
	w.Write([]byte("N"))
	w.Close()
	d, err := f.OpenDir(root)
	must(t, err)
	must(t, d.SyncFS())
	d.Close()
	if u := f.Unsynced(); len(u) != 0 {
		t.Fatalf("after syncfs: %v", u)
	}
	crash(t, f)
	sameFiles(t, "after", tree(t, root), map[string]string{"d1/": "", "d2/": "", "d2/a": "A", "d2/a2": "C", "d3/": "", "d3/n": "N"})
	stashEmpty(t, f)
}

// The write-then-rename pattern: a temporary file written, fdatasync'd,
// renamed to its final name; until the dir is synced a crash leaves
// nothing (the temporary name was never durable either); after, the file
// whole.
func TestCrashTemporaryFileRenamedIntoPlace(t *testing.T) {
	for _, undo := range []Undo{UndoNone, UndoAll} {
		for _, synced := range []bool{false, true} {
			root, f := strict(t, undo, nil)
			w, err := f.Create(filepath.Join(root, ".tmp.f"))
			must(t, err)
			w.Write([]byte("data"))
			must(t, w.Sync())
			w.Close()
			must(t, RenameNoReplace(f, filepath.Join(root, ".tmp.f"), filepath.Join(root, "f")))
			want := map[string]string{}
			if synced {
				must(t, f.SyncDir(root))
				want = map[string]string{"f": "data"}
			}
			crash(t, f)
			sameFiles(t, fmt.Sprintf("undo %v synced %v", undo, synced), tree(t, root), want)
		}
	}
}

// Changes made inside a dir move with it: a sync of the dir under its new
// name covers them, and taking the rename back takes them along.
func TestCrashChangesMoveWithTheirDir(t *testing.T) {
	root, f := strict(t, UndoAll, map[string]string{"d/x": "X", "d/y": "Y"})
	d, e := filepath.Join(root, "d"), filepath.Join(root, "e")
	must(t, f.Rename(filepath.Join(d, "x"), filepath.Join(d, "x2"))) // d not synced
	must(t, f.Remove(filepath.Join(d, "y")))
	must(t, f.Rename(d, e))
	must(t, f.SyncDir(root))
	must(t, f.SyncDir(e)) // covers the rename and the remove made in d
	if u := f.Unsynced(); len(u) != 0 {
		t.Fatalf("unsynced: %v", u)
	}
	crash(t, f)
	sameFiles(t, "synced under the new name", tree(t, root), map[string]string{"e/": "", "e/x2": "X"})

	root, f = strict(t, UndoAll, map[string]string{"d/x": "X", "d/y": "Y"})
	d, e = filepath.Join(root, "d"), filepath.Join(root, "e")
	must(t, f.Rename(filepath.Join(d, "x"), filepath.Join(d, "x2")))
	must(t, f.Remove(filepath.Join(d, "y")))
	must(t, f.Rename(d, e))
	must(t, f.SyncDir(e)) // the dir's own rename is not durable
	crash(t, f)
	sameFiles(t, "the dir's rename taken back", tree(t, root), map[string]string{"d/": "", "d/x2": "X"})
}

// A dir whose removal is durable takes the removes made in it along: they
// wait for nothing more, and nothing inside comes back.
func TestCrashRemovedDirTakesItsContentsAlong(t *testing.T) {
	root, f := strict(t, UndoAll, map[string]string{"d/x": "X", "d/s/y": "Y"})
	d := filepath.Join(root, "d")
	for _, p := range []string{"s/y", "s", "x", ""} {
		must(t, f.Remove(filepath.Join(d, p)))
	}
	must(t, f.SyncDir(root))
	if u := f.Unsynced(); len(u) != 0 {
		t.Fatalf("unsynced: %v", u)
	}
	crash(t, f)
	sameFiles(t, "after", tree(t, root), map[string]string{})
	stashEmpty(t, f)

	// Not synced: all of it comes back.
	root, f = strict(t, UndoAll, map[string]string{"d/x": "X", "d/s/y": "Y"})
	d = filepath.Join(root, "d")
	for _, p := range []string{"s/y", "s", "x", ""} {
		must(t, f.Remove(filepath.Join(d, p)))
	}
	crash(t, f)
	sameFiles(t, "not synced", tree(t, root), map[string]string{"d/": "", "d/s/": "", "d/s/y": "Y", "d/x": "X"})
}

// UndoNone is the model before CrashMode: renames, removes and mkdirs are
// kept by a crash; a file created whose name was not made durable is
// removed all the same.
func TestCrashUndoNoneKeepsNames(t *testing.T) {
	root, f := strict(t, UndoNone, map[string]string{"a": "A", "b": "B", "c": "C"})
	must(t, f.Rename(filepath.Join(root, "a"), filepath.Join(root, "a2")))
	must(t, f.Rename(filepath.Join(root, "b"), filepath.Join(root, "c")))
	must(t, f.Mkdir(filepath.Join(root, "d"), 0o755))
	w, err := f.Create(filepath.Join(root, "d", "n"))
	must(t, err)
	w.Close()
	if u := f.Unsynced(); len(u) != 4 {
		t.Fatalf("unsynced: %v", u)
	}
	crash(t, f)
	sameFiles(t, "after", tree(t, root), map[string]string{"a2": "A", "c": "B", "d/": ""})
}

// UndoSome takes back some changes and keeps others, and every outcome is
// one a filesystem could leave: a file renamed along a chain is at
// exactly one of its names, whole; a change a kept change stands on is
// kept; a file created whose name was not synced is gone, or there with
// its synced bytes. Over seeds, both outcomes of each change occur.
func TestCrashUndoSomeLeavesAConsistentTree(t *testing.T) {
	outcomes := map[string]bool{}
	for seed := range uint64(40) {
		base := t.TempDir()
		root := filepath.Join(base, "root")
		for _, d := range []string{"d1", "d2", "d3"} {
			must(t, os.MkdirAll(filepath.Join(root, d), 0o755))
		}
		must(t, os.WriteFile(filepath.Join(root, "d1", "f"), []byte("F"), 0o644))
		must(t, os.WriteFile(filepath.Join(root, "d3", "g"), []byte("G"), 0o644))
		f := NewFaulty(OS)
		f.SetCrashMode(CrashMode{Undo: UndoSome, Seed: seed, Stash: filepath.Join(base, "stash")})
		must(t, f.Rename(filepath.Join(root, "d1", "f"), filepath.Join(root, "d2", "f")))
		must(t, f.Rename(filepath.Join(root, "d2", "f"), filepath.Join(root, "d3", "f")))
		must(t, f.Remove(filepath.Join(root, "d3", "g")))
		must(t, f.Mkdir(filepath.Join(root, "d4"), 0o755))
		w, err := f.Create(filepath.Join(root, "d1", "tmp"))
		must(t, err)
		w.Write([]byte("synced"))
		must(t, w.Sync())
		w.Write([]byte(" and not"))
		w.Close()
		crash(t, f)
		got := tree(t, root)
		tmp, kept := got["d1/tmp"]
		if kept && tmp != "synced" {
			t.Fatalf("seed %d: a created file kept holds %q", seed, tmp)
		}
		outcomes[fmt.Sprintf("created file kept %v", kept)] = true
		delete(got, "d1/tmp")
		var at []string
		for p, c := range got {
			if filepath.Base(p) == "f" {
				if c != "F" {
					t.Fatalf("seed %d: %s holds %q", seed, p, c)
				}
				at = append(at, p)
			}
		}
		if len(at) != 1 {
			t.Fatalf("seed %d: the file is at %v", seed, at)
		}
		_, g := got["d3/g"]
		_, d4 := got["d4/"]
		outcomes[fmt.Sprintf("f at %s", at[0])] = true
		outcomes[fmt.Sprintf("g back %v", g)] = true
		outcomes[fmt.Sprintf("d4 kept %v", d4)] = true
		stashEmpty(t, f)
	}
	var got []string
	for o := range outcomes {
		got = append(got, o)
	}
	slices.Sort(got)
	want := []string{"created file kept false", "created file kept true", "d4 kept false", "d4 kept true", "f at d1/f", "f at d2/f", "f at d3/f", "g back false", "g back true"}
	if !slices.Equal(got, want) {
		t.Fatalf("outcomes over 40 seeds: %v, want %v", got, want)
	}
}

// Unsynced lists, in order, what a crash could still take: changes to
// names and bytes written since the last sync.
func TestUnsyncedListsWhatACrashCouldTake(t *testing.T) {
	root, f := strict(t, UndoAll, map[string]string{"a": "A"})
	w, err := f.Create(filepath.Join(root, "n"))
	must(t, err)
	must(t, f.Rename(filepath.Join(root, "a"), filepath.Join(root, "b")))
	must(t, f.SyncDir(root))
	w.Write([]byte("12345"))
	must(t, f.Remove(filepath.Join(root, "b")))
	got := f.Unsynced()
	want := []string{
		"remove " + filepath.Join(root, "b") + ": no sync of " + root + " since",
		filepath.Join(root, "n") + ": 0 of 5 bytes synced",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("unsynced:\n%q\nwant\n%q", got, want)
	}
	must(t, w.Sync())
	must(t, f.SyncDir(root))
	w.Close()
	if u := f.Unsynced(); len(u) != 0 {
		t.Fatalf("all synced, yet %v", u)
	}
	// A file written, never synced, removed: once the remove is durable
	// there is nothing of it left to take.
	w, err = f.Create(filepath.Join(root, "gone"))
	must(t, err)
	w.Write([]byte("never synced"))
	w.Close()
	must(t, f.Remove(filepath.Join(root, "gone")))
	must(t, f.SyncDir(root))
	if u := f.Unsynced(); len(u) != 0 {
		t.Fatalf("removed for good, yet %v", u)
	}
}
