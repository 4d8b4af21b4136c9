package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/journal"
	"github.com/waltool/waltool/migrate"
	"github.com/waltool/waltool/schema"
	"github.com/waltool/waltool/vfs"
)

// `migrate upgrade --rebalance` on a root whose replicas all sit on one of
// two data dirs: the dry run shows the moves and writes nothing; --apply
// folds, archives, moves and proves; the data dirs are balanced; rollback
// restores the root byte for byte.
func TestMigrateUpgradeRebalance(t *testing.T) {
	m, disk2, dd := oneDiskOfTwo(t)
	initial := contents(t, m.Root)
	before := snapshot(t, filepath.Dir(m.Root))

	dry, errs, code := waltool(t, append([]string{"migrate", "upgrade", "--rebalance"}, dd...)...)
	if code != 0 || !strings.Contains(dry, "rebalance: move 4 replica dirs") || !strings.Contains(dry, ", rename)") {
		t.Fatalf("dry run: exit %d:\n%s%s", code, dry, errs)
	}
	if d := cmp.Diff(before, snapshot(t, filepath.Dir(m.Root))); d != "" {
		t.Fatalf("the dry run changed the tree:\n%s", d)
	}

	js, errs, code := waltool(t, append([]string{"migrate", "upgrade", "--rebalance", "--apply", "--json"}, dd...)...)
	var rep schema.Upgrade
	if err := json.Unmarshal([]byte(js), &rep); err != nil || code != 0 || !rep.OK || rep.Proof == nil || !rep.Proof.Equal ||
		rep.Rebalance == nil || len(rep.Rebalance.Moves) != 4 {
		t.Fatalf("apply: exit %d, %v:\n%s%s", code, err, js, errs)
	}
	apps := map[string]int{}
	for _, mv := range rep.Rebalance.Moves {
		if _, err := os.Stat(mv.ToPath); err != nil {
			t.Fatalf("%s not at %s: %v", mv.Gpid, mv.ToPath, err)
		}
		if _, err := os.Stat(mv.FromPath); !os.IsNotExist(err) {
			t.Fatalf("%s still at %s", mv.Gpid, mv.FromPath)
		}
		apps[strings.Split(mv.Gpid, ".")[0]]++
	}
	if apps["1"] != 2 || apps["2"] != 2 {
		t.Fatalf("tables not spread: %v", apps)
	}
	for _, d := range []string{filepath.Join(m.Root, "replica", "reps"), filepath.Join(disk2, "replica", "reps")} {
		ents, _ := filepath.Glob(filepath.Join(d, "*.pegasus*"))
		if len(ents) != 4 {
			t.Fatalf("%s holds %v", d, ents)
		}
	}
	if out, _, code := waltool(t, append([]string{"replay", "--server-version", "2.6", "--no-slog"}, dd...)...); code != 0 {
		t.Fatalf("2.6 after the upgrade: exit %d:\n%s", code, out)
	}
	if out, _, code := waltool(t, append([]string{"verify", "--no-slog"}, dd...)...); code != 0 {
		t.Fatalf("verify after the upgrade: exit %d:\n%s", code, out)
	}
	// A server's write in a moved replica dir, at its new place, is seen.
	written := filepath.Join(rep.Rebalance.Moves[0].ToPath, "plog", "log.999.99999999")
	if err := os.WriteFile(written, []byte("a server's block"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := waltool(t, append([]string{"migrate", "rollback"}, dd...)...); code != exitUsage || !strings.Contains(errs, written) {
		t.Fatalf("rollback after a server's write: exit %d: %s", code, errs)
	}
	os.Remove(written)
	if out, errs, code := waltool(t, append([]string{"migrate", "rollback"}, dd...)...); code != 0 {
		t.Fatalf("rollback: exit %d:\n%s%s", code, out, errs)
	}
	if d := cmp.Diff(initial, contents(t, m.Root)); d != "" {
		t.Fatalf("rolled back, not byte for byte (-before +after):\n%s", d)
	}
}

// oneDiskOfTwo generates a root whose replicas all sit on its first data
// dir, adds an empty second one, and returns the root flags naming both.
func oneDiskOfTwo(t *testing.T) (m *fixtures.Manifest, disk2 string, dd []string) {
	out := filepath.Join(t.TempDir(), "root")
	if _, errs, code := waltool(t, "fixtures", "gen", "--out", out, "--seed", "4", "--apps", "2", "--replicas", "4",
		"--mutations", "800", "--disks", "1", "--slog-file-size", "32768"); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, errs)
	}
	m, err := fixtures.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	disk2 = filepath.Join(m.Root, "disk2")
	if err := os.MkdirAll(filepath.Join(disk2, "replica", "reps"), 0o755); err != nil {
		t.Fatal(err)
	}
	return m, disk2, []string{"--data-dirs", m.DataDirs + ",disk2:" + disk2, m.Root}
}

// A run with --rebalance interrupted after its archive (the journal holds
// the plan with its moves, the fold and archive phases done): `migrate
// resume` moves the replica dirs, proves, and finishes; rollback then
// restores the root byte for byte.
func TestMigrateResumeRebalance(t *testing.T) {
	m, disk2, dd := oneDiskOfTwo(t)
	initial := contents(t, m.Root)
	root, err := dataroot.Open(dataroot.Options{Root: m.Root, Server: dataroot.Flags("", m.DataDirs+",disk2:"+disk2)})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := migrate.PlanUpgrade(root, migrate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.PlanRebalance(vfs.ReadOnly(vfs.OS)); err != nil || plan.Rebalance == nil || len(plan.Rebalance.Moves) == 0 {
		t.Fatalf("rebalance plan: %v %+v", err, plan.Rebalance)
	}
	meta, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	j, err := journal.Begin(vfs.OS, m.Root, journal.Run{Command: "waltool", Args: []string{"migrate", "upgrade", "--apply", "--rebalance"}, Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.Fold(vfs.OS, j); err != nil {
		t.Fatal(err)
	}
	if err := plan.Archive(j, filepath.Clean(root.SlogDir)+".waltool-archive"); err != nil {
		t.Fatal(err)
	}
	j.Close() // the process dies here

	if out, _, _ := waltool(t, append([]string{"migrate", "status"}, dd...)...); !strings.Contains(out, "INTERRUPTED") {
		t.Fatalf("status:\n%s", out)
	}
	out, errs, code := waltool(t, append([]string{"migrate", "resume"}, dd...)...)
	if code != 0 || !strings.Contains(out, "EQUAL") {
		t.Fatalf("resume: exit %d:\n%s%s", code, out, errs)
	}
	for _, mv := range plan.Rebalance.Moves {
		if _, err := os.Stat(mv.To); err != nil {
			t.Fatalf("%s not moved to %s: %v", mv.Gpid, mv.To, err)
		}
	}
	if out, _, code := waltool(t, append([]string{"replay", "--server-version", "2.6", "--no-slog"}, dd...)...); code != 0 {
		t.Fatalf("2.6 after the resumed upgrade: exit %d:\n%s", code, out)
	}
	if out, errs, code := waltool(t, append([]string{"migrate", "rollback"}, dd...)...); code != 0 {
		t.Fatalf("rollback: exit %d:\n%s%s", code, out, errs)
	}
	if d := cmp.Diff(initial, contents(t, m.Root)); d != "" {
		t.Fatalf("rolled back, not byte for byte (-before +after):\n%s", d)
	}
}
