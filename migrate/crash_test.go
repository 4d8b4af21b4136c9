package migrate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/internal/crashtest"
	"github.com/waltool/waltool/journal"
	"github.com/waltool/waltool/pegasus"
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

// rollbackLast rolls back the root's newest run not rolled back, as
// `waltool migrate rollback` does; no run is no error.
func rollbackLast(fsys vfs.FS, m *fixtures.Manifest) error {
	j, err := journal.Last(fsys, m.Root)
	if errors.Is(err, journal.ErrNoRun) {
		return nil
	}
	if err != nil {
		return err
	}
	defer j.Close()
	_, err = j.Rollback()
	return err
}

// crashRoot is a generated root for the crash tests, kept pristine: each
// try puts it back at its path (crashtest.Tree), so that one plan, which
// names absolute paths, serves them all. It lives on tmpfs when there is
// one.
type crashRoot struct {
	m       *fixtures.Manifest
	tree    *crashtest.Tree
	initial map[string]string
	// before is what every replica recovers under 2.4 on the root as
	// generated: no crash may leave a root 2.4 recovers less from.
	before []State
	// wrap, when set, wraps the FS every run goes through (a second disk
	// as another filesystem).
	wrap func(vfs.FS) vfs.FS
}

func newCrashRoot(t *testing.T, o fixtures.Options, prepare func(m *fixtures.Manifest)) *crashRoot {
	t.Helper()
	o.Out = filepath.Join(crashtest.TempDir(t), "root")
	m, err := fixtures.Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	if prepare != nil {
		prepare(m)
	}
	c := &crashRoot{m: m}
	c.before = c.state(t, pegasus.V24)
	c.initial = treeOf(t, m.Root)
	c.tree = crashtest.Keep(t, m.Root)
	return c
}

func (c *crashRoot) fs(base vfs.FS) vfs.FS {
	if c.wrap != nil {
		return c.wrap(base)
	}
	return base
}

// restore puts the pristine root back.
func (c *crashRoot) restore(t *testing.T) { c.tree.Restore(t) }

// faulty is a Faulty crashing at p, its stash beside the root.
func (c *crashRoot) faulty(p crashtest.Point) *vfs.Faulty { return p.Faulty(vfs.OS, c.tree.Stash) }

