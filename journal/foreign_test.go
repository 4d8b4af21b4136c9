package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waltool/waltool/vfs"
)

// copyTree copies the tree at src to dst (a new dir), as cp -a would.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// finishedRun is a root holding the script's finished run, and its tree.
func finishedRun(t *testing.T) (root string, final map[string]string) {
	t.Helper()
	root = filepath.Join(tempRoot(t), "A")
	setupTree(t, root)
	if err := runScript(scriptFS(vfs.OS, root), root); err != nil {
		t.Fatal(err)
	}
	return root, snapshot(t, root)
}

// refusedEverywhere checks that everything that would act on the run in
// root refuses it as written for another root, naming both, and changes
// nothing in root nor in others.
func refusedEverywhere(t *testing.T, root, writtenFor string, copied bool, trees ...string) {
	t.Helper()
	before := map[string]map[string]string{}
	for _, p := range append(trees, root) {
		before[p] = snapshot(t, p)
	}
	j := open(t, vfs.OS, root)
	var fe *ForeignError
	if err := j.Foreign(); !errors.As(err, &fe) || fe.Copy != copied || fe.WrittenFor != canonicalRoot(writtenFor) ||
		!strings.Contains(err.Error(), writtenFor) || !strings.Contains(err.Error(), root) {
		t.Fatalf("Foreign: %v", err)
	}
	if st := j.State(); st.WrittenFor != canonicalRoot(writtenFor) {
		t.Fatalf("state: written for %q", st.WrittenFor)
	}
	if _, err := j.Rollback(); !errors.Is(err, ErrForeign) {
		t.Fatalf("rollback: %v", err)
	}
	if err := CheckRollback(j); !errors.Is(err, ErrForeign) {
		t.Fatalf("check: %v", err)
	}
	if err := script(j, root); !errors.Is(err, ErrForeign) {
		t.Fatalf("a step: %v", err)
	}
	j.Close()
	if l, err := Last(vfs.OS, root); err != nil {
		t.Fatal(err)
	} else if _, err := l.Rollback(); !errors.Is(err, ErrForeign) {
		t.Fatalf("rollback of Last: %v", err)
	}
	if err := RefuseUnfinished(vfs.OS, root); !errors.Is(err, ErrForeign) {
		t.Fatalf("RefuseUnfinished: %v", err)
	}
	if _, err := Begin(vfs.OS, root, Run{Command: "next"}); !errors.Is(err, ErrForeign) {
		t.Fatalf("begin: %v", err)
	}
	for p, want := range before {
		sameTree(t, "refused in "+root+": "+p, snapshot(t, p), want)
	}
	j = open(t, vfs.OS, root)
	if st := j.State(); st.RollingBack || st.StepsUndone != 0 || !st.Finished {
		t.Fatalf("the journal changed: %+v", st)
	}
}

// Issue: a rollback of a copy of a migrated root rolled back the
// original, and one of a moved root stopped half-way at its first step.
// A journal belongs to the root it was written in: in a copy, or in the
// root moved, everything that would act on it refuses, changing nothing,
// and says which; the original, and the root moved back, roll back.
func TestJournalOfAnotherRoot(t *testing.T) {
	initial, _ := trees(t)
	t.Run("copy", func(t *testing.T) {
		a, final := finishedRun(t)
		b := filepath.Join(filepath.Dir(a), "B")
		copyTree(t, a, b)
		refusedEverywhere(t, b, a, true, a)
		sameTree(t, "the original", snapshot(t, a), final)
		if _, err := rollbackRoot(scriptFS(vfs.OS, a), a); err != nil {
			t.Fatalf("rollback of the original: %v", err)
		}
		sameTree(t, "the original rolled back", snapshot(t, a), initial)
		sameTree(t, "the copy", snapshot(t, b), final)
	})
	t.Run("move", func(t *testing.T) {
		a, final := finishedRun(t)
		a2 := filepath.Join(filepath.Dir(a), "A2")
		if err := os.Rename(a, a2); err != nil {
			t.Fatal(err)
		}
		refusedEverywhere(t, a2, a, false)
		if err := os.Rename(a2, a); err != nil {
			t.Fatal(err)
		}
		sameTree(t, "moved back", snapshot(t, a), final)
		if _, err := rollbackRoot(scriptFS(vfs.OS, a), a); err != nil {
			t.Fatalf("rollback once moved back: %v", err)
		}
		sameTree(t, "rolled back", snapshot(t, a), initial)
	})
	t.Run("symlink", func(t *testing.T) {
		a, _ := finishedRun(t)
		link := filepath.Join(filepath.Dir(a), "link")
		if err := os.Symlink(a, link); err != nil {
			t.Fatal(err)
		}
		j := open(t, vfs.OS, link)
		if err := j.Foreign(); err != nil {
			t.Fatalf("through a symlink: %v", err)
		}
		if st := j.State(); st.WrittenFor != "" {
			t.Fatalf("through a symlink: written for %q", st.WrittenFor)
		}
	})
	t.Run("relative", func(t *testing.T) {
		a, _ := finishedRun(t)
		t.Chdir(filepath.Dir(a))
		if err := open(t, vfs.OS, "A").Foreign(); err != nil {
			t.Fatalf("relative: %v", err)
		}
	})
}

// A journal written before Begin recorded the root is still read (its
// runs listed, resumed, rolled back), and taken as the root's own.
func TestJournalWithoutRootStaysReadable(t *testing.T) {
	initial, _ := trees(t)
	a, _ := finishedRun(t)
	seg := filepath.Join(a, DirName, RunDir, segName(1))
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	first, rest, _ := bytes.Cut(b, []byte("\n"))
	var ln line
	if err := json.Unmarshal(first, &ln); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(ln.Rec, &rec); err != nil {
		t.Fatal(err)
	}
	run := rec["run"].(map[string]any)
	if run["root"] != canonicalRoot(a) {
		t.Fatalf("begin record: root %v, want %s", run["root"], canonicalRoot(a))
	}
	delete(run, "root")
	ln.Rec, _ = json.Marshal(rec)
	ln.CRC = crc32.Checksum(ln.Rec, castagnoli)
	first, _ = json.Marshal(ln)
	if err := os.WriteFile(seg, append(append(first, '\n'), rest...), 0o644); err != nil {
		t.Fatal(err)
	}
	j := open(t, vfs.OS, a)
	if j.Run().Root != "" || j.Foreign() != nil || !j.State().Finished {
		t.Fatalf("old journal: %+v %v", j.Run(), j.Foreign())
	}
	j.Close()
	if _, err := rollbackRoot(scriptFS(vfs.OS, a), a); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "rolled back", snapshot(t, a), initial)
}
