package migrate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/internal/refdecode"
	"github.com/waltool/waltool/journal"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/serversim"
	"github.com/waltool/waltool/vfs"
)

// plogOnly generates a 2.3 root and upgrades it: the plog-only root a 2.6
// server starts on. It returns the upgrade's slog archive.
func plogOnly(t *testing.T, o fixtures.Options) (*fixtures.Manifest, string) {
	t.Helper()
	m := generate(t, o)
	_, archive := upgrade(t, m, 0)
	return m, archive
}

// serverWrites lets a server of version v write next on the root, for
// real, crash, and checks that its restart loses nothing acknowledged.
func serverWrites(t *testing.T, m *fixtures.Manifest, v pegasus.Version, seed int64) {
	t.Helper()
	res, err := serversim.Write(vfs.OS, openRoot(t, m), serversim.Options{Version: v, Seed: seed})
	if err != nil {
		t.Fatalf("%s writes: %v", v, err)
	}
	lost, err := serversim.Lost(vfs.OS, openRoot(t, m), v, res.Acked)
	if err != nil || len(lost) > 0 {
		t.Fatalf("%s lost acknowledged writes at its own restart: %v %v", v, err, lost)
	}
}

// downgrade plans a downgrade of the root to target, lets spoil undo a
// part of it (a test of the hazard that part fixes), applies it and
// proves the new root.
func downgrade(t *testing.T, m *fixtures.Manifest, target pegasus.Version, seed int64, spoil func(*DowngradePlan)) (*DowngradePlan, *DowngradeProof, error) {
	t.Helper()
	plan, err := PlanDowngrade(openRoot(t, m), DowngradeOptions{Target: target, Next: NextOptions{Seed: seed}})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Refusals) > 0 {
		t.Fatalf("refusals: %v", plan.Refusals)
	}
	if spoil != nil {
		spoil(plan)
	}
	if err := plan.Apply(&DirectSteps{FS: vfs.OS}, filepath.Join(m.Root, "downgrade-archive"), nil); err != nil {
		t.Fatal(err)
	}
	pr, err := ProveDowngrade(plan, vfs.ReadOnly(vfs.OS), openRoot(t, m), Options{})
	return plan, pr, err
}

// The way back, over generated roots of several shapes: upgrade, let 2.6
// (or 2.4) write and crash, downgrade to each target; the target recovers
// what 2.6 recovered, and its own next writes (simulated in the proof, and
// then for real on the root) survive its crash. After 2.3 wrote, the root
// is upgraded again and proven: the cycle closes.
func TestDowngradeRoundTrips(t *testing.T) {
	for _, o := range shapes(4) {
		for _, target := range []pegasus.Version{pegasus.V23, pegasus.V24, pegasus.V25} {
			m, _ := plogOnly(t, o)
			newer := pegasus.V26 // the server that wrote since the upgrade
			if o.Seed%2 == 1 {
				newer = pegasus.V24
			}
			serverWrites(t, m, newer, o.Seed)
			plan, pr, err := downgrade(t, m, target, o.Seed, nil)
			if err != nil {
				t.Fatalf("seed %d to %s: %v", o.Seed, target, err)
			}
			if !pr.OK || pr.Next == nil || pr.Next.Acked == 0 {
				t.Fatalf("seed %d to %s: proof %+v", o.Seed, target, pr)
			}
			if target == pegasus.V23 && plan.SlogStart == nil && maxInitOffset(t, m) > 0 {
				t.Fatalf("seed %d: no slog start for 2.3 although init offsets are set", o.Seed)
			}
			serverWrites(t, m, target, o.Seed+100)
			// And up again: the slog 2.3 wrote since (after the header-only
			// file) is folded, and 2.6 recovers what 2.4 does.
			if target == pegasus.V23 {
				up, err := PlanUpgrade(openRoot(t, m), Options{})
				if err != nil {
					t.Fatalf("seed %d: upgrade after 2.3 wrote: %v", o.Seed, err)
				}
				steps := &DirectSteps{FS: vfs.OS}
				if err := up.Apply(vfs.OS, steps, filepath.Join(m.Root, "second-archive"), nil); err != nil {
					t.Fatal(err)
				}
				if pr, err := Prove(up, openRoot(t, m)); err != nil || !pr.Equal {
					t.Fatalf("seed %d: the second upgrade does not prove: %v %+v", o.Seed, err, pr)
				}
			}
		}
	}
}

func maxInitOffset(t *testing.T, m *fixtures.Manifest) int64 {
	var x int64
	for _, dr := range openRoot(t, m).Replicas {
		if dr.InitInfo != nil {
			x = max(x, dr.InitInfo.InitOffsetInSharedLog)
		}
	}
	return x
}