// state is what every replica recovers under v on the root as it is.
func (c *crashRoot) state(t *testing.T, v pegasus.Version) []State {
	t.Helper()
	st, _, err := stateOf(openRoot(t, c.m), v, Options{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// notWorse fails unless 2.4 recovers from the root as it is now at least
// what it did before the run: every replica, its committed decree and
// committed mutations not fewer, and the same stream when they are equal.
// One exception: a replica dir being moved to another filesystem (a
// rebalance) is, between its two renames, under neither name the server
// loads (never under both: journal.MoveDir); a crash there leaves it whole
// at <from>.ori with its copy at <to>.tmp, for resume or rollback to put
// in place.
func (c *crashRoot) notWorse(t *testing.T, what string) {
	t.Helper()
	aside := map[string]bool{}
	for _, d := range openRoot(t, c.m).DataDirs {
		ents, _ := os.ReadDir(d.Path)
		for _, e := range ents {
			if n := e.Name(); e.IsDir() && strings.HasSuffix(n, journal.DirOriSuffix) {
				aside[strings.SplitN(n, ".", 3)[0]+"."+strings.SplitN(n, ".", 3)[1]] = true
			}
		}
	}
	if w := worse(c.before, c.state(t, pegasus.V24), aside); len(w) > 0 {
		t.Fatalf("%s: 2.4 recovers less than before the run: %s", what, strings.Join(w, "; "))
	}
}

// worse says how after falls short of before; a replica in aside (by
// gpid) may be missing.
func worse(before, after []State, aside map[string]bool) []string {
	got := map[string]State{}
	for _, s := range after {
		got[s.Gpid.String()] = s
	}
	var out []string
	for _, b := range before {
		a, ok := got[b.Gpid.String()]
		switch {
		case !ok && aside[b.Gpid.String()]:
		case !ok:
			out = append(out, fmt.Sprintf("replica %s not recovered", b.Gpid))
		case a.Committed < b.Committed || a.Stream.Committed < b.Stream.Committed:
			out = append(out, fmt.Sprintf("replica %s committed %d (%d mutations), %d (%d) before", b.Gpid, a.Committed, a.Stream.Committed, b.Committed, b.Stream.Committed))
		case a.Committed == b.Committed && a.Stream.Committed == b.Stream.Committed && a.Stream.Prepared == b.Stream.Prepared && a.Stream.Hash != b.Stream.Hash:
			out = append(out, fmt.Sprintf("replica %s recovers another stream", b.Gpid))
		}
	}
	return out
}

// same fails unless the root is byte for byte what it was generated as.
func (c *crashRoot) same(t *testing.T, what string) {
	t.Helper()
	if d := cmp.Diff(c.initial, treeOf(t, c.m.Root)); d != "" {
		t.Fatalf("%s: not the initial tree byte for byte (-initial +now):\n%s", what, d)
	}
}

// noLeftovers fails on a temporary name left in the root.
func (c *crashRoot) noLeftovers(t *testing.T, what string) {
	t.Helper()
	for p := range treeOf(t, c.m.Root) {
		if strings.Contains(p, journal.TmpPrefix) || strings.Contains(p, ".pegasus"+journal.DirTmpSuffix) || strings.Contains(p, ".pegasus"+journal.DirOriSuffix) {
			t.Fatalf("%s: left behind: %s", what, p)
		}
	}
}

// migration is a migration's crash tests: the root, how to run it (begin,
// or resume the run in the root) and how to prove a finished run.
type migration struct {
	*crashRoot
	what  string
	apply func(t *testing.T, fsys vfs.FS, begin bool) error
	prove func(t *testing.T) error
}

// run begins (or, !begin, resumes) the migration through fsys.
func (c *migration) run(t *testing.T, fsys vfs.FS, begin bool) error {
	return c.apply(t, c.fs(fsys), begin)
}

// newUpgrade is the upgrade of a root generated with o (then prepared),
// with small new plog files, and a rebalance when asked.
func newUpgrade(t *testing.T, o fixtures.Options, rebalance bool, prepare func(*fixtures.Manifest)) *migration {
	t.Helper()
	c := &migration{crashRoot: newCrashRoot(t, o, prepare), what: "migrate upgrade --apply"}
	plan, err := PlanUpgrade(openRoot(t, c.m), Options{MaxFileSize: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if rebalance {
		if err := plan.PlanRebalance(vfs.ReadOnly(vfs.OS)); err != nil {
			t.Fatal(err)
		}
	}
	if plan.FoldMutations == 0 || len(plan.SlogFiles) < 2 {
		t.Fatalf("the root folds %d mutations from %d slog files: nothing to crash", plan.FoldMutations, len(plan.SlogFiles))
	}
	// Kept as the journal keeps it, JSON, and decoded afresh for each run.
	js, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	planned := func(t *testing.T) *Plan {
		t.Helper()
		var p Plan
		if err := json.Unmarshal(js, &p); err != nil {
			t.Fatal(err)
		}
		return &p
	}
	c.apply = func(t *testing.T, fsys vfs.FS, begin bool) error {
		return upgradeThrough(fsys, c.m, planned(t), begin)
	}
	c.prove = func(t *testing.T) error {
		proof, err := Prove(planned(t), openRoot(t, c.m))
		if err == nil && !proof.Equal {
			err = fmt.Errorf("2.6 on the new root does not recover what 2.4 did: %+v", proof)
		}
		return err
	}
	return c
}

// crashed restores the root and runs the migration, crashing at p.
func (c *migration) crashed(t *testing.T, p crashtest.Point) {
	t.Helper()
	c.restore(t)
	if err := c.run(t, c.faulty(p), true); !errors.Is(err, vfs.ErrCrashed) {
		t.Fatalf("%s: the run did not crash: %v", p, err)
	}
	c.loadableOnce(t, p.String())
}

// loadableOnce fails when a replica is loadable from two data dirs.
func (c *crashRoot) loadableOnce(t *testing.T, what string) {
	t.Helper()
	for name, dirs := range loadable(t, c.m) {
		if len(dirs) != 1 {
			t.Fatalf("%s: %s loadable in %v", what, name, dirs)
		}
	}
}

// firstWithARun is the first of points whose crash leaves a run to
// resume (a crash before the begin record is durable leaves none), the
// root crashed there.
func (c *migration) firstWithARun(t *testing.T, points []crashtest.Point) crashtest.Point {
	t.Helper()
	for _, p := range points {
		c.crashed(t, p)
		if j, err := journal.Last(vfs.OS, c.m.Root); err == nil {
			j.Close()
			return p
		}
	}
	t.Fatal("no crash point leaves a run to resume")
	return crashtest.Point{}
}

// resume finishes the run in the root (or, when a crash came before its
// first record was durable and nothing was changed, runs it again), then
// proves it; rollback then restores the root byte for byte.
func (c *migration) resumeProveRollback(t *testing.T, what string) {
	t.Helper()
	err := c.run(t, vfs.OS, false)
	if errors.Is(err, journal.ErrNoRun) {
		c.same(t, what+": no run recorded, yet the tree changed")
		err = c.run(t, vfs.OS, true)
	}
	if err != nil {
		t.Fatalf("%s: resume: %v", what, err)
	}
	if err := c.prove(t); err != nil {
		t.Fatalf("%s: the resumed run does not prove: %v", what, err)
	}
	c.noLeftovers(t, what)
	c.notWorse(t, what+": resumed")
	c.rollback(t, what+": resumed")
}

// rollback rolls the run back and checks the root is the initial one.
func (c *migration) rollback(t *testing.T, what string) {
	t.Helper()
	if err := rollbackLast(c.fs(vfs.OS), c.m); err != nil {
		t.Fatalf("%s: rollback: %v", what, err)
	}
	c.same(t, what+": rolled back")
}

// probe runs the migration to its end through a Faulty and returns it.
func (c *migration) probe(t *testing.T) *vfs.Faulty {
	t.Helper()
	c.restore(t)
	f := vfs.NewFaulty(vfs.OS)
	if err := c.run(t, f, true); err != nil {
		t.Fatal(err)
	}
	if u := f.Unsynced(); len(u) > 0 {
		t.Fatalf("%s returned with changes not durable: %v", c.what, u)
	}
	return f
}

var upgradeOpts = fixtures.Options{Seed: 9, Apps: 1, Replicas: 3, Mutations: 500, ValueSize: 20, Disks: 2, SlogFileSize: 8 << 10, PlogFileSize: 8 << 10}

// A power loss at every sync point of a journaled upgrade (fold and
// archive), and at every name change and a sample of the writes
// (crashtest.Points), with the renames, removes and mkdirs no dir fsync
// made durable kept or taken back: 2.4 recovers from the crashed root no
// less than before; resuming finishes the run and the proof holds (2.6
// on the new root recovers what 2.4 did on the old), and rolling back
// gives the initial tree byte for byte. Rolling back straight after the
// crash does too (the even points resume, the odd ones roll back; the long
// run does both).
func TestUpgradeCrashEverywhere(t *testing.T) {
	crashEverywhere(t, newUpgrade(t, upgradeOpts, false, nil))
}

// crashEverywhere crashes c's migration at crashtest.Points (those only
// filter keeps, when given), then resumes (even points) or rolls back (odd
// ones; the long run does both).
func crashEverywhere(t *testing.T, c *migration, filter ...func(crashtest.Point) bool) {
	t.Helper()
	points := crashtest.Points(c.probe(t))
	for _, keep := range filter {
		points = slices.DeleteFunc(points, func(p crashtest.Point) bool { return !keep(p) })
	}
	t.Logf("%s: %s", c.what, crashtest.Summary(points))
	for i, p := range points {
		name := p.String()
		if i%2 == 0 || crashtest.Long() {
			c.crashed(t, p)
			c.notWorse(t, name)
			c.resumeProveRollback(t, name)
		}
		if i%2 == 1 || crashtest.Long() {
			c.crashed(t, p)
			c.notWorse(t, name)
			c.rollback(t, name)
		}
	}
}

// `migrate resume` crashed: the upgrade crashed at a spread of its dir
// fsyncs (names kept or taken back), then its resume crashed at every sync
// point and name change of the resume: 2.4 recovers no less, and resuming
// again proves, or rolling back restores the root byte for byte.
func TestUpgradeResumeCrashEverywhere(t *testing.T) {
	resumeCrashes(t, newUpgrade(t, upgradeOpts, false, nil), 3)
}

// resumeCrashes crashes c's migration at n of its dir fsyncs, spread, and
// then its resume at crashtest.Points of the resume.
func resumeCrashes(t *testing.T, c *migration, n int) {
	t.Helper()
	firsts := crashtest.Points(c.probe(t), vfs.OpSyncDir)
	tried := 0
	for _, k := range crashtest.Sample(len(firsts), n, 4*n) {
		first := c.firstWithARun(t, firsts[k:])
		// The tree the crash left depends on how the fold's goroutines
		// were scheduled: kept (by hard links: the journal recognises
		// moved files by inode) and put back before each resume, the
		// resume's operations are the probe's.
		crashed := crashtest.KeepLinked(t, c.m.Root)
		rf := vfs.NewFaulty(vfs.OS)
		if err := c.run(t, rf, false); err != nil {
			t.Fatalf("%s: resume: %v", first, err)
		}
		if u := rf.Unsynced(); len(u) > 0 {
			t.Fatalf("%s: the resume returned with changes not durable: %v", first, u)
		}
		points := crashtest.Points(rf)
		t.Logf("migrate resume after %s crashed at %s: %s", c.what, first, crashtest.Summary(points))
		for i, p := range points {
			tried++
			name := fmt.Sprintf("%s, then the resume at %s", first, p)
			crashed.Restore(t)
			if err := c.run(t, c.faulty(p), false); !errors.Is(err, vfs.ErrCrashed) {
				t.Fatalf("%s: the resume did not crash: %v", name, err)
			}
			c.notWorse(t, name)
			if i%2 == 0 {
				c.resumeProveRollback(t, name)
			} else {
				c.rollback(t, name)
			}
		}
	}
	t.Logf("migrate resume of %s: %d crash points", c.what, tried)
}

// `migrate rollback` crashed: the rollback of a finished upgrade, and of
// one crashed half-way, crashed at every sync point and name change of the
// rollback: 2.4 recovers no less, the run cannot be resumed any more (a
// rollback that began is finished by another rollback), and rolling back
// again restores the root byte for byte.
func TestUpgradeRollbackCrashEverywhere(t *testing.T) {
	rollbackCrashes(t, newUpgrade(t, upgradeOpts, false, nil), 1)
}

// rollbackCrashes crashes the rollback of c's migration, finished or
// crashed at n of its dir fsyncs (spread), at crashtest.Points of the
// rollback.
func rollbackCrashes(t *testing.T, c *migration, n int) {
	t.Helper()
	probe := c.probe(t)
	firsts := crashtest.Points(probe, vfs.OpSyncDir)
	// The runs to roll back: finished, or crashed at one of its dir fsyncs.
	type start struct {
		what  string
		crash *crashtest.Point
	}
	starts := []start{{what: "finished"}}
	for _, k := range crashtest.Sample(len(firsts), n, 4*n) {
		starts = append(starts, start{what: "crashed at " + firsts[k].String(), crash: &firsts[k]})
	}
	var crashed *crashtest.Tree
	prepare := func(s start) {
		if s.crash != nil {
			crashed.Restore(t)
			return
		}
		c.restore(t)
		if err := c.run(t, vfs.OS, true); err != nil {
			t.Fatal(err)
		}
	}
	tried := 0
	for _, s := range starts {
		if s.crash != nil {
			// Kept by hard links (see TestUpgradeResumeCrashEverywhere).
			c.crashed(t, *s.crash)
			crashed = crashtest.KeepLinked(t, c.m.Root)
		}
		prepare(s)
		rf := vfs.NewFaulty(vfs.OS)
		if err := rollbackLast(c.fs(rf), c.m); err != nil {
			t.Fatalf("%s: rollback: %v", s.what, err)
		}
		if u := rf.Unsynced(); len(u) > 0 {
			t.Fatalf("%s: the rollback returned with changes not durable: %v", s.what, u)
		}
		points := crashtest.Points(rf)
		t.Logf("migrate rollback of %s %s: %s", c.what, s.what, crashtest.Summary(points))
		for _, p := range points {
			tried++
			name := fmt.Sprintf("the rollback of a run %s, crashed at %s", s.what, p)
			prepare(s)
			if err := rollbackLast(c.fs(c.faulty(p)), c.m); !errors.Is(err, vfs.ErrCrashed) {
				t.Fatalf("%s: the rollback did not crash: %v", name, err)
			}
			c.notWorse(t, name)
			j, err := journal.Last(vfs.OS, c.m.Root)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			rollingBack := j.State().RollingBack
			j.Close()
			// Once the rollback's record is durable, a resume carries no
			// step out (a finished run's phases are all skipped).
			crashedAt := treeOf(t, c.m.Root)
			err = c.run(t, vfs.OS, false)
			switch {
			case rollingBack && err != nil && !errors.Is(err, journal.ErrState):
				t.Fatalf("%s: a resume over an interrupted rollback: %v", name, err)
			case rollingBack && err == nil:
				if d := cmp.Diff(crashedAt, treeOf(t, c.m.Root)); d != "" {
					t.Fatalf("%s: a resume went on over an interrupted rollback:\n%s", name, d)
				}
			case !rollingBack && err != nil:
				t.Fatalf("%s: resume of a run whose rollback never began: %v", name, err)
			}
			c.rollback(t, name)
		}
	}
	t.Logf("migrate rollback of %s: %d crash points", c.what, tried)
}

// EIO (and ENOSPC) on reads, writes, fdatasyncs, dir fsyncs and renames at
// a spread of each (crashtest.Spread; all of them in the long run), in
// the upgrade, in its resume and in its rollback: the command stops with
// the error, naming the file it hit; 2.4 recovers no less, with or without
// a power loss on top (names taken back); resume then proves and rollback
// restores the root byte for byte.
func TestUpgradeFaultsThenResumeOrRollback(t *testing.T) {
	faultsThenResumeOrRollback(t, newUpgrade(t, upgradeOpts, false, nil))
}

// faultsThenResumeOrRollback injects I/O errors in c's migration, its
// resume and its rollback.
func faultsThenResumeOrRollback(t *testing.T, c *migration) {
	t.Helper()
	probe := c.probe(t)
	ops := []vfs.Op{vfs.OpRead, vfs.OpWrite, vfs.OpSync, vfs.OpSyncDir, vfs.OpRename}
	faulty := func(op vfs.Op, i int, errno error) *vfs.Faulty {
		f := vfs.NewFaulty(vfs.OS)
		f.SetCrashMode(vfs.CrashMode{Undo: vfs.UndoAll, Stash: c.tree.Stash})
		ft := vfs.Fault{Op: op, After: i, Err: errno}
		if op == vfs.OpWrite {
			ft.Short = 100 // a torn write
		}
		f.Inject(ft)
		return f
	}
	stopped := func(name string, f *vfs.Faulty, err, errno error) {
		t.Helper()
		if len(f.Fired()) == 0 {
			t.Fatalf("%s: the fault never fired (%v)", name, err)
		}
		if !errors.Is(err, errno) {
			t.Fatalf("%s: the command did not stop with it: %v", name, err)
		}
		if hit := f.Fired(); len(hit) != 1 || !strings.Contains(err.Error(), hit[0]) {
			t.Fatalf("%s: the error does not name the file the fault hit (%v): %v", name, hit, err)
		}
	}
	tried := 0
	for _, op := range ops {
		for _, i := range crashtest.Spread(probe.Count(op), 4) {
			for _, errno := range []error{syscall.EIO, syscall.ENOSPC} {
				if errno == syscall.ENOSPC && (op == vfs.OpRead || op == vfs.OpRename) {
					continue
				}
				tried++
				name := fmt.Sprintf("%s: %s#%d %v", c.what, op, i, errno)
				c.restore(t)
				f := faulty(op, i, errno)
				err := c.run(t, f, true)
				stopped(name, f, err, errno)
				c.notWorse(t, name)
				if tried%2 == 0 {
					if err := f.Crash(); err != nil {
						t.Fatal(err)
					}
					name += ", then a power loss"
					c.notWorse(t, name)
				}
				c.resumeProveRollback(t, name)
			}
		}
	}
	// In the resume of a run that crashed at its middle dir fsync, and in
	// the rollback of a finished run.
	firsts := crashtest.Points(probe, vfs.OpSyncDir)
	first := c.firstWithARun(t, firsts[len(firsts)/2:])
	crashed := crashtest.KeepLinked(t, c.m.Root)
	rprobe := vfs.NewFaulty(vfs.OS)
	if err := c.run(t, rprobe, false); err != nil {
		t.Fatal(err)
	}
	c.restore(t)
	if err := c.run(t, vfs.OS, true); err != nil {
		t.Fatal(err)
	}
	bprobe := vfs.NewFaulty(vfs.OS)
	if err := rollbackLast(c.fs(bprobe), c.m); err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		for _, i := range crashtest.Spread(rprobe.Count(op), 2) {
			tried++
			name := fmt.Sprintf("resume after %s: %s#%d EIO", first, op, i)
			crashed.Restore(t)
			f := faulty(op, i, syscall.EIO)
			stopped(name, f, c.run(t, f, false), syscall.EIO)
			c.notWorse(t, name)
			c.resumeProveRollback(t, name)
		}
		for _, i := range crashtest.Spread(bprobe.Count(op), 2) {
			tried++
			name := fmt.Sprintf("rollback: %s#%d EIO", op, i)
			c.restore(t)
			if err := c.run(t, vfs.OS, true); err != nil {
				t.Fatal(err)
			}
			f := faulty(op, i, syscall.EIO)
			stopped(name, f, rollbackLast(c.fs(f), c.m), syscall.EIO)
			c.notWorse(t, name)
			c.rollback(t, name)
		}
	}
	t.Logf("%s, its resume and its rollback: %d I/O errors injected", c.what, tried)
}

// An I/O error reading the slog in the fold stops the upgrade with that
// error, naming the slog file, at every read of the slog: the writers the
// failed read left short are its consequence, not a slog that changed
// since the plan (which is what they used to report, the EIO and the file
// lost). Resuming then proves, and rolling back restores the root.
func TestFoldSlogReadErrorIsReported(t *testing.T) {
	c := newUpgrade(t, upgradeOpts, false, nil)
	for i := 0; ; i++ {
		c.restore(t)
		f := vfs.NewFaulty(vfs.OS)
		f.Inject(vfs.Fault{Op: vfs.OpRead, Path: filepath.Join("replica", "slog") + "/", After: i, Err: syscall.EIO})
		err := c.run(t, f, true)
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
		c.resumeProveRollback(t, fmt.Sprintf("slog read #%d", i))
	}
}
