package migrate

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/journal"
	"github.com/waltool/waltool/vfs"
)

// treeOf is every file under root but the journal's own dir: name, size
// and SHA-256.
func treeOf(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if d.Name() == journal.DirName {
				return filepath.SkipDir
			}
			out[rel+"/"] = "dir"
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		n, err := io.Copy(h, f)
		out[rel] = fmt.Sprintf("%d %s", n, hex.EncodeToString(h.Sum(nil)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// upgradeThrough plans the upgrade of m's root and runs fold and archive
// through a journal on fsys, as `waltool migrate upgrade --apply` does.
func upgradeThrough(fsys vfs.FS, m *fixtures.Manifest, plan *Plan, begin bool) error {
	var j *journal.Journal
	var err error
	if begin {
		j, err = journal.Begin(fsys, m.Root, journal.Run{Command: "test upgrade"})
	} else {
		j, err = journal.Open(fsys, m.Root)
	}
	if err != nil {
		return err
	}
	defer j.Close()
	if err := plan.Apply(fsys, j, filepath.Join(m.Root, "slog-archive"), j.PhaseDone); err != nil {
		return err
	}
	return j.Finish()
}

// A power loss (vfs.Faulty) at every operation of a journaled upgrade,
// fold and archive: resuming from what the crash left finishes the run and
// the proof holds (2.6 on the new root recovers what 2.4 did on the old),
// and rolling the resumed run back gives the initial tree byte for byte.
func TestUpgradeCrashEverywhere(t *testing.T) {
	opts := fixtures.Options{Seed: 9, Apps: 1, Replicas: 3, Mutations: 500, ValueSize: 20, Disks: 2, SlogFileSize: 8 << 10, PlogFileSize: 8 << 10}
	probe := generate(t, opts)
	plan, err := PlanUpgrade(openRoot(t, probe), Options{MaxFileSize: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if plan.FoldMutations == 0 || len(plan.SlogFiles) < 2 {
		t.Fatalf("the root folds %d mutations from %d slog files: nothing to crash", plan.FoldMutations, len(plan.SlogFiles))
	}
	pf := vfs.NewFaulty(vfs.OS)
	if err := upgradeThrough(pf, probe, plan, true); err != nil {
		t.Fatal(err)
	}
	ops := []vfs.Op{vfs.OpCreate, vfs.OpWrite, vfs.OpSync, vfs.OpSyncDir, vfs.OpRename, vfs.OpRemove}
	counts := map[vfs.Op]int{}
	total := 0
	for _, op := range ops {
		counts[op] = pf.Count(op)
		total += counts[op]
	}
	t.Logf("%d crash points: %v", total, counts)
	points := 0
	for _, op := range ops {
		for i := 0; i < counts[op]; i++ {
			if testing.Short() && i%5 != 0 {
				continue
			}
			points++
			name := fmt.Sprintf("%s#%d", op, i)
			m := generate(t, opts)
			initial := treeOf(t, m.Root)
			f := vfs.NewFaulty(vfs.OS)
			f.Inject(vfs.Fault{Op: op, After: i, Crash: true})
			plan, err := PlanUpgrade(openRoot(t, m), Options{MaxFileSize: 4 << 10})
			if err != nil {
				t.Fatal(err)
			}
			if err := upgradeThrough(f, m, plan, true); !errors.Is(err, vfs.ErrCrashed) {
				t.Fatalf("%s: the run did not crash: %v", name, err)
			}
			// Resume: the plan is the journal's; every done step replays
			// as a no-op, the rest run.
			if err := upgradeThrough(vfs.OS, m, plan, false); err != nil && !errors.Is(err, journal.ErrNoRun) {
				t.Fatalf("%s: resume: %v", name, err)
			} else if errors.Is(err, journal.ErrNoRun) {
				// The crash came before the run's first record was durable:
				// nothing was changed, and a new run begins.
				if d := cmp.Diff(initial, treeOf(t, m.Root)); d != "" {
					t.Fatalf("%s: no run recorded, but the tree changed:\n%s", name, d)
				}
				if err := upgradeThrough(vfs.OS, m, plan, true); err != nil {
					t.Fatalf("%s: begin after a crash before the first record: %v", name, err)
				}
			}
			proof, err := Prove(plan, openRoot(t, m))
			if err != nil || !proof.Equal {
				t.Fatalf("%s: resumed run does not prove: %v\n%+v", name, err, proof)
			}
			for p := range treeOf(t, m.Root) {
				if strings.Contains(p, ".waltool-tmp.") {
					t.Fatalf("%s: a temporary file is left: %s", name, p)
				}
			}
			j, err := journal.Open(vfs.OS, m.Root)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := j.Rollback(); err != nil {
				t.Fatalf("%s: rollback: %v", name, err)
			}
			j.Close()
			if d := cmp.Diff(initial, treeOf(t, m.Root)); d != "" {
				t.Fatalf("%s: rolled back, but not to the initial tree (-initial +after):\n%s", name, d)
			}
		}
	}
	if points == 0 {
		t.Fatal("no crash point")
	}
}

// ENOSPC and EIO at write and sync points of a journaled upgrade: the run
// stops with the error, and resuming then proves equal, and rolling back
// gives the initial tree byte for byte.
func TestUpgradeFaultsThenResumeOrRollback(t *testing.T) {
	opts := fixtures.Options{Seed: 10, Apps: 1, Replicas: 2, Mutations: 400, ValueSize: 20, Disks: 2, SlogFileSize: 8 << 10, PlogFileSize: 8 << 10}
	probe := generate(t, opts)
	plan, err := PlanUpgrade(openRoot(t, probe), Options{MaxFileSize: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	pf := vfs.NewFaulty(vfs.OS)
	if err := upgradeThrough(pf, probe, plan, true); err != nil {
		t.Fatal(err)
	}
	for _, op := range []vfs.Op{vfs.OpWrite, vfs.OpSync, vfs.OpSyncDir} {
		for _, errno := range []error{syscall.ENOSPC, syscall.EIO} {
			for i := 0; i < pf.Count(op); i += 7 {
				name := fmt.Sprintf("%s#%d %v", op, i, errno)
				m := generate(t, opts)
				initial := treeOf(t, m.Root)
				f := vfs.NewFaulty(vfs.OS)
				f.Inject(vfs.Fault{Op: op, After: i, Err: errno, Short: 100})
				plan, err := PlanUpgrade(openRoot(t, m), Options{MaxFileSize: 4 << 10})
				if err != nil {
					t.Fatal(err)
				}
				if err := upgradeThrough(f, m, plan, true); !errors.Is(err, errno) {
					t.Fatalf("%s: the run did not fail with it: %v", name, err)
				}
				err = upgradeThrough(vfs.OS, m, plan, false)
				if errors.Is(err, journal.ErrNoRun) {
					// The begin record itself failed: nothing was changed,
					// and the run starts again.
					err = upgradeThrough(vfs.OS, m, plan, true)
				}
				if err != nil {
					t.Fatalf("%s: resume: %v", name, err)
				}
				if proof, err := Prove(plan, openRoot(t, m)); err != nil || !proof.Equal {
					t.Fatalf("%s: resumed run does not prove: %v %+v", name, err, proof)
				}
				j, err := journal.Open(vfs.OS, m.Root)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := j.Rollback(); err != nil {
					t.Fatalf("%s: rollback: %v", name, err)
				}
				j.Close()
				if d := cmp.Diff(initial, treeOf(t, m.Root)); d != "" {
					t.Fatalf("%s: not rolled back to the initial tree:\n%s", name, d)
				}
			}
		}
	}
}

// An I/O error reading the slog in the fold stops the upgrade with that
// error, naming the slog file, at every read of the slog: the writers the
// failed read left short are its consequence, not a slog that changed
// since the plan (which is what they used to report, the EIO and the file
// lost). Resuming then proves.
func TestFoldSlogReadErrorIsReported(t *testing.T) {
	opts := fixtures.Options{Seed: 9, Apps: 1, Replicas: 3, Mutations: 500, ValueSize: 20, Disks: 2, SlogFileSize: 8 << 10, PlogFileSize: 8 << 10}
	for i := 0; ; i++ {
		m := generate(t, opts)
		plan, err := PlanUpgrade(openRoot(t, m), Options{MaxFileSize: 4 << 10})
		if err != nil {
			t.Fatal(err)
		}
		f := vfs.NewFaulty(vfs.OS)
		f.Inject(vfs.Fault{Op: vfs.OpRead, Path: filepath.Join("replica", "slog") + "/", After: i, Err: syscall.EIO})
		err = upgradeThrough(f, m, plan, true)
		hit := f.Fired()
		if len(hit) == 0 {
			if i < 5 {
				t.Fatalf("the fold read the slog %d times", i)
			}
			break
		}
		if !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), hit[0]) || errors.Is(err, errSlogChanged) {
			t.Fatalf("EIO at slog read #%d of %s: %v", i, hit[0], err)
		}
		if err := upgradeThrough(vfs.OS, m, plan, false); err != nil {
			t.Fatalf("slog read #%d: resume: %v", i, err)
		}
		if proof, err := Prove(plan, openRoot(t, m)); err != nil || !proof.Equal {
			t.Fatalf("slog read #%d: the resumed run does not prove: %v %+v", i, err, proof)
		}
	}
}