// raiseInitOffsets sets every replica's init_offset_in_shared_log to to,
// as a replica created (or having learned) when the slog ended there
// holds it (replica::update_init_info, replica_learn.cpp).
func raiseInitOffsets(t *testing.T, m *fixtures.Manifest, to int64) {
	for _, dr := range openRoot(t, m).Replicas {
		ii := *dr.InitInfo
		ii.InitOffsetInSharedLog = to
		if err := dataroot.WriteInitInfo(vfs.OS, filepath.Join(dr.Dir, dataroot.InitInfoFile), ii); err != nil {
			t.Fatal(err)
		}
	}
}

// The init-offset trap (rdsn v2.3.0 replica::replay_mutation skips slog
// mutations below init_offset_in_shared_log; mutation_log::open starts an
// empty slog dir at offset 0): without the header-only slog file, 2.3's
// next writes land below the replicas' offsets, and those its lagging plog
// had not received when it crashed are gone at the restart. With it, none.
func TestDowngradeInitOffsetTrap(t *testing.T) {
	o := fixtures.Options{Seed: 7, Apps: 2, Replicas: 3, Mutations: 900, ValueSize: 30, SlogFileSize: 16 << 10}
	lostNaive := 0
	for seed := int64(1); seed <= 3; seed++ {
		m, archive := plogOnly(t, o)
		raiseInitOffsets(t, m, archivedEnd(t, archive))
		plan, pr, err := downgrade(t, m, pegasus.V23, seed, nil)
		if err != nil || !pr.OK {
			t.Fatalf("seed %d: %v %+v", seed, err, pr)
		}
		if plan.SlogStart == nil || plan.SlogStart.StartOffset < archivedEnd(t, archive) {
			t.Fatalf("slog start %+v", plan.SlogStart)
		}
		// An independent decoder reads the header-only file as 2.3's
		// log_file::open_read does: block 0 only, the start offset of its
		// name, no replica entry; and nothing else is in the slog dir.
		f, err := refdecode.DecodeFile(plan.SlogStart.Path)
		if err != nil || f.StartOffset != plan.SlogStart.StartOffset || len(f.Entries) != 0 || len(f.Blocks) != 1 || len(f.Mutations) != 0 || f.Tail != refdecode.TailClean {
			t.Fatalf("the header-only slog file: %v %+v", err, f)
		}
		if ents, _ := os.ReadDir(plan.SlogDir); len(ents) != 1 {
			t.Fatalf("the slog dir holds %v", ents)
		}

		m, archive = plogOnly(t, o)
		raiseInitOffsets(t, m, archivedEnd(t, archive))
		_, pr, err = downgrade(t, m, pegasus.V23, seed, func(p *DowngradePlan) { p.SlogStart = nil })
		if err != nil {
			t.Fatal(err)
		}
		if pr.Next.Lagged > 0 && len(pr.Next.Lost) == 0 {
			t.Fatalf("seed %d: %d writes only in the slog at the crash, none lost without the fix", seed, pr.Next.Lagged)
		}
		lostNaive += len(pr.Next.Lost)
	}
	if lostNaive == 0 {
		t.Fatal("the naive downgrade never lost a write: the test shows nothing")
	}
}

func archivedEnd(t *testing.T, archive string) int64 {
	d, err := os.ReadDir(archive)
	if err != nil {
		t.Fatal(err)
	}
	var end int64
	for _, e := range d {
		info, _ := e.Info()
		if _, start, err := format.ParseFileName(e.Name()); err == nil {
			end = max(end, start+info.Size())
		}
	}
	return end
}

// 2.3's slog/plog consistency check (replica_stub::initialize: smax, 0
// taken as the plog's max decree, must equal pmax): a slog left in the
// dir by a 2.4/2.5 server that never collected it holds older max decrees
// than plogs 2.6 has written to since, and 2.3 would start with the
// replicas inactive. The downgrade archives it; without that, the proof
// fails.
func TestDowngradeMaxDecreeCheck(t *testing.T) {
	o := fixtures.Options{Seed: 9, Apps: 2, Replicas: 2, Mutations: 700, ValueSize: 20, SlogFileSize: 16 << 10}
	setup := func() *fixtures.Manifest {
		m, archive := plogOnly(t, o)
		serverWrites(t, m, pegasus.V26, 1)
		slog := openRoot(t, m).SlogDir
		files, _ := os.ReadDir(archive)
		for _, f := range files {
			if err := os.Rename(filepath.Join(archive, f.Name()), filepath.Join(slog, f.Name())); err != nil {
				t.Fatal(err)
			}
		}
		return m
	}
	plan, pr, err := downgrade(t, setup(), pegasus.V23, 1, nil)
	if err != nil || !pr.OK || len(plan.SlogFiles) == 0 {
		t.Fatalf("with the archive: %v %+v (%d slog files)", err, pr, len(plan.SlogFiles))
	}
	_, pr, err = downgrade(t, setup(), pegasus.V23, 1, func(p *DowngradePlan) { p.SlogFiles = nil; p.SlogStart = nil })
	if err != nil || pr.OK || pr.Next == nil || !strings.Contains(pr.Next.WontStart, "inactive") {
		t.Fatalf("leaving the old slog in place: %v %+v", err, pr)
	}
}

