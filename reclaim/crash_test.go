package reclaim

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/decrees"
	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gc"
	"github.com/waltool/waltool/internal/crashtest"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/replay"
	"github.com/waltool/waltool/vfs"
)

// recovered is what one replica recovers under one server version: what
// gc must never change.
type recovered struct {
	Committed int64
	Prepared  []decrees.Range
	Ballot    int64
	Lost      []decrees.Range
	Error     string
}

func openGCRoot(t *testing.T, m *fixtures.Manifest) *dataroot.Root {
	t.Helper()
	r, err := dataroot.Open(dataroot.Options{Root: m.Root, Server: dataroot.Flags("", m.DataDirs), FS: vfs.ReadOnly(vfs.OS)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// recoveredBy is what every replica recovers under each version vs
// (2.4 and 2.6 by default).
func recoveredBy(t *testing.T, m *fixtures.Manifest, vs ...pegasus.Version) map[string]recovered {
	t.Helper()
	if len(vs) == 0 {
		vs = []pegasus.Version{pegasus.V24, pegasus.V26}
	}
	out := map[string]recovered{}
	for _, v := range vs {
		res, err := replay.Run(openGCRoot(t, m), replay.Options{Version: v})
		if err != nil {
			t.Fatal(err)
		}
		for _, rr := range res.Replicas {
			out[string(v)+" "+rr.Gpid.String()] = recovered{rr.CommittedDecree, rr.Prepared, rr.Ballot, rr.Lost, rr.Error}
		}
	}
	return out
}

// gcPlan is what `waltool gc --apply --log all` hands reclaim: the 2.4
// rule's plan, each file observed as it is now.
func gcPlan(t *testing.T, m *fixtures.Manifest) Plan {
	t.Helper()
	rep, err := gc.Run(openGCRoot(t, m), gc.Options{Version: pegasus.V24, Logs: gc.LogAll})
	if err != nil {
		t.Fatal(err)
	}
	var plan Plan
	for _, dp := range rep.Plan() {
		d := Dir{Path: dp.Dir}
		for _, f := range dp.Files {
			o, err := Observe(vfs.OS, f.Path)
			if err != nil {
				t.Fatal(err)
			}
			d.Files = append(d.Files, o)
		}
		plan.Dirs = append(plan.Dirs, d)
	}
	return plan
}

// logFiles is every log file under root with its SHA-256.
func logFiles(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if _, _, err := format.ParseFileName(d.Name()); err != nil {
			return nil
		}
		b, err := os.ReadFile(p)
		sum := sha256.Sum256(b)
		out[p] = hex.EncodeToString(sum[:])
		return err
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

// `gc --apply` crashed (a power loss) at every sync point and name change
// of reclaim.Apply (crashtest.Points), names kept or taken back, deleting,
// moving to a trash dir, and copying to a trash dir on another
// filesystem: what every replica recovers under 2.4 and 2.6 is what it
// was (no hole in any log, no file lost: one gone from its dir is whole in
// the trash), and gc --apply run again (after every other point; after
// each in the long run) finishes the plan.
func TestGCApplyCrashEverywhere(t *testing.T) {
	for _, mode := range []string{"delete", "trash", "trash on another filesystem"} {
		t.Run(mode, func(t *testing.T) {
			dir := crashtest.TempDir(t)
			m, err := fixtures.Generate(fixtures.Options{Out: filepath.Join(dir, "root"), Seed: 2, Apps: 2, Replicas: 2, Mutations: 500,
				Disks: 2, SlogFileSize: 16384, PlogFileSize: 8192, ValueSize: 16})
			if err != nil {
				t.Fatal(err)
			}
			before, before24, logs := recoveredBy(t, m), recoveredBy(t, m, pegasus.V24), logFiles(t, m.Root)
			tree := crashtest.Keep(t, m.Root)
			opt, trash := Options{}, filepath.Join(dir, "trash")
			wrap := func(fsys vfs.FS) vfs.FS { return fsys }
			if mode != "delete" {
				opt.Trash = trash
			}
			if mode == "trash on another filesystem" {
				wrap = func(fsys vfs.FS) vfs.FS { return vfs.CrossDevice(fsys, trash) }
			}
			restore := func() {
				tree.Restore(t)
				if err := os.RemoveAll(trash); err != nil {
					t.Fatal(err)
				}
			}
			// nothingLost: every log file is in its dir, or whole in the
			// trash, and the replicas recover what they did (under 2.4,
			// and under 2.6 once gc is done).
			nothingLost := func(what string, done bool) {
				t.Helper()
				now, inTrash := logFiles(t, m.Root), logFiles(t, trash)
				for p, sum := range logs {
					if now[p] == sum {
						continue
					}
					if mode == "delete" {
						continue
					}
					if inTrash[filepath.Join(trash, p)] != sum {
						t.Fatalf("%s: %s is neither in its dir nor whole in the trash", what, p)
					}
				}
				want, got := before24, recoveredBy(t, m, pegasus.V24)
				if done {
					want, got = before, recoveredBy(t, m)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Fatalf("%s: what the replicas recover changed (-before +after):\n%s", what, d)
				}
			}
			restore()
			probe := vfs.NewFaulty(vfs.OS)
			r, err := Apply(wrap(probe), gcPlan(t, m), opt)
			if err != nil || !r.Complete || r.RemovedFiles == 0 {
				t.Fatalf("gc --apply: %v %+v", err, r)
			}
			if u := probe.Unsynced(); len(u) > 0 {
				t.Fatalf("gc --apply returned with changes not durable: %v", u)
			}
			after := logFiles(t, m.Root)
			points := crashtest.Points(probe)
			t.Logf("gc --apply (%s, %d files): %s", mode, r.RemovedFiles, crashtest.Summary(points))
			for i, p := range points {
				name := p.String()
				restore()
				_, err := Apply(wrap(p.Faulty(vfs.OS, tree.Stash)), gcPlan(t, m), opt)
				if !errors.Is(err, vfs.ErrCrashed) {
					t.Fatalf("%s: gc --apply did not crash: %v", name, err)
				}
				nothingLost(name, false)
				if i%2 == 1 && !crashtest.Long() {
					continue
				}
				// gc --apply again: a new plan of what is left, carried out.
				if r, err := Apply(wrap(vfs.OS), gcPlan(t, m), opt); err != nil || !r.Complete {
					t.Fatalf("%s: gc --apply again: %v %+v", name, err, r)
				}
				nothingLost(name+", then gc --apply again", true)
				if d := cmp.Diff(after, logFiles(t, m.Root)); d != "" {
					t.Fatalf("%s: gc --apply again leaves other files than a run without a crash (-without +with):\n%s", name, d)
				}
			}
		})
	}
}

// EIO on the reads, removes, renames, writes and syncs of gc --apply
// (a spread of each; all in the long run): Apply stops with the error,
// naming the file; nothing is lost, with or without a power loss after
// it; gc --apply again finishes.
func TestGCApplyFaults(t *testing.T) {
	dir := crashtest.TempDir(t)
	m, err := fixtures.Generate(fixtures.Options{Out: filepath.Join(dir, "root"), Seed: 2, Apps: 2, Replicas: 2, Mutations: 500,
		Disks: 2, SlogFileSize: 16384, PlogFileSize: 8192, ValueSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	before := recoveredBy(t, m)
	tree := crashtest.Keep(t, m.Root)
	trash := filepath.Join(dir, "trash")
	opt := Options{Trash: trash, Copy: true}
	restore := func() {
		tree.Restore(t)
		if err := os.RemoveAll(trash); err != nil {
			t.Fatal(err)
		}
	}
	restore()
	probe := vfs.NewFaulty(vfs.OS)
	if r, err := Apply(probe, gcPlan(t, m), opt); err != nil || !r.Complete {
		t.Fatalf("gc --apply: %v %+v", err, r)
	}
	tried := 0
	for _, op := range []vfs.Op{vfs.OpRead, vfs.OpRemove, vfs.OpRename, vfs.OpWrite, vfs.OpSync, vfs.OpSyncDir} {
		for _, i := range crashtest.Spread(probe.Count(op), 3) {
			for _, powerLoss := range []bool{false, true} {
				tried++
				name := fmt.Sprintf("%s#%d EIO, power loss %v", op, i, powerLoss)
				restore()
				f := vfs.NewFaulty(vfs.OS)
				f.SetCrashMode(vfs.CrashMode{Undo: vfs.UndoAll, Stash: tree.Stash})
				f.Inject(vfs.Fault{Op: op, After: i, Err: syscall.EIO})
				_, err := Apply(f, gcPlan(t, m), opt)
				if hit := f.Fired(); len(hit) != 1 || !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), hit[0]) {
					t.Fatalf("%s: Apply stopped with %v; the fault hit %v", name, err, hit)
				}
				if powerLoss {
					if err := f.Crash(); err != nil {
						t.Fatal(err)
					}
				}
				if d := cmp.Diff(before, recoveredBy(t, m)); d != "" {
					t.Fatalf("%s: what the replicas recover changed:\n%s", name, d)
				}
				if r, err := Apply(vfs.OS, gcPlan(t, m), opt); err != nil || !r.Complete {
					t.Fatalf("%s: gc --apply again: %v %+v", name, err, r)
				}
				if d := cmp.Diff(before, recoveredBy(t, m)); d != "" {
					t.Fatalf("%s, then gc --apply again: what the replicas recover changed:\n%s", name, d)
				}
			}
		}
	}
	t.Logf("gc --apply: %d I/O errors injected", tried)
}