// downgradeThrough runs a downgrade's steps through a journal on fsys, as
// `waltool migrate downgrade --apply` does (begin) or resume (!begin).
func downgradeThrough(fsys vfs.FS, m *fixtures.Manifest, plan *DowngradePlan, begin bool) error {
	var j *journal.Journal
	var err error
	if begin {
		j, err = journal.Begin(fsys, m.Root, journal.Run{Command: "test downgrade"})
	} else {
		j, err = journal.Open(fsys, m.Root)
	}
	if err != nil {
		return err
	}
	defer j.Close()
	if err := plan.Apply(j, filepath.Join(m.Root, "downgrade-archive"), j.PhaseDone); err != nil {
		return err
	}
	return j.Finish()
}

// newDowngrade is the downgrade to 2.3 of a plog-only root (upgraded, its
// replicas' init offsets raised above the archived slog's end) with a
// slog a 2.4 server never collected left in the slog dir: the downgrade
// archives it and writes 2.3's header-only slog file.
func newDowngrade(t *testing.T) *migration {
	t.Helper()
	o := fixtures.Options{Seed: 11, Apps: 1, Replicas: 2, Mutations: 400, ValueSize: 20, SlogFileSize: 8 << 10}
	c := &migration{what: "migrate downgrade --to 2.3 --apply"}
	c.crashRoot = newCrashRoot(t, o, func(m *fixtures.Manifest) {
		_, archive := upgrade(t, m, 0)
		raiseInitOffsets(t, m, archivedEnd(t, archive))
		files, _ := os.ReadDir(archive)
		slog := openRoot(t, m).SlogDir
		for _, f := range files[:2] {
			if err := os.Rename(filepath.Join(archive, f.Name()), filepath.Join(slog, f.Name())); err != nil {
				t.Fatal(err)
			}
		}
	})
	plan, err := PlanDowngrade(openRoot(t, c.m), DowngradeOptions{Target: pegasus.V23})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.SlogFiles) != 2 || plan.SlogStart == nil {
		t.Fatalf("the plan archives %d files, slog start %+v: nothing to crash", len(plan.SlogFiles), plan.SlogStart)
	}
	js, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	planned := func(t *testing.T) *DowngradePlan {
		t.Helper()
		var p DowngradePlan
		if err := json.Unmarshal(js, &p); err != nil {
			t.Fatal(err)
		}
		return &p
	}
	c.apply = func(t *testing.T, fsys vfs.FS, begin bool) error {
		return downgradeThrough(fsys, c.m, planned(t), begin)
	}
	c.prove = func(t *testing.T) error {
		pr, err := ProveDowngrade(planned(t), vfs.ReadOnly(vfs.OS), openRoot(t, c.m), Options{})
		if err == nil && !pr.OK {
			err = fmt.Errorf("the downgrade does not prove: %+v", pr)
		}
		return err
	}
	return c
}

// A power loss at every sync point of a journaled downgrade, and at every
// name change and a sample of the writes, names kept or taken back: 2.4
// recovers from the crashed root no less than before; resuming finishes it
// and the proof holds (2.3 recovers what 2.6 did, and finds its next
// writes again after its own crash); rolling back gives the initial tree
// byte for byte, after the resume or straight after the crash.
func TestDowngradeCrashEverywhere(t *testing.T) {
	crashEverywhere(t, newDowngrade(t))
}

// `migrate resume` of a downgrade crashed at a spread of its dir fsyncs,
// crashed in turn at every sync point and name change of the resume.
func TestDowngradeResumeCrashEverywhere(t *testing.T) {
	resumeCrashes(t, newDowngrade(t), 2)
}

// `migrate rollback` of a downgrade, finished or crashed, crashed at every
// sync point and name change of the rollback.
func TestDowngradeRollbackCrashEverywhere(t *testing.T) {
	rollbackCrashes(t, newDowngrade(t), 1)
}

// EIO and ENOSPC in a downgrade, its resume and its rollback.
func TestDowngradeFaultsThenResumeOrRollback(t *testing.T) {
	faultsThenResumeOrRollback(t, newDowngrade(t))
}

// What the target cannot read is refused, located: encryption at rest
// (.kms-info), and a RocksDB whose SST files the target's 6.6.4 cannot
// open (the newest data/rdb/OPTIONS-* says which wrote them); a newer 6.x
// is a warning; the version the target ships is nothing.
func TestDowngradeRefusesWhatTheTargetCannotRead(t *testing.T) {
	m, _ := plogOnly(t, fixtures.Options{Seed: 2, Apps: 1, Replicas: 2, Mutations: 300, ValueSize: 20})
	dr := openRoot(t, m).Replicas[0]
	rdb := filepath.Join(dr.Dir, "data", "rdb")
	if err := os.MkdirAll(rdb, 0o755); err != nil {
		t.Fatal(err)
	}
	options := func(v string) string {
		p := filepath.Join(rdb, "OPTIONS-000012")
		os.WriteFile(filepath.Join(rdb, "OPTIONS-000009"), []byte("[Version]\n  rocksdb_version=6.6.4\n"), 0o644)
		if err := os.WriteFile(p, []byte("# a RocksDB option file.\n[Version]\n  rocksdb_version="+v+"\n  options_file_version=1.1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plan := func() *DowngradePlan {
		p, err := PlanDowngrade(openRoot(t, m), DowngradeOptions{Target: pegasus.V24})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	located := func(fs []finding.Finding, path string) bool {
		for _, f := range fs {
			if f.Path == path && f.Gpid != nil && *f.Gpid == dr.Gpid {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		version         string
		refused, warned bool
	}{{"8.5.3", true, false}, {"7.10.2", true, false}, {"6.20.3", false, true}, {"6.6.4", false, false}} {
		path := options(c.version)
		p := plan()
		if located(p.Refusals, path) != c.refused || located(p.Warnings, path) != c.warned {
			t.Errorf("rocksdb %s: refusals %v, warnings %v", c.version, p.Refusals, p.Warnings)
		}
	}
	os.WriteFile(filepath.Join(rdb, "OPTIONS-000012"), []byte("[Version]\n  rocksdb_version=6.6.4\n"), 0o644)
	// An .init-info the target cannot parse (2.4 aborts, 2.3/2.5 move the
	// replica to .err): refused, located (2.6 cannot load it either).
	ii := filepath.Join(openRoot(t, m).Replicas[1].Dir, dataroot.InitInfoFile)
	good, _ := os.ReadFile(ii)
	os.WriteFile(ii, []byte(`{"init_ballot":`), 0o644)
	if p := plan(); !locatedAny(p.Refusals, ii) {
		t.Errorf("a broken .init-info not refused: %v", p.Refusals)
	}
	os.WriteFile(ii, good, 0o644)
	kms := filepath.Join(dr.Dir, ".kms-info")
	if err := os.WriteFile(kms, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if p := plan(); !located(p.Refusals, kms) {
		t.Errorf(".kms-info not refused: %v", p.Refusals)
	}
}

func locatedAny(fs []finding.Finding, path string) bool {
	for _, f := range fs {
		if f.Path == path {
			return true
		}
	}
	return false
}

// A second downgrade to 2.3 of a root already downgraded (its slog dir
// holds the header-only start file and nothing else) changes nothing and
// still proves.
func TestDowngradeTwiceChangesNothing(t *testing.T) {
	m, archive := plogOnly(t, fixtures.Options{Seed: 4, Apps: 2, Replicas: 2, Mutations: 500, ValueSize: 20})
	raiseInitOffsets(t, m, archivedEnd(t, archive))
	if _, pr, err := downgrade(t, m, pegasus.V23, 1, nil); err != nil || !pr.OK {
		t.Fatalf("first: %v %+v", err, pr)
	}
	before := treeOf(t, m.Root)
	plan, pr, err := downgrade(t, m, pegasus.V23, 2, nil)
	if err != nil || !pr.OK {
		t.Fatalf("second: %v %+v", err, pr)
	}
	if plan.SlogStart != nil || len(plan.SlogFiles) != 0 || plan.CreateSlogDir {
		t.Fatalf("the second plan changes something: %+v", plan)
	}
	if d := cmp.Diff(before, treeOf(t, m.Root)); d != "" {
		t.Fatalf("the second downgrade changed the tree:\n%s", d)
	}
}
